"""A province under load: 200 kiosks pushing and 20 dashboard readers, for 5 minutes, against one collector
(gunicorn, 2 workers x 4 threads) on PostgreSQL. Run by ``make bench`` only with ``SKM_BENCH_LOAD=1`` (or
``python bench/run.py load_province``): it takes about 7 minutes.

Set-up: a database of its own (``skm_load_province`` on ``SKM_BENCH_POSTGRES_URL``, default the test cluster
``postgresql+psycopg://skm@127.0.0.1:55432/postgres``; made here, dropped at the end), migrated by
``skm collector migrate``; an organisation of 10 kabupaten/kota x 4 OPD, one unit each (40 units, 3
counters, 2 services each) imported by ``skm collector org import``; an admin account; 200 kiosks (5 per
unit) enrolled over HTTP with one-time codes, as ``skm kiosk enroll`` does.

Load: 4 load processes of 50 kiosk threads each. A kiosk pushes a batch of 1 to 20 new responses (random
counter, service, scores, profile; ids and seqs its own), signed by ``kiosk.sync.Client`` (the kiosk's own
wire client, which checks each ack's signature), waits 2 to 8 s and pushes again: the agent's cadence (30 s)
compressed six times. A push that fails (timeout, 5xx) is resent, the same batch, until acked, as the agent
does. 20 reader threads (another process) each sign in with an admin account of its own (20 people) and
then, every 1 to 3 s, open the province overview or a random unit's page. After 5 minutes the kiosks finish
their last push.

Figures: ack p99 (seconds from sending a push to its verified ack, every push) and page p95 under that
load; baselines, measured the same way in the same run before the load starts (one kiosk pushing, one
reader reading, 60 requests each, back to back), so the ratio is what the load adds. Throughput: responses
stored per second under load; its baseline is the one kiosk's back-to-back rate. Checks, at the end: every response
acked is stored exactly once (count, distinct ids, the ids themselves), no push was lost (acked = sent),
and the aggregates equal a rebuild from the raw responses. Printed, not recorded: pushes and responses a
second, the database size per response, the collector's CPU seconds (gunicorn master and workers, from
``wait4``; PostgreSQL's own CPU is not in it) per million responses.
"""
from __future__ import annotations

import json
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from datetime import datetime, timedelta, timezone
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.request import HTTPCookieProcessor, build_opener

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
for folder in (str(ROOT), str(HERE)):
    if folder not in sys.path:
        sys.path.insert(0, folder)

DURATION = float(os.environ.get("SKM_LOAD_SECONDS", 300))
KIOSKS, LOAD_PROCESSES, READERS = 200, 4, 20
PEMDA, OPD = 10, 4
COUNTERS, SERVICES = 3, 2
BATCH = (1, 20)
PAUSE = (2.0, 8.0)
READ_PAUSE = (1.0, 3.0)
WORKERS, THREADS = 2, 4
DATABASE = "skm_load_province"
PASSWORD = "muat-uji-provinsi-16"


def percentile(samples: list[float], p: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[p - 1]


# -- the load processes ------------------------------------------------------------------------------------

def new_responses(rnd: random.Random, kiosk: dict, first_seq: int, n: int) -> list[dict]:
    from skm import CODES, PROFILE, QUESTIONNAIRE_VERSION
    now = datetime.now(timezone(timedelta(hours=7)))
    out = []
    for i in range(n):
        counter = rnd.randrange(1, COUNTERS + 1)
        submitted = now - timedelta(seconds=rnd.randint(5, 600))
        out.append({
            "id": str(uuid.uuid4()), "seq": first_seq + i, "unit": kiosk["unit"], "counter": str(counter),
            "service": f"s{counter}{rnd.randrange(1, SERVICES + 1)}", "officer": None, "channel": "kiosk",
            "questionnaire_version": QUESTIONNAIRE_VERSION,
            "answers": {code: rnd.choices((1, 2, 3, 4), (1, 3, 10, 6))[0] for code in CODES},
            "profile": {f.name: rnd.choice(f.values) for f in PROFILE if rnd.random() < 0.8},
            "comment": "Antrean cukup cepat." if rnd.random() < 0.1 else None,
            "started_at": (submitted - timedelta(seconds=40)).isoformat(timespec="milliseconds"),
            "submitted_at": submitted.isoformat(timespec="milliseconds"), "duration_ms": 40000,
            "suspect": False, "suspect_reason": None})
    return out


def kiosk_loop(url: str, kiosk: dict, deadline: float, rnd: random.Random, out: dict) -> None:
    from kiosk import sync
    from skm import wire
    client = sync.Client(sync.Credentials(url, kiosk["id"], kiosk["secret"]), timeout=60,
                         install=kiosk["install"])
    seq = 1
    time.sleep(rnd.uniform(0, PAUSE[1]))  # kiosks do not start in step
    while time.monotonic() < deadline:
        responses = new_responses(rnd, kiosk, seq, rnd.randint(*BATCH))
        seq += len(responses)
        batch_id = str(uuid.uuid4())
        body = wire.canonical({"protocol": wire.PROTOCOL, "batch_id": batch_id, "responses": responses})
        out["sent"].extend(r["id"] for r in responses)
        while True:  # until acked: the same batch again, as the agent resends what is still pending
            start = time.perf_counter()
            try:
                ack = client.request("POST", "/api/v1/batches", body)
            except sync.SyncError as exc:
                out["failures"].append(f"{exc.code}: {str(exc)[:200]}")
                time.sleep(1)
                continue
            out["ack_seconds"].append(time.perf_counter() - start)
            statuses = {r["id"]: r["status"] for r in ack["results"]}
            assert set(statuses) == {r["id"] for r in responses}, "the ack does not name the batch's responses"
            for status in statuses.values():
                out["statuses"][status] = out["statuses"].get(status, 0) + 1
            out["acked"].extend(statuses)
            break
        time.sleep(rnd.uniform(*PAUSE))


def load_process(config_path: str, result_path: str) -> None:
    """One load process: its share of the kiosks, one thread each; results as JSON."""
    config = json.loads(Path(config_path).read_text())
    deadline = time.monotonic() + config["duration"]
    outs = []
    threads = []
    for i, kiosk in enumerate(config["kiosks"]):
        out: dict = {"sent": [], "acked": [], "ack_seconds": [], "failures": [], "statuses": {}}
        outs.append(out)
        threads.append(threading.Thread(target=kiosk_loop, daemon=True, args=(
            config["url"], kiosk, deadline, random.Random(config["seed"] * 1000 + i), out)))
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    merged = {"sent": [], "acked": [], "ack_seconds": [], "failures": [], "statuses": {}}
    for out in outs:
        for key in ("sent", "acked", "ack_seconds", "failures"):
            merged[key].extend(out[key])
        for status, n in out["statuses"].items():
            merged["statuses"][status] = merged["statuses"].get(status, 0) + n
    Path(result_path).write_text(json.dumps(merged))


# -- readers -----------------------------------------------------------------------------------------------

class Reader:
    def __init__(self, url: str, username: str):
        self.url, self.username = url, username
        self.opener = build_opener(HTTPCookieProcessor(CookieJar()))

    def get(self, path: str) -> tuple[int, str]:
        with self.opener.open(self.url + path, timeout=120) as reply:
            body = reply.read().decode()
            assert "/login" not in reply.url or path == "/login", f"{path}: sent to sign in again"
            return reply.status, body

    def sign_in(self) -> None:
        _status, page = self.get("/login")
        token = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', page) or \
            re.search(r'value="([^"]+)"[^>]*name="csrf_token"', page)
        assert token, "no CSRF token on the sign-in page"
        body = urllib.parse.urlencode({"csrf_token": token.group(1), "username": self.username,
                                       "password": PASSWORD}).encode()
        with self.opener.open(self.url + "/login", body, timeout=120) as reply:
            assert reply.status == 200 and "/login" not in reply.url, reply.url

    def timed(self, path: str) -> float:
        start = time.perf_counter()
        status, _page = self.get(path)
        elapsed = time.perf_counter() - start
        assert status == 200, (path, status)
        return elapsed


def reader_loop(url: str, units: list[str], deadline: float, rnd: random.Random, out: dict, number: int) -> None:
    reader = Reader(url, f"pembaca{number:02d}")
    while True:
        try:
            reader.sign_in()
            break
        except Exception as exc:  # noqa: BLE001 - counted and reported; a reader tries again
            out["failures"].append(f"/login: {exc!r}"[:200])
            time.sleep(1)
    while time.monotonic() < deadline:
        path = "/" if rnd.random() < 0.3 else f"/unit/{rnd.choice(units)}"
        try:
            out["page_seconds"].append(reader.timed(path))
        except Exception as exc:  # noqa: BLE001 - counted and reported, the load goes on
            out["failures"].append(f"{path}: {exc!r}"[:200])
        time.sleep(rnd.uniform(*READ_PAUSE))


def reader_process(config_path: str, result_path: str) -> None:
    config = json.loads(Path(config_path).read_text())
    deadline = time.monotonic() + config["duration"]
    out: dict = {"page_seconds": [], "failures": []}
    threads = [threading.Thread(target=reader_loop, daemon=True, args=(
        config["url"], config["units"], deadline, random.Random(7000 + i), out, i + 1)) for i in range(READERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    Path(result_path).write_text(json.dumps(out))


# -- set-up, baseline, run, checks -------------------------------------------------------------------------

def province_csv(path: Path) -> list[str]:
    lines = ["pemda,pemda_name,opd,opd_name,unit,unit_name,timezone,counter,counter_name,service,service_name"]
    units = []
    for p in range(1, PEMDA + 1):
        for o in range(1, OPD + 1):
            unit = f"kab{p:02d}-opd{o}"
            units.append(unit)
            for c in range(1, COUNTERS + 1):
                for s in range(1, SERVICES + 1):
                    lines.append(f"kab{p:02d},Kabupaten {p},opd{o},OPD {o},{unit},Unit {o} Kabupaten {p},"
                                 f"Asia/Jakarta,{c},Loket {c},s{c}{s},Layanan {c}.{s}")
    path.write_text("\n".join(lines) + "\n")
    return units


def cli(env: dict, *args: str) -> str:
    done = subprocess.run([sys.executable, "-m", "skm.cli", "collector", *args], env=env, cwd=ROOT,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def enroll_all(url: str, engine, units: list[str]) -> list[dict]:
    from collector import store
    from kiosk import sync
    kiosks = []
    for i in range(KIOSKS):
        unit = units[i % len(units)]
        _kiosk_id, code = store.add_kiosk(engine, unit)
        status, _headers, content = sync.http("POST", url + "/api/v1/enroll", json.dumps({"code": code}).encode(),
                                              {"Content-Type": "application/json"}, 60)
        data = json.loads(content)
        assert status == 200, data
        kiosks.append({"id": data["kiosk_id"], "secret": data["secret"], "unit": unit, "install": str(uuid.uuid4())})
    return kiosks


def baseline(url: str, kiosk: dict, units: list[str]) -> tuple[list[float], list[float], list[str]]:
    """One kiosk pushing and one reader reading, alone, 60 requests each."""
    out: dict = {"sent": [], "acked": [], "ack_seconds": [], "failures": [], "statuses": {}}
    rnd = random.Random(1)
    from kiosk import sync
    from skm import wire
    client = sync.Client(sync.Credentials(url, kiosk["id"], kiosk["secret"]), timeout=60, install=kiosk["install"])
    seq = 1_000_000  # above any seq the load gives this kiosk
    for _ in range(60):
        responses = new_responses(rnd, kiosk, seq, rnd.randint(*BATCH))
        seq += len(responses)
        body = wire.canonical({"protocol": wire.PROTOCOL, "batch_id": str(uuid.uuid4()), "responses": responses})
        start = time.perf_counter()
        client.request("POST", "/api/v1/batches", body)
        out["ack_seconds"].append(time.perf_counter() - start)
        out["sent"].extend(r["id"] for r in responses)
    reader = Reader(url, "pembaca00")
    reader.sign_in()
    pages = [reader.timed("/" if i % 3 == 0 else f"/unit/{units[i % len(units)]}") for i in range(60)]
    return out["ack_seconds"], pages, out["sent"]


def gunicorn(env: dict, port: int, log: Path) -> subprocess.Popen:
    with open(log, "ab") as stream:
        return subprocess.Popen([str(Path(sys.executable).with_name("gunicorn")), "--workers", str(WORKERS),
                                 "--threads", str(THREADS), "--timeout", "120", "--bind", f"127.0.0.1:{port}",
                                 "collector:create_app()"], env=env, cwd=ROOT, stdout=stream, stderr=subprocess.STDOUT)


def wait_until_serving(url: str, server: subprocess.Popen, log: Path) -> None:
    import urllib.request
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(log.read_text()[-2000:])
        try:
            with urllib.request.urlopen(url + "/status", timeout=2):
                return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("gunicorn did not start")


def run():
    import psycopg

    from collector import auth, store
    from tests.helpers import free_port

    admin_url = os.environ.get("SKM_BENCH_POSTGRES_URL", "postgresql+psycopg://skm@127.0.0.1:55432/postgres")
    libpq = admin_url.replace("postgresql+psycopg://", "postgresql://", 1)
    try:
        with psycopg.connect(libpq, autocommit=True, connect_timeout=5) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
    except psycopg.OperationalError as exc:
        print(f"   no PostgreSQL at {admin_url}: {exc}")
        return {}
    url_db = admin_url.rsplit("/", 1)[0] + "/" + DATABASE
    engine = None
    server = None
    collector_cpu = 0.0
    with tempfile.TemporaryDirectory(prefix="skm-load-province-") as tmp:
        tmp = Path(tmp)
        env = {**os.environ, "SKM_COLLECTOR_INSTANCE": str(tmp / "instance"), "SKM_COLLECTOR_DATABASE_URL": url_db,
               "SKM_COLLECTOR_LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1"}
        (tmp / "instance").mkdir()
        try:
            cli(env, "migrate")
            units = province_csv(tmp / "province.csv")
            cli(env, "org", "import", str(tmp / "province.csv"))
            engine = store.make_engine(url_db)
            for number in range(READERS + 1):  # 20 people reading, and one for the baseline
                auth.create_user(engine, f"pembaca{number:02d}", f"Pembaca {number}", PASSWORD, "admin", [])
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            server = gunicorn(env, port, tmp / "gunicorn.log")
            wait_until_serving(url, server, tmp / "gunicorn.log")
            kiosks = enroll_all(url, engine, units)
            base_acks, base_pages, base_sent = baseline(url, kiosks[0], units)

            started = time.monotonic()
            procs, results = [], []
            share = KIOSKS // LOAD_PROCESSES
            for p in range(LOAD_PROCESSES):
                config, result = tmp / f"load-{p}.json", tmp / f"load-{p}.out.json"
                config.write_text(json.dumps({"url": url, "duration": DURATION, "seed": p + 1,
                                              "kiosks": kiosks[p * share:(p + 1) * share]}))
                procs.append(subprocess.Popen([sys.executable, __file__, "load", str(config), str(result)], cwd=ROOT))
                results.append(result)
            config = tmp / "readers.json"
            config.write_text(json.dumps({"url": url, "duration": DURATION, "units": units}))
            readers_out = tmp / "readers.out.json"
            procs.append(subprocess.Popen([sys.executable, __file__, "read", str(config), str(readers_out)], cwd=ROOT))
            for proc in procs:
                assert proc.wait(timeout=DURATION + 600) == 0, "a load process failed"
            elapsed = time.monotonic() - started

            loads = [json.loads(r.read_text()) for r in results]
            reads = json.loads(readers_out.read_text())
            sent = [i for out in loads for i in out["sent"]]
            acked = [i for out in loads for i in out["acked"]]
            acks = [s for out in loads for s in out["ack_seconds"]]
            failures = [f for out in loads for f in out["failures"]]
            statuses: dict[str, int] = {}
            for out in loads:
                for status, n in out["statuses"].items():
                    statuses[status] = statuses.get(status, 0) + n
            pages = reads["page_seconds"]

            with engine.connect() as conn:
                stored, distinct = conn.exec_driver_sql(
                    "SELECT count(*), count(DISTINCT id) FROM responses").one()
                stored_ids = {r[0] for r in conn.exec_driver_sql("SELECT id FROM responses")}
                size = conn.exec_driver_sql("SELECT pg_database_size(current_database())").scalar()
            expected = set(sent) | set(base_sent)
            incremental = store.all_aggregates(engine)
            store.rebuild_aggregates(engine)
            rebuilt = store.all_aggregates(engine)
        finally:
            if server is not None:
                server.terminate()
                _pid, status, usage = os.wait4(server.pid, 0)  # the master has reaped its workers: theirs too
                server.returncode = os.waitstatus_to_exitcode(status)
                collector_cpu = usage.ru_utime + usage.ru_stime
                log = (tmp / "gunicorn.log").read_text(errors="replace")
                if "Traceback" in log:
                    print("   gunicorn log, first traceback:\n" + log[log.index("Traceback"):][:3000])
            if engine is not None:
                engine.dispose()
            with psycopg.connect(libpq, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')

    lost = expected - stored_ids
    print(f"   {KIOSKS} kiosks, {READERS} readers, {elapsed:.0f} s: {len(acks)} pushes acked "
          f"({len(acks) / elapsed:.1f}/s), {len(sent):,} responses sent ({len(sent) / elapsed:.0f}/s), statuses "
          f"{statuses}, {len(failures)} failed pushes resent {sorted(set(f.split(':')[0] for f in failures))}; "
          f"{len(pages)} pages read ({len(reads['failures'])} failed); database {size / 2 ** 20:.0f} MiB "
          f"({size / max(1, stored):.0f} bytes a response); collector CPU (gunicorn, set-up included) "
          f"{collector_cpu:.0f} s = {collector_cpu / max(1, stored) * 1e6:.0f} s a million responses")
    print(f"   ack p50 {percentile(acks, 50) * 1e3:.0f} ms p99 {percentile(acks, 99) * 1e3:.0f} ms (alone: p99 "
          f"{percentile(base_acks, 99) * 1e3:.0f} ms); page p50 {percentile(pages, 50) * 1e3:.0f} ms p95 "
          f"{percentile(pages, 95) * 1e3:.0f} ms (alone: p95 {percentile(base_pages, 95) * 1e3:.0f} ms)")
    print(f"   stored {stored:,} rows, {distinct:,} distinct ids, {len(expected):,} expected: lost {len(lost)}, "
          f"duplicated {stored - distinct}; aggregates equal a rebuild: {incremental == rebuilt}")
    assert len(acked) == len(sent) and set(acked) == set(sent), "a push was never acked"
    assert not lost and stored == distinct == len(expected), (len(lost), stored, distinct, len(expected))
    assert incremental == rebuilt, "the aggregates differ from a rebuild"
    assert not reads["failures"], reads["failures"][:5]
    ack_p99, base_ack = percentile(acks, 99) * 1e3, percentile(base_acks, 99) * 1e3
    page_p95, base_page = percentile(pages, 95) * 1e3, percentile(base_pages, 95) * 1e3
    return {"load_province_ack_p99_ms": {"value": ack_p99, "unit": "ms", "baseline": base_ack,
                                         "ratio": ack_p99 / base_ack},
            "load_province_page_p95_ms": {"value": page_p95, "unit": "ms", "baseline": base_page,
                                          "ratio": page_p95 / base_page},
            "load_province_responses_per_s": {"value": len(sent) / elapsed, "unit": "resp/s",
                                              "baseline": len(base_sent) / sum(base_acks),
                                              "ratio": len(sent) / elapsed / (len(base_sent) / sum(base_acks))}}


if __name__ == "__main__":
    role, config_path, result_path = sys.argv[1:4]
    (load_process if role == "load" else reader_process)(config_path, result_path)
