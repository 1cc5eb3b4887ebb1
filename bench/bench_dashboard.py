"""The dashboard does not slow down as responses pile up: one unit page at 10 thousand and at 2 million
stored responses.

Two collector instances (``collector.create_app``, SQLite in a temp folder, the Kota Dumai organisation
and accounts of ``collector.demo``) hold 10,000 and 2,000,000 synthetic responses spread over the 24
months ending today across the 5 demo units, each unit's share as in the demo (its monthly volume times
the demo's seasonality, working days only; Disdukcapil gets about 27 %), with demo-like scores (the weak
unsur, its improvement halfway), profiles (80 % answered per field), 18 % QR channel, 1 % suspect and 12 %
comments. The rows are bulk-inserted with ``sqlite3`` ``executemany`` straight into ``responses`` (the
ingest path is far too slow for 2 million), one transaction per 100,000 rows, then the daily and hourly
aggregates are computed by the collector's own ``store.rebuild_aggregates``.

Figure: the median time of ``GET /unit/dumai-disdukcapil?period=<current triwulan>`` (the page a unit
head opens: the index, the previous triwulan, the breakdowns per service, counter and channel, the
profile, the weekday x hour grid, the 24-month trend, the 30 newest comments, the follow-ups), through
the Flask test client signed in as admin, 15 requests after 3 warm-ups, with 2 million responses stored.
Baseline: the same page, measured the same way in the same run, with 10 thousand; the two instances take
turns request by request, so a load elsewhere on the machine weighs on both alike. The ratio should stay
near 1: the page reads the aggregates and one bounded read of comments (the newest days of the period).
It is not exactly 1: a unit's daily aggregate rows are one per (service, counter, channel, day, suspect)
with responses, about 4 a day at 10 thousand and 29 at 2 million (printed), and the 24-month trend reads
them all; they stop growing once every key of every day has responses (44 a day for Disdukcapil), however
many responses follow. The build times are printed, not recorded.
"""
from __future__ import annotations

import random
import sqlite3
import statistics
import tempfile
import time
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from collector import create_app, demo, migrate_database, schema, store
from skm import CODES, PROFILE, QUESTIONNAIRE_VERSION
from skm.periods import containing
from tests.helpers import hidden

SIZES = (10_000, 2_000_000)
UNIT = "dumai-disdukcapil"
MONTHS = 24
CHUNK = 100_000  # rows per transaction
POOL = 4096  # distinct answer sets per unit and half (before/after the follow-up), drawn at random
WARMUP, REQUESTS = 3, 15
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


def write(conn: sqlite3.Connection, batch: list[tuple]) -> int:
    conn.execute("BEGIN")
    conn.executemany(INSERT, batch)
    conn.execute("COMMIT")
    return len(batch)


def build(folder: Path, total: int, today: date):
    """A collector instance with the demo organisation and accounts and ``total`` responses."""
    started = time.perf_counter()
    migrate_database(None, folder)
    app = create_app({"TESTING": True}, instance_path=folder)
    engine = app.extensions["skm_engine"]
    demo.build_org(engine)
    demo.build_users(engine)
    fill(folder / "collector.db", total, today)
    inserted = time.perf_counter()
    daily_rows = store.rebuild_aggregates(engine)
    done = time.perf_counter()
    unit_rows = store.response_count(engine, unit=UNIT)
    with engine.connect() as conn:
        unit_daily = conn.execute(select(func.count()).select_from(schema.daily_aggregates)
                                  .where(schema.daily_aggregates.c.unit == UNIT)).scalar()
    print(f"   {total:,} responses ({unit_rows:,} of {UNIT}, {unit_rows / total:.1%}): insert "
          f"{inserted - started:.1f} s, store.rebuild_aggregates {done - inserted:.1f} s "
          f"({daily_rows:,} daily aggregate rows, {unit_daily:,} of {UNIT})", flush=True)
    return app


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
        times: dict[int, list[tuple[float, float]]] = {total: [] for total in SIZES}
        for i in range(WARMUP + REQUESTS):
            for total, client in clients.items():
                sample = timed_get(client, path)
                if i >= WARMUP:
                    times[total].append(sample)
        for app in apps.values():
            app.extensions["skm_engine"].dispose()
    medians = {}
    for total in SIZES:
        walls, cpus = [w for w, _c in times[total]], [c for _w, c in times[total]]
        medians[total] = statistics.median(walls)
        print(f"   GET {path} with {total:,} responses: median {medians[total] * 1e3:.1f} ms "
              f"(min {min(walls) * 1e3:.1f}, max {max(walls) * 1e3:.1f}; CPU median "
              f"{statistics.median(cpus) * 1e3:.1f} ms)", flush=True)
    small, large = (medians[n] * 1e3 for n in SIZES)
    return {"dashboard_unit_page_2m_ms": {"value": large, "unit": "ms", "baseline": small, "ratio": large / small}}
