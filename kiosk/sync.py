"""The sync agent: enrollment, pulling the office's configuration, pushing the outbox in ``seq`` order,
and the offline bundle. Rows are marked synced only on a genuine ack: a JSON body signed with this
kiosk's secret that names the batch sent and every response in it. A captive portal or a proxy that
answers 200 is not an ack.

The agent opens its own store connection; it is not a request.
"""
from __future__ import annotations

import hashlib
import io
import json
import logging
import random
import socket
import sqlite3
import threading
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from http.client import HTTPException
from pathlib import Path
from typing import Any, BinaryIO, Callable

import sqlite_utils

from skm import CODES, PROFILE, wire

from . import clock, officer_pins, store

log = logging.getLogger(__name__)

USER_AGENT = "skm-kiosk-sync/1"
PROFILE_FIELDS = tuple(f.name for f in PROFILE)


class SyncError(Exception):
    """A sync step failed; ``code`` names why in a word the staff page explains."""

    def __init__(self, code: str, detail: str = "", server_time: str | None = None):
        self.code, self.detail, self.server_time = code, detail, server_time
        super().__init__(f"{code}: {detail}" if detail else code)


@dataclass
class SyncReport:
    sent: int = 0
    accepted: int = 0
    duplicate: int = 0
    conflict: int = 0
    invalid: int = 0
    batches: int = 0
    pruned: int = 0
    backlog: int = 0
    error: SyncError | None = None
    problems: list[tuple[str, str, str]] = field(default_factory=list)  # (id, status, reason)

    @property
    def ok(self) -> bool:
        return self.error is None

    def summary(self) -> dict[str, Any]:
        return {"sent": self.sent, "accepted": self.accepted, "duplicate": self.duplicate,
                "conflict": self.conflict, "invalid": self.invalid, "batches": self.batches, "backlog": self.backlog}


@dataclass(frozen=True)
class Credentials:
    url: str
    kiosk_id: str
    secret: str


def credentials(db: sqlite_utils.Database) -> Credentials | None:
    url, kiosk_id, secret = (store.get_setting(db, k) for k in ("collector_url", "kiosk_id", "kiosk_secret"))
    return Credentials(url, kiosk_id, secret) if url and kiosk_id and secret else None


# -- HTTP ------------------------------------------------------------------------------------------------

class Client:
    """Signed requests to the collector, correcting for this kiosk's clock with the server's time.

    Each request says both times, signed: ``X-SKM-Timestamp`` is the corrected one (the collector refuses
    a stale one), ``X-SKM-Kiosk-Clock`` this PC's own reading, from which the collector measures the skew
    it corrects the responses' times by; ``X-SKM-Install`` names this copy of the kiosk."""

    def __init__(self, creds: Credentials, clock_offset: timedelta = timedelta(0), timeout: float = 30,
                 install: str = ""):
        self.creds, self.clock_offset, self.timeout, self.install = creds, clock_offset, timeout, install

    def now(self) -> str:
        return (clock.now(timezone.utc) + self.clock_offset).isoformat(timespec="milliseconds")

    def request(self, method: str, path: str, body: bytes = b"") -> dict:
        """Send a signed request; return the verified JSON ack, or raise ``SyncError``."""
        own = clock.now(timezone.utc)
        timestamp = (own + self.clock_offset).isoformat(timespec="milliseconds")
        kiosk_clock = own.isoformat(timespec="milliseconds")
        signed = wire.signed_time(timestamp, kiosk_clock, self.install)
        headers = {"Content-Type": "application/json", "User-Agent": USER_AGENT, "X-SKM-Kiosk": self.creds.kiosk_id,
                   "X-SKM-Timestamp": timestamp, "X-SKM-Kiosk-Clock": kiosk_clock, "X-SKM-Install": self.install,
                   "X-SKM-Signature": wire.sign(self.creds.secret, "request", self.creds.kiosk_id, signed, body)}
        status, response_headers, content = http(method, self.creds.url + path, body if method == "POST" else None,
                                                 headers, self.timeout)
        data = parse_json(content)
        if status != 200:
            raise refusal(status, data)
        if data is None:
            raise SyncError("not_an_ack", f"HTTP 200 without a JSON body from {self.creds.url} (a captive portal "
                                          f"or proxy?)")
        server_time = response_headers.get("X-SKM-Server-Time", "")
        signature = response_headers.get("X-SKM-Signature", "")
        if not wire.verify(self.creds.secret, "ack", self.creds.kiosk_id, server_time, content, signature):
            raise SyncError("not_an_ack", "the answer is not signed by the collector")
        self.adjust_clock(server_time)
        return data

    def adjust_clock(self, server_time: str | None) -> None:
        offset = offset_to(server_time)
        if offset is not None:
            self.clock_offset = offset


def offset_to(server_time: str | None) -> timedelta | None:
    """The collector's clock minus this PC's, from a ``server_time`` just received; None if unreadable."""
    try:
        server = datetime.fromisoformat(server_time or "")
    except ValueError:
        return None
    return server - clock.now(timezone.utc) if server.tzinfo else None


def http(method: str, url: str, body: bytes | None, headers: dict[str, str],
         timeout: float) -> tuple[int, Any, bytes]:
    request = urllib.request.Request(url, data=body, headers=headers, method=method)
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read()
    except (urllib.error.URLError, OSError, HTTPException, ValueError) as exc:
        raise SyncError("network", f"{type(exc).__name__}: {exc}") from exc


def parse_json(content: bytes) -> dict | None:
    try:
        data = json.loads(content)
    except (UnicodeDecodeError, json.JSONDecodeError):
        return None
    return data if isinstance(data, dict) else None


def refusal(status: int, data: dict | None) -> SyncError:
    if data and isinstance(data.get("error"), str):
        return SyncError(data["error"], str(data.get("message", "")), data.get("server_time"))
    if status >= 500:
        return SyncError("server_error", f"HTTP {status}")
    return SyncError("not_an_ack", f"HTTP {status} without a collector's answer")


# -- enrollment and configuration ---------------------------------------------------------------------------

def enroll(db: sqlite_utils.Database, url: str, code: str, timeout: float = 30) -> dict:
    """Exchange a one-time code for this kiosk's id and secret, then pull the office's configuration.

    The exchange is not signed, so this PC's clock plays no part in it; the offset to the collector's
    clock is taken from its answer and kept with the credentials, so the first signed call is on time.
    Once the collector has answered, the code is spent and the kiosk is enrolled: a failure to pull the
    configuration then does not undo it (``configuration_error`` says why; the next sync pulls it)."""
    url = url.rstrip("/")
    body = json.dumps({"code": code}).encode()
    status, headers, content = http("POST", url + "/api/v1/enroll", body,
                                    {"Content-Type": "application/json", "User-Agent": USER_AGENT}, timeout)
    data = parse_json(content)
    if status != 200 or not data or "secret" not in data:
        raise refusal(status, data) if status != 200 else SyncError("not_an_ack", "no enrollment in the answer")
    offset = offset_to(data.get("server_time") or headers.get("X-SKM-Server-Time")) or timedelta(0)
    store.set_settings(db, collector_url=url, kiosk_id=data["kiosk_id"], kiosk_secret=data["secret"],
                       clock_offset_ms=str(milliseconds(offset)))
    store.claim_pending_for(db, data["unit"], data["kiosk_id"])
    enrolled = credentials(db)
    assert enrolled is not None  # stored just above
    try:
        pull_configuration(db, Client(enrolled, offset, timeout, install_id(db)))
    except SyncError as exc:
        log.warning("enrolled, but the configuration was not pulled: %s", exc)
        return {**data, "configuration_error": str(exc)}
    return data


def milliseconds(offset: timedelta) -> int:
    return int(offset.total_seconds() * 1000)


def pull_configuration(db: sqlite_utils.Database, client: Client) -> None:
    data = client.request("GET", "/api/v1/config")
    counters = [store.Counter(c["code"], c["name"], tuple(store.Service(s["code"], s["name"]) for s in c["services"]))
                for c in data.get("counters", [])]
    if counters:  # a unit without counters at the collector keeps the local ones
        store.save_configuration(db, data["unit"], counters)
    if isinstance(data.get("officers"), list):
        store.save_officers(db, officer_pins.sealed_officers(data["officers"], officer_pins.key_for(db)))


# -- pushing ------------------------------------------------------------------------------------------------------

def pending_batch(db: sqlite_utils.Database, limit: int) -> list[dict]:
    return [wire.response_to_wire(row, CODES, PROFILE_FIELDS) for row in store.pending_responses(db, limit)]


def push_once(db: sqlite_utils.Database, client: Client, batch_size: int) -> dict[str, int] | None:
    """Send the oldest unsynced responses as one batch; mark them by the ack. None when nothing is waiting."""
    responses = pending_batch(db, batch_size)
    if not responses:
        return None
    batch_id = str(uuid.uuid4())
    body = wire.canonical({"protocol": wire.PROTOCOL, "batch_id": batch_id, "responses": responses})
    ack = client.request("POST", "/api/v1/batches", body)
    results = ack.get("results")
    sent = {r["id"] for r in responses}
    if ack.get("batch_id") != batch_id or not isinstance(results, list) or {r.get("id") for r in results} != sent:
        raise SyncError("not_an_ack", "the ack does not name this batch and each of its responses")
    counts = {"accepted": 0, "duplicate": 0, "conflict": 0, "invalid": 0}
    marks = []
    for r in results:
        status = r.get("status")
        if status not in counts:
            raise SyncError("not_an_ack", f"unknown status {status!r}")
        counts[status] += 1
        marks.append((r["id"], "synced" if status in ("accepted", "duplicate") else status, r.get("reason")))
    store.mark_sent(db, marks)
    return counts


def push_receipts(db: sqlite_utils.Database, client: Client, batch_size: int) -> int:
    """Report issued receipt tokens to the collector; marked only on its signed answer naming them."""
    sent = 0
    while True:
        receipts = store.pending_receipts(db, batch_size)
        if not receipts:
            return sent
        ack = client.request("POST", "/api/v1/receipts-issued", wire.canonical({"receipts": receipts}))
        nonces = [r["nonce"] for r in receipts]
        if ack.get("nonces") != nonces:
            raise SyncError("not_an_ack", "the answer does not name the receipts sent")
        for refused in ack.get("refused") or []:
            log.warning("receipt %s refused by the collector: %s", refused.get("nonce"), refused.get("reason"))
        store.mark_receipts_synced(db, nonces)  # a refused one is never accepted later: not sent again
        sent += len(nonces)


def prune(db: sqlite_utils.Database, retention_days: int) -> int:
    """Delete synced rows older than the retention; unsynced, conflict and invalid rows are never pruned."""
    # synced_at is written by store.now_iso() in this machine's offset; compare in the same offset.
    cutoff = (clock.now() - timedelta(days=retention_days)).isoformat(timespec="milliseconds")
    return store.delete_synced_before(db, cutoff)


def sync_once(db: sqlite_utils.Database, batch_size: int = 500, retention_days: int = 90,
              timeout: float = 30, max_batches: int | None = None) -> SyncReport:
    """One pass: pull the configuration, push every waiting batch, prune. Records the outcome for the staff page."""
    report = SyncReport()
    creds = credentials(db)
    started = store.now_iso()
    try:
        if creds is None:
            raise SyncError("not_enrolled", "run: skm kiosk enroll COLLECTOR_URL CODE")
        client = Client(creds, clock_offset(db), timeout, install_id(db))
        try:
            pull_configuration(db, client)
        except SyncError as exc:
            if exc.code != "stale_timestamp":
                raise
            client.adjust_clock(exc.server_time)  # a wrong clock is corrected, not locked out
            pull_configuration(db, client)
        store.set_settings(db, clock_offset_ms=str(milliseconds(client.clock_offset)))
        while max_batches is None or report.batches < max_batches:
            counts = push_once(db, client, batch_size)
            if counts is None:
                break
            report.batches += 1
            report.sent += sum(counts.values())
            for status, n in counts.items():
                setattr(report, status, getattr(report, status) + n)
        push_receipts(db, client, batch_size)
        report.pruned = prune(db, retention_days)
    except SyncError as exc:
        report.error = exc
    report.backlog = store.outbox_backlog(db)
    record(db, started, report)
    log_report(report)
    return report


def log_report(report: SyncReport) -> None:
    counts = " ".join(f"{name}={value}" for name, value in report.summary().items())
    if report.ok:
        log.info("sync done: %s pruned=%d", counts, report.pruned)
    else:
        assert report.error is not None  # not ok means an error
        log.warning("sync failed: %s (%s); %s", report.error.code, report.error.detail, counts)


def clock_offset(db: sqlite_utils.Database) -> timedelta:
    """The collector's clock minus this PC's, as last measured (0 before the first answer)."""
    return timedelta(milliseconds=int(store.get_setting(db, "clock_offset_ms") or 0))


def corrected_now(db: sqlite_utils.Database) -> datetime:
    """The collector's time now, by this PC's clock and the last measured offset: what receipts are signed with."""
    return clock.now() + clock_offset(db)


def machine_id() -> str:
    for path in ("/etc/machine-id", "/var/lib/dbus/machine-id"):
        try:
            return Path(path).read_text().strip()
        except OSError:
            continue
    return socket.gethostname()


def install_id(db: sqlite_utils.Database) -> str:
    """This copy of the kiosk: an id kept with the path of its database, so a copy of the instance folder
    (another PC, another folder) mints its own the first time it syncs."""
    database = Path(db.conn.execute("PRAGMA database_list").fetchone()[2]).resolve()
    place = f"{machine_id()}:{database}"
    install = store.get_setting(db, "install_id")
    if store.get_setting(db, "install_place") != place or not install:
        install = str(uuid.uuid4())
        store.set_settings(db, install_id=install, install_place=place)
    return install


def record(db: sqlite_utils.Database, started: str, report: SyncReport) -> None:
    values = {"last_sync_attempt": started, "last_sync": json.dumps({**report.summary(), "at": started})}
    if report.ok:
        values["last_sync_success"] = store.now_iso()
        values["last_sync_error"] = ""
    else:
        assert report.error is not None  # not ok means an error
        values["last_sync_error"] = json.dumps({"code": report.error.code, "detail": report.error.detail,
                                                "at": started})
    store.set_settings(db, **values)


def retry_invalid(db: sqlite_utils.Database) -> int:
    """Put rows the collector called invalid back in the outbox (after its tree was fixed)."""
    return store.requeue_invalid(db)


# -- the loop ---------------------------------------------------------------------------------------------------

def backoff_delay(failures: int, base: float, cap: float, rng: random.Random) -> float:
    """Exponential backoff with full jitter: uniform in [0, min(cap, base * 2**failures)]."""
    return rng.uniform(0, min(cap, base * 2 ** failures))


def watch(connect: Callable[[], sqlite_utils.Database], stop: threading.Event, *, interval: float, base: float,
          cap: float, batch_size: int, retention_days: int, timeout: float,
          on_report: Callable[[SyncReport], None] | None = None, rng: random.Random | None = None,
          status: "AgentStatus | None" = None) -> None:
    """Sync until ``stop`` is set: right away while a backlog remains, every ``interval`` when idle, with
    backoff after failures. No exception ends it: each is logged, reported and retried."""
    rng = rng or random.Random()
    failures = 0
    while not stop.is_set():
        report = guarded_pass(connect, batch_size, retention_days, timeout)
        if status is not None:
            status.update(report)
        if on_report:
            on_report(report)
        if report.ok:
            failures = 0
            delay = 0 if report.backlog else interval
        else:
            delay = backoff_delay(failures, base, cap, rng)
            failures += 1
        stop.wait(delay)


def guarded_pass(connect: Callable[[], sqlite_utils.Database], batch_size: int, retention_days: int,
                 timeout: float) -> SyncReport:
    """One ``sync_once`` that never raises: an unexpected error (a full disk, a locked database, a bug)
    is logged with its traceback and becomes the report's error, recorded for the staff page if it can be."""
    started = store.now_iso()
    db = None
    try:
        db = connect()
        return sync_once(db, batch_size, retention_days, timeout)
    except Exception as exc:  # noqa: BLE001 - the agent must outlive every failure; it is logged, not hidden
        log.exception("sync pass failed unexpectedly")
        report = SyncReport(error=SyncError(failure_code(exc), f"{type(exc).__name__}: {exc}"))
        if db is not None:
            try:
                record(db, started, report)
            except Exception:  # noqa: BLE001 - the same fault may refuse this write too
                log.warning("could not record the sync failure in the store", exc_info=True)
        return report
    finally:
        if db is not None:
            db.conn.close()


def failure_code(exc: Exception) -> str:
    """A word for an unexpected failure, explained on the staff page like the collector's refusals."""
    if isinstance(exc, sqlite3.OperationalError):
        text = str(exc).lower()
        if "full" in text:
            return "disk_full"
        if "locked" in text or "busy" in text:
            return "database_locked"
    return "internal"


@dataclass
class AgentStatus:
    """What the running agent last met, shared with the staff page (it may be unable to write the store)."""
    error: dict | None = None
    restarts: int = 0

    def update(self, report: SyncReport) -> None:
        self.error = None if report.error is None else {"code": report.error.code, "detail": report.error.detail,
                                             "at": store.now_iso()}


class Agent:
    """The sync agent thread of `skm kiosk run` and a watchdog that restarts it whenever it has ended."""

    def __init__(self, connect: Callable[[], sqlite_utils.Database], options: dict[str, Any],
                 watchdog_seconds: float):
        self.connect, self.options, self.watchdog_seconds = connect, options, watchdog_seconds
        self.status, self.stop = AgentStatus(), threading.Event()
        self.thread: threading.Thread | None = None

    def start(self) -> "Agent":
        self.thread = self.spawn()
        threading.Thread(target=self.supervise, name="skm-sync-watchdog", daemon=True).start()
        return self

    def spawn(self) -> threading.Thread:
        thread = threading.Thread(target=watch, name="skm-sync", daemon=True, args=(self.connect, self.stop),
                                  kwargs={**self.options, "status": self.status})
        thread.start()
        return thread

    def supervise(self) -> None:
        while not self.stop.wait(self.watchdog_seconds):
            self.restart_if_ended()

    def restart_if_ended(self) -> bool:
        assert self.thread is not None, "start() spawns the thread before the watchdog runs"
        if self.stop.is_set() or self.thread.is_alive():
            return False
        self.status.restarts += 1
        log.error("the sync agent thread ended; restarting it (restart %d)", self.status.restarts)
        self.thread = self.spawn()
        return True

    def join(self, timeout: float) -> None:
        """Stop the agent and wait for its thread (tests; `skm kiosk run` just exits)."""
        self.stop.set()
        if self.thread:
            self.thread.join(timeout)


# -- the offline bundle -----------------------------------------------------------------------------------------

def export_bundle(db: sqlite_utils.Database) -> tuple[bytes, int]:
    """Every unsynced response in one signed bundle, in memory (tests; the CLI streams to a file)."""
    out = io.BytesIO()
    count = write_bundle(db, out)
    return out.getvalue(), count


def write_bundle(db: sqlite_utils.Database, out: BinaryIO, chunk: int = 1000) -> int:
    """Stream every unsynced response into ``out`` as one signed bundle for `skm collector import`; returns
    how many. Marks nothing: the rows stay in the outbox and become "duplicate" (synced) when the network
    returns.

    Memory stays flat whatever the backlog: rows are read ``chunk`` at a time inside one read transaction
    (one consistent snapshot), each written as its canonical JSON and fed to a running SHA-256 of the
    batch's canonical bytes, which is what the signature covers (``wire.sign_digest``). The signature is
    therefore written last: a bundle is a JSON object, its keys in any order (docs/sync-protocol.md)."""
    creds = credentials(db)
    if creds is None:
        raise SyncError("not_enrolled", "a bundle is signed with the kiosk's key: enroll first")
    signed_at = store.now_iso()
    batch_id = str(uuid.uuid4())
    digest = hashlib.sha256()
    # canonical(batch): keys sorted (batch_id, protocol, responses), no spaces; the file adds only newlines.
    head = (b'{"batch_id":' + wire.canonical(batch_id) + b',"protocol":' + wire.canonical(wire.PROTOCOL)
            + b',"responses":[')
    digest.update(head)
    out.write(b'{"format":' + wire.canonical(wire.BUNDLE_FORMAT) + b',"kiosk_id":' + wire.canonical(creds.kiosk_id)
              + b',"signed_at":' + wire.canonical(signed_at) + b',\n"batch":' + head + b"\n")
    count = 0
    for rows in store.pending_response_chunks(db, chunk):
        for row in rows:
            body = wire.canonical(wire.response_to_wire(row, CODES, PROFILE_FIELDS))
            if count:
                digest.update(b",")
                out.write(b",\n")
            digest.update(body)
            out.write(body)
            count += 1
    digest.update(b"]}")
    signature = wire.sign_digest(creds.secret, "bundle", creds.kiosk_id, signed_at, digest.hexdigest())
    out.write(b"\n]},\n" + b'"signature":' + wire.canonical(signature) + b"}\n")
    return count
