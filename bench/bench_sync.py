"""Sync throughput: how fast the collector ingests, and how long a kiosk takes to empty a large outbox.

Collector ingest: 20,000 responses (varied counters, services, days, scores, profiles) pushed as 40
signed batches of 500 (``kiosk.sync.Client``, the kiosk's own HTTP client, which also verifies each ack)
to a real ``skm collector run`` process (waitress, SQLite in WAL with synchronous=FULL), one batch after
another, every response new. Figure: responses stored per second, from the first request to the last
ack. Baseline, measured in the same run on the same file system: the very rows the collector stores
(its ``responses`` table, created from the same schema, with its indexes), inserted with plain
``sqlite3`` ``executemany`` in one transaction under the same pragmas (WAL, synchronous=FULL). The ratio
(API / raw, below 1) is what HTTP, signatures, validation, the duplicate/conflict check, the daily and
hourly aggregates and the per-batch commits cost on top of the bare durable insert.

Kiosk drain: a kiosk with 50,000 responses in its outbox, enrolled at a fresh collector process, runs
one ``sync.sync_once`` (default batch size 500: 100 batches). Figure: seconds until the outbox is empty.
Baseline: the same 50,000 responses, in the same batches of 500 (built beforehand from the kiosk's
outbox), posted signed to another fresh collector process by a bare loop that neither reads the outbox,
nor checks the ack, nor marks rows: the network plus the collector's ingest alone. The ratio is what the
kiosk's side of the protocol adds: reading and encoding the outbox in ``seq`` order, verifying each
ack's signature and names, and marking the rows synced in one transaction per batch. Near 1 means the
drain is bound by the collector; the two collectors are separate processes, so run-to-run noise can put
it slightly below 1.
"""
from __future__ import annotations

import random
import sqlite3
import tempfile
import time
import urllib.request
import uuid
from datetime import datetime, timezone
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import create_engine

from collector import schema as cschema
from collector import store as cstore
from kiosk import store as kstore
from kiosk import sync
from skm import CODES, PROFILE, QUESTIONNAIRE_VERSION, wire
from tests.helpers import CollectorServer, init_kiosk, seed_collector

UNIT = "dumai-disdukcapil"
SERVICES = {"1": ["ktp-el"], "2": ["kk", "pindah"], "3": ["akta-lahir", "kia"], "4": ["akta-mati", "akta-kawin"],
            "5": ["informasi"], "6": ["ktp-el", "kk", "akta-lahir"]}
INGEST_RESPONSES = 20_000
DRAIN_RESPONSES = 50_000
BATCH = 500
PROFILE_FIELDS = tuple(f.name for f in PROFILE)


def kiosk_row(rnd: random.Random, seq: int, kiosk_id: str) -> dict:
    """A response as the kiosk stores it (flat columns), spread over counters, days and hours."""
    counter = rnd.choice(sorted(SERVICES))
    submitted = f"2026-11-{rnd.randint(1, 28):02d}T{rnd.randint(7, 15):02d}:{rnd.randint(0, 59):02d}:31.877+07:00"
    row = {"id": str(uuid.uuid4()), "seq": seq, "kiosk_id": kiosk_id, "unit": UNIT, "counter": counter,
           "service": rnd.choice(SERVICES[counter]), "officer": None, "channel": "kiosk",
           "questionnaire_version": QUESTIONNAIRE_VERSION, **{c: rnd.randint(1, 4) for c in CODES},
           **dict.fromkeys(PROFILE_FIELDS), "comment": "Pelayanan cepat" if rnd.random() < 0.1 else None,
           "started_at": submitted.replace(":31.877", ":02.120"), "submitted_at": submitted, "duration_ms": 29757,
           "suspect": int(rnd.random() < 0.05), "suspect_reason": None, "sync_state": "pending"}
    if row["suspect"]:
        row["suspect_reason"] = "burst"
    if rnd.random() < 0.3:
        for field in PROFILE:
            row[field.name] = rnd.choice(field.values)
    return row


def bodies_of(responses: list[dict]) -> list[bytes]:
    return [wire.canonical({"protocol": wire.PROTOCOL, "batch_id": str(uuid.uuid4()),
                            "responses": responses[i:i + BATCH]}) for i in range(0, len(responses), BATCH)]


def collector(tmp: Path, name: str) -> tuple[CollectorServer, sync.Credentials, object]:
    """A fresh collector process with one enrolled kiosk; its credentials and an engine on its database."""
    instance = seed_collector(tmp / name)
    engine = cstore.make_engine(f"sqlite:///{instance}/collector.db")
    _kiosk_id, code = cstore.add_kiosk(engine, UNIT)
    kiosk = cstore.enroll(engine, code)
    server = CollectorServer(instance).start()
    return server, sync.Credentials(server.url, kiosk["id"], kiosk["secret"]), engine


def bare_post(creds: sync.Credentials, body: bytes) -> None:
    """A signed POST whose answer is read and thrown away: no JSON, no signature check, nothing marked."""
    timestamp = datetime.now(timezone.utc).isoformat(timespec="milliseconds")
    request = urllib.request.Request(creds.url + "/api/v1/batches", data=body, method="POST", headers={
        "Content-Type": "application/json", "X-SKM-Kiosk": creds.kiosk_id, "X-SKM-Timestamp": timestamp,
        "X-SKM-Signature": wire.sign(creds.secret, "request", creds.kiosk_id, timestamp, body)})
    with urllib.request.urlopen(request, timeout=300) as answer:
        answer.read()
        assert answer.status == 200, answer.status


# -- collector ingest -------------------------------------------------------------------------------------

def push_all(creds: sync.Credentials, responses: list[dict]) -> tuple[float, int]:
    """Warm the collector up with 20 responses, then time pushing ``responses`` in signed batches of 500.
    Returns (seconds, how many warm-up responses were stored too)."""
    client = sync.Client(creds, timeout=300)
    warmup = [wire.response_to_wire(kiosk_row(random.Random(1), i + 1, creds.kiosk_id), CODES, PROFILE_FIELDS)
              for i in range(20)]
    client.request("POST", "/api/v1/batches", bodies_of(warmup)[0])  # imports, caches, first connection
    bodies = bodies_of(responses)
    start = time.perf_counter()
    for body in bodies:
        ack = client.request("POST", "/api/v1/batches", body)
        assert all(r["status"] == "accepted" for r in ack["results"]), ack["results"][:3]
    return time.perf_counter() - start, len(warmup)


def api_ingest(tmp: Path, responses: list[dict]) -> float:
    server, creds, engine = collector(tmp, "collector-ingest")
    try:
        elapsed, warmup = push_all(creds, responses)
    finally:
        server.stop()
    assert cstore.response_count(engine) == len(responses) + warmup
    return elapsed


def raw_ingest(tmp: Path, responses: list[dict]) -> float:
    """The same rows as the collector stores them, by plain sqlite3 executemany in one transaction."""
    path = tmp / "raw.db"
    schema_engine = create_engine(f"sqlite:///{path}")
    cschema.responses.create(schema_engine)  # the same columns and indexes
    schema_engine.dispose()
    zone = ZoneInfo("Asia/Jakarta")
    received_at, batch_id = cstore.now_iso(), str(uuid.uuid4())
    rows = []
    for data in responses:
        row = cstore.response_row(wire.validate_wire_response(data), "kiosk", zone, batch_id, received_at,
                                  wire.content_hash(data))
        row["local_day"] = row["local_day"].isoformat()
        rows.append(row)
    columns = list(rows[0])
    values = [tuple(r[c] for c in columns) for r in rows]
    sql = f"INSERT INTO responses ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=FULL")
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2
        start = time.perf_counter()
        conn.execute("BEGIN IMMEDIATE")
        conn.executemany(sql, values)
        conn.execute("COMMIT")
        elapsed = time.perf_counter() - start
        assert conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == len(rows)
    finally:
        conn.close()
    return elapsed


# -- kiosk drain -------------------------------------------------------------------------------------------

def fill_outbox(database: str, kiosk_id: str, count: int) -> None:
    """``count`` pending responses, written in one transaction (set-up, not measured)."""
    db = kstore.connect(database)
    rnd = random.Random(2017)
    rows = [kiosk_row(rnd, seq, kiosk_id) for seq in range(1, count + 1)]
    columns = list(rows[0])
    sql = f"INSERT INTO responses ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    try:
        with kstore.transaction(db):
            db.conn.executemany(sql, [tuple(r[c] for c in columns) for r in rows])
    finally:
        db.conn.close()


def warm_up(creds: sync.Credentials) -> None:
    """One small batch, not counted: the first request pays for imports, caches and the first connection."""
    bare_post(creds, bodies_of([wire.response_to_wire(kiosk_row(random.Random(), 1, "warm-up"), CODES,
                                                      PROFILE_FIELDS)])[0])


def drain(tmp: Path) -> tuple[float, float]:
    """Seconds for ``sync_once`` to empty an outbox of DRAIN_RESPONSES, and for the bare loop (baseline)."""
    server, creds, engine = collector(tmp, "collector-drain")
    instance = init_kiosk(tmp / "kiosk")
    db = kstore.connect(str(instance / "kiosk.db"))
    try:
        kstore.migrate(db)
        _kiosk_id, code = cstore.add_kiosk(engine, UNIT)
        sync.enroll(db, server.url, code)
        fill_outbox(str(instance / "kiosk.db"), kstore.get_setting(db, "kiosk_id"), DRAIN_RESPONSES)
        assert kstore.outbox_backlog(db) == DRAIN_RESPONSES
        bodies = bodies_of(sync.pending_batch(db, DRAIN_RESPONSES))  # the very batches sync_once will send

        # The baseline, on its own fresh collector: the same batches, posted bare.
        bare_server, bare_creds, bare_engine = collector(tmp, "collector-bare")
        try:
            warm_up(bare_creds)
            start = time.perf_counter()
            for body in bodies:
                bare_post(bare_creds, body)
            bare = time.perf_counter() - start
        finally:
            bare_server.stop()
        assert cstore.response_count(bare_engine) == DRAIN_RESPONSES + 1

        warm_up(creds)  # as another kiosk of the same collector: the outbox stays as it is
        start = time.perf_counter()
        report = sync.sync_once(db, timeout=300)
        drained = time.perf_counter() - start
        assert report.ok and report.accepted == DRAIN_RESPONSES and report.batches == len(bodies), report.summary()
        assert kstore.outbox_backlog(db) == 0
    finally:
        db.conn.close()
        server.stop()
    assert cstore.response_count(engine) == DRAIN_RESPONSES + 1
    return drained, bare


def run():
    rnd = random.Random(1945)
    responses = [wire.response_to_wire(kiosk_row(rnd, seq, "bench"), CODES, PROFILE_FIELDS)
                 for seq in range(1, INGEST_RESPONSES + 1)]
    with tempfile.TemporaryDirectory(prefix="skm-bench-sync-") as tmp:
        tmp = Path(tmp)
        api = api_ingest(tmp, responses)
        raw = raw_ingest(tmp, responses)
        drained, bare = drain(tmp)
    api_rate, raw_rate = INGEST_RESPONSES / api, INGEST_RESPONSES / raw
    print(f"   ingest: API {api:.2f} s for {INGEST_RESPONSES} ({api_rate:.0f}/s), raw sqlite3 {raw:.3f} s "
          f"({raw_rate:.0f}/s)")
    print(f"   drain {DRAIN_RESPONSES}: sync_once {drained:.2f} s, bare posts {bare:.2f} s")
    return {
        "sync_collector_ingest_per_s": {"value": api_rate, "unit": "resp/s", "baseline": raw_rate,
                                        "ratio": api_rate / raw_rate},
        "sync_kiosk_drain_50k_s": {"value": drained, "unit": "s", "baseline": bare, "ratio": drained / bare},
    }
