"""The counter app: a citizen rates the service they just received on a tablet at the counter.

``create_app(config)`` builds it; nothing is created at import time.
"""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Mapping

from flask import Flask, request, session
from flask_babel import Babel
from flask_wtf.csrf import CSRFProtect

from . import db, settings

ROOT = Path(__file__).resolve().parent.parent
LANGUAGES = ("id", "en")

csrf = CSRFProtect()
babel = Babel()

SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    # Sends the origin on same-site HTTPS posts, which Flask-WTF's referrer check needs.
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


def create_app(config: Mapping[str, Any] | None = None, instance_path: str | os.PathLike | None = None) -> Flask:
    instance_path = instance_path or os.environ.get("SKM_KIOSK_INSTANCE")
    app = Flask(__name__, instance_path=str(Path(instance_path).resolve()) if instance_path else None,
                instance_relative_config=True, template_folder=str(ROOT / "templates"),
                static_folder=str(ROOT / "static"))
    app.config.update(settings.DEFAULTS)
    app.config.from_pyfile("kiosk.cfg", silent=True)
    app.config.from_prefixed_env("SKM")  # SKM_KIOSK_IDLE_SECONDS=90 sets KIOSK_IDLE_SECONDS
    if config:
        app.config.update(config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config["KIOSK_DATABASE"] = app.config["KIOSK_DATABASE"] or os.path.join(app.instance_path, "kiosk.db")
    app.config.setdefault("SECRET_KEY", None)
    app.config["SECRET_KEY"] = app.config["SECRET_KEY"] or instance_secret(app.instance_path)
    app.config["WTF_CSRF_TIME_LIMIT"] = app.config["KIOSK_CSRF_SECONDS"]
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax",
                      BABEL_DEFAULT_LOCALE="id", BABEL_TRANSLATION_DIRECTORIES=str(ROOT / "translations"))

    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    db.init_app(app)

    from . import staff, survey
    app.register_blueprint(survey.bp)
    app.register_blueprint(staff.bp)
    app.after_request(add_security_headers)
    app.jinja_env.globals.update(LANGUAGES=LANGUAGES, current_lang=select_locale)
    return app


def instance_secret(instance_path: str) -> str:
    """The secret key kept in the instance folder, made on first start so sessions survive restarts."""
    path = Path(instance_path) / "secret_key"
    if not path.exists():
        try:
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process made it first
        else:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
                f.flush()
                os.fsync(f.fileno())
    return path.read_text().strip()


def select_locale() -> str:
    return session.get("lang") if session.get("lang") in LANGUAGES else "id"


def add_security_headers(response):
    if response.mimetype == "text/html":
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response
