"""The sync agent never dies: real store faults (a full database, a lock held by another connection) and
an ended thread, against a real collector process. It logs each failure with its traceback, says it on
the staff page, retries, and once the fault clears sends everything exactly once."""
import logging
import threading
import time

import pytest

from collector import store as cstore
from kiosk import create_app
from kiosk import store as kstore
from kiosk.cli import start_agent
from tests.helpers import hidden
from tests.sync.test_agent import add_responses, kiosk, states  # noqa: F401 - fixtures

FAST = {"SYNC_INTERVAL_SECONDS": 0.05, "SYNC_BACKOFF_BASE_SECONDS": 0.01, "SYNC_BACKOFF_CAP_SECONDS": 0.05,
        "SYNC_WATCHDOG_SECONDS": 0.05, "SYNC_BATCH_SIZE": 50}


class Fault:
    """A real fault on the agent's own store connections while ``on`` is set."""

    def __init__(self, database: str, prepare):
        self.database, self.prepare, self.on = database, prepare, threading.Event()

    def connect(self):
        db = kstore.connect(self.database)
        if self.on.is_set():
            self.prepare(db)
        return db


def full_database(db):
    """SQLITE_FULL: the file may not grow past the pages it has now."""
    pages = db.conn.execute("PRAGMA page_count").fetchone()[0]
    db.conn.execute(f"PRAGMA max_page_count = {pages}")


def short_wait_for_locks(db):
    db.conn.execute("PRAGMA busy_timeout = 50")


def wait_for(condition, what, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.02)
    raise AssertionError(f"timed out waiting for {what}")


def signed_in_staff(app):
    """A staff browser signed in with the PIN (before any fault: signing in writes to the store)."""
    client = app.test_client()
    html = client.get("/staff/login").get_data(as_text=True)
    client.post("/staff/login", data={"csrf_token": hidden(html, "csrf_token"), "pin": "4321"})
    return client


def staff_page(client):
    return client.get("/staff/").get_data(as_text=True)


def agent_app(kiosk_db):
    return create_app({"TESTING": True, **{f"KIOSK_{k}": v for k, v in FAST.items()}}, instance_path=kiosk_db.instance)


def assert_sent_exactly_once(collector, ids):
    at_collector = cstore.response_ids(collector.engine)
    assert set(ids) <= set(at_collector) and len(at_collector) == len(set(at_collector))


@pytest.mark.parametrize("fault_name, prepare, code, plain_words", [
    ("disk full", full_database, "disk_full", "Disk komputer kios penuh"),
    ("locked", short_wait_for_locks, "database_locked", "Basis data kios sedang dikunci program lain"),
])
def test_the_agent_survives_a_store_fault_and_sends_everything_once_it_clears(
        kiosk, collector, caplog, fault_name, prepare, code, plain_words):
    caplog.set_level(logging.INFO, logger="kiosk.sync")
    ids = add_responses(kiosk, 300)
    database = str(kiosk.instance / "kiosk.db")
    app = agent_app(kiosk)
    staff = signed_in_staff(app)
    fault = Fault(database, prepare)
    fault.on.set()
    holder = None
    if fault_name == "locked":
        holder = kstore.connect(database)
        holder.conn.execute("BEGIN EXCLUSIVE")  # another program holds the write lock
    agent = start_agent(app, connect=fault.connect)
    try:
        wait_for(lambda: agent.status.error and agent.status.error["code"] == code, f"the {fault_name} error")
        wait_for(lambda: sum(r.exc_info is not None for r in caplog.records) >= 3, "several logged retries")
        assert agent.thread.is_alive() and agent.status.restarts == 0
        assert plain_words in staff_page(staff)
        logged = [r for r in caplog.records if r.exc_info]
        assert logged[0].getMessage() == "sync pass failed unexpectedly"
        assert "database or disk is full" in str(logged[0].exc_info[1]) if code == "disk_full" else \
            "database is locked" in str(logged[0].exc_info[1])

        fault.on.clear()
        if holder is not None:
            holder.conn.execute("ROLLBACK")
        wait_for(lambda: states(kiosk) == {"synced": 300}, "the outbox to empty")
        wait_for(lambda: agent.status.error is None, "the error to clear")
    finally:
        agent.join(30)
        if holder is not None:
            holder.conn.close()
    assert_sent_exactly_once(collector, ids)
    assert plain_words not in staff_page(staff)
    assert any(r.getMessage().startswith("sync done: sent=") for r in caplog.records)


@pytest.mark.filterwarnings("ignore::pytest.PytestUnhandledThreadExceptionWarning")  # the ending is the point
def test_an_ended_agent_thread_is_restarted_by_the_watchdog(kiosk, collector, caplog):
    ids = add_responses(kiosk, 5)
    calls = []

    def connect_that_ends_the_thread_once():
        calls.append(1)
        if len(calls) == 1:
            raise SystemExit("the thread ends, as an uncaught BaseException would end it")
        return kstore.connect(str(kiosk.instance / "kiosk.db"))

    app = agent_app(kiosk)
    agent = start_agent(app, connect=connect_that_ends_the_thread_once)
    try:
        wait_for(lambda: states(kiosk) == {"synced": 5}, "the outbox to empty after the restart")
    finally:
        agent.join(30)
    assert agent.status.restarts == 1
    assert "the sync agent thread ended; restarting it (restart 1)" in caplog.text
    assert_sent_exactly_once(collector, ids)
