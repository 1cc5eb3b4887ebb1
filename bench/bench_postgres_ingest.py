"""The collector's ingest on PostgreSQL, through the API, against the same work done by bare psycopg.

The server is the throw-away cluster of ``scripts/pg_test_cluster.sh`` (started when none answers; it runs
with fsync=off and synchronous_commit=off, so no figure includes waiting for the disk). Each run works in a
fresh database of its own, made here and dropped at the end. Without PostgreSQL the bench prints why and
returns no figures.

The 20,000 responses of ``bench_sync`` in its two shapes (``day``: each batch of 500 one kiosk-day;
``spread``: each response on any of 28 days and 8 hours), as 40 signed batches of 500 (``kiosk.sync.Client``,
which also verifies each ack) to a real ``skm collector run`` process on PostgreSQL, one batch after another,
every response new. Each figure is the median of ``bench_sync.RUNS`` runs. Figures:

- ``sync_collector_ingest_pg_<shape>_per_s``: responses stored per second, first request to last ack.
  Baseline: the same work done by bare psycopg (``bare_same_work``) in a database made by the same migrations
  (the same partitioned table, keys and indexes), its month partitions made beforehand, in the same 40
  transactions of 500: the ids claimed in ``response_keys`` by one ``INSERT ... SELECT FROM unnest ... ON
  CONFLICT DO NOTHING RETURNING``, the rows by ``COPY`` into the partitioned ``responses``, each aggregate
  table's deltas by one ``INSERT ... SELECT FROM unnest ... ON CONFLICT DO UPDATE``, the batch row, commit.
  Rows and deltas are computed before the clock starts (``store.response_row``, ``store.aggregate_rows``).
- ``sync_collector_ingest_pg_cpu_<shape>_us``: the collector process's CPU (user + system, from /proc) per
  response over the timed pushes. Baseline: the bare run's own CPU per response (PostgreSQL's server
  processes are in neither).
- ``sync_collector_ingest_pg_vs_copy_per_s``: the API rate of the spread shape against the old, flattering
  baseline, kept for comparison: the same rows by one ``COPY`` in one transaction into a plain table made
  ``LIKE responses INCLUDING ALL`` (no keys claimed, no aggregates, one commit).
"""
from __future__ import annotations

import statistics
from datetime import date
import sys
import tempfile
import time
import uuid
from pathlib import Path
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for folder in (str(ROOT), str(HERE)):
    if folder not in sys.path:
        sys.path.insert(0, folder)

import psycopg  # noqa: E402

import bench_postgres  # noqa: E402
import bench_sync  # noqa: E402
from collector import demo, migrations, schema, store  # noqa: E402
from kiosk import sync  # noqa: E402
from skm import wire  # noqa: E402
from tests.helpers import CollectorServer  # noqa: E402

UNIT = bench_sync.UNIT
ZONE = ZoneInfo("Asia/Jakarta")
DATABASE = "skm_bench_pg_ingest"
DAY = [c.name for c in schema.responses.c].index("local_day")
ARRAY_TYPES = {"VARCHAR": "text[]", "TEXT": "text[]", "DATE": "date[]", "BOOLEAN": "boolean[]",
               "INTEGER": "integer[]", "BIGINT": "bigint[]"}


def fresh(admin_url: str) -> tuple[str, object]:
    url = bench_postgres.recreate_database(admin_url, DATABASE)
    engine = store.make_engine(url)
    migrations.upgrade(engine)
    demo.build_org(engine)
    return url, engine


def api_ingest(tmp: Path, admin_url: str, responses: list[dict], name: str) -> tuple[float, float]:
    url, engine = fresh(admin_url)
    _kiosk_id, code = store.add_kiosk(engine, UNIT)
    kiosk = store.enroll(engine, code)
    server = CollectorServer(tmp / name, settings={"DATABASE_URL": url})
    server.env["SKM_COLLECTOR_DATABASE_URL"] = url  # even under SKM_TEST_BACKEND=postgresql
    server.start()
    try:
        elapsed, warmup, cpu = bench_sync.push_all(sync.Credentials(server.url, kiosk["id"], kiosk["secret"]),
                                                   responses, server.process.pid)
    finally:
        server.stop()
    assert store.response_count(engine) == len(responses) + warmup
    with engine.connect() as conn:
        keys = conn.exec_driver_sql("SELECT count(*) FROM response_keys").scalar()
    assert keys == len(responses) + warmup, keys
    engine.dispose()
    return elapsed, cpu


def array_type(column) -> str:
    from sqlalchemy.dialects import postgresql
    return ARRAY_TYPES[column.type.compile(dialect=postgresql.dialect()).split("(")[0]]


def upsert_sql(table, keys: tuple[str, ...]) -> tuple[str, list[str]]:
    values = [c.name for c in table.c if c.name not in keys]
    columns = [*keys, *values]
    arrays = ", ".join(f"%s::{array_type(table.c[c])}" for c in columns)
    return (f"INSERT INTO {table.name} ({', '.join(columns)}) SELECT * FROM unnest({arrays}) AS d "
            f"({', '.join(columns)}) ORDER BY {', '.join(keys)} ON CONFLICT ({', '.join(keys)}) DO UPDATE SET "
            + ", ".join(f"{v} = {table.name}.{v} + excluded.{v}" for v in values)), values


def prepared_batches(responses: list[dict]) -> list[dict]:
    columns = [c.name for c in schema.responses.c]
    upserts = [upsert_sql(table, bench_sync.AGGREGATE_KEYS[table.name]) for table in bench_sync.AGGREGATES]
    batches = []
    for i in range(0, len(responses), bench_sync.BATCH):
        batch_id, received_at = str(uuid.uuid4()), store.now_iso()
        rows = [store.response_row(wire.validate_wire_response(data), "kiosk", ZONE, batch_id, received_at,
                                   wire.content_hash(data)) for data in responses[i:i + bench_sync.BATCH]]
        aggregates = []
        for (sql, values), deltas in zip(upserts, store.aggregate_rows(rows)):
            if deltas:
                records = [(*key, *(delta[v] for v in values)) for key, delta in deltas.items()]
                aggregates.append((sql, tuple(list(column) for column in zip(*records))))
        batches.append({"keys": ([r["id"] for r in rows], [r["content_hash"] for r in rows]),
                        "rows": [tuple(r[c] for c in columns) for r in rows], "aggregates": aggregates,
                        "batch": (batch_id, "kiosk", "api", received_at, len(rows), 0, 0, 0)})
    return batches


def bare_same_work(admin_url: str, responses: list[dict]) -> tuple[float, float]:
    """Seconds and CPU seconds for bare psycopg doing ingest's database work (module docstring)."""
    batches = prepared_batches(responses)
    url, engine = fresh(admin_url)
    # the API made them at its warm-up
    store.prepare_for_days(engine, {date.fromisoformat(batch["rows"][0][DAY]) for batch in batches})
    engine.dispose()
    columns = ", ".join(c.name for c in schema.responses.c)
    with psycopg.connect(bench_postgres.plain(url)) as conn:
        cpu, start = time.process_time(), time.perf_counter()
        for batch in batches:
            with conn.cursor() as cursor:
                claimed = cursor.execute(
                    "INSERT INTO response_keys (id, content_hash) SELECT * FROM unnest(%s::text[], %s::text[]) "
                    "AS k (id, content_hash) ORDER BY id ON CONFLICT (id) DO NOTHING RETURNING id",
                    batch["keys"]).fetchall()
                assert len(claimed) == len(batch["rows"])
                with cursor.copy(f"COPY responses ({columns}) FROM STDIN") as copy:
                    for row in batch["rows"]:
                        copy.write_row(row)
                for sql, arrays in batch["aggregates"]:
                    cursor.execute(sql, arrays)
                cursor.execute("INSERT INTO batches (id, kiosk_id, source, received_at, accepted, duplicate, "
                               "conflict, invalid) VALUES (%s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT (id) DO NOTHING",
                               batch["batch"])
            conn.commit()
        elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        assert conn.execute("SELECT count(*) FROM responses").fetchone()[0] == len(responses)
    return elapsed, cpu


def run():
    admin_url = bench_postgres.cluster_url()
    if admin_url is None:
        return {}
    figures, api_spread = {}, []
    try:
        with tempfile.TemporaryDirectory(prefix="skm-bench-pg-ingest-") as tmp:
            tmp = Path(tmp)
            for shape in bench_sync.SHAPES:
                responses = bench_sync.shaped(shape)
                api, bare = [], []
                for run in range(bench_sync.RUNS):
                    api.append(api_ingest(tmp, admin_url, responses, f"api-{shape}-{run}"))
                    bare.append(bare_same_work(admin_url, responses))
                api_s, api_cpu = (statistics.median(x) for x in zip(*api))
                bare_s, bare_cpu = (statistics.median(x) for x in zip(*bare))
                n = len(responses)
                print(f"   {shape}: API {api_s:.2f} s ({n / api_s:.0f}/s, server CPU {api_cpu / n * 1e6:.0f} "
                      f"us/response), bare psycopg same work {bare_s:.3f} s ({n / bare_s:.0f}/s, CPU "
                      f"{bare_cpu / n * 1e6:.0f} us/response)", flush=True)
                figures[f"sync_collector_ingest_pg_{shape}_per_s"] = {
                    "value": n / api_s, "unit": "resp/s", "baseline": n / bare_s, "ratio": bare_s / api_s}
                figures[f"sync_collector_ingest_pg_cpu_{shape}_us"] = {
                    "value": api_cpu / n * 1e6, "unit": "us/resp", "baseline": bare_cpu / n * 1e6,
                    "ratio": api_cpu / bare_cpu}
                if shape == "spread":
                    api_spread = [a for a, _c in api]
            responses = bench_sync.shaped("spread")
            copies = []
            for _run in range(bench_sync.RUNS):
                url, engine = fresh(admin_url)
                engine.dispose()
                copies.append(bench_postgres.copy_ingest(url, "bench", responses))
            copied, api_s, n = statistics.median(copies), statistics.median(api_spread), len(responses)
            print(f"   spread: API {n / api_s:.0f}/s against one-table COPY {n / copied:.0f}/s", flush=True)
            figures["sync_collector_ingest_pg_vs_copy_per_s"] = {"value": n / api_s, "unit": "resp/s",
                                                                 "baseline": n / copied, "ratio": copied / api_s}
    finally:
        bench_postgres.drop_database(admin_url, DATABASE)
    return figures
