"""The central collector: ingest API, store, rollups, dashboard and reports (DESIGN.md section 2).

``create_app(config)`` builds it; nothing is created at import time.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Mapping

from flask import Flask, jsonify
from flask_wtf.csrf import CSRFProtect

from . import settings, store

ROOT = Path(__file__).resolve().parent.parent
csrf = CSRFProtect()


def create_app(config: Mapping[str, Any] | None = None, instance_path: str | os.PathLike | None = None) -> Flask:
    instance_path = instance_path or os.environ.get("SKM_COLLECTOR_INSTANCE")
    app = Flask(__name__, instance_path=str(Path(instance_path).resolve()) if instance_path else None,
                instance_relative_config=True, template_folder=str(ROOT / "templates"),
                static_folder=str(ROOT / "static"))
    app.config.update(settings.DEFAULTS)
    app.config.from_pyfile("collector.cfg", silent=True)
    app.config.from_prefixed_env("SKM")  # SKM_COLLECTOR_BATCH_MAX=200 sets COLLECTOR_BATCH_MAX
    if config:
        app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config["COLLECTOR_DATABASE_URL"] = database_url(app.config["COLLECTOR_DATABASE_URL"], app.instance_path)
    app.config["SECRET_KEY"] = app.config.get("SECRET_KEY") or instance_secret(app.instance_path)
    app.config["MAX_CONTENT_LENGTH"] = app.config["COLLECTOR_MAX_BODY_BYTES"]

    engine = store.make_engine(app.config["COLLECTOR_DATABASE_URL"])
    store.migrate(engine)
    app.extensions["skm_engine"] = engine
    csrf.init_app(app)

    from . import api
    app.register_blueprint(api.bp)
    csrf.exempt(api.bp)  # signed with the kiosk's key, not a browser session

    @app.get("/")
    def status():
        return jsonify(service="skm-collector", responses=store.response_count(engine))

    return app


def database_url(url: str | None, instance_path: str) -> str:
    return url or f"sqlite:///{os.path.join(instance_path, 'collector.db')}"


def instance_secret(instance_path: str) -> str:
    """The secret key kept in the instance folder, made on first start so sessions survive restarts."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
    return path.read_text().strip()
