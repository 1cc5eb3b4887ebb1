"""``skm collector rebuild-aggregates`` per million responses, on SQLite and on PostgreSQL.

One million demo-like responses (``bench_dashboard.generate`` on SQLite, bulk-inserted; the server-side
``bench_postgres.fill`` on PostgreSQL, in a database of its own, ``skm_bench_rebuild``, dropped at the
end), 90 % of them naming one of three officers. Figure: the median of three runs of
``store.rebuild_aggregates`` (set-based SQL in one transaction: on PostgreSQL one INSERT .. SELECT .. GROUP BY
per aggregate table; on SQLite one sort of the responses into a TEMP table of sums per daily key and officer,
the daily and officer rows summed from it, the hourly rows by their own sort), in seconds. Baseline, in the
same run on the same data: the row-by-row rebuild it replaced
(``python_rebuild`` below: every response read in chunks of 5000 and summed in Python by
``aggregate_rows``, then upserted), also three runs; after each, every aggregate table is checked to be
identical to the SQL rebuild's, row for row. The bound of issue 16 is 8 s per million.
``SKM_BENCH_REBUILD_SIZE`` changes the size (figures are scaled to one million and named for it).
"""
from __future__ import annotations

import os
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

from sqlalchemy import Connection, select

HERE = Path(__file__).resolve().parent
for folder in (str(HERE.parent), str(HERE)):
    if folder not in sys.path:
        sys.path.insert(0, folder)

import bench_dashboard  # noqa: E402
from collector import create_app, demo, migrate_database, schema, store  # noqa: E402
from collector.store.aggregates import add_to_aggregates, aggregate_rows  # noqa: E402

SIZE = int(os.environ.get("SKM_BENCH_REBUILD_SIZE", 1_000_000))
RUNS = 3
BOUND_S = 8
SOURCE = ("unit", "service", "counter", "channel", "officer", "local_day", "local_hour", "suspect",
          *schema.CODES, *(f.name for f in schema.PROFILE))
OFFICERS = ("198701012010011001", "199002022012012002", "199103032015031003")


def python_rebuild(conn: Connection, chunk: int = 5000) -> int:
    """The rebuild as it was before issue 16: responses summed row by row in Python, then upserted."""
    for table in (schema.daily_aggregates, schema.hourly_aggregates, schema.officer_daily,
                  schema.monthly_aggregates):
        conn.execute(table.delete())
    result = conn.execute(select(*[schema.responses.c[c] for c in SOURCE]).execution_options(yield_per=chunk))
    totals_by_kind: tuple[dict, ...] = ({}, {}, {}, {})
    for part in result.partitions():
        for totals, deltas in zip(totals_by_kind, aggregate_rows(dict(r._mapping) for r in part)):
            for key, delta in deltas.items():
                into = totals.setdefault(key, dict.fromkeys(delta, 0))
                for name, value in delta.items():
                    into[name] += value
    add_to_aggregates(conn, totals_by_kind)
    return len(totals_by_kind[0])


def timed(engine, rebuild) -> float:
    started = time.perf_counter()
    with engine.begin() as conn:
        rebuild(conn)
    return time.perf_counter() - started


def measure(engine, name: str) -> dict:
    sql, python = [], []
    for _ in range(RUNS):
        sql.append(timed(engine, store.rebuild_aggregates_in))
        expected = store.all_aggregates(engine)
        python.append(timed(engine, python_rebuild))
        assert store.all_aggregates(engine) == expected, f"{name}: the SQL rebuild differs from the Python one"
    scale = 1_000_000 / SIZE
    value, baseline = statistics.median(sql) * scale, statistics.median(python) * scale
    print(f"   {name}: {SIZE:,} responses, {len(expected[0]):,} daily rows; SQL runs "
          f"{[round(s, 2) for s in sql]} s, Python runs {[round(s, 2) for s in python]} s (identical rows)",
          flush=True)
    label = "1m" if SIZE == 1_000_000 else f"{SIZE // 1000}k_scaled_1m"
    return {f"collector_rebuild_{name}_{label}_s": {"value": value, "unit": "s", "baseline": baseline,
                                                    "ratio": value / baseline}}


def sqlite_part(tmp: Path, today: date) -> dict:
    migrate_database(None, tmp)
    app = create_app({"TESTING": True}, instance_path=tmp)
    engine = app.extensions["skm_engine"]
    demo.build_org(engine)
    bench_dashboard.fill(tmp / "collector.db", SIZE, today)
    conn = sqlite3.connect(tmp / "collector.db", isolation_level=None)
    try:
        conn.execute("UPDATE responses SET officer = CASE seq % 10 WHEN 0 THEN NULL WHEN 1 THEN ? WHEN 2 THEN ? "
                     "ELSE ? END", OFFICERS)
    finally:
        conn.close()
    try:
        return measure(engine, "sqlite")
    finally:
        engine.dispose()


def postgres_part(tmp: Path, today: date) -> dict:
    import bench_postgres as pg
    admin = pg.cluster_url()
    if admin is None:
        return {}
    name = "skm_bench_rebuild"
    url = pg.recreate_database(admin, name)
    try:
        migrate_database({"COLLECTOR_DATABASE_URL": url}, tmp)
        app = create_app({"TESTING": True, "COLLECTOR_DATABASE_URL": url}, instance_path=tmp)
        engine = app.extensions["skm_engine"]
        try:
            demo.build_org(engine)
            store.prepare_for_days(engine, demo.month_starts(today, bench_dashboard.MONTHS))
            pg.fill(url, SIZE, today)
            pg.vacuum(url)
            return measure(engine, "pg")
        finally:
            engine.dispose()
    finally:
        pg.drop_database(admin, name)


def run():
    today = date.today()
    results = {}
    with tempfile.TemporaryDirectory(prefix="skm-bench-rebuild-") as tmp:
        (Path(tmp) / "sqlite").mkdir()
        (Path(tmp) / "pg").mkdir()
        results.update(sqlite_part(Path(tmp) / "sqlite", today))
        results.update(postgres_part(Path(tmp) / "pg", today))
    return results
