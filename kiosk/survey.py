"""The citizen's survey at a counter: welcome, questions, thank-you. Views are thin: the rules live in
``skm`` (validation, misuse) and ``kiosk.responses`` (what a stored row holds)."""
from __future__ import annotations

from flask import (Blueprint, abort, current_app, jsonify, redirect, render_template, request, session,
                   url_for)
from flask_babel import gettext as _
from flask_wtf.csrf import CSRFError, generate_csrf

from skm import PROFILE, UNSUR, InvalidResponse

from skmweb import LANGUAGES, local_path, public_page, select_locale, take_posted_language

from . import responses, store
from .db import get_db

bp = Blueprint("survey", __name__)


def counter_or_404(code: str) -> store.Counter:
    try:
        return store.counter(get_db(), code)
    except store.UnknownCounter:
        abort(404, _("Loket %(code)s tidak dikenal di kios ini.", code=code))


def wants_json() -> bool:
    """Only a client that prefers JSON (the page's script) gets it; ``*/*`` gets the HTML redirect."""
    return request.accept_mimetypes.best_match(["text/html", "application/json"]) == "application/json"


@bp.get("/")
@public_page
def index():
    db = get_db()
    if not store.is_configured(db):
        return render_template("kiosk/not_configured.html"), 503
    return render_template("kiosk/index.html", unit=store.unit(db), counters=store.counters(db))


@bp.get("/k/<code>")
@public_page
def welcome(code: str):
    return render_template("kiosk/welcome.html", unit=store.unit(get_db()), counter=counter_or_404(code))


@bp.get("/k/<code>/survey")
@public_page
def survey(code: str):
    counter = counter_or_404(code)
    ticket = responses.new_ticket(get_db(), counter.code)
    return render_survey(counter, ticket)


def render_survey(counter: store.Counter, ticket: str, values=None, errors=None, notice=None, status=200,
                  start_step=""):
    return render_template(
        "kiosk/survey.html", unit=store.unit(get_db()), counter=counter, ticket=ticket, unsur=UNSUR,
        profile=PROFILE, values=values or {}, errors=errors or {}, notice=notice, start_step=start_step,
        idle_seconds=current_app.config["KIOSK_IDLE_SECONDS"],
        idle_warning_seconds=current_app.config["KIOSK_IDLE_WARNING_SECONDS"]), status


def same_step_in_new_language(counter: store.Counter):
    """After the language button: the answers so far, on the step the citizen was on, in the language they
    chose. Nothing is stored; the choice lasts until ``next_citizen``."""
    return render_survey(counter, request.form["ticket"], request.form, start_step=request.form.get("at_step", ""))


@bp.post("/k/<code>/survey")
@public_page
def submit(code: str):
    counter = counter_or_404(code)
    try:
        clock = responses.read_clock(request.form, responses.now(get_db()))
        ticket = responses.read_ticket(request.form.get("ticket", ""), counter.code, clock)
    except responses.BadTicket:
        message = _("Formulir survei ini tidak sah. Silakan mulai lagi dari layar awal.")
        if wants_json():
            return jsonify(status="invalid", errors={"ticket": [message]}), 400
        return error_page(400, message, counter=counter)
    if take_posted_language():
        return same_step_in_new_language(counter)
    try:
        row, _new = responses.submit(get_db(), counter, ticket, request.form, clock)
    except InvalidResponse as exc:
        errors = responses.errors_by_field(exc, select_locale())
        if wants_json():
            return jsonify(status="invalid", errors=errors), 400
        return render_survey(counter, request.form["ticket"], request.form, errors, status=400)
    thanks = url_for("survey.thanks", code=counter.code)
    if wants_json():
        return jsonify(status="saved", id=row["id"], thanks_url=thanks)
    return redirect(thanks, 303)


@bp.get("/k/<code>/thanks")
@public_page
def thanks(code: str):
    return render_template("kiosk/thanks.html", unit=store.unit(get_db()), counter=counter_or_404(code),
                           seconds=current_app.config["KIOSK_THANKS_SECONDS"])


@bp.get("/k/<code>/next")
@public_page
def next_citizen(code: str):
    """The start screen for the next citizen, in the kiosk's default language whatever the last one chose."""
    counter = counter_or_404(code)
    session.pop("lang", None)
    return redirect(url_for("survey.welcome", code=counter.code))


@bp.post("/k/<code>/abandon")
@public_page
def abandon(code: str):
    counter = counter_or_404(code)
    try:
        ticket = responses.read_ticket(request.form.get("ticket", ""), counter.code)
        step = responses.read_step(request.form.get("step", ""))
    except responses.BadTicket:
        return jsonify(status="invalid"), 400
    except responses.BadStep as exc:
        return jsonify(status="invalid", errors={"step": [str(exc)]}), 400
    new = responses.abandon(get_db(), counter, ticket, request.form.get("service") or None,
                            request.form.get("reached", ""), step)
    return jsonify(status="counted" if new else "known")


@bp.get("/csrf")
@public_page
def fresh_csrf():
    """A fresh CSRF token for a survey page that has been open for long (same-origin only)."""
    response = jsonify(csrf_token=generate_csrf())
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/lang/<lang>")
@public_page
def switch_language(lang: str):
    if lang in LANGUAGES:
        session["lang"] = lang
    target = request.args.get("next", "")
    if not local_path(target):
        target = url_for("survey.index")
    return redirect(target)


@bp.app_errorhandler(CSRFError)
def csrf_expired(error: CSRFError):
    """An expired or missing token never loses a citizen's answers.

    The script on the page fetches a fresh token and resends by itself. Without a script, the answers
    come back on the form with a fresh token and a request to press Kirim once more; nothing is saved
    until they do, so the check still guards against forged posts.
    """
    if request.endpoint == "survey.submit" and request.view_args:
        if wants_json():
            return jsonify(status="csrf", error=error.description), 400
        try:
            counter = store.counter(get_db(), request.view_args["code"])
        except store.UnknownCounter:
            return error_page(404, _("Loket %(code)s tidak dikenal di kios ini.", code=request.view_args["code"]))
        try:
            responses.read_ticket(request.form.get("ticket", ""), counter.code)
        except responses.BadTicket:
            return error_page(400, _("Formulir survei ini tidak sah. Silakan mulai lagi dari layar awal."),
                              counter=counter)
        if take_posted_language():
            return same_step_in_new_language(counter)  # stores nothing, so it needs no token
        notice = _("Jawaban Anda belum tersimpan. Tekan Kirim sekali lagi untuk menyimpannya.")
        return render_survey(counter, request.form["ticket"], request.form, notice=notice, status=400)
    if wants_json():
        return jsonify(status="csrf", error=error.description), 400
    return error_page(400, _("Halaman ini sudah terlalu lama terbuka. Silakan muat ulang dan coba lagi."))


@bp.app_errorhandler(413)
def too_large(_error):
    """A body past ``KIOSK_MAX_BODY_BYTES``: JSON to a script or the receipt API, else a page."""
    limit = current_app.config["MAX_CONTENT_LENGTH"]
    if wants_json() or request.path.startswith("/api/"):
        return jsonify(error="body_too_large", message=f"the body is larger than {limit} bytes"), 413
    return error_page(413, _("Data yang dikirim terlalu besar (lebih dari %(kb)d KB). Silakan mulai lagi dari "
                             "layar awal.", kb=limit // 1024))


@bp.app_errorhandler(404)
def not_found(error):
    return error_page(404, error.description if request.endpoint else _("Halaman tidak ditemukan."))


def error_page(status: int, message: str, counter: store.Counter | None = None):
    return render_template("kiosk/error.html", message=message, counter=counter), status
