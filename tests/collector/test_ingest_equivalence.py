"""The driver-speed ingest stores exactly what the per-row SQLAlchemy path stored (kept as
``reference_ingest``): the same rows, byte for byte as the database holds them, in responses, conflicts,
batches, response_keys (PostgreSQL) and every aggregate table, and the same outcomes, for batches with
duplicates, conflicts, repeats inside a batch, officers, profiles, suspect responses, clock skews, time
zones and days spread wide."""
from __future__ import annotations

import random
import uuid
from zoneinfo import ZoneInfo

from collector import schema as t, store
from collector.columns import SQLITE_UUID_TEXT
from collector.store import Outcome
from skm import CODES, PROFILE, QUESTIONNAIRE_VERSION, wire
from tests.collector import reference_ingest
from tests.helpers import collector_engine, seed_collector

KIOSK = "6f0c7d52-1f7a-4c55-9d0b-5b1e0a3c2f10"
SERVICES = {"1": "ktp-el", "2": "kk", "3": "akta-lahir"}


def response(rnd: random.Random, seq: int, spread_days: int) -> dict:
    counter = rnd.choice(sorted(SERVICES))
    day, hour = rnd.randint(1, spread_days), rnd.choice([0, 1, 7, 9, 12, 15, 16, 17, 22, 23])
    submitted = f"2026-10-{day:02d}T{hour:02d}:{rnd.randint(0, 59):02d}:{rnd.randint(0, 59):02d}.{rnd.randint(0, 999):03d}+07:00"
    data = {"id": str(uuid.UUID(int=rnd.getrandbits(128), version=4)), "seq": seq, "unit": "dumai-disdukcapil",
            "service": SERVICES[counter], "counter": counter,
            "officer": rnd.choice([None, None, "198001012005011001", "199002022010012002"]),
            "channel": rnd.choice(["kiosk", "kiosk", "qr"]), "questionnaire_version": QUESTIONNAIRE_VERSION,
            "answers": {code: rnd.randint(1, 4) for code in CODES},
            "profile": {f.name: rnd.choice(f.values) for f in PROFILE if rnd.random() < 0.5},
            "comment": rnd.choice([None, None, "Pelayanan cepat", "Antrean lama — kursi kurang 😊"]),
            "started_at": rnd.choice([None, submitted.replace(":", ":", 1)]), "submitted_at": submitted,
            "duration_ms": rnd.choice([None, rnd.randint(0, 600_000)]), "suspect": rnd.random() < 0.1}
    data["suspect_reason"] = "too_fast:2.0s<10s" if data["suspect"] else None
    return data


def batches(rnd: random.Random) -> list[tuple[str, list[dict], int, str]]:
    """(batch id, responses, clock skew ms, zone) in the order they arrive."""
    first = [response(rnd, seq, 28) for seq in range(1, 501)]  # the worst case: days and hours spread
    day = [response(rnd, seq, 1) for seq in range(501, 531)]  # one kiosk-day
    changed = [{**r, "answers": {**r["answers"], "waktu": 5 - r["answers"]["waktu"]}} for r in first[:7]]
    mixed = [*first[7:12], *changed, day[0], day[0], changed[0], response(rnd, 531, 3)]
    ids = [str(uuid.UUID(int=rnd.getrandbits(128), version=4)) for _ in range(5)]
    again = ids[0]
    return [(ids[1], first, 0, "Asia/Jakarta"), (again, day, 120_000, "Asia/Jayapura"),
            (again, day, 120_000, "Asia/Jayapura"), (ids[2], mixed, -3_600_000, "Asia/Jakarta"),
            (ids[3], [response(rnd, 600 + i, 2) for i in range(40)], 7, "Asia/Makassar"),
            (ids[4], [], 0, "Asia/Jakarta")]


def dump(engine) -> dict[str, list[tuple]]:
    """Every row of the tables ingest writes, each value as the database renders what it holds (SQLite's
    quote(), with its storage class; PostgreSQL's text form of the typed value), received_at left out."""
    tables = [t.responses, t.conflicts, t.batches, t.daily_aggregates, t.monthly_aggregates, t.hourly_aggregates,
              t.officer_daily]
    if engine.dialect.name == "postgresql":
        tables.append(t.response_keys)
    shown = "{}::text" if engine.dialect.name == "postgresql" else "quote({})"
    rows = {}
    with engine.connect() as conn:
        for table in tables:
            columns = [c.name for c in table.c if c.name != "received_at"]
            rows[table.name] = sorted(tuple(r) for r in conn.exec_driver_sql(
                f"SELECT {', '.join(shown.format(c) for c in columns)} FROM {table.name}"))
        # received_at is the moment of storing: the same for a batch's responses, conflicts and record
        # (SQLite keeps responses.batch_id as a BLOB, batches.id as text: collector/columns.py)
        batch_id = "r.batch_id" if engine.dialect.name == "postgresql" else SQLITE_UUID_TEXT.format("r.batch_id")
        joined = f"FROM responses r JOIN batches b ON b.id = {batch_id}"
        assert conn.exec_driver_sql(f"SELECT count(*) {joined}").scalar() == len(rows["responses"])
        assert conn.exec_driver_sql(f"SELECT count(*) {joined} WHERE r.received_at <> b.received_at").scalar() == 0
    return rows


def run(engine, ingest) -> list[list[Outcome]]:
    outcomes = []
    for batch_id, responses, skew, zone in batches(random.Random(2017)):
        valid = [(wire.validate_wire_response(r), wire.content_hash(r)) for r in responses]
        invalid = [Outcome(f"#{len(responses)}", "invalid", "bad_id")]
        outcomes.append(ingest(engine, KIOSK, batch_id, "api", valid, invalid, ZoneInfo(zone), skew))
    return outcomes


def test_the_fast_path_stores_what_the_per_row_path_stored(tmp_path):
    fast, slow = (collector_engine(seed_collector(tmp_path / name)) for name in ("fast", "reference"))
    fast_outcomes = run(fast, lambda *args: store.ingest(*args)[0])
    slow_outcomes = run(slow, lambda *args: reference_ingest.ingest(*args, received_at=store.now_iso()))
    assert fast_outcomes == slow_outcomes
    statuses = {o.status for batch in fast_outcomes for o in batch}
    assert statuses == {"accepted", "duplicate", "conflict", "invalid"}
    stored, expected = dump(fast), dump(slow)
    assert {name: len(rows) for name, rows in stored.items()} == {name: len(rows) for name, rows in expected.items()}
    assert len(stored["responses"]) == 500 + 30 + 1 + 40 and len(stored["conflicts"]) == 8
    assert len(stored["officer_daily"]) > 10 and len(stored["hourly_aggregates"]) > 100
    for name in stored:
        assert stored[name] == expected[name], name
    # and the aggregates are what a rebuild from the stored responses gives
    incremental = store.all_aggregates(fast)
    store.rebuild_aggregates(fast)
    assert store.all_aggregates(fast) == incremental

