"""The central collector: ingest API, store, rollups, dashboard and reports (DESIGN.md section 2).

``create_app(config)`` builds it; nothing is created at import time.
"""
from __future__ import annotations

import os
from typing import Any, Mapping

from flask import Flask, jsonify
from flask_wtf.csrf import CSRFProtect

from skmweb import make_app

from . import settings, store

csrf = CSRFProtect()


def create_app(config: Mapping[str, Any] | None = None, instance_path: str | os.PathLike | None = None) -> Flask:
    app = make_app(__name__, "COLLECTOR", settings.SETTINGS, "collector.cfg", config, instance_path)
    app.config["COLLECTOR_DATABASE_URL"] = database_url(app.config["COLLECTOR_DATABASE_URL"], app.instance_path)
    app.config["MAX_CONTENT_LENGTH"] = app.config["COLLECTOR_MAX_BODY_BYTES"]

    engine = store.make_engine(app.config["COLLECTOR_DATABASE_URL"])
    store.migrate(engine)
    app.extensions["skm_engine"] = engine
    csrf.init_app(app)

    from . import api
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # signed with the kiosk's key, not a browser session

    @app.get("/status")
    def status():
        return jsonify(service="skm-collector", responses=store.response_count(engine))

    return app


def database_url(url: str | None, instance_path: str) -> str:
    return url or f"sqlite:///{os.path.join(instance_path, 'collector.db')}"
