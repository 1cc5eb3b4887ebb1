"""The counter tablet keeps working while the office PC is down.

A service worker (``static/sw.js``, served from ``/sw.js`` so its scope is the whole kiosk) keeps the
assets and, per counter, the welcome page, a survey page without a ticket and an offline thank-you on
the tablet. A citizen answering from that copy gets an offline ticket minted by the tablet (see
``kiosk.responses``); the answers wait in the page's outbox (``static/kiosk.js``) until the kiosk stores
them. Each tablet reports by a heartbeat how many answers it holds unsent, for the staff page.
"""
from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

from flask import Blueprint, Response, current_app, jsonify, render_template, request, url_for
from flask_babel import gettext as _

from skmweb import public_page

from . import store
from .db import get_db
from .responses import iso, now
from .survey import counter_or_404, render_survey

bp = Blueprint("offline", __name__)

CACHED_ASSETS = ("kiosk.css", "kiosk.js", "faces.svg", "favicon.svg")
TABLET_ID = re.compile(r"[A-Za-z0-9-]{8,64}")
MAX_UNSENT = 100_000


@bp.get("/sw.js")
@public_page
def service_worker():
    """The service worker with its cache version (a digest of itself and the assets it keeps, so any
    change of them installs a new worker that replaces the old cache) and the assets' URLs."""
    static = Path(current_app.static_folder)
    source = (static / "sw.js").read_text(encoding="utf-8")
    digest = hashlib.sha256(source.encode())
    for name in CACHED_ASSETS:
        digest.update((static / name).read_bytes())
    source = (source.replace('"__SKM_VERSION__"', json.dumps(digest.hexdigest()[:16]))
              .replace('["__SKM_ASSETS__"]', json.dumps([url_for("static", filename=n) for n in CACHED_ASSETS])))
    response = Response(source, mimetype="text/javascript")
    response.headers["Cache-Control"] = "no-cache"
    return response


@bp.get("/k/<code>/survey/offline")
@public_page
def survey_shell(code: str):
    """The survey as the tablet keeps it: no ticket, so kiosk.js mints an offline one for each citizen."""
    return render_survey(counter_or_404(code), ticket="")


@bp.get("/k/<code>/thanks/offline")
@public_page
def thanks_offline(code: str):
    return render_template("kiosk/thanks.html", unit=store.unit(get_db()), counter=counter_or_404(code),
                           seconds=current_app.config["KIOSK_THANKS_SECONDS"], offline=True)


@bp.post("/tablets/heartbeat")
def heartbeat():
    """``{"tablet": id, "counter": code or null, "unsent": n}`` from a tablet, every few seconds."""
    data = request.get_json(silent=True)
    errors = heartbeat_errors(data)
    if errors:
        return jsonify(status="invalid", errors=errors), 400
    db = get_db()
    store.record_tablet(db, data["tablet"], data.get("counter"), data["unsent"], iso(now(db)))
    return jsonify(status="recorded")


def heartbeat_errors(data) -> dict[str, list[str]]:
    """What is wrong with a heartbeat, by field, in the reader's language."""
    if not isinstance(data, dict):
        return {"": [_('Kirim JSON {"tablet": "...", "counter": "1", "unsent": 0}.')]}
    errors: dict[str, list[str]] = {}
    if not isinstance(data.get("tablet"), str) or not TABLET_ID.fullmatch(data["tablet"]):
        errors["tablet"] = [_("tablet harus berupa 8 sampai 64 huruf, angka, atau tanda hubung.")]
    counter = data.get("counter")
    if counter is not None and counter not in {c.code for c in store.counters(get_db())}:
        errors["counter"] = [_("Loket %(code)s tidak dikenal di kios ini.", code=str(counter)[:40])]
    unsent = data.get("unsent")
    if isinstance(unsent, bool) or not isinstance(unsent, int) or not 0 <= unsent <= MAX_UNSENT:
        errors["unsent"] = [_("unsent harus bilangan bulat dari 0 sampai %(max)d.", max=MAX_UNSENT)]
    return errors
