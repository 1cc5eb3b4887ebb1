"""One store connection per server thread, opened on the thread's first request and kept open.

Opening a connection costs the pragmas and, when the last one closes, a WAL checkpoint: about 2.4 ms of
every submit when each request opened its own. A thread's connection now lives as long as the thread
(waitress keeps a fixed pool), so a commit is one WAL append and fsync (``synchronous=FULL``: a confirmed
answer is on disk). SQLite's automatic checkpoint (every 1000 WAL pages, passive, on a commit) copies the
WAL into the database; the last connection closed at shutdown checkpoints the rest.

A connection is never used across ``fork``: a child process (a gunicorn-style pre-fork server) opens its
own on first use and leaves the inherited one alone (SQLite forbids using or closing it in the child).
"""
from __future__ import annotations

import os
import threading

import sqlite_utils
from flask import Flask, current_app

from . import officer_pins, store

# Connections inherited through fork: kept referenced so that garbage collection never closes them in a
# child process (closing would touch the parent's locks); one per thread per fork, a bounded leak.
_inherited: list[sqlite_utils.Database] = []


class Connections:
    """The app's store connections, one per thread, for the process that opened them."""

    def __init__(self, path: str):
        self.path = path
        self.local = threading.local()
        self.pid = os.getpid()
        self.lock = threading.Lock()
        self.opened: list[sqlite_utils.Database] = []

    def get(self) -> sqlite_utils.Database:
        if self.pid != os.getpid():
            self.forked()
        db = getattr(self.local, "db", None)
        if db is None:
            db = self.local.db = store.connect(self.path)
            with self.lock:
                self.opened.append(db)
        return db

    def forked(self) -> None:
        with self.lock:
            if self.pid != os.getpid():
                _inherited.extend(self.opened)
                self.opened, self.local, self.pid = [], threading.local(), os.getpid()

    def release(self) -> None:
        """End of a request: a transaction a failure left open is rolled back; the connection stays."""
        db = getattr(self.local, "db", None)
        if db is not None and self.pid == os.getpid() and db.conn.in_transaction:
            db.conn.execute("ROLLBACK")


def connections(app: Flask) -> Connections:
    return app.extensions["skm_kiosk_db"]


def get_db() -> sqlite_utils.Database:
    return connections(current_app).get()


def release_db(exc: BaseException | None = None) -> None:
    connections(current_app).release()


def init_app(app: Flask) -> None:
    """Run pending migrations (then seal PIN hashes an older kiosk kept) once at start-up; requests then
    share the thread's connection."""
    db = store.connect(app.config["KIOSK_DATABASE"])
    try:
        store.migrate(db)
        officer_pins.seal_kept_hashes(db)
    finally:
        db.conn.close()
    app.extensions["skm_kiosk_db"] = Connections(app.config["KIOSK_DATABASE"])
    app.teardown_appcontext(release_db)
