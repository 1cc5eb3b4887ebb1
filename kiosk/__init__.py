"""The counter app: a citizen rates the service they just received on a tablet at the counter.

``create_app(config)`` builds it; nothing is created at import time.
"""
from __future__ import annotations

import os
import sqlite3
from typing import Any, Mapping

from flask import Flask, current_app
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

from skmweb import add_health_routes, install_template_gettext, make_app, select_locale

from . import clock, db, settings, store

csrf = CSRFProtect()
babel = Babel()


def create_app(config: Mapping[str, Any] | None = None, instance_path: str | os.PathLike | None = None) -> Flask:
    app = make_app(__name__, "KIOSK", settings.SETTINGS, "kiosk.cfg", config, instance_path)
    app.config["KIOSK_DATABASE"] = app.config["KIOSK_DATABASE"] or os.path.join(app.instance_path, "kiosk.db")
    app.config["WTF_CSRF_TIME_LIMIT"] = app.config["KIOSK_CSRF_SECONDS"]
    app.config["BABEL_DEFAULT_LOCALE"] = app.config["KIOSK_DEFAULT_LANGUAGE"]
    clock.set_shift(app.config["KIOSK_CLOCK_SHIFT_SECONDS"])

    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    install_template_gettext(app)
    db.init_app(app)

    from . import api, offline, staff, survey
    app.register_blueprint(survey.bp)
    app.register_blueprint(offline.bp)
    app.register_blueprint(staff.bp)
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # a machine client with an API key, not a browser session
    add_health_routes(app, readiness_problem)
    return app


def readiness_problem() -> str | None:
    """What keeps this kiosk from serving: its database or schema (a cheap check for /readyz). The
    connection is kept open between requests, and an open connection goes on reading a file whose disk
    was unmounted or which was moved away, so the file's presence at its path is checked too."""
    from .db import connections, get_db
    path = connections(current_app).path
    if not os.path.exists(path):
        raise sqlite3.OperationalError(f"unable to open database file: {path} is gone")
    return None if store.schema_is_current(get_db()) else "schema not at head: restart the kiosk to migrate"
