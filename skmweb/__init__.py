"""Flask glue shared by the kiosk and the collector: declared settings, the instance secret, the
interface language and the security headers. A layer below both apps, as ``skm`` is: both import it,
it imports neither. (DESIGN.md puts shared code in ``skm``, which must stay free of Flask; this is the
web half of what they share.)"""
from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any, Callable, Mapping

import flask_babel
from flask import Config, Flask, current_app, jsonify, request, session
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import URLSafeTimedSerializer
from werkzeug.middleware.proxy_fix import ProxyFix

from .compression import compress_response
from .logs import configure_logging
from .settings import (Setting, SettingError, checked_values, describe_settings,  # noqa: F401 - re-exported
                       environment_values)


HERE = Path(__file__).resolve().parent  # templates, static files and translations ship inside this package
LANGUAGES = ("id", "en")

HTML_SECURITY_HEADERS = {
    "Content-Security-Policy": "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
                               "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    # Sends the origin on same-site HTTPS posts, which Flask-WTF's referrer check needs.
    "Referrer-Policy": "strict-origin-when-cross-origin",
}


class SessionInterface(SecureCookieSessionInterface):
    """The session cookie is Secure whenever the request came over HTTPS (directly or, with
    ``*_TRUSTED_PROXIES`` set, through a proxy that says so). Its signer is made once per secret key
    (and fallbacks) instead of on every request: the same keys sign and check the same cookies."""

    def get_cookie_secure(self, app: Flask) -> bool:
        return bool(app.config["SESSION_COOKIE_SECURE"]) or request.is_secure

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        keys = (app.secret_key, tuple(app.config["SECRET_KEY_FALLBACKS"] or ()))
        cached = app.extensions.get("skm_session_serializer")
        if cached is None or cached[0] != keys:
            cached = app.extensions["skm_session_serializer"] = (keys, super().get_signing_serializer(app))
        return cached[1]


COMMON_SETTINGS: tuple[Setting, ...] = (
    Setting("LOG_LEVEL", "INFO", "Least severe log messages written to standard error.",
            choices=("DEBUG", "INFO", "WARNING", "ERROR")),
    Setting("LOG_FORMAT", "text", "Log lines as plain text, or as one JSON object a line for a log collector.",
            choices=("text", "json")),
)


def make_app(import_name: str, prefix: str, settings: tuple[Setting, ...], config_file: str,
             config: Mapping[str, Any] | None, instance_path: str | os.PathLike | None) -> Flask:
    """A Flask app with templates and static files from the repository, configured from (in order) the
    declared defaults, ``instance/<config_file>``, ``SKM_<PREFIX>_*`` environment variables and ``config``.
    Every declared setting is converted to its type and checked; a bad one raises ``SettingError``."""
    instance_path = instance_path or os.environ.get(f"SKM_{prefix}_INSTANCE")
    app = Flask(import_name, instance_path=str(Path(instance_path).resolve()) if instance_path else None,
                instance_relative_config=True, template_folder=str(HERE / "templates"),
                static_folder=str(HERE / "static"))
    app.config.update({f"{prefix}_{s.name}": s.default for s in settings})
    from_file = Config(app.instance_path)
    if from_file.from_pyfile(config_file, silent=True):
        app.config.update(from_file)
        app.config.update(checked_values(prefix, settings, from_file, f" in {Path(app.instance_path) / config_file}"))
    app.config.from_prefixed_env("SKM")  # SKM_KIOSK_IDLE_SECONDS=90 sets KIOSK_IDLE_SECONDS
    app.config.update(environment_values(prefix, settings))
    if config:
        app.config.update(config)
        app.config.update(checked_values(prefix, settings, config, " (given to create_app)"))
    app.config["MAX_CONTENT_LENGTH"] = app.config[f"{prefix}_MAX_BODY_BYTES"]  # every app declares its limit
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    app.config["SECRET_KEY"] = app.config.get("SECRET_KEY") or instance_secret(app.instance_path)
    app.config.update(SESSION_COOKIE_HTTPONLY=True, SESSION_COOKIE_SAMESITE="Lax", BABEL_DEFAULT_LOCALE="id",
                      BABEL_TRANSLATION_DIRECTORIES=str(HERE / "translations"))
    app.session_interface = SessionInterface()
    proxies = int(app.config.get(f"{prefix}_TRUSTED_PROXIES") or 0)
    if proxies:
        # Flask's documented way to add middleware; its types declare wsgi_app a method.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies, x_host=proxies)  # type: ignore[method-assign]
    app.after_request(add_security_headers)
    app.after_request(compress_response)  # registered last, so it runs first: headers go on either way
    configure_logging(app, prefix)
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
    """The language chosen in this session, else the app's default (Bahasa Indonesia unless configured)."""
    return session["lang"] if session.get("lang") in LANGUAGES else current_app.config["BABEL_DEFAULT_LOCALE"]


def install_template_gettext(app: Flask) -> None:
    """Templates translate through the catalogue of the language ``select_locale`` picks, kept per language
    for the process, instead of Flask-Babel's per-call look-up (request context, domain, locale: about 14 us
    each, a hundred times on a survey page, where the catalogue's own look-up takes a quarter of a us).
    Call after ``Babel.init_app``, whose callables these replace. Views keep ``flask_babel.gettext``."""
    catalogues: dict[str, Any] = {}

    def catalogue() -> Any:
        lang = select_locale()
        found = catalogues.get(lang)
        if found is None:
            found = flask_babel.get_translations()
            if str(flask_babel.get_locale()) != lang:  # the language changed in this request: not for keeping
                return found
            catalogues[lang] = found
        return found

    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]  # added by the i18n extension
        gettext=lambda s: catalogue().ugettext(s),
        ngettext=lambda s, p, n: catalogue().ungettext(s, p, n),
        pgettext=lambda c, s: catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: catalogue().unpgettext(c, s, p, n),
        newstyle=True)


def take_posted_language() -> bool:
    """Whether the survey form was posted by its language button (field ``lang``). If so this session takes
    that language from now on, this request included; the caller shows the answers again and stores nothing."""
    lang = request.form.get("lang")
    if lang not in LANGUAGES:
        return False
    session["lang"] = lang
    flask_babel.refresh()
    return True


def public_page(view: Callable) -> Callable:
    """Marks a view as a public page (the public results, a citizen's survey pages): its answers keep the
    caching headers they have. Every other answer of both apps is ``Cache-Control: no-store``."""
    view.skm_public_page = True  # type: ignore[attr-defined]  # a mark read back by is_public_page
    return view


def is_public_page() -> bool:
    """Whether this request went to a view marked ``public_page``, or to a static file."""
    if request.endpoint == "static":
        return True
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    return getattr(view, "skm_public_page", False)


def add_security_headers(response):
    """``nosniff`` on every answer (CSV, XLSX and JSON too), the page headers on HTML, and ``no-store`` on
    every answer but a public page's: dashboard pages, exports, API answers, the staff page, errors."""
    response.headers.setdefault("X-Content-Type-Options", "nosniff")
    if response.mimetype == "text/html":
        for name, value in HTML_SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
    if not is_public_page():
        response.headers["Cache-Control"] = "no-store"
    if request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", "max-age=31536000")
    return response


def local_path(target: str) -> bool:
    """Whether ``target`` is a path on this site, safe to redirect to. Browsers drop tabs and newlines from a
    URL and read a backslash as a slash, so a slash then a tab or a backslash leads off-site as ``//host`` does."""
    return target.startswith("/") and not target.startswith(("//", "/\\")) and target.isprintable()


def add_health_routes(app: Flask, readiness_problem: Callable[[], str | None]) -> None:
    """``/healthz``: the process answers. ``/readyz``: ``readiness_problem()`` found nothing wrong (a cheap
    check: the database answers and its schema is at head), else 503 with the problem. For a monitor or a
    load balancer; no personal data, no scan of responses."""

    @app.get("/healthz")
    def healthz():
        return jsonify(status="ok")

    @app.get("/readyz")
    def readyz():
        try:
            problem = readiness_problem()
        except Exception as exc:  # noqa: BLE001 - an unreachable database is the answer, not a crash
            app.logger.warning("readiness check failed", exc_info=True)
            problem = f"database unreachable: {type(exc).__name__}"
        if problem:
            return jsonify(status="not_ready", problem=problem), 503
        return jsonify(status="ready")
