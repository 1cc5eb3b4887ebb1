"""Pages anyone may open: the public results of a unit (the regulation's transparency principle) and the
language switch. Nothing personal is shown here."""
from __future__ import annotations

from flask import Blueprint, abort, current_app, redirect, render_template, request, session, url_for

from skmweb import LANGUAGES, public_page

from . import auth, reports, store

bp = Blueprint("public", __name__)


@bp.get("/publik/<unit>")
@public_page
def results(unit: str):
    engine = current_app.extensions["skm_engine"]
    try:
        data = store.get_unit(engine, unit)
    except store.NotFound:
        abort(404)
    return render_template("collector/public.html", unit=data, periods=reports.public_page(engine, data))


@bp.get("/lang/<lang>")
@public_page
def switch_language(lang: str):
    if lang in LANGUAGES:
        session["lang"] = lang
    target = request.args.get("next", "")
    if not auth.local_path(target):
        target = url_for("dashboard.overview")
    return redirect(target)
