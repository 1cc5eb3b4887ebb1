"""The responses' UUIDs and content hashes: BLOBs on SQLite when the BLOB gives back the same text, text
otherwise and on PostgreSQL; read back exactly as written, through Core and through the ingest's SQL text."""
from __future__ import annotations

import uuid

from sqlalchemy import Column, Integer, MetaData, Table, insert, select

from collector.columns import HexText, UuidText, hex_text, sqlite_hex, sqlite_uuid, uuid_text
from tests.helpers import BACKEND, collector_engine

CANONICAL = "6f0c7d52-1f7a-4c55-9d0b-5b1e0a3c2f10"
NOT_CANONICAL = [CANONICAL.upper(), "6f0c7d521f7a4c559d0b5b1e0a3c2f10", "6f0c7d52-1f7a-4c55-9d0b-5b1e0a3c2f1 ",
                 "6f0c7d52+1f7a-4c55-9d0b-5b1e0a3c2f10", "kiosk", "", "6f0c7d52-1f7a-4c55-9d0b-5b1e0a3c2f1g"]
DIGEST = "ce69c0222300ede66f7c22cb3fc3cc5a9a8c11909c2e95e8e6dca48a4a02c7e7"


def test_the_conversions_give_back_the_same_text():
    for _ in range(200):
        value = str(uuid.uuid4())
        assert type(sqlite_uuid(value)) is bytes and len(sqlite_uuid(value)) == 16
        assert uuid_text(sqlite_uuid(value)) == value
    for value in (*NOT_CANONICAL, None):
        assert sqlite_uuid(value) == value and uuid_text(sqlite_uuid(value)) == value
    assert sqlite_hex(DIGEST) == bytes.fromhex(DIGEST) and hex_text(sqlite_hex(DIGEST)) == DIGEST
    for value in (DIGEST.upper(), DIGEST[:-1], "0" * 63 + "g", "ff", None):
        assert sqlite_hex(value) == value and hex_text(sqlite_hex(value)) == value


def test_core_writes_and_reads_them_on_the_database(tmp_path):
    table = Table("columns_probe", MetaData(), Column("n", Integer, primary_key=True), Column("id", UuidText(36)),
                  Column("digest", HexText(64)))
    engine = collector_engine(tmp_path)
    table.create(engine)
    values = [CANONICAL, *NOT_CANONICAL, None]
    digests = [DIGEST, DIGEST.upper(), "ff", None, DIGEST, DIGEST, DIGEST, DIGEST, DIGEST]
    with engine.begin() as conn:
        conn.execute(insert(table), [{"n": n, "id": v, "digest": d} for n, (v, d) in enumerate(zip(values, digests))])
    with engine.connect() as conn:
        assert [(r.id, r.digest) for r in conn.execute(select(table).order_by(table.c.n))] == list(zip(values, digests))
        # a look-up by the text finds the row, whichever way it is kept
        for value in values[:-1]:
            assert conn.execute(select(table.c.id).where(table.c.id == value)).scalar_one() == value
        stored = conn.exec_driver_sql(f"SELECT {'pg_typeof(id)::text' if BACKEND == 'postgresql' else 'typeof(id)'}, "
                                      f"length(id) FROM columns_probe WHERE n = 0").one()
    assert tuple(stored) == (("character varying", 36) if BACKEND == "postgresql" else ("blob", 16))
    engine.dispose()
