"""Citizen -> kiosk -> collector over a hostile network: every rating arrives exactly once.

The big test runs real processes: a collector (``skm collector run``), killed with SIGKILL (preferably
while a batch is in flight) and restarted several times, and a kiosk (``skm kiosk run``, its own agent
off) that tablets submit surveys to over HTTP while a bulk writer adds many more responses straight into
its store. The kiosk's sync agent (``sync.watch``, in a thread of this test, small backoff) talks to the
collector through a fault proxy that, at random (seeded: the seed is printed; ``SKM_E2E_SEED`` fixes the
proxy's, killer's and writers' draws, not the threads' timing), resets connections before forwarding,
drops the answer after the collector committed, delays, sends a request twice (one after the other, or
both at once) and returns one of the answers, or truncates the answer. The run goes on until at least
MIN_RESPONSES responses, MIN_FAULTS faults and MIN_KILLS kills, then the outbox must drain with the
faults still on. At the end every response of the kiosk is at the collector once, with the same content,
the collector's aggregates equal their recomputation from the raw rows, and the kiosk's outbox is empty.

The fast tests point an enrolled kiosk at a captive portal (200 with an HTML login page to everything)
and at a proxy answering an unsigned ``{}``: nothing is marked synced, the error is ``not_an_ack`` and the
staff page says so in plain words.
"""
from __future__ import annotations

import http.server
import json
import os
import random
import socket
import struct
import threading
import time
import urllib.parse
import urllib.request
import uuid
from collections import Counter
from http.cookiejar import CookieJar
from pathlib import Path

import pytest
from sqlalchemy import select

from collector import migrations, schema as cschema, store as cstore
from kiosk import store as kstore
from kiosk import sync
from skm import CODES, PROFILE, QUESTIONNAIRE_VERSION, wire
from tests.helpers import CollectorServer, KioskServer, create_collector, hidden, init_kiosk, seed_collector

UNIT = "dumai-disdukcapil"
SERVICES = {"1": ["ktp-el"], "2": ["kk", "pindah"], "3": ["akta-lahir", "kia"], "4": ["akta-mati", "akta-kawin"],
            "5": ["informasi"], "6": ["ktp-el", "kk", "akta-lahir"]}

# The big run ends once all three minimums are reached (or the wall budget is spent, and it fails).
MIN_RESPONSES = 5000
MIN_FAULTS = 100
MIN_KILLS = 3
BULK_RATE = 400  # responses per second the bulk writer aims at
PRODUCE_BUDGET = 70.0  # seconds for the producing phase
DRAIN_BUDGET = 40.0  # seconds for the kiosk to empty its outbox afterwards
# Per request. Resets, dropped answers and truncations fail the sync pass (and the agent backs off);
# delays and duplicates do not, so they can be frequent without slowing the run down much.
FAULT_RATES = {"reset": 0.08, "drop_answer": 0.10, "delay": 0.10, "duplicate": 0.20, "truncate": 0.05}
DELAY = (0.02, 0.3)  # seconds
KILL_EVERY = (4.0, 7.0)  # seconds between collector kills
OUTAGE = (0.05, 0.5)  # seconds the killed collector stays down before its restart (which takes more)
TABLETS = 2
TABLET_PAUSE = (0.05, 0.4)  # seconds a tablet waits between citizens


# -- the fault proxy --------------------------------------------------------------------------------------

def read_http_message(sock: socket.socket) -> bytes | None:
    """One HTTP/1.1 request from a client: the head and a Content-Length body. None if the client left."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            return None
        body += chunk
    return head + b"\r\n\r\n" + body


def reset(sock: socket.socket) -> None:
    """Close with a TCP RST instead of a FIN, as a dropped NAT entry or a crashing middlebox does."""
    try:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    except OSError:
        pass
    sock.close()


def complete(answer: bytes) -> bool:
    head, found, body = answer.partition(b"\r\n\r\n")
    if not found:
        return False
    for line in head.split(b"\r\n")[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            return len(body) >= int(value.strip())
    return True


BAD_GATEWAY = (b"HTTP/1.1 502 Bad Gateway\r\nContent-Type: text/html\r\nContent-Length: 50\r\n"
               b"Connection: close\r\n\r\n<html><body><h1>502 Bad Gateway</h1></body></html>")


class FaultProxy:
    """A threaded TCP proxy on loopback that understands just enough HTTP to forward one request per
    connection (the kiosk's urllib sends ``Connection: close``) and misbehave on purpose."""

    def __init__(self, upstream_port: int, seed: int, rates: dict[str, float]):
        self.upstream_port = upstream_port
        self.rng = random.Random(seed)
        self.rates = rates
        self.lock = threading.Lock()
        self.faults: Counter = Counter()  # kind -> injected
        self.by_method: Counter = Counter()  # (kind, method) -> injected
        self.requests = 0
        self.upstream_down = 0  # requests that found the collector dead (killed by the test)
        self.cut = 0  # requests whose answer the collector's death cut off
        self.posts_in_flight = 0
        self.post_in_flight = threading.Event()  # the killer aims at these
        self.enabled = True
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)  # accept() wakes up to notice close()
        self.closed = threading.Event()
        self.port = self.listener.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}"
        self.handlers: list[threading.Thread] = []
        self.errors: list[str] = []
        self.acceptor = threading.Thread(target=self.accept_loop, name="fault-proxy", daemon=True)

    def start(self) -> "FaultProxy":
        self.acceptor.start()
        return self

    def close(self, timeout: float = 20) -> None:
        """Stop accepting and wait for the requests in flight (a duplicate may still be on its way)."""
        self.closed.set()
        self.acceptor.join(timeout)
        self.listener.close()
        deadline = time.monotonic() + timeout
        for thread in list(self.handlers):
            thread.join(max(0.0, deadline - time.monotonic()))
        assert not any(t.is_alive() for t in self.handlers), "proxy requests still in flight"

    def accept_loop(self) -> None:
        while not self.closed.is_set():
            try:
                conn, _addr = self.listener.accept()
            except TimeoutError:
                continue
            thread = threading.Thread(target=self.handle, args=(conn,), daemon=True)
            self.handlers = [t for t in self.handlers if t.is_alive()] + [thread]
            thread.start()

    def choose(self) -> tuple[str, random.Random]:
        with self.lock:
            self.requests += 1
            local = random.Random(self.rng.getrandbits(64))  # this request's own draws, from the seed
            if not self.enabled:
                return "pass", local
            roll = self.rng.random()
            for kind, rate in self.rates.items():
                if roll < rate:
                    return kind, local
                roll -= rate
            return "pass", local

    def count(self, kind: str, method: str) -> None:
        with self.lock:
            self.faults[kind] += 1
            self.by_method[kind, method] += 1

    def forward(self, request: bytes) -> bytes | None:
        """Send the request to the collector and read its whole answer; None when it is down."""
        try:
            upstream = socket.create_connection(("127.0.0.1", self.upstream_port), timeout=30)
        except OSError:
            with self.lock:
                self.upstream_down += 1
            return None
        chunks: list[bytes] = []
        post = request.startswith(b"POST ")
        if post:
            with self.lock:
                self.posts_in_flight += 1
                self.post_in_flight.set()
        try:
            with upstream:
                upstream.sendall(request)
                while chunk := upstream.recv(65536):
                    chunks.append(chunk)
        except OSError:
            pass  # killed mid-answer: pass on what came, as a real proxy would
        finally:
            if post:
                with self.lock:
                    self.posts_in_flight -= 1
                    if not self.posts_in_flight:
                        self.post_in_flight.clear()
        answer = b"".join(chunks)
        if not complete(answer):
            with self.lock:
                self.cut += 1
        return answer

    def handle(self, conn: socket.socket) -> None:
        try:
            conn.settimeout(30)
            request = read_http_message(conn)
            if request is None:
                conn.close()
                return
            method = request.split(b" ", 1)[0].decode()
            kind, rnd = self.choose()
            if kind == "reset":  # before forwarding: the collector never sees it
                self.count(kind, method)
                reset(conn)
                return
            if kind == "delay":
                self.count(kind, method)
                before = rnd.random() < 0.5
                if before:
                    time.sleep(rnd.uniform(*DELAY))
            twin: list[bytes | None] = []
            racer = None
            if kind == "duplicate" and rnd.random() < 0.5:  # both copies at once: two ingests race
                racer = threading.Thread(target=lambda: twin.append(self.forward(request)))
                racer.start()
            answer = self.forward(request)
            if racer:
                racer.join()
            if answer is None:
                conn.sendall(BAD_GATEWAY)
                conn.close()
                return
            if kind == "delay" and not before:
                time.sleep(rnd.uniform(*DELAY))
            elif kind == "drop_answer":  # the collector has committed; the kiosk never hears of it
                self.count(kind, method)
                reset(conn)
                return
            elif kind == "duplicate":  # the same bytes again (a retrying middlebox); either answer goes back
                self.count(kind, method)
                second = twin[0] if racer else self.forward(request)
                if second and rnd.random() < 0.5:
                    answer = second
            elif kind == "truncate" and len(answer) > 1:
                self.count(kind, method)
                answer = answer[:rnd.randrange(1, len(answer))]
            conn.sendall(answer)
            conn.close()
        except OSError:
            conn.close()  # the kiosk gave up (its timeout) or went away
        except Exception as exc:  # a bug in the proxy must fail the test, not hide in a thread
            self.errors.append(repr(exc))
            conn.close()


# -- the citizens ------------------------------------------------------------------------------------------

class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def http_error_302(self, req, fp, code, msg, headers):
        return fp

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


def tablet(url: str, rnd: random.Random, stop: threading.Event, confirmed: list[int], errors: list[str]) -> None:
    """A tablet at a random counter: open the survey (ticket and CSRF token), answer, submit, expect the 303."""
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect)
    while not stop.is_set():
        counter = rnd.choice(sorted(SERVICES))
        try:
            with opener.open(f"{url}/k/{counter}/survey", timeout=10) as page:
                html = page.read().decode()
            form = {"csrf_token": hidden(html, "csrf_token"), "ticket": hidden(html, "ticket"),
                    **{f"answers.{code}": str(rnd.randint(1, 4)) for code in CODES}}
            if len(SERVICES[counter]) > 1:
                form["service"] = rnd.choice(SERVICES[counter])
            if rnd.random() < 0.3:
                field = rnd.choice(PROFILE)
                form[f"profile.{field.name}"] = rnd.choice(field.values)
            if rnd.random() < 0.2:
                form["comment"] = rnd.choice(["Cepat dan ramah.", "Antre lama 😕", "Terima kasih, Pak/Bu!"])
            request = urllib.request.Request(f"{url}/k/{counter}/survey", urllib.parse.urlencode(form).encode(),
                                             method="POST")
            with opener.open(request, timeout=10) as answer:
                status = answer.status
        except (OSError, AssertionError) as exc:
            errors.append(repr(exc))
            return
        if status != 303:
            errors.append(f"submit answered {status}")
            return
        confirmed.append(1)
        stop.wait(rnd.uniform(*TABLET_PAUSE))


def bulk_row(rnd: random.Random, kiosk_id: str) -> dict:
    """A kiosk row as the survey would store it, spread over days, counters, offsets and profiles."""
    counter = rnd.choice(sorted(SERVICES))
    day = rnd.randint(20, 28)
    if rnd.random() < 0.15:  # in UTC late in the evening: the next day in the unit's zone (WIB)
        submitted = f"2026-11-{day:02d}T{rnd.randint(17, 23):02d}:{rnd.randint(0, 59):02d}:31.877+00:00"
    else:
        submitted = f"2026-11-{day:02d}T{rnd.randint(7, 15):02d}:{rnd.randint(0, 59):02d}:31.877+07:00"
    row = {"id": str(uuid.uuid4()), "counter": counter, "service": rnd.choice(SERVICES[counter]), "unit": UNIT,
           "kiosk_id": kiosk_id, "questionnaire_version": QUESTIONNAIRE_VERSION, "channel": "kiosk",
           **{code: rnd.randint(1, 4) for code in CODES},
           "started_at": submitted.replace(":31.877", ":02.120"), "submitted_at": submitted,
           "duration_ms": 29757}
    if rnd.random() < 0.3:
        for field in PROFILE:
            if rnd.random() < 0.7:
                row[field.name] = rnd.choice(field.values)
    if rnd.random() < 0.1:
        row["comment"] = rnd.choice(["Pelayanan cepat", "Ruang tunggu panas", "Petugas sangat membantu 👍"])
    return row


def bulk_writer(database: str, kiosk_id: str, rnd: random.Random, stop: threading.Event, target: int,
                ids: list[str], errors: list[str]) -> None:
    """Many more responses than tablets could submit, written as the kiosk does (one transaction each)."""
    db = kstore.connect(database)
    started = time.monotonic()
    try:
        while not stop.is_set() and len(ids) < target:
            for _ in range(rnd.randint(1, 40)):
                row = bulk_row(rnd, kiosk_id)
                reason = "burst: test" if rnd.random() < 0.05 else None
                kstore.record_response(db, row, lambda _tx, _row, reason=reason: reason)
                ids.append(row["id"])
            ahead = len(ids) / BULK_RATE - (time.monotonic() - started)
            if ahead > 0:
                stop.wait(ahead)
    except Exception as exc:
        errors.append(repr(exc))
    finally:
        db.conn.close()


def killer(server: CollectorServer, proxy: FaultProxy, rnd: random.Random, stop: threading.Event,
           kills: list[float], errors: list[str]) -> None:
    """SIGKILL the collector every few seconds, preferably while it handles a batch, and bring it back after
    a short outage."""
    try:
        while not stop.wait(rnd.uniform(*KILL_EVERY)):
            if proxy.post_in_flight.wait(2):
                time.sleep(rnd.uniform(0, 0.01))
            server.kill()
            kills.append(time.monotonic())
            time.sleep(rnd.uniform(*OUTAGE))
            server.start()
    except Exception as exc:
        errors.append(repr(exc))


# -- set-up shared by the tests -----------------------------------------------------------------------------

def collector_engine(instance: Path):
    """The collector's database, SQLite in the instance folder (or PostgreSQL under SKM_TEST_BACKEND)."""
    import collector
    engine = cstore.make_engine(collector.database_url(None, str(instance)))
    migrations.upgrade(engine)
    return engine


def enrolled_kiosk(tmp_path: Path, collector_url: str, engine) -> tuple[Path, str]:
    """A kiosk instance enrolled at the collector (directly); returns its instance and database path."""
    instance = init_kiosk(tmp_path / "kiosk")
    _kiosk_id, code = cstore.add_kiosk(engine, UNIT)
    database = str(instance / "kiosk.db")
    db = kstore.connect(database)
    try:
        kstore.migrate(db)
        sync.enroll(db, collector_url, code)
    finally:
        db.conn.close()
    return instance, database


def kiosk_rows(database: str) -> dict[str, dict]:
    db = kstore.connect(database)
    try:
        cursor = db.conn.execute("SELECT * FROM responses")
        names = [c[0] for c in cursor.description]
        rows = [dict(zip(names, row)) for row in cursor]
        return {row["id"]: row for row in rows}
    finally:
        db.conn.close()


def collector_hashes(engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        r = cschema.responses  # its column types give the text back (BLOBs on SQLite: collector/columns.py)
        return [tuple(row) for row in conn.execute(select(r.c.id, r.c.content_hash))]


# -- the big run ---------------------------------------------------------------------------------------------

@pytest.mark.slow
def test_every_response_arrives_exactly_once_through_faults_and_kills(tmp_path):
    seed = int(os.environ.get("SKM_E2E_SEED") or random.SystemRandom().randrange(2 ** 32))
    print(f"\nSKM_E2E_SEED={seed}")
    rnd = random.Random(seed)
    wall = time.monotonic()

    collector_instance = seed_collector(tmp_path / "collector")
    engine = collector_engine(collector_instance)
    collector = CollectorServer(collector_instance).start()
    kiosk_instance, database = enrolled_kiosk(tmp_path, collector.url, engine)
    proxy = FaultProxy(collector.port, rnd.getrandbits(64), FAULT_RATES).start()
    db = kstore.connect(database)
    kiosk_id = kstore.get_setting(db, "kiosk_id")
    kstore.set_settings(db, collector_url=proxy.url)  # from now on, every sync goes through the faults
    db.conn.close()
    kiosk = KioskServer(kiosk_instance, {"SYNC_ENABLED": "false"}).start()  # the agent runs in this test

    errors: list[str] = []
    reports: list[sync.SyncReport] = []
    stop_agent, stop_producing, stop_kills = threading.Event(), threading.Event(), threading.Event()
    bulk_ids: list[str] = []
    confirmed: list[int] = []
    kills: list[float] = []

    def agent():
        try:
            sync.watch(lambda: kstore.connect(database), stop_agent, interval=0.1, base=0.05, cap=0.5,
                       batch_size=200, retention_days=90, timeout=5, on_report=reports.append,
                       rng=random.Random(rnd.getrandbits(64)))
        except Exception as exc:  # the agent must never die, whatever the network does
            errors.append(f"agent died: {exc!r}")

    threads = [
        threading.Thread(target=agent, name="agent"),
        threading.Thread(target=bulk_writer, name="bulk", args=(
            database, kiosk_id, random.Random(rnd.getrandbits(64)), stop_producing, MIN_RESPONSES, bulk_ids, errors)),
        threading.Thread(target=killer, name="killer", args=(
            collector, proxy, random.Random(rnd.getrandbits(64)), stop_kills, kills, errors)),
        *(threading.Thread(target=tablet, name=f"tablet-{i}", args=(
            kiosk.url, random.Random(rnd.getrandbits(64)), stop_producing, confirmed, errors)) for i in range(TABLETS)),
    ]
    try:
        for thread in threads:
            thread.start()
        # Produce until every minimum is reached, then stop the citizens and the killer.
        deadline = time.monotonic() + PRODUCE_BUDGET
        while time.monotonic() < deadline and not errors:
            if (len(bulk_ids) + len(confirmed) >= MIN_RESPONSES and sum(proxy.faults.values()) >= MIN_FAULTS
                    and len(kills) >= MIN_KILLS):
                break
            time.sleep(0.1)
        produced_at = time.monotonic()
        stop_producing.set()
        stop_kills.set()
        for thread in threads[1:]:
            thread.join(30)
        if collector.process.poll() is not None:
            collector.start()
        # Drain: the faults go on; the agent must still empty the outbox.
        deadline = time.monotonic() + DRAIN_BUDGET
        check = kstore.connect(database)
        try:
            while time.monotonic() < deadline and kstore.outbox_backlog(check) and not errors:
                time.sleep(0.1)
            backlog = kstore.outbox_backlog(check)
        finally:
            check.conn.close()
        drained_at = time.monotonic()
        stop_agent.set()
        threads[0].join(30)
        proxy.close()
    finally:
        stop_producing.set(), stop_kills.set(), stop_agent.set()
        for thread in threads:
            if thread.ident is not None:
                thread.join(30)
        proxy.closed.set()
        kiosk.stop()
        collector.stop()

    stored = kiosk_rows(database)
    http_ids = set(stored) - set(bulk_ids)
    errors_by_code = Counter(r.error.code for r in reports if r.error)
    print(f"responses {len(stored)} (bulk {len(bulk_ids)}, tablets {len(confirmed)}); collector kills "
          f"{len(kills)}; proxy requests {proxy.requests}, upstream down {proxy.upstream_down}, answers cut by a kill "
          f"{proxy.cut}")
    print(f"faults {sum(proxy.faults.values())}: " + ", ".join(f"{k} {proxy.faults[k]}" for k in FAULT_RATES)
          + "; by method: " + ", ".join(f"{k}/{m} {n}" for (k, m), n in sorted(proxy.by_method.items())))
    print(f"sync passes {len(reports)}: accepted {sum(r.accepted for r in reports)}, duplicate "
          f"{sum(r.duplicate for r in reports)}, errors {dict(errors_by_code)}")
    for detail in sorted({r.error.detail for r in reports if r.error and r.error.code == "not_an_ack"}):
        print(f"  not_an_ack: {detail}")  # a truncated answer can look like a proxy's
    print(f"set-up and producing {produced_at - wall:.1f} s, draining {drained_at - produced_at:.1f} s, "
          f"total {time.monotonic() - wall:.1f} s")

    assert not errors, errors[:5]
    assert not proxy.errors, proxy.errors[:5]
    assert len(stored) >= MIN_RESPONSES and sum(proxy.faults.values()) >= MIN_FAULTS and len(kills) >= MIN_KILLS
    assert len(http_ids) == len(confirmed) > 0  # each confirmed tablet survey is one kiosk row

    # The kiosk: nothing left to send, nothing set aside.
    assert backlog == 0
    assert Counter(r["sync_state"] for r in stored.values()) == {"synced": len(stored)}

    # The collector: every kiosk response once, with the very content the kiosk sent, and nothing else.
    hashes = collector_hashes(engine)
    ids = [i for i, _h in hashes]
    assert len(ids) == len(set(ids)) == len(stored)
    assert set(ids) == set(stored)
    expected = {i: wire.content_hash(wire.response_to_wire(row, CODES, tuple(f.name for f in PROFILE)))
                for i, row in stored.items()}
    assert dict(hashes) == expected
    assert cstore.conflict_count(engine) == 0
    with engine.connect() as conn:
        accepted = conn.exec_driver_sql("SELECT SUM(accepted), SUM(invalid) FROM batches").one()
    assert tuple(accepted) == (len(stored), 0)  # each response accepted in exactly one batch

    # The aggregates kept in each ingest transaction equal their recomputation from the raw rows.
    kept = cstore.aggregates(engine)
    everything = cstore.all_aggregates(engine)
    cstore.rebuild_aggregates(engine)
    assert cstore.all_aggregates(engine) == everything
    assert sum(a["responses"] for a in kept) == len(stored)
    assert len(kept) > 50  # days x counters x services x suspect: the sums were really exercised
    engine.dispose()

    # The faults really happened to the batches: lost acks came back as duplicates.
    assert proxy.by_method["drop_answer", "POST"] and proxy.by_method["duplicate", "POST"]
    assert sum(r.duplicate for r in reports) > 0


# -- things that answer 200 but are not the collector -------------------------------------------------------

class StubHandler(http.server.BaseHTTPRequestHandler):
    """Answers every request with ``server.body``; ``server.forward_gets`` passes GETs to the collector."""

    def log_message(self, *args):
        pass

    def answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        if length:
            self.rfile.read(length)
        self.server.seen.append(self.command)
        if self.command == "GET" and self.server.forward_gets:
            headers = {k: v for k, v in self.headers.items() if k.lower().startswith("x-skm-")}
            with urllib.request.urlopen(urllib.request.Request(self.server.forward_gets + self.path,
                                                               headers=headers), timeout=10) as upstream:
                status, body = upstream.status, upstream.read()
                passed = {k: v for k, v in upstream.headers.items() if k.lower().startswith("x-skm-")}
            content_type = "application/json"
        else:
            status, body, passed, content_type = 200, self.server.body, {}, self.server.content_type
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in passed.items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    do_GET = do_POST = do_PUT = do_HEAD = answer


PORTAL_PAGE = (b"<!doctype html><html><head><title>Wi-Fi Gratis Dumai</title></head><body>"
               b"<form method=post action=/login><input name=voucher><button>Masuk</button></form></body></html>")


class Stub:
    def __init__(self, body: bytes, content_type: str, forward_gets: str | None = None):
        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), StubHandler)
        self.server.body, self.server.content_type, self.server.forward_gets = body, content_type, forward_gets
        self.server.seen = []
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> "Stub":
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def collector_app(tmp_path):
    """The collector app served in this process (werkzeug, a thread): fast, and real HTTP."""
    from werkzeug.serving import make_server

    instance = seed_collector(tmp_path / "collector")
    app = create_collector({"TESTING": True}, instance_path=instance)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_port}", app.extensions["skm_engine"]
    server.shutdown()
    server.server_close()


@pytest.fixture
def pending_kiosk(tmp_path, collector_app):
    """An enrolled kiosk with 30 responses in its outbox."""
    url, engine = collector_app
    instance, database = enrolled_kiosk(tmp_path, url, engine)
    db = kstore.connect(database)
    rnd = random.Random(7)
    kiosk_id = kstore.get_setting(db, "kiosk_id")
    for _ in range(30):
        kstore.record_response(db, bulk_row(rnd, kiosk_id), lambda _tx, _row: None)
    yield instance, db
    db.conn.close()


def staff_page(instance: Path) -> str:
    from kiosk import create_app
    client = create_app({"TESTING": True}, instance_path=instance).test_client()
    login = client.get("/staff/login").get_data(as_text=True)
    signed_in = client.post("/staff/login", data={"csrf_token": hidden(login, "csrf_token"), "pin": "4321"})
    assert signed_in.status_code == 302
    page = client.get("/staff/")
    assert page.status_code == 200
    return page.get_data(as_text=True)


def assert_nothing_marked(db, stub: Stub, report: sync.SyncReport, pending: int = 30) -> None:
    assert report.error is not None and report.error.code == "not_an_ack", report.error
    assert report.sent == report.accepted == report.duplicate == 0
    assert report.backlog == kstore.outbox_backlog(db) == pending
    assert db.conn.execute("SELECT COUNT(*) FROM responses WHERE sync_state != 'pending'").fetchone()[0] == 0
    assert stub.server.seen, "the kiosk never asked the stub"
    assert json.loads(kstore.get_setting(db, "last_sync_error"))["code"] == "not_an_ack"


def push_directly(db) -> sync.SyncError:
    """The push step on its own (sync_once stops at the configuration pull when that fails)."""
    with pytest.raises(sync.SyncError) as caught:
        sync.push_once(db, sync.Client(sync.credentials(db), timeout=5), 500)
    return caught.value


def test_captive_portal_is_not_an_ack(pending_kiosk, collector_app):
    instance, db = pending_kiosk
    url, engine = collector_app
    with Stub(PORTAL_PAGE, "text/html; charset=utf-8") as portal:
        kstore.set_settings(db, collector_url=portal.url)
        report = sync.sync_once(db, timeout=5)
        assert_nothing_marked(db, portal, report)
        assert "POST" not in portal.server.seen  # the configuration pull failed first
        assert push_directly(db).code == "not_an_ack"
        assert "POST" in portal.server.seen
        assert_nothing_marked(db, portal, report)
    page = staff_page(instance)
    assert "bukan dari collector" in page
    assert cstore.response_count(engine) == 0

    # Back on the real network the same rows go, once.
    kstore.set_settings(db, collector_url=url)
    report = sync.sync_once(db, timeout=5)
    assert report.ok and report.accepted == 30 and report.backlog == 0
    assert cstore.response_count(engine) == 30
    assert "bukan dari collector" not in staff_page(instance)


@pytest.mark.parametrize("forward_gets", [False, True], ids=["everything", "posts-only"])
def test_unsigned_empty_json_is_not_an_ack(pending_kiosk, collector_app, forward_gets):
    """``{}`` with 200 to every request, or only to the batches (the configuration pull passes through to
    the collector, so sync_once reaches the push): nothing is marked."""
    instance, db = pending_kiosk
    url, engine = collector_app
    with Stub(b"{}", "application/json", forward_gets=url if forward_gets else None) as proxy:
        kstore.set_settings(db, collector_url=proxy.url)
        report = sync.sync_once(db, timeout=5)
        assert_nothing_marked(db, proxy, report)
        assert ("POST" in proxy.server.seen) == forward_gets
        assert push_directly(db).code == "not_an_ack"
        assert_nothing_marked(db, proxy, report)
    assert "bukan dari collector" in staff_page(instance)
    assert cstore.response_count(engine) == 0
