"""The central collector: ingest API, store, rollups, dashboard and reports (DESIGN.md section 2).

``create_app(config)`` builds it; nothing is created at import time.
"""
from __future__ import annotations

import os
from datetime import datetime, timezone
from typing import Any, Mapping

from flask import Flask, current_app, jsonify, render_template, request
from flask_babel import Babel
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from skm import PROFILE, UNSUR
from skm.index import round_half_up
from skm.periods import MONTHS, format_day
from skmweb import add_health_routes, install_template_gettext, make_app, select_locale

from . import charts, migrations, names, reports, rollups, settings, store, themes

csrf = CSRFProtect()
babel = Babel()


def configured_app(config: Mapping[str, Any] | None = None,
                   instance_path: str | os.PathLike | None = None) -> Flask:
    """The app with its settings resolved (database URL included) and nothing else: for ``migrate``."""
    app = make_app(__name__, "COLLECTOR", settings.SETTINGS, "collector.cfg", config, instance_path)
    app.config["COLLECTOR_DATABASE_URL"] = database_url(app.config["COLLECTOR_DATABASE_URL"], app.instance_path)
    return app


def migrate_database(config: Mapping[str, Any] | None = None,
                     instance_path: str | os.PathLike | None = None) -> tuple[str | None, str]:
    """``skm collector migrate`` as a function: the configured database to the head revision; returns
    (revision before, head). For tests, benches and the demo, which deploy as an operator would."""
    engine = store.make_engine(configured_app(config, instance_path).config["COLLECTOR_DATABASE_URL"])
    try:
        return migrations.upgrade(engine)
    finally:
        engine.dispose()


def create_app(config: Mapping[str, Any] | None = None, instance_path: str | os.PathLike | None = None) -> Flask:
    """The collector app. Raises ``migrations.SchemaNotCurrent`` (and logs it) when the database is not at
    the schema revision this code needs: ``skm collector migrate`` is a deploy step, never done here."""
    app = configured_app(config, instance_path)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", 6 * 3600)  # a citizen may fill the phone survey slowly
    app.extensions["skm_themes"] = themes.load(app)  # a bad COLLECTOR_THEMES_FILE stops here, before the database

    engine = store.make_engine(app.config["COLLECTOR_DATABASE_URL"])
    try:
        migrations.check(engine)
    except migrations.SchemaNotCurrent as exc:
        app.logger.error("not starting: %s", exc)
        engine.dispose()
        raise
    store.prepare_for_days(engine, [datetime.now(timezone.utc).date()])
    app.extensions["skm_engine"] = engine
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)
    install_template_gettext(app)

    from . import api, auth, dashboard, public, qr
    app.register_blueprint(api.bp)
    app.register_blueprint(qr.bp)
    csrf.exempt(api.bp)  # signed with the kiosk's key, not a browser session
    app.register_blueprint(auth.bp)
    app.register_blueprint(public.bp)
    app.register_blueprint(dashboard.bp)
    app.jinja_env.filters["num"] = number
    app.jinja_env.filters["day"] = lambda day: format_day(day, select_locale()) if day else "-"
    app.jinja_env.globals["merged"] = merged
    app.jinja_env.globals.update(
        unsur_names={u.code: u.name for u in UNSUR}, unsur_list=UNSUR, profile_fields=PROFILE,
        weekdays=rollups.WEEKDAYS,
        trend_geometry=lambda trend: charts.trend_chart(trend, select_locale(), number),
        bar_width=charts.bar_width, heat_class=charts.heat_class, label_lines=charts.label_lines,
        grid_hours=lambda grid: sorted({h for _d, h in grid}),
        grid_peak=lambda grid: max((c.responses for c in grid.values()), default=0),
        period_provisional=reports.provisional, local_today=reports.today_in,
        month_name=lambda month: MONTHS[select_locale()][month - 1],
        format_day=lambda day: format_day(day, select_locale()),
        channel_name=lambda code: names.Names.channel(code, select_locale()),
        unsur_short=lambda code: names.Names.unsur_short(code, select_locale()),
        unsur_answer=lambda code, score: next(u for u in UNSUR if u.code == code).answer(score, select_locale()))
    app.register_error_handler(HTTPException, html_error)
    app.register_error_handler(CSRFError, html_error)

    add_health_routes(app, lambda: None if store.schema_is_current(engine) else "schema not at head: run "
                                                                                 "skm collector migrate")

    @app.get("/status")
    def status():
        return jsonify(service="skm-collector", responses=store.response_count(engine))

    return app


def merged(*parts: dict, **extra) -> dict:
    """Several URL argument mappings as one, later ones winning (Jinja calls take one ``**`` only)."""
    return {key: value for part in (*parts, extra) for key, value in part.items()}


def number(value, places: int = 2) -> str:
    """A figure rounded half-up, with a decimal comma in Bahasa Indonesia."""
    if value is None:
        return "-"
    text = str(round_half_up(value, places))
    return text.replace(".", ",") if select_locale() == "id" else text


def html_error(error: HTTPException):
    """Errors of the web pages as a page in the user's language; the API answers JSON itself."""
    if request.path.startswith("/api/"):
        return jsonify(error=error.name.lower().replace(" ", "_"), message=error.description), error.code
    if isinstance(error, CSRFError) and request.endpoint in ("qr.receipt_survey", "qr.link_survey"):
        from .qr import keep_answers_after_expired_token
        return keep_answers_after_expired_token()
    titles: dict[int | None, str]  # looked up by error.code, which may be None
    titles = {400: _("Permintaan tidak valid"), 403: _("Tidak diizinkan"), 404: _("Tidak ditemukan"),
              405: _("Metode tidak diizinkan"), 413: _("Terlalu besar"), 503: _("Belum dapat dilayani")}
    messages: dict[int | None, str]
    messages = {403: _("Akun Anda tidak berhak atas halaman ini."),
                404: _("Halaman ini tidak ada, atau Anda tidak berhak melihatnya."),
                413: _("Data yang dikirim terlalu besar (lebih dari %(kb)d KB).",
                       kb=current_app.config["MAX_CONTENT_LENGTH"] // 1024)}
    if isinstance(error, CSRFError):
        message = _("Formulir kedaluwarsa. Muat ulang halaman dan coba lagi.")
    else:
        message = messages.get(error.code) or error.description
    return render_template("collector/error.html", title=titles.get(error.code, error.name), message=message,
                           user=None), error.code


def database_url(url: str | None, instance_path: str) -> str:
    return url or f"sqlite:///{os.path.join(instance_path, 'collector.db')}"
