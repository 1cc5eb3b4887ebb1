"""The dashboard does not slow down as responses pile up, and does not wait for an ingest: one unit page at
10 thousand and at 2 million stored responses, and at 2 million while an ingest transaction holds the lock.

Two collector instances (``collector.create_app``, SQLite in a temp folder, the Kota Dumai organisation and
accounts of ``collector.demo``) hold 10,000 and 2,000,000 synthetic responses spread over the 24 months ending
today across the 5 demo units, each unit's share as in the demo (its monthly volume times the demo's
seasonality, working days only; Disdukcapil gets about 27 %), with demo-like scores (the weak unsur, its
improvement halfway), profiles (80 % answered per field), 18 % QR channel, 1 % suspect and 12 % comments. The
rows are bulk-inserted with ``sqlite3`` ``executemany`` straight into ``responses`` (the ingest path is far
too slow for 2 million), one transaction per 100,000 rows; then the daily, hourly, officer and monthly
aggregates are written by one ``INSERT ... SELECT ... GROUP BY`` each (``aggregate_sql``, shared with
``bench_postgres``), not by the collector's Python ``store.rebuild_aggregates``: on the 10 thousand database
both are run and must agree row for row; the comments' theme counts by ``store.rebuild_theme_counts`` with the
shipped lexicon (what ``rebuild-aggregates`` does). The built database is cached in ``$SKM_BENCH_CACHE``
(default ``/tmp/skm-bench-cache``), keyed by size, today's date, the schema head and the code that generates
the data (``data_digest``), and copied into the temp folder for each run; delete the folder to rebuild. Build
times are printed, not recorded.

Figure ``dashboard_unit_page_2m_ms``: the median time of ``GET /unit/dumai-disdukcapil?period=<current
triwulan>`` (the page a unit head opens: the index, the previous triwulan, the breakdowns per service, counter
and channel, the profile, the weekday x hour grid, the 24-month trend, the 30 newest comments, the comment
themes of the period and the one before, the follow-ups), through the Flask test client signed in as admin, 15
requests after 3 warm-ups, with 2 million responses stored. Baseline: the same page, measured the same way in
the same run, with 10 thousand; the two instances take turns request by request, so a load elsewhere on the
machine weighs on both alike. The page reads the period's daily aggregates in one grouped query (index,
profile, breakdowns, channel share), the monthly ones for the previous period and the trend, the hourly ones
for the grid, the theme counts of the two periods (summed per theme from ``theme_daily``, not by reading and
tagging the period's comments: that grew with them, 5 x at 2 million) and one bounded read of comments (the
newest days of the period). The ratio is not exactly 1: a unit's daily aggregate rows are one per (service,
counter, channel, day, suspect) with responses, about 4 a day at 10 thousand and 29 at 2 million (printed),
and the grouped query sums all of the period's; they stop growing once every key of every day has responses
(44 a day for Disdukcapil), however many responses follow. ``dashboard_unit_page_2m_cpu_ms``: the same, in CPU
time of the request thread (the test client runs the request in it): steadier than wall-clock time on a busy
machine.

Figure ``dashboard_unit_page_during_ingest_ms``: the same page on the 2 million instance while another
connection holds an open ingest transaction (``BEGIN IMMEDIATE``, 500 new responses inserted and the
unit's daily aggregates of today updated, not committed: what ``store.ingest`` holds while it works).
Baseline: the same page on the same instance with no transaction open; the two take turns request by
request (the writer begins before and rolls back after each of its requests). Reads are WAL readers, so
the difference should be noise; were the page to take the write lock it would wait for the writer (30 s
busy timeout) and the bench would fail. ``dashboard_unit_page_during_ingest_cpu_ms``: the same in CPU time.
"""
from __future__ import annotations

import hashlib
import inspect
import os
import random
import shutil
import sqlite3
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from collector import create_app, demo, migrate_database, migrations, schema, store
from collector.columns import sqlite_hex, sqlite_uuid
from skm import CODES, PROFILE, QUESTIONNAIRE_VERSION, themes
from skm.periods import containing
from tests.helpers import hidden

SIZES = (10_000, 2_000_000)
UNIT = "dumai-disdukcapil"
MONTHS = 24
CHUNK = 100_000  # rows per transaction
POOL = 4096  # distinct answer sets per unit and half (before/after the follow-up), drawn at random
WARMUP, REQUESTS = 3, 15
CACHE = Path(os.environ.get("SKM_BENCH_CACHE", "/tmp/skm-bench-cache"))
INGEST_ROWS = 500  # the responses of the open ingest transaction (one full batch)
ZONE = ZoneInfo("Asia/Jakarta")
HOURS, HOUR_WEIGHTS = tuple(range(8, 16)), (6, 10, 10, 8, 4, 6, 5, 2)

COLUMNS = ("id", "kiosk_id", "seq", "unit", "service", "counter", "officer", "channel", "questionnaire_version",
           *CODES, *(f.name for f in PROFILE), "comment", "started_at", "submitted_at", "local_day", "local_hour",
           "duration_ms", "suspect", "suspect_reason", "received_at", "batch_id", "content_hash")
INSERT = f"INSERT INTO responses ({', '.join(COLUMNS)}) VALUES ({', '.join('?' * len(COLUMNS))})"


def content_pool(unit: demo.DemoUnit, improved: bool, rnd: random.Random) -> list[tuple]:
    """Demo-like (service, counter, channel, *answers, *profile, comment, duration, suspect, reason)."""
    pool = []
    for _ in range(POOL):
        counter, _name, services = rnd.choice(unit.counters)
        answers = [demo.score(rnd, (2.95 if improved else 2.35) if code == unit.weak else demo.BASE_MEAN[code])
                   for code in CODES]
        profile = [rnd.choice(f.values) if rnd.random() < 0.8 else None for f in PROFILE]
        comment = None
        if rnd.random() < 0.12:
            weak = demo.COMMENTS.get(unit.weak) if rnd.random() < 0.6 and not improved else None
            comment = rnd.choice(weak or demo.COMMENTS["any"])
        suspect = rnd.random() < 0.01
        duration = rnd.randint(2000, 6000) if suspect else int(rnd.lognormvariate(3.4, 0.35) * 1000)
        pool.append((rnd.choice(services)[0], counter, "qr" if rnd.random() < 0.18 else "kiosk", *answers,
                     *profile, comment, duration, int(suspect),
                     f"too_fast:{duration / 1000:.1f}s<10s" if suspect else None))
    return pool


def plan(total: int, today: date) -> list[tuple[demo.DemoUnit, date, list[date], int]]:
    """(unit, month, its working days up to today, responses) for every unit and month, summing to total."""
    cells = []
    for unit in demo.UNITS:
        for month in demo.month_starts(today, MONTHS):
            end = min(containing("month", month).end, today + timedelta(days=1))
            days = [month + timedelta(days=i) for i in range((end - month).days)]
            days = [d for d in days if d.weekday() < 5 or (unit.saturday and d.weekday() == 5)]
            if days:
                cells.append((unit, month, days, unit.monthly * demo.SEASON[month.month - 1] * len(days)))
    weight = sum(c[3] for c in cells)
    counts = [int(total * c[3] / weight) for c in cells]
    for i in range(total - sum(counts)):  # the rounding remainder, one each
        counts[i % len(counts)] += 1
    return [(unit, month, days, n) for (unit, month, days, _w), n in zip(cells, counts)]


def generate(total: int, today: date, seed: int = 2017):
    """Yield response rows (tuples in COLUMNS order), unit by unit, month by month."""
    rnd = random.Random(seed)
    pools, seqs = {}, {}
    half = demo.month_starts(today, MONTHS)[MONTHS // 2]
    number = 0
    for unit, month, days, count in plan(total, today):
        improved = month >= half
        pool = pools.get((unit.code, improved))
        if pool is None:
            pool = pools[(unit.code, improved)] = content_pool(unit, improved, rnd)
        kiosk = f"00000000-0000-4000-8000-{demo.UNITS.index(unit):012d}"
        seq = seqs.get(unit.code, 0)
        picks = rnd.choices(pool, k=count)
        chosen_days = sorted(rnd.choices(days, k=count))  # a day's responses together, as they arrive
        hours = rnd.choices(HOURS, weights=HOUR_WEIGHTS, k=count)
        for content, day, hour in zip(picks, chosen_days, hours):
            number += 1
            seq += 1
            minute, second = divmod(number * 7919 % 3600, 60)
            submitted = f"{day.isoformat()}T{hour:02d}:{minute:02d}:{second:02d}+07:00"
            service, counter, channel, *rest = content
            answers, profile = rest[:len(CODES)], rest[len(CODES):len(CODES) + len(PROFILE)]
            comment, duration, suspect, reason = rest[len(CODES) + len(PROFILE):]
            yield (f"00000000-0000-4000-8000-{number:012d}", kiosk, seq, unit.code, service, counter, None, channel,
                   QUESTIONNAIRE_VERSION, *answers, *profile, comment, submitted, submitted, day.isoformat(), hour,
                   duration, suspect, reason, submitted, None, f"{number:064x}")
        seqs[unit.code] = seq


def fill(db_path: Path, total: int, today: date) -> None:
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous=OFF")  # a bench fixture: durability is not what is measured
        conn.execute("PRAGMA cache_size=-262144")  # 256 MB for the index pages
        batch = []
        stored = 0
        started = time.perf_counter()
        for row in generate(total, today):
            batch.append(row)
            if len(batch) == CHUNK:
                stored += write(conn, batch)
                batch = []
                if stored % 500_000 == 0:
                    print(f"   {stored:>9,} rows, {time.perf_counter() - started:.0f} s", flush=True)
        stored += write(conn, batch)
        assert conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0] == total == stored
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()


_UUIDS = tuple(COLUMNS.index(c) for c in ("id", "kiosk_id", "batch_id"))
_HASH = COLUMNS.index("content_hash")


def sqlite_row(row: tuple) -> tuple:
    """A generated row as the collector keeps it on SQLite: UUIDs and content hash as BLOBs (collector/columns.py)."""
    values = list(row)
    for i in _UUIDS:
        values[i] = sqlite_uuid(values[i])
    values[_HASH] = sqlite_hex(values[_HASH])
    return tuple(values)


def write(conn: sqlite3.Connection, batch: list[tuple]) -> int:
    conn.execute("BEGIN")
    conn.executemany(INSERT, map(sqlite_row, batch))
    conn.execute("COMMIT")
    return len(batch)


def aggregate_sql(month: str = "substr(local_day, 1, 7) || '-01'") -> tuple[str, ...]:
    """The daily, hourly, per-officer and monthly aggregates of every stored response, one INSERT ... SELECT
    ... GROUP BY each (what ``store.rebuild_aggregates`` computes in Python). ``month``: the SQL of a
    response's first day of the month (this default for SQLite; PostgreSQL passes its own)."""
    daily = {"responses": "count(*)", **{f"{c}_sum": f"sum({c})" for c in CODES},
             **{f"{c}_{s}": f"count(*) FILTER (WHERE {c} = {s})" for c in CODES for s in (1, 2, 3, 4)}}
    for (field, value), column in schema.PROFILE_COLUMNS.items():
        daily[column] = (f"count(*) FILTER (WHERE {field} IS NULL)" if value is None
                         else f"count(*) FILTER (WHERE {field} = '{value}')")
    assert set(daily) == {c.name for c in schema.daily_aggregates.c} - set(schema.AGGREGATE_KEY)
    keys = "unit, service, counter, channel, local_day, suspect"
    daily_sql = (f"INSERT INTO daily_aggregates ({keys.replace('local_day', 'day')}, {', '.join(daily)}) "
                 f"SELECT {keys}, {', '.join(daily.values())} FROM responses GROUP BY {keys}")
    hourly_sql = (f"INSERT INTO hourly_aggregates (unit, day, hour, suspect, responses, score_sum) "
                  f"SELECT unit, local_day, local_hour, suspect, count(*), sum({' + '.join(CODES)}) FROM responses "
                  f"GROUP BY unit, local_day, local_hour, suspect")
    total = f"({' + '.join(CODES)})"
    officer = {"responses": "count(*)", "score_sum": f"sum({total})", "score_sq_sum": f"sum({total} * {total})",
               **{f"{c}_sum": f"sum({c})" for c in CODES},
               **{f"{c}_{s}": f"count(*) FILTER (WHERE {c} = {s})" for c in CODES for s in (1, 2, 3, 4)}}
    assert set(officer) == {c.name for c in schema.officer_daily.c} - {"officer", "unit", "day", "suspect"}
    officer_sql = (f"INSERT INTO officer_daily (officer, unit, day, suspect, {', '.join(officer)}) "
                   f"SELECT officer, unit, local_day, suspect, {', '.join(officer.values())} FROM responses "
                   f"WHERE officer <> '' GROUP BY officer, unit, local_day, suspect")  # NULL and '' count for nobody
    assert set(daily) == {c.name for c in schema.monthly_aggregates.c} - set(schema.MONTHLY_KEY)  # the same sums
    monthly_sql = (f"INSERT INTO monthly_aggregates (unit, service, counter, channel, month, suspect, "
                   f"{', '.join(daily)}) SELECT unit, service, counter, channel, {month}, suspect, "
                   f"{', '.join(daily.values())} FROM responses GROUP BY unit, service, counter, channel, {month}, "
                   f"suspect")
    return daily_sql, hourly_sql, officer_sql, monthly_sql


def aggregate(db_path: Path) -> int:
    """Replace the aggregates by the SQL ones; returns the daily row count."""
    conn = sqlite3.connect(db_path, isolation_level=None)
    try:
        conn.execute("PRAGMA synchronous=OFF")
        conn.execute("BEGIN")
        for table in ("daily_aggregates", "hourly_aggregates", "officer_daily", "monthly_aggregates"):
            conn.execute(f"DELETE FROM {table}")
        counts = [conn.execute(sql).rowcount for sql in aggregate_sql()]
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
    return counts[0]


def cache_path(total: int, today: date) -> Path:
    """Where the built database of ``total`` responses is kept between runs (see the module docstring)."""
    return CACHE / f"dashboard-{total}-{today.isoformat()}-{migrations.head()}-{data_digest()}.db"


def data_digest() -> str:
    """What the built data depends on: the code that generates and aggregates it (not the measuring)."""
    parts = [inspect.getsource(f) for f in (content_pool, plan, generate, fill, write, aggregate)]
    parts += [repr((MONTHS, POOL, COLUMNS, HOURS, HOUR_WEIGHTS)), *aggregate_sql(),
              themes.default_lexicon().fingerprint]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:12]


def build(folder: Path, total: int, today: date):
    """A collector instance with the demo organisation and accounts and ``total`` responses."""
    started = time.perf_counter()
    migrate_database(None, folder)
    db_path, cached = folder / "collector.db", cache_path(total, today)
    if cached.exists():
        shutil.copyfile(cached, db_path)
        app = create_app({"TESTING": True}, instance_path=folder)
        print(f"   {total:,} responses: copied from {cached} in {time.perf_counter() - started:.1f} s", flush=True)
        return app
    app = create_app({"TESTING": True}, instance_path=folder)
    engine = app.extensions["skm_engine"]
    demo.build_org(engine)
    demo.build_users(engine)
    fill(db_path, total, today)
    inserted = time.perf_counter()
    daily_rows = aggregate(db_path)
    done = time.perf_counter()
    comments = store.rebuild_theme_counts(engine, themes.default_lexicon())
    counted = time.perf_counter()
    checked = ""
    if total == SIZES[0]:
        by_sql = store.all_aggregates(engine)
        assert store.rebuild_aggregates(engine) == daily_rows
        for kind, mine, theirs in zip(("daily", "hourly", "officer", "monthly"), by_sql, store.all_aggregates(engine)):
            assert mine == theirs, f"the SQL {kind} aggregates differ from store.rebuild_aggregates"
        checked = ", identical to store.rebuild_aggregates row for row"
    unit_rows = store.response_count(engine, unit=UNIT)
    with store.reading(engine) as conn:
        unit_daily = conn.execute(select(func.count()).select_from(schema.daily_aggregates)
                                  .where(schema.daily_aggregates.c.unit == UNIT)).scalar()
    print(f"   {total:,} responses ({unit_rows:,} of {UNIT}, {unit_rows / total:.1%}): insert "
          f"{inserted - started:.1f} s, SQL aggregates {done - inserted:.1f} s ({daily_rows:,} daily aggregate "
          f"rows, {unit_daily:,} of {UNIT}{checked}), themes of {comments:,} comments counted "
          f"{counted - done:.1f} s", flush=True)
    engine.dispose()
    CACHE.mkdir(parents=True, exist_ok=True)
    for old in CACHE.glob(f"dashboard-{total}-*.db"):
        old.unlink()  # one cached build per size: yesterday's is of no use
    shutil.copyfile(db_path, cached.with_suffix(".part"))
    cached.with_suffix(".part").rename(cached)
    return app


class OpenIngest:
    """Another connection's ingest transaction, left open: ``BEGIN IMMEDIATE``, ``INGEST_ROWS`` new responses
    (copies of stored ones under new ids) and the unit's daily aggregates of ``day`` updated; rolled back."""

    def __init__(self, db_path: Path, day: date):
        self.conn = sqlite3.connect(db_path, isolation_level=None, timeout=30)
        self.day = day.isoformat()
        self.number = 0

    def begin(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")
        self.number += 1
        others = [c for c in COLUMNS if c not in ("id", "content_hash")]
        self.conn.execute(
            f"INSERT INTO responses (id, content_hash, {', '.join(others)}) "
            f"SELECT 'ingest-{self.number}-' || rowid, 'ingest-{self.number}-' || rowid, {', '.join(others)} "
            f"FROM responses WHERE unit = ? LIMIT {INGEST_ROWS}", (UNIT,))
        self.conn.execute("UPDATE daily_aggregates SET responses = responses + 1 WHERE unit = ? AND day = ?",
                          (UNIT, self.day))
        assert self.conn.in_transaction

    def rollback(self) -> None:
        assert self.conn.in_transaction  # it held the lock for the whole request
        self.conn.execute("ROLLBACK")

    def close(self) -> None:
        self.conn.close()


def signed_in(app):
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    response = client.post("/login", data={"csrf_token": hidden(html, "csrf_token"), "username": "admin",
                                           "password": demo.DEMO_PASSWORD})
    assert response.status_code == 302, response.status_code
    return client


def timed_get(client, path: str) -> tuple[float, float]:
    """Wall-clock and CPU seconds of one page, body included."""
    wall, cpu = time.perf_counter(), time.thread_time()
    response = client.get(path)
    body = response.get_data()
    wall, cpu = time.perf_counter() - wall, time.thread_time() - cpu
    assert response.status_code == 200 and UNIT.encode() in body, response.status_code
    return wall, cpu


def medians_of(path: str, times: dict) -> list[tuple[float, float]]:
    """(wall-clock, CPU) medians in ms of each series, printed."""
    medians = []
    for key, samples in times.items():
        walls, cpus = [w for w, _c in samples], [c for _w, c in samples]
        wall, cpu = statistics.median(walls) * 1e3, statistics.median(cpus) * 1e3
        print(f"   GET {path} {key}: median {wall:.1f} ms (min {min(walls) * 1e3:.1f}, max "
              f"{max(walls) * 1e3:.1f}; CPU median {cpu:.1f} ms)", flush=True)
        medians.append((wall, cpu))
    return medians


def figure(value: float, baseline: float) -> dict:
    return {"value": value, "unit": "ms", "baseline": baseline, "ratio": value / baseline}


def run():
    today = datetime.now(ZONE).date()
    path = f"/unit/{UNIT}?period={containing('triwulan', today).key()}"
    with tempfile.TemporaryDirectory(prefix="skm-bench-dashboard-") as tmp:
        apps = {}
        for total in SIZES:
            print(f"   building {total:,} responses ...", flush=True)
            apps[total] = build(Path(tmp) / f"n{total}", total, today)
        clients = {total: signed_in(app) for total, app in apps.items()}
        # The sizes take turns, request by request: a load elsewhere on the machine weighs on both alike.
        times: dict[str, list[tuple[float, float]]] = {f"with {total:,} responses": [] for total in SIZES}
        for i in range(WARMUP + REQUESTS):
            for total, client in clients.items():
                sample = timed_get(client, path)
                if i >= WARMUP:
                    times[f"with {total:,} responses"].append(sample)
        large = clients[SIZES[-1]]
        ingest = OpenIngest(Path(tmp) / f"n{SIZES[-1]}" / "collector.db", today)
        during: dict[str, list[tuple[float, float]]] = {"during an open ingest": [], "with no transaction open": []}
        try:
            for i in range(WARMUP + REQUESTS):
                ingest.begin()
                sample = timed_get(large, path)
                ingest.rollback()
                idle = timed_get(large, path)
                if i >= WARMUP:
                    during["during an open ingest"].append(sample)
                    during["with no transaction open"].append(idle)
        finally:
            ingest.close()
        for app in apps.values():
            app.extensions["skm_engine"].dispose()
    (small, small_cpu), (large_ms, large_cpu) = medians_of(path, times)
    (busy, busy_cpu), (idle, idle_cpu) = medians_of(f"{path} with {SIZES[-1]:,}", during)
    print(f"   an open ingest transaction costs the page {busy - idle:+.1f} ms ({busy_cpu - idle_cpu:+.1f} ms CPU)",
          flush=True)
    return {"dashboard_unit_page_2m_ms": figure(large_ms, small),
            "dashboard_unit_page_2m_cpu_ms": figure(large_cpu, small_cpu),
            "dashboard_unit_page_during_ingest_ms": figure(busy, idle),
            "dashboard_unit_page_during_ingest_cpu_ms": figure(busy_cpu, idle_cpu)}
