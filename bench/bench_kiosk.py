"""The kiosk as a citizen meets it: how long a rating takes to be saved, and how heavy each screen is.

Submit latency: 2000 surveys posted one after another to a real ``skm kiosk run`` process (waitress, a
configured instance in a temp folder), each a browser-like form post (urlencoded, the session cookie, the
CSRF token and ticket from the survey page, Origin and Referer) timed from sending the POST to receiving
the 303 to the thank-you screen, which the server sends only after the commit (WAL, synchronous=FULL).
The survey page that hands out each ticket is fetched outside the timing. Baseline, measured in the same
run on the same file system: as many bare sqlite3 inserts of an equivalent row into the same schema with
the same pragmas, each timed over its own BEGIN IMMEDIATE ... COMMIT on one kept-open connection. The
ratio is what the web stack (HTTP, Flask, CSRF, validation, the idempotency and misuse checks) costs on top
of the durable write.

Server CPU per submit: the kiosk process's CPU time (user + system, all threads, from /proc) over the timed
submissions, less that of as many survey pages fetched alone (the pages are part of the timed loop but not of
the submit), per submit. It does not move with the disk the way the latency does (an fsync waits, it does not
compute), so it shows what the web stack costs even when other jobs keep the disk busy. Baseline: the CPU
time per bare insert+commit above.

Six counters at once: six clients (threads, one keep-alive connection and session each, as six tablets),
300 rounds: each tablet loads its counter's survey page, then all six post at the same moment (a
barrier); p99 over all 1800 posts. The server runs with ``skm kiosk run``'s default of 8 threads, as a
kiosk is deployed (the tests' servers run 4, which made two of six simultaneous posts wait for a thread).
Baseline: six threads each doing 300 bare insert+commits into one file at the same time (same pragmas), p99.

Screen weight: the bytes of each screen's HTML plus every same-origin asset the page references
(stylesheet, script, the SVG sprite of ``<use href>``), each asset counted once per screen, bodies only
(no HTTP headers; the kiosk serves them uncompressed). Baseline: the 100 KB budget of one screen.
"""
from __future__ import annotations

import http.client
import os
import re
import sqlite3
import statistics
import tempfile
import threading
import time
import urllib.parse
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from html.parser import HTMLParser
from pathlib import Path

from skm import CODES, QUESTIONNAIRE_VERSION
from tests.helpers import KioskServer, full_answers, hidden, init_kiosk

SUBMISSIONS = 2000
COUNTERS = 6
PER_COUNTER = 300
CPU_SUBMISSIONS = 1000  # submits (and as many pages alone) for the server's CPU per submit
WARMUP = 20  # not counted: first requests pay for imports, template compilation, the page cache
BUDGET_BYTES = 100 * 1024
CONCURRENT_BUDGET_MS = 50  # the bound for p99 with six counters at once
LOADED_LINKS = {"stylesheet", "icon", "preload", "modulepreload", "manifest"}
SERVER_THREADS = 8  # `skm kiosk run`'s default, as deployed: six tablets posting at once each get a thread
SCREENS = {"welcome": "/k/1", "survey": "/k/1/survey", "thanks": "/k/1/thanks"}


def counter_services(path: Path) -> dict[str, str]:
    """Each counter's code and a service to post (empty for a counter with one service, as the form)."""
    conn = sqlite3.connect(path)
    try:
        rows = conn.execute("SELECT counter, COUNT(*), MIN(service) FROM counter_services GROUP BY counter").fetchall()
    finally:
        conn.close()
    return {code: "" if n == 1 else service for code, n, service in rows}


def percentile(samples: list[float], p: int) -> float:
    return statistics.quantiles(samples, n=100, method="inclusive")[p - 1]


class Client:
    """One keep-alive connection that carries the session cookie, as a tablet's browser does."""

    def __init__(self, url: str):
        parts = urllib.parse.urlsplit(url)
        self.conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=30)
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, body: bytes | None = None,
                headers: dict[str, str] | None = None) -> tuple[int, http.client.HTTPMessage, bytes]:
        headers = dict(headers or {})
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        self.conn.request(method, path, body, headers)
        response = self.conn.getresponse()
        data = response.read()
        for cookie in response.headers.get_all("Set-Cookie") or []:
            name, _, value = cookie.split(";", 1)[0].partition("=")
            self.cookies[name.strip()] = value.strip()
        return response.status, response.headers, data

    def close(self) -> None:
        self.conn.close()


def survey_form(client: Client, counter: str, service: str) -> bytes:
    """The survey page as a tablet loads it, and the form it posts: CSRF token, ticket, every answer."""
    status, _h, page = client.request("GET", f"/k/{counter}/survey")
    assert status == 200, status
    html = page.decode()
    fields = {"csrf_token": hidden(html, "csrf_token"), "ticket": hidden(html, "ticket"), **full_answers(3)}
    if service:
        fields["service"] = service
    return urllib.parse.urlencode(fields).encode()


def timed_post(client: Client, counter: str, body: bytes) -> float:
    """Seconds from sending a browser-like form post to receiving its 303 to the thank-you screen."""
    origin = f"http://{client.conn.host}:{client.conn.port}"
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Origin": origin,
               "Referer": f"{origin}/k/{counter}/survey", "Accept": "text/html,application/xhtml+xml"}
    start = time.perf_counter()
    status, response_headers, _body = client.request("POST", f"/k/{counter}/survey", body, headers)
    elapsed = time.perf_counter() - start
    location = response_headers["Location"] or ""
    assert status == 303 and location.endswith(f"/k/{counter}/thanks"), (status, location)
    return elapsed


def timed_submissions(client: Client, count: int, counter: str = "1", service: str = "") -> list[float]:
    """Seconds from sending each POST to receiving its confirmation (the page fetched outside the timing)."""
    return [timed_post(client, counter, survey_form(client, counter, service)) for _ in range(count)]


def concurrent_submissions(url: str, counters: dict[str, str], rounds: int) -> list[float]:
    """Every counter's tablet loads its survey page, then all of them post at the same moment, ``rounds``
    times; the latencies of all the posts."""
    barrier = threading.Barrier(len(counters))

    def tablet(code: str) -> list[float]:
        client = Client(url)
        try:
            timed_submissions(client, 2, code, counters[code])  # its session and connection
            times = []
            for _ in range(rounds):
                body = survey_form(client, code, counters[code])
                barrier.wait()
                times.append(timed_post(client, code, body))
            return times
        finally:
            client.close()

    with ThreadPoolExecutor(len(counters)) as pool:
        return [t for times in pool.map(tablet, counters) for t in times]


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process so far (all its threads), from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def server_cpu_per_submit(client: Client, pid: int, count: int) -> tuple[float, float]:
    """CPU seconds of the kiosk process per submit, and per survey page, over ``count`` of each."""
    start = cpu_seconds(pid)
    for _ in range(count):
        survey_form(client, "1", "")
    pages = cpu_seconds(pid)
    timed_submissions(client, count)
    both = cpu_seconds(pid)
    page = (pages - start) / count
    return (both - pages) / count - page, page


def bare_inserts(path: Path, count: int, first_seq: int = 1) -> list[float]:
    """Seconds per INSERT + COMMIT of a kiosk-shaped row, plain sqlite3, same schema and pragmas."""
    from kiosk import store

    db = store.connect(str(path))  # WAL, synchronous=FULL, foreign keys, busy timeout
    store.migrate(db)  # the very table and indexes the kiosk writes to
    conn = db.conn
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert conn.execute("PRAGMA synchronous").fetchone()[0] == 2  # FULL
    columns = ["id", "seq", "kiosk_id", "unit", "service", "counter", "officer", "channel",
               "questionnaire_version", *CODES, "comment", "started_at", "submitted_at", "duration_ms",
               "suspect", "suspect_reason", "sync_state"]
    sql = f"INSERT INTO responses ({', '.join(columns)}) VALUES ({', '.join('?' * len(columns))})"
    kiosk_id = str(uuid.uuid4())
    times = []
    try:
        for seq in range(first_seq, first_seq + count):
            now = datetime.now().astimezone().isoformat(timespec="milliseconds")
            row = [str(uuid.uuid4()), seq, kiosk_id, "dumai-disdukcapil", "ktp-el", "1", None, "kiosk",
                   QUESTIONNAIRE_VERSION, *[3] * len(CODES), None, now, now, 15000, 0, None, "pending"]
            start = time.perf_counter()
            conn.execute("BEGIN IMMEDIATE")
            conn.execute(sql, row)
            conn.execute("COMMIT")
            times.append(time.perf_counter() - start)
    finally:
        conn.close()
    return times


def concurrent_bare_inserts(path: Path, threads: int, count: int) -> list[float]:
    """``threads`` writers doing ``count`` bare insert+commits each into one file at the same time."""
    from kiosk import store

    db = store.connect(str(path))
    store.migrate(db)
    db.conn.close()
    with ThreadPoolExecutor(threads) as pool:
        parts = pool.map(lambda i: bare_inserts(path, count, 1 + i * count), range(threads))
        return [t for times in parts for t in times]


class AssetRefs(HTMLParser):
    """Same-origin assets a page makes the browser load: stylesheets, scripts, images, SVG sprites."""

    def __init__(self):
        super().__init__()
        self.refs: list[str] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "link" and set((attrs.get("rel") or "").lower().split()) & LOADED_LINKS:
            self.refs.append(attrs.get("href"))
        elif tag in ("script", "img", "source") and attrs.get("src"):
            self.refs.append(attrs["src"])
        elif tag == "use":
            self.refs.append(attrs.get("href") or attrs.get("xlink:href"))

    handle_startendtag = handle_starttag


def screen_weight(client: Client, base_url: str, path: str) -> tuple[int, dict[str, int]]:
    status, _h, html = client.request("GET", path)
    assert status == 200, (path, status)
    parser = AssetRefs()
    parser.feed(html.decode())
    origin = urllib.parse.urlsplit(base_url)
    sizes = {path: len(html)}
    for ref in parser.refs:
        if not ref:
            continue
        target = urllib.parse.urlsplit(urllib.parse.urljoin(base_url + path, ref))
        if (target.scheme, target.netloc) != (origin.scheme, origin.netloc):
            continue  # another origin: not served by the kiosk (there should be none)
        asset = target.path + (f"?{target.query}" if target.query else "")
        if asset in sizes:
            continue  # a sprite used many times is loaded once
        status, _h, body = client.request("GET", asset)
        assert status == 200, (asset, status)
        sizes[asset] = len(body)
    return sum(sizes.values()), sizes


def run():
    with tempfile.TemporaryDirectory(prefix="skm-bench-kiosk-") as tmp:
        tmp = Path(tmp)
        instance = init_kiosk(tmp / "instance")
        server = KioskServer(instance, {"MIN_SURVEY_SECONDS": 0}, threads=SERVER_THREADS).start()
        try:
            client = Client(server.url)
            try:
                timed_submissions(client, WARMUP)
                web = timed_submissions(client, SUBMISSIONS)
                submit_cpu, page_cpu = server_cpu_per_submit(client, server.process.pid, CPU_SUBMISSIONS)
                weights = {name: screen_weight(client, server.url, path) for name, path in SCREENS.items()}
            finally:
                client.close()
            services = counter_services(instance / "kiosk.db")
            assert len(services) == COUNTERS, services
            concurrent = concurrent_submissions(server.url, services, PER_COUNTER)
        finally:
            server.stop()
        conn = sqlite3.connect(instance / "kiosk.db")
        try:
            stored = conn.execute("SELECT COUNT(*) FROM responses").fetchone()[0]
        finally:
            conn.close()
        assert stored == WARMUP + SUBMISSIONS + CPU_SUBMISSIONS + COUNTERS * (2 + PER_COUNTER), stored
        bare_cpu = time.process_time()
        bare = bare_inserts(tmp / "bare.db", SUBMISSIONS)
        bare_cpu = (time.process_time() - bare_cpu) / SUBMISSIONS
        bare_concurrent = concurrent_bare_inserts(tmp / "bare-concurrent.db", COUNTERS, PER_COUNTER)

    results = {}
    for p in (50, 99):
        value, baseline = percentile(web, p) * 1e3, percentile(bare, p) * 1e3
        results[f"kiosk_submit_p{p}_ms"] = {"value": value, "unit": "ms", "baseline": baseline,
                                            "ratio": value / baseline}
    results["kiosk_submit_server_cpu_us"] = {"value": submit_cpu * 1e6, "unit": "us", "baseline": bare_cpu * 1e6,
                                             "ratio": submit_cpu / bare_cpu}
    print(f"   server CPU: {submit_cpu * 1e6:.0f} us per submit, {page_cpu * 1e6:.0f} us per survey page; "
          f"bare insert+commit {bare_cpu * 1e6:.0f} us")
    value, baseline = percentile(concurrent, 99) * 1e3, percentile(bare_concurrent, 99) * 1e3
    results["kiosk_submit_6_counters_p99_ms"] = {"value": value, "unit": "ms", "baseline": baseline,
                                                 "ratio": value / baseline}
    print(f"   6 counters at once: p50 {percentile(concurrent, 50) * 1e3:.2f} ms, p99 {value:.2f} ms "
          f"(budget {CONCURRENT_BUDGET_MS} ms); bare 6 writers p99 {baseline:.2f} ms")
    for name, (total, sizes) in weights.items():
        print(f"   {name}: " + ", ".join(f"{re.sub(r'^/static/', '', k)} {v}" for k, v in sizes.items()))
        results[f"kiosk_screen_{name}_bytes"] = {"value": total, "unit": "bytes", "baseline": BUDGET_BYTES,
                                                 "ratio": total / BUDGET_BYTES}
    return results
