"""Sync throughput: how fast the collector ingests, and how long a kiosk takes to empty a large outbox.

Collector ingest: 20,000 responses (varied counters, services, scores, profiles) pushed as 40 signed batches
of 500 (``kiosk.sync.Client``, the kiosk's own HTTP client, which also verifies each ack) to a real ``skm
collector run`` process (waitress, SQLite in WAL with synchronous=FULL), one batch after another, every
response new, in two shapes: ``day``, each batch one kiosk-day (its 500 responses on one day, hours 7 to 15:
a few dozen aggregate rows per batch, as a real kiosk sends), and ``spread``, the worst case, each response
on any of 28 days and 8 hours (about one aggregate row per response). Each figure is the median of RUNS runs,
each on a fresh collector. Figures:

- ``sync_collector_ingest_<shape>_per_s``: responses stored per second, first request to last ack.
  Baseline: the same work done by bare ``sqlite3`` (``bare_same_work``) on a fresh collector database made by
  the same migrations (the same tables and indexes), under the same pragmas (WAL, synchronous=FULL, BEGIN
  IMMEDIATE), with the same 40 transactions of 500: look the ids up in ``responses``, insert the rows, add
  the four aggregate tables' deltas by ``INSERT ... ON CONFLICT DO UPDATE``, insert the batch row, commit.
  The rows and deltas are computed before the clock starts (with ``store.response_row`` and
  ``store.aggregate_rows``), so the ratio (API / bare) is what HTTP, signatures, validation, building
  rows and deltas in Python and SQLAlchemy's connection handling cost on top of the database's own work.
- ``sync_collector_ingest_cpu_<shape>_us``: the collector process's CPU time (user + system, from
  /proc) per response over the timed pushes. Baseline: the bare run's own CPU per response.
- ``sync_collector_ingest_vs_one_table_executemany_per_s``: the API rate of the spread shape against the
  old, flattering baseline, kept for comparison: the same rows into the ``responses`` table alone, one
  ``executemany`` in a single transaction (no ids looked up, no aggregates, one commit).
- ``collector_sqlite_mib_per_million_responses``: what the collector's SQLite file grows by (after a WAL
  checkpoint) per million responses of the day shape, through the API. Baseline: the same rows in a
  file with the ``responses`` table alone (its indexes included), written by bare sqlite3 (the UUIDs and
  content hash as the collector keeps them on SQLite: BLOBs, collector/columns.py).

Kiosk drain: a kiosk with 50,000 responses in its outbox, enrolled at a fresh collector process, runs
one ``sync.sync_once`` (default batch size 500: 100 batches). Figure: seconds until the outbox is empty.
Baseline: the same 50,000 responses, in the same batches of 500 (built beforehand from the kiosk's
outbox), posted signed to another fresh collector process by a bare loop that neither reads the outbox,
nor checks the ack, nor marks rows: the network plus the collector's ingest alone. The ratio is what the
kiosk's side of the protocol adds: reading and encoding the outbox in ``seq`` order, verifying each
ack's signature and names, and marking the rows synced in one transaction per batch. Near 1 means the
drain is bound by the collector; the two collectors are separate processes, so run-to-run noise can put
it slightly below 1. ``SKM_BENCH_SYNC_DRAIN=0`` leaves the drain out (its figure stays as last written).
"""
from __future__ import annotations

import os
import random
import shutil
import sqlite3
import statistics
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
from collector.columns import sqlite_uuid
from collector.store.ingest import sqlite_values
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
RUNS = 3
SHAPES = ("day", "spread")
PROFILE_FIELDS = tuple(f.name for f in PROFILE)


def kiosk_row(rnd: random.Random, seq: int, kiosk_id: str, day: int | None = None) -> dict:
    """A response as the kiosk stores it (flat columns), spread over counters, hours and (unless ``day``
    is given) days."""
    counter = rnd.choice(sorted(SERVICES))
    day = day or rnd.randint(1, 28)
    submitted = f"2026-11-{day:02d}T{rnd.randint(7, 15):02d}:{rnd.randint(0, 59):02d}:31.877+07:00"
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

def shaped(shape: str, count: int = INGEST_RESPONSES, seed: int = 1945) -> list[dict]:
    """``count`` wire responses: ``day``, each batch of 500 on one day; ``spread``, any of 28 days each."""
    rnd = random.Random(seed)
    return [wire.response_to_wire(kiosk_row(rnd, seq, "bench", day=(seq - 1) // BATCH % 28 + 1
                                            if shape == "day" else None), CODES, PROFILE_FIELDS)
            for seq in range(1, count + 1)]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def push_all(creds: sync.Credentials, responses: list[dict], pid: int | None = None) -> tuple[float, int, float]:
    """Warm the collector up with 20 responses, then time pushing ``responses`` in signed batches of 500.
    Returns (seconds, how many warm-up responses were stored too, the server's CPU seconds when ``pid``)."""
    client = sync.Client(creds, timeout=300)
    warmup = [wire.response_to_wire(kiosk_row(random.Random(1), i + 1, creds.kiosk_id), CODES, PROFILE_FIELDS)
              for i in range(20)]
    client.request("POST", "/api/v1/batches", bodies_of(warmup)[0])  # imports, caches, first connection
    bodies = bodies_of(responses)
    cpu = cpu_seconds(pid) if pid else 0.0
    start = time.perf_counter()
    for body in bodies:
        ack = client.request("POST", "/api/v1/batches", body)
        assert all(r["status"] == "accepted" for r in ack["results"]), ack["results"][:3]
    elapsed = time.perf_counter() - start
    return elapsed, len(warmup), (cpu_seconds(pid) - cpu) if pid else 0.0


def file_bytes(engine) -> int:
    """The database file's size once its WAL is checkpointed into it."""
    engine.dispose()
    conn = sqlite3.connect(engine.url.database, isolation_level=None)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return conn.execute("PRAGMA page_count").fetchone()[0] * conn.execute("PRAGMA page_size").fetchone()[0]
    finally:
        conn.close()


def api_ingest(tmp: Path, responses: list[dict], name: str = "collector-ingest") -> tuple[float, float, int]:
    """Seconds and server CPU seconds for the pushes, and the bytes the database file grew by."""
    server, creds, engine = collector(tmp, name)
    empty = file_bytes(engine)
    try:
        elapsed, warmup, cpu = push_all(creds, responses, server.process.pid)
    finally:
        server.stop()
    assert cstore.response_count(engine) == len(responses) + warmup
    grown = file_bytes(engine) - empty
    engine.dispose()
    return elapsed, cpu, grown


def prepared_batches(responses: list[dict]) -> list[dict]:
    """What ingest writes for each batch of 500, as bare sqlite3 takes it (computed before timing)."""
    zone = ZoneInfo("Asia/Jakarta")
    columns = [c.name for c in cschema.responses.c]
    batches = []
    for i in range(0, len(responses), BATCH):
        batch_id, received_at = str(uuid.uuid4()), cstore.now_iso()
        rows = [cstore.response_row(wire.validate_wire_response(data), "kiosk", zone, batch_id, received_at,
                                    wire.content_hash(data)) for data in responses[i:i + BATCH]]
        upserts = []
        for table, deltas in zip(AGGREGATES, cstore.aggregate_rows(rows)):
            keys, values = AGGREGATE_KEYS[table.name], [c.name for c in table.c if c.name not in
                                                        AGGREGATE_KEYS[table.name]]
            upserts.append((upsert_sql(table.name, keys, values),
                            [(*map(sqlite_value, key), *(delta[v] for v in values))
                             for key, delta in sorted(deltas.items())]))
        batches.append({"ids": [sqlite_uuid(r["id"]) for r in rows], "upserts": upserts,  # as SQLite keeps them
                        "rows": [sqlite_values(tuple(sqlite_value(r[c]) for c in columns)) for r in rows],
                        "batch": (batch_id, "kiosk", "api", received_at, len(rows), 0, 0, 0)})
    return batches


AGGREGATES = (cschema.daily_aggregates, cschema.hourly_aggregates, cschema.officer_daily,
              cschema.monthly_aggregates)  # the order of store.aggregate_rows
AGGREGATE_KEYS = {"daily_aggregates": cschema.AGGREGATE_KEY, "hourly_aggregates": ("unit", "day", "hour", "suspect"),
                  "officer_daily": ("officer", "unit", "day", "suspect"), "monthly_aggregates": cschema.MONTHLY_KEY}


def sqlite_value(value):
    return value.isoformat() if hasattr(value, "isoformat") else value


def upsert_sql(table: str, keys: tuple[str, ...], values: list[str]) -> str:
    columns = [*keys, *values]
    return (f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))}) "
            f"ON CONFLICT ({', '.join(keys)}) DO UPDATE SET " + ", ".join(f"{v} = {table}.{v} + excluded.{v}"
                                                                          for v in values))


def bare_same_work(tmp: Path, template: Path, responses: list[dict], name: str) -> tuple[float, float]:
    """Seconds and CPU seconds for bare sqlite3 doing ingest's database work (module docstring)."""
    path = tmp / f"{name}.db"
    shutil.copyfile(template, path)  # a migrated, seeded collector database, as the API run starts from
    batches = prepared_batches(responses)
    columns = [c.name for c in cschema.responses.c]
    insert = f"INSERT INTO responses ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    record = "INSERT INTO batches (id, kiosk_id, source, received_at, accepted, duplicate, conflict, invalid) " \
             "VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (id) DO NOTHING"
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        for pragma in ("journal_mode=WAL", "synchronous=FULL", "foreign_keys=ON"):
            conn.execute(f"PRAGMA {pragma}")
        assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2
        cpu, start = time.process_time(), time.perf_counter()
        for batch in batches:
            conn.execute("BEGIN IMMEDIATE")
            ids = batch["ids"]
            stored = conn.execute(f"SELECT id, content_hash FROM responses WHERE id IN ({', '.join('?' * len(ids))})",
                                  ids).fetchall()
            assert not stored
            conn.executemany(insert, batch["rows"])
            for sql, values in batch["upserts"]:
                if values:
                    conn.executemany(sql, values)
            conn.execute(record, batch["batch"])
            conn.execute("COMMIT")
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        assert conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == len(responses)
    finally:
        conn.close()
    return elapsed, cpu


def raw_ingest(tmp: Path, responses: list[dict], name: str = "raw") -> tuple[float, int]:
    """The same rows as the collector stores them into the ``responses`` table alone (its indexes too), by
    plain sqlite3 executemany in one transaction: seconds, and the file's size."""
    path = tmp / f"{name}.db"
    schema_engine = create_engine(f"sqlite:///{path}")
    cschema.responses.create(schema_engine)  # the same columns and indexes
    schema_engine.dispose()
    zone = ZoneInfo("Asia/Jakarta")
    received_at, batch_id = cstore.now_iso(), str(uuid.uuid4())
    rows = []
    for data in responses:
        row = cstore.response_row(wire.validate_wire_response(data), "kiosk", zone, batch_id, received_at,
                                  wire.content_hash(data))
        rows.append(row)
    columns = list(rows[0])
    assert columns == [c.name for c in cschema.responses.c]
    values = [sqlite_values(tuple(r[c] for c in columns)) for r in rows]  # the UUIDs and hash as BLOBs
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
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        size = conn.execute("PRAGMA page_count").fetchone()[0] * conn.execute("PRAGMA page_size").fetchone()[0]
    finally:
        conn.close()
    return elapsed, size


def ingest_figures(tmp: Path) -> dict:
    """Every ingest figure: RUNS runs of each shape through the API and bare, interleaved; medians."""
    template = seed_collector(tmp / "template") / "collector.db"
    figures, api_spread = {}, []
    for shape in SHAPES:
        responses = shaped(shape)
        api, bare, grown = [], [], []
        for run in range(RUNS):
            elapsed, cpu, size = api_ingest(tmp, responses, f"api-{shape}-{run}")
            api.append((elapsed, cpu))
            grown.append(size)
            bare.append(bare_same_work(tmp, template, responses, f"bare-{shape}-{run}"))
        api_s, api_cpu = (statistics.median(x) for x in zip(*api))
        bare_s, bare_cpu = (statistics.median(x) for x in zip(*bare))
        n = len(responses)
        print(f"   {shape}: API {api_s:.2f} s ({n / api_s:.0f}/s, server CPU {api_cpu / n * 1e6:.0f} us/response), "
              f"bare sqlite3 same work {bare_s:.3f} s ({n / bare_s:.0f}/s, CPU {bare_cpu / n * 1e6:.0f} us/response); "
              f"runs API {[round(n / a) for a, _c in api]}/s, bare {[round(n / b) for b, _c in bare]}/s", flush=True)
        figures[f"sync_collector_ingest_{shape}_per_s"] = {"value": n / api_s, "unit": "resp/s",
                                                           "baseline": n / bare_s, "ratio": bare_s / api_s}
        figures[f"sync_collector_ingest_cpu_{shape}_us"] = {"value": api_cpu / n * 1e6, "unit": "us/resp",
                                                            "baseline": bare_cpu / n * 1e6, "ratio": api_cpu / bare_cpu}
        if shape == "spread":
            api_spread = [a for a, _c in api]
        if shape == "day":
            mib = statistics.median(grown) / n * 1e6 / 2 ** 20
            raw_bytes = raw_ingest(tmp, responses, "raw-day")[1]
            raw_mib = raw_bytes / n * 1e6 / 2 ** 20
            print(f"   day: the collector's file grows {mib:.0f} MiB per million responses; the responses "
                  f"table alone {raw_mib:.0f} MiB", flush=True)
            figures["collector_sqlite_mib_per_million_responses"] = {"value": mib, "unit": "MiB/M",
                                                                     "baseline": raw_mib, "ratio": mib / raw_mib}
    responses = shaped("spread")
    one_table = statistics.median(raw_ingest(tmp, responses, f"raw-{run}")[0] for run in range(RUNS))
    api_s, n = statistics.median(api_spread), len(responses)
    print(f"   spread: API {n / api_s:.0f}/s against one-table executemany {n / one_table:.0f}/s", flush=True)
    figures["sync_collector_ingest_vs_one_table_executemany_per_s"] = {
        "value": n / api_s, "unit": "resp/s", "baseline": n / one_table, "ratio": one_table / api_s}
    return figures


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
    with tempfile.TemporaryDirectory(prefix="skm-bench-sync-") as tmp:
        tmp = Path(tmp)
        figures = ingest_figures(tmp)
        if os.environ.get("SKM_BENCH_SYNC_DRAIN", "1") != "0":
            drained, bare = drain(tmp)
            print(f"   drain {DRAIN_RESPONSES}: sync_once {drained:.2f} s, bare posts {bare:.2f} s")
            figures["sync_kiosk_drain_50k_s"] = {"value": drained, "unit": "s", "baseline": bare,
                                                 "ratio": drained / bare}
    return figures
