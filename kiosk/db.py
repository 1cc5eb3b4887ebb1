"""One store connection per request, opened lazily and closed on teardown (flaskr ``db.py``)."""
from __future__ import annotations

import sqlite_utils
from flask import Flask, current_app, g

from . import officer_pins, store


def get_db() -> sqlite_utils.Database:
    if "db" not in g:
        g.db = store.connect(current_app.config["KIOSK_DATABASE"])
    return g.db


def close_db(exc: BaseException | None = None) -> None:
    db = g.pop("db", None)
    if db is not None:
        db.conn.close()


def init_app(app: Flask) -> None:
    """Run pending migrations (then seal PIN hashes an older kiosk kept) once at start-up and close each
    request's connection."""
    db = store.connect(app.config["KIOSK_DATABASE"])
    try:
        store.migrate(db)
        officer_pins.seal_kept_hashes(db)
    finally:
        db.conn.close()
    app.teardown_appcontext(close_db)
