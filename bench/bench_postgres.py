"""The collector on PostgreSQL: the unit dashboard at 10 thousand, 2 million and 10 million stored responses
(ingest is ``bench_postgres_ingest``, which uses ``copy_ingest`` here as its one-table baseline).

The server is the throw-away cluster of ``scripts/pg_test_cluster.sh`` (started when none answers; it runs
with fsync=off and synchronous_commit=off, so no figure includes waiting for the disk). The dashboard
databases (below) are kept for reuse. Without PostgreSQL the bench prints why and returns no figures.

Dashboard: two collector apps (``collector.create_app`` with the database URL, the Kota Dumai organisation
and accounts of ``collector.demo``). Their responses are generated server-side, in SQL (``INSERT ... SELECT
... FROM generate_series``, ``random()`` for every draw), one statement per unit and month over the 24
months ending today, into the monthly partitions made beforehand by ``store.prepare_for_days``; each unit's
share follows the demo (monthly volume x seasonality x working days, as ``bench_dashboard.plan``), with
demo-like content: counter then service uniformly, the nine scores drawn from the demo's normal
distribution (mean per unsur, the weak unsur low until halfway, sd 0.62, rounded and clamped to 1..4),
each profile field answered 80 %, 18 % QR channel, 1 % suspect (2-6 s) else a log-normal duration, 12 %
comments, one of the unit's three demo officers named on 90 %, the demo's hour weights, a unit's rows of a
month in day order. Then ``response_keys`` gets every id, and the daily, hourly and officer aggregates are
built by one ``INSERT ... SELECT ... GROUP BY`` each (``bench_dashboard.aggregate_sql``; checked on the 10
thousand database: exactly what ``store.rebuild_aggregates`` gives, row for row), then ``VACUUM ANALYZE``
(what autovacuum would leave). Build times are printed, not recorded. The dashboard databases are kept
after the run (``skm_bench_dash_10k_<key>``, ``_2m_<key>``, ``_10m_<key>``: about 8 GB at 10 million)
and reused by the next run of the same day, schema head and generating code (the key is in the
database's comment); any other kept build of a size is dropped first.

Figures ``dashboard_unit_page_pg_2m_ms`` and ``dashboard_unit_page_pg_10m_ms``: the median time of ``GET
/unit/dumai-disdukcapil?period=<current triwulan>`` through the Flask test client signed in as admin, 15
requests after 3 warm-ups, with 2 and 10 million responses stored. Baseline: the same page, measured the
same way in the same run, with 10 thousand; the three apps take turns request by request. When 10
million would not fit the disk, a smaller size is used, said so, and named in the figure (e.g.
``dashboard_unit_page_pg_5m_ms``).
"""
from __future__ import annotations

import hashlib
import inspect
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, datetime
from math import lcm
from pathlib import Path
from statistics import NormalDist
from zoneinfo import ZoneInfo

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for folder in (str(ROOT), str(HERE)):
    if folder not in sys.path:
        sys.path.insert(0, folder)

import psycopg  # noqa: E402

import bench_dashboard  # noqa: E402
from collector import create_app, demo, migrate_database, migrations, store  # noqa: E402
from skm import CODES, PROFILE, QUESTIONNAIRE_VERSION, themes, wire  # noqa: E402
from skm.periods import containing  # noqa: E402

UNIT = "dumai-disdukcapil"
SMALL, MIDDLE, LARGE = 10_000, 2_000_000, 10_000_000  # MIDDLE: the size bench_dashboard measures on SQLite
FALLBACK_SIZES = (5_000_000, 2_000_000, 1_000_000)
BYTES_PER_ROW = 1_500  # table, indexes and response_keys take ~0.8 kB (measured at 1M); WAL and room to spare
MONTHS = bench_dashboard.MONTHS
WARMUP, REQUESTS = bench_dashboard.WARMUP, bench_dashboard.REQUESTS
ZONE = ZoneInfo("Asia/Jakarta")
PROFILE_FIELDS = tuple(f.name for f in PROFILE)


def label(total: int) -> str:
    return f"{total // 1_000_000}m" if total >= 1_000_000 else f"{total // 1000}k"


# -- the server and its databases ------------------------------------------------------------------------

def cluster_url() -> str | None:
    """The SQLAlchemy URL of the test cluster's ``postgres`` database (started when none answers)."""
    try:
        done = subprocess.run(["bash", str(ROOT / "scripts" / "pg_test_cluster.sh")], capture_output=True,
                              text=True, timeout=180, cwd=ROOT)
    except (OSError, subprocess.TimeoutExpired) as exc:
        print(f"   no PostgreSQL: scripts/pg_test_cluster.sh failed: {exc}")
        return None
    if done.returncode != 0 or not done.stdout.strip():
        print(f"   no PostgreSQL: scripts/pg_test_cluster.sh exited {done.returncode}: "
              f"{(done.stderr or done.stdout).strip()[-500:]}")
        return None
    return done.stdout.strip().splitlines()[-1]


def plain(url: str) -> str:
    """A SQLAlchemy URL as libpq takes it."""
    return url.replace("postgresql+psycopg://", "postgresql://", 1)


def database_url(admin_url: str, name: str) -> str:
    return admin_url.rsplit("/", 1)[0] + "/" + name


def recreate_database(admin_url: str, name: str) -> str:
    with psycopg.connect(plain(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return database_url(admin_url, name)  # a new engine on it knows no partitions yet


def drop_database(admin_url: str, name: str) -> None:
    with psycopg.connect(plain(admin_url), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def free_bytes(admin_url: str) -> tuple[int, str]:
    """Free space where the cluster keeps its data (``/tmp`` when that folder is not visible from here)."""
    with psycopg.connect(plain(admin_url)) as conn:
        data = conn.execute("SHOW data_directory").fetchone()[0]
    where = data if Path(data).exists() else "/tmp"
    return shutil.disk_usage(where).free, where


# -- the one-table COPY baseline of bench_postgres_ingest --------------------------------------------------------------


def copy_ingest(url: str, kiosk_id: str, responses: list[dict]) -> float:
    """The same rows as the collector stores them, by psycopg COPY into a plain table, one transaction."""
    received_at, batch_id = store.now_iso(), str(uuid.uuid4())
    rows = [store.response_row(wire.validate_wire_response(data), kiosk_id, ZONE, batch_id, received_at,
                               wire.content_hash(data)) for data in responses]
    columns = list(rows[0])
    values = [tuple(r[c] for c in columns) for r in rows]
    with psycopg.connect(plain(url)) as conn:
        conn.execute("CREATE TABLE responses_copy (LIKE responses INCLUDING ALL)")
        conn.commit()
        indexes = conn.execute("SELECT count(*) FROM pg_indexes WHERE tablename = 'responses_copy'").fetchone()[0]
        assert indexes == 3, indexes  # the primary key (id, local_day) and the two indexes of responses
        start = time.perf_counter()
        with conn.cursor() as cursor:
            with cursor.copy(f"COPY responses_copy ({', '.join(columns)}) FROM STDIN") as copy:
                for row in values:
                    copy.write_row(row)
        conn.commit()
        elapsed = time.perf_counter() - start
        assert conn.execute("SELECT count(*) FROM responses_copy").fetchone()[0] == len(rows)
    return elapsed


# -- (b) responses generated in SQL ------------------------------------------------------------------------

RESPONSE_COLUMNS = ("id", "kiosk_id", "seq", "unit", "service", "counter", "officer", "channel",
                    "questionnaire_version", *CODES, *PROFILE_FIELDS, "comment", "started_at", "submitted_at",
                    "local_day", "local_hour", "duration_ms", "suspect", "suspect_reason", "received_at",
                    "batch_id", "content_hash")


def thresholds(mean: float) -> str:
    """The cumulative P(score <= 1, 2, 3) of demo.score (normal, sd 0.62, rounded, clamped), as SQL."""
    dist = NormalDist(mean, 0.62)
    return "ARRAY[" + ", ".join(f"{dist.cdf(s + 0.5):.9f}" for s in (1, 2, 3)) + "]::float8[]"


def generate_sql(unit: demo.DemoUnit, improved: bool) -> str:
    """One unit-month of responses: %(n)s rows over the working days %(days)s, numbered after %(first)s."""
    scores = []
    for code in CODES:
        mean = (2.95 if improved else 2.35) if code == unit.weak else demo.BASE_MEAN[code]
        scores.append(f"1 + width_bucket(random(), {thresholds(mean)})")
    profile = [f"CASE WHEN random() < 0.8 THEN (%(p_{f.name})s::text[])[1 + floor(random() * {len(f.values)})::int] "
               f"END" for f in PROFILE]
    weak = demo.COMMENTS.get(unit.weak) if not improved else None
    comment = ("CASE WHEN random() < 0.6 THEN (%(weak)s::text[])[1 + floor(random() * %(n_weak)s)::int] "
               "ELSE (%(any)s::text[])[1 + floor(random() * %(n_any)s)::int] END" if weak
               else "(%(any)s::text[])[1 + floor(random() * %(n_any)s)::int]")
    submitted = "g.day::text || 'T' || lpad(g.hour::text, 2, '0') || ':' || lpad((g.second / 60)::text, 2, '0') " \
                "|| ':' || lpad(mod(g.second, 60)::text, 2, '0') || '+07:00'"
    return f"""
        INSERT INTO responses ({', '.join(RESPONSE_COLUMNS)})
        SELECT '00000000-0000-4000-8000-' || lpad((%(first)s + g.i)::text, 12, '0'), %(kiosk)s, %(seq)s + g.i,
               %(unit)s, (%(services)s::text[])[g.k], (%(counters)s::text[])[g.k],
               CASE WHEN random() < 0.9 THEN (%(officers)s::text[])[1 + floor(random() * %(n_officers)s)::int] END,
               CASE WHEN random() < 0.18 THEN 'qr' ELSE 'kiosk' END, %(version)s,
               {', '.join(scores)},
               {', '.join(profile)},
               CASE WHEN random() < 0.12 THEN {comment} END,
               to_char(g.day + make_interval(hours => g.hour, secs => g.second)
                       - make_interval(secs => g.duration / 1000.0), 'YYYY-MM-DD"T"HH24:MI:SS.MS') || '+07:00',
               {submitted}, g.day, g.hour, g.duration, g.suspect,
               CASE WHEN g.suspect THEN 'too_fast:' || to_char(g.duration / 1000.0, 'FM990.0') || 's<10s' END,
               {submitted}, NULL, lpad(to_hex(%(first)s + g.i), 64, '0')
        FROM (SELECT row_number() OVER (ORDER BY d.day, d.hour, d.second) AS i, d.*,
                     CASE WHEN d.suspect THEN 2000 + floor(random() * 4001)::int
                          ELSE (exp(3.4 + 0.35 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) * 1000)::int
                     END AS duration
              FROM (SELECT (%(days)s::date[])[1 + floor(random() * %(n_days)s)::int] AS day,
                           (%(hours)s::int[])[1 + floor(random() * %(n_hours)s)::int] AS hour,
                           floor(random() * 3600)::int AS second,
                           1 + floor(random() * %(n_pairs)s)::int AS k,
                           random() < 0.01 AS suspect
                    FROM generate_series(1, %(n)s)) AS d) AS g
        ORDER BY g.i
    """


def pairs(unit: demo.DemoUnit) -> tuple[list[str], list[str]]:
    """(counter, service) pairs repeated so that one uniform pick is a uniform counter, then service."""
    width = lcm(*(len(services) for _c, _n, services in unit.counters))
    counters, services = [], []
    for counter, _name, choices in unit.counters:
        for service, _service_name in choices:
            counters += [counter] * (width // len(choices))
            services += [service] * (width // len(choices))
    return counters, services


def fill(url: str, total: int, today: date) -> None:
    """``total`` responses, one INSERT ... SELECT per unit and month, then every id in ``response_keys``."""
    hours = [h for h, w in zip(bench_dashboard.HOURS, bench_dashboard.HOUR_WEIGHTS) for _ in range(w)]
    half = demo.month_starts(today, MONTHS)[MONTHS // 2]
    statements, first, seqs = {}, 0, {}
    started = time.perf_counter()
    cells = sorted(bench_dashboard.plan(total, today), key=lambda c: (c[1], c[0].code))  # month by month
    with psycopg.connect(plain(url)) as conn:
        conn.execute("SET work_mem = '64MB'")
        for number, (unit, month, days, count) in enumerate(cells):
            if count:
                improved = month >= half
                sql = statements.get((unit.code, improved))
                if sql is None:
                    sql = statements[(unit.code, improved)] = generate_sql(unit, improved)
                counters, services = pairs(unit)
                officers = [nip for nip, _name in demo.demo_officers(demo.UNITS.index(unit), unit)]
                weak = demo.COMMENTS.get(unit.weak) or []
                conn.execute(sql, {
                    "first": first, "seq": seqs.get(unit.code, 0), "n": count, "unit": unit.code,
                    "kiosk": f"00000000-0000-4000-8000-{demo.UNITS.index(unit):012d}", "version": QUESTIONNAIRE_VERSION,
                    "counters": counters, "services": services, "n_pairs": len(counters), "days": days,
                    "officers": officers, "n_officers": len(officers),
                    "n_days": len(days), "hours": hours, "n_hours": len(hours), "weak": weak, "n_weak": len(weak),
                    "any": demo.COMMENTS["any"], "n_any": len(demo.COMMENTS["any"]),
                    **{f"p_{f.name}": list(f.values) for f in PROFILE}})
                conn.commit()
                first += count
                seqs[unit.code] = seqs.get(unit.code, 0) + count
            last_of_month = number + 1 == len(cells) or cells[number + 1][1] != month
            if total >= 1_000_000 and last_of_month and (month.month % 3 == 0 or number + 1 == len(cells)):
                print(f"   up to {month:%Y-%m}: {first:>10,} rows, {time.perf_counter() - started:.0f} s", flush=True)
        assert first == total
        keys_started = time.perf_counter()
        conn.execute("INSERT INTO response_keys (id, content_hash) SELECT id, content_hash FROM responses")
        conn.commit()
        if total >= 1_000_000:
            print(f"   response_keys: {time.perf_counter() - keys_started:.0f} s", flush=True)


def aggregate_sql() -> tuple[str, ...]:
    """The aggregates of every stored response, one INSERT ... SELECT ... GROUP BY each (``bench_dashboard``'s,
    with PostgreSQL's first day of the month)."""
    return bench_dashboard.aggregate_sql(month="date_trunc('month', local_day)::date")


def aggregate(url: str) -> tuple[int, ...]:
    """Replace the aggregates by the SQL ones; returns (daily rows, hourly rows, officer rows)."""
    with psycopg.connect(plain(url)) as conn:
        conn.execute("SET work_mem = '512MB'")
        for table in ("daily_aggregates", "hourly_aggregates", "officer_daily", "monthly_aggregates"):
            conn.execute(f"DELETE FROM {table}")
        counts = tuple(conn.execute(sql).rowcount for sql in aggregate_sql())
        conn.commit()
    return counts


def vacuum(url: str) -> None:
    with psycopg.connect(plain(url), autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE)")


def build(folder: Path, url: str, total: int, today: date):
    """A collector app on ``url`` with the demo organisation and accounts and ``total`` responses."""
    started = time.perf_counter()
    migrate_database({"COLLECTOR_DATABASE_URL": url}, folder)
    app = create_app({"TESTING": True, "COLLECTOR_DATABASE_URL": url}, instance_path=folder)
    engine = app.extensions["skm_engine"]
    demo.build_org(engine)
    demo.build_users(engine)
    store.prepare_for_days(engine, demo.month_starts(today, MONTHS))
    fill(url, total, today)
    filled = time.perf_counter()
    daily_rows, hourly_rows, officer_rows, monthly_rows = aggregate(url)
    store.rebuild_theme_counts(engine, themes.default_lexicon())  # what rebuild-aggregates does after them
    aggregated = time.perf_counter()
    checked = ""
    if total == SMALL:
        by_sql = store.all_aggregates(engine)
        rebuilt = store.rebuild_aggregates(engine)
        by_store = store.all_aggregates(engine)
        assert rebuilt == daily_rows
        assert [len(r) for r in by_sql] == [daily_rows, hourly_rows, officer_rows, monthly_rows]
        for kind, mine, theirs in zip(("daily", "hourly", "officer", "monthly"), by_sql, by_store):
            assert mine == theirs, f"the SQL {kind} aggregates differ from store.rebuild_aggregates"
        checked = " (identical to store.rebuild_aggregates, row for row)"
    vacuum_started = time.perf_counter()
    vacuum(url)
    done = time.perf_counter()
    assert store.response_count(engine) == total
    with engine.connect() as conn:
        keys = conn.exec_driver_sql("SELECT count(*) FROM response_keys").scalar()
        in_default = conn.exec_driver_sql("SELECT count(*) FROM responses_default").scalar()
        size = conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar()
        unit_daily = conn.exec_driver_sql("SELECT count(*) FROM daily_aggregates WHERE unit = %s", (UNIT,)).scalar()
    assert keys == total and in_default == 0, (keys, in_default)
    unit_rows = store.response_count(engine, unit=UNIT)
    print(f"   {total:,} responses ({unit_rows:,} of {UNIT}, {unit_rows / total:.1%}), database "
          f"{size / 2**30:.2f} GiB: SQL insert + response_keys {filled - started:.1f} s, SQL aggregates "
          f"{aggregated - filled:.1f} s ({daily_rows:,} daily rows, {unit_daily:,} of {UNIT}; {hourly_rows:,} "
          f"hourly, {officer_rows:,} officer){checked}, VACUUM ANALYZE {done - vacuum_started:.1f} s", flush=True)
    return app


def large_size(admin_url: str) -> int:
    """10 million, or the largest fallback size whose estimate fits the free disk space."""
    free, where = free_bytes(admin_url)
    for total in (LARGE, *FALLBACK_SIZES):
        if total * BYTES_PER_ROW < free:
            if total != LARGE:
                print(f"   10 million responses would not fit ({free / 2**30:.1f} GiB free at {where}, ~"
                      f"{LARGE * BYTES_PER_ROW / 2**30:.0f} GiB needed): measuring {total:,} instead", flush=True)
            return total
    raise RuntimeError(f"not even {FALLBACK_SIZES[-1]:,} responses fit: {free / 2**30:.1f} GiB free at {where}")


def cache_key(today: date) -> str:
    """What a kept dashboard database was built from: the day, the schema head and the generating code."""
    parts = [inspect.getsource(f) for f in (thresholds, generate_sql, pairs, fill, aggregate, build)]
    parts += [inspect.getsource(bench_dashboard.plan), repr((MONTHS, RESPONSE_COLUMNS)), *aggregate_sql(),
              themes.default_lexicon().fingerprint]
    return f"{today.isoformat()} {migrations.head()} {hashlib.sha256(chr(10).join(parts).encode()).hexdigest()[:12]}"


def cached_database(admin_url: str, name: str, key: str) -> bool:
    """Whether the database ``name`` exists and was built for ``key`` (its comment); other kept builds of
    the same size (an older day or code) are dropped."""
    prefix = name.rsplit("_", 1)[0]
    with psycopg.connect(plain(admin_url), autocommit=True) as conn:
        kept = conn.execute("SELECT datname, shobj_description(oid, 'pg_database') FROM pg_database "
                            "WHERE datname LIKE %s", (prefix + "\\_%",)).fetchall()
        for other, _comment in kept:
            if other != name:
                conn.execute(f'DROP DATABASE IF EXISTS "{other}" WITH (FORCE)')
    return any(other == name and comment == key for other, comment in kept)


def dashboard(tmp: Path, admin_url: str, large: int) -> dict[int, list[tuple[float, float]]]:
    """The dashboard databases are kept between runs (named ``skm_bench_dash_<size>_<key digest>``, the key
    in their comment) and reused while the day, the schema head and the bench files are the same."""
    today = datetime.now(ZONE).date()
    path = f"/unit/{UNIT}?period={containing('triwulan', today).key()}"
    key = cache_key(today)
    apps = {}
    try:
        for total in (SMALL, MIDDLE, large):
            name = f"skm_bench_dash_{label(total)}_{hashlib.sha256(key.encode()).hexdigest()[:8]}"
            if cached_database(admin_url, name, key):
                url = database_url(admin_url, name)
                print(f"   {total:,} responses: the database {name} kept from an earlier run", flush=True)
                (tmp / f"n{total}").mkdir()
                apps[total] = create_app({"TESTING": True, "COLLECTOR_DATABASE_URL": url},
                                         instance_path=tmp / f"n{total}")
                continue
            print(f"   building {total:,} responses in {name} ...", flush=True)
            url = recreate_database(admin_url, name)
            apps[total] = build(tmp / f"n{total}", url, total, today)
            with psycopg.connect(plain(admin_url), autocommit=True) as conn:
                conn.execute(f"COMMENT ON DATABASE \"{name}\" IS '{key}'")
        clients = {total: bench_dashboard.signed_in(app) for total, app in apps.items()}
        times: dict[int, list[tuple[float, float]]] = {total: [] for total in apps}
        for i in range(WARMUP + REQUESTS):
            for total, client in clients.items():
                sample = bench_dashboard.timed_get(client, path)
                if i >= WARMUP:
                    times[total].append(sample)
    finally:
        for app in apps.values():
            app.extensions["skm_engine"].dispose()
    for total in apps:
        walls, cpus = [w for w, _c in times[total]], [c for _w, c in times[total]]
        print(f"   GET {path} with {total:,} responses: median {statistics.median(walls) * 1e3:.1f} ms "
              f"(min {min(walls) * 1e3:.1f}, max {max(walls) * 1e3:.1f}; CPU median "
              f"{statistics.median(cpus) * 1e3:.1f} ms)", flush=True)
    return times


def run():
    admin_url = cluster_url()
    if admin_url is None:
        return {}
    with psycopg.connect(plain(admin_url)) as conn:
        print(f"   {conn.execute('SELECT version()').fetchone()[0].split(' on ')[0]} at {admin_url} (fsync "
              f"{conn.execute('SHOW fsync').fetchone()[0]}, synchronous_commit "
              f"{conn.execute('SHOW synchronous_commit').fetchone()[0]})", flush=True)
    large = large_size(admin_url)
    with tempfile.TemporaryDirectory(prefix="skm-bench-postgres-") as tmp:
        times = dashboard(Path(tmp), admin_url, large)
    small_ms, middle_ms, large_ms = (statistics.median(w for w, _c in times[n]) * 1e3 for n in (SMALL, MIDDLE, large))
    return {
        f"dashboard_unit_page_pg_{label(MIDDLE)}_ms": {"value": middle_ms, "unit": "ms", "baseline": small_ms,
                                                       "ratio": middle_ms / small_ms},
        f"dashboard_unit_page_pg_{label(large)}_ms": {"value": large_ms, "unit": "ms", "baseline": small_ms,
                                                      "ratio": large_ms / small_ms},
    }
