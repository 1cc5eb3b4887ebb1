"""The public mobile survey: a receipt's QR code (``/q/<token>``) and a unit's general link
(``/s/<unit>``), plus the A4 poster. No sign-in; the same questionnaire partials as the kiosk.

A receipt token is checked for form, signature (the issuing kiosk's key), kiosk not revoked and expiry;
it takes one answer, enforced in the same transaction as the insert. Floods are limited per token, and
per address only loosely, since one mobile carrier's NAT is many citizens. General-link answers have the
channel ``link``: they are not tied to a receipt, so ``skm.misuse.LinkRules`` flag (never drop) what looks
automated: a page ticket is bound to the browser's signed device cookie and takes one answer, the least time
grows with the questions answered, a device answering a unit too often in a day is flagged, and so is every
answer of a burst of near-identical ones (docs/security.md says how far this goes).
"""
from __future__ import annotations

import logging
import time
import uuid
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from itsdangerous import BadSignature, URLSafeSerializer

from skm import CODES, PROFILE, QUESTIONNAIRE_VERSION, UNSUR, InvalidResponse, Problem, validate_response, wire
from skm.misuse import (LinkRules, MisuseRules, burst_members, burst_reason, device_reason, link_suspect_reason,
                        questions_answered, suspect_reason)
from skmweb import public_page, select_locale, take_posted_language
from skmweb.qr import qr_svg

from . import ingest, store

bp = Blueprint("qr", __name__)
HOUR = 3600
log = logging.getLogger(__name__)
DAY = 86400
DEVICE_COOKIE = "skm_device"
DEVICE_COOKIE_DAYS = 400  # the longest browsers keep a cookie


def engine():
    return current_app.extensions["skm_engine"]


def clock() -> float:
    """Seconds since the epoch; tests put a clock of their own in ``extensions["skm_clock"]``."""
    return current_app.extensions.get("skm_clock", time.time)()


def device_serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="public-device")


def posted_device() -> str | None:
    """The device id of the browser's signed cookie, or None when it has none (or a forged one)."""
    try:
        return device_serializer().loads(request.cookies.get(DEVICE_COOKIE, ""))
    except BadSignature:
        return None


def device() -> str:
    """This browser's device id; a new one is set as a long-lived cookie when it has none."""
    if "device" not in g:
        g.device = posted_device()
        if g.device is None:
            g.device = g.new_device = uuid.uuid4().hex
    return g.device


@bp.after_request
def set_device_cookie(response):
    if g.get("new_device"):
        response.set_cookie(DEVICE_COOKIE, device_serializer().dumps(g.new_device), max_age=DEVICE_COOKIE_DAYS * DAY,
                            httponly=True, samesite="Lax", secure=request.is_secure)
    return response


class Refusal(Exception):
    def __init__(self, status: int, title: str, message: str):
        self.status, self.title, self.message = status, title, message


def check_receipt(token: str) -> tuple[wire.Receipt, dict]:
    """The receipt and its kiosk, or a ``Refusal`` with a kind page for the citizen."""
    try:
        read = wire.read_receipt_token(token)
    except wire.BadReceipt as error:
        raise Refusal(400, _("Kode QR tidak terbaca"), _("Alamat ini tidak lengkap atau rusak. Coba pindai "
                                                        "ulang kode QR pada struk Anda.")) from error
    receipt = read.receipt
    kiosk = next((k for k in store.kiosks_by_reference(engine(), receipt.kiosk_id)
                  if k["secret"] and read.signed_by(k["secret"])), None)
    if kiosk is None or ingest.UnitCodes.of(engine(), kiosk["unit"]).problems(receipt.counter, receipt.service):
        raise Refusal(403, _("Kode QR tidak sah"), _("Kode QR ini tidak dikeluarkan oleh unit layanan kami."))
    if kiosk["revoked_at"]:
        raise Refusal(403, _("Kode QR tidak berlaku lagi"), _("Perangkat yang mencetak struk ini sudah "
                                                             "dinonaktifkan. Terima kasih atas niat baik Anda."))
    age = clock() - receipt.issued_at
    if age > current_app.config["COLLECTOR_RECEIPT_DAYS"] * 86400:
        raise Refusal(410, _("Kode QR sudah kedaluwarsa"), _("Penilaian untuk struk ini dapat diisi paling "
                                                            "lama %(days)d hari setelah pelayanan.",
                                                            days=current_app.config["COLLECTOR_RECEIPT_DAYS"]))
    if age < -300:
        raise Refusal(403, _("Kode QR tidak sah"), _("Kode QR ini tidak dikeluarkan oleh unit layanan kami."))
    return receipt, kiosk


def page_ticket() -> str:
    """When the page was opened and for which browser, signed: the duration of the survey cannot be forged,
    and the ticket counts for the device it was given to. Its nonce makes the answer's id: one answer."""
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="public-survey").dumps(
        {"t": clock(), "n": uuid.uuid4().hex, "d": device()})


def read_ticket(raw: str) -> dict | None:
    try:
        return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="public-survey").loads(raw)
    except BadSignature:
        return None


def refused(error: Refusal, unit: dict | None = None):
    return render_template("survey/public_message.html", title=error.title, message=error.message, unit=unit,
                           kind="error"), error.status


def render_form(action: str, unit: dict, services: list, subtitle: str, values=None, errors=None, notice=None,
                status: int = 200, **page):
    """The survey page; ``page`` adds what only one kind of page shows (the general link's code box)."""
    return render_template("survey/public_survey.html", action=action, unit=unit, services=services,
                           subtitle=subtitle, ticket=request.form.get("ticket") or page_ticket(), unsur=UNSUR,
                           profile=PROFILE, values=values or {}, errors=errors or {}, notice=notice, **page), status


def receipt_context(receipt: wire.Receipt, kiosk: dict) -> tuple[dict, list, str]:
    unit = store.get_unit(engine(), kiosk["unit"])
    counter = {c["code"]: c for c in store.unit_counters(engine(), unit["code"])}.get(receipt.counter)
    service = store.service_names(engine(), unit["code"]).get(receipt.service, receipt.service)
    subtitle = _("Layanan %(service)s di %(counter)s", service=service,
                 counter=counter["name"] if counter else receipt.counter)
    return unit, [{"code": receipt.service, "name": service}], subtitle


@bp.route("/q/<token>", methods=["GET", "POST"])
@public_page
def receipt_survey(token: str):
    try:
        receipt, kiosk = check_receipt(token)
    except Refusal as error:
        return refused(error)
    unit, services, subtitle = receipt_context(receipt, kiosk)
    if request.method == "POST" and not store.allow_hit(engine(), f"q:{kiosk['id']}:{receipt.nonce}", HOUR,
                                                         current_app.config["COLLECTOR_PUBLIC_LIMIT_PER_TOKEN"]):
        return refused(Refusal(429, _("Terlalu banyak percobaan"), _("Silakan coba lagi dalam satu jam.")), unit)
    if request.method == "GET" or take_posted_language():  # the language button: the answers shown again
        if store.receipt_used(engine(), kiosk["id"], receipt.nonce):
            return already_answered(unit)
        return render_form(request.path, unit, services, subtitle, request.form)
    return save(unit, services, subtitle, channel="qr", kiosk_id=kiosk["id"], counter=receipt.counter,
                service=receipt.service, receipt=(kiosk["id"], receipt.nonce))


def unit_or_404(code: str) -> dict:
    try:
        return store.get_unit(engine(), code)
    except store.NotFound:
        abort(404)


def unit_services(unit: str) -> list[dict]:
    return [{"code": code, "name": name} for code, name in sorted(store.service_names(engine(), unit).items())]


def link_subtitle() -> str:
    return _("Penilaian umum, tidak terkait struk")


@bp.route("/s/<unit>", methods=["GET", "POST"])
@public_page
def link_survey(unit: str):
    data = unit_or_404(unit)
    services = unit_services(unit)
    subtitle = link_subtitle()
    if request.method == "GET":
        return render_form(request.path, data, services, subtitle, code_box={})
    if not store.allow_hit(engine(), f"s:{request.remote_addr}", HOUR,
                           current_app.config["COLLECTOR_PUBLIC_LIMIT_PER_ADDRESS"], clock()):
        return refused(Refusal(429, _("Terlalu banyak percobaan"), _("Silakan coba lagi dalam satu jam.")), data)
    if take_posted_language():  # the language button: the answers shown again, nothing stored
        return render_form(request.path, data, services, subtitle, request.form)
    return save(data, services, subtitle, channel="link", kiosk_id=None, counter="-",
                service=request.form.get("service", ""), receipt=None)


@bp.post("/s/<unit>/kode")
@public_page
def receipt_by_code(unit: str):
    """A receipt's short code typed on the unit's page leads to that receipt's survey (``/q/<token>``),
    where the one-answer rule holds as for a scan."""
    data = unit_or_404(unit)
    if not code_tries_left():
        return refused(Refusal(429, _("Terlalu banyak percobaan"), _("Silakan coba lagi dalam satu jam.")), data)
    typed = request.form.get("code", "")
    code = wire.normal_receipt_code(typed)
    token = receipt_token_for_code(data, code) if code else None
    if token:
        return redirect(url_for("qr.receipt_survey", token=token), 303)
    message = _("Kode struk terdiri dari 8 huruf dan angka, misalnya 7K3M-Q9XD.") if code is None else \
        _("Kode struk ini tidak kami kenal. Periksa lagi kodenya; kode dari struk yang baru dicetak dapat dipakai "
          "setelah beberapa menit. Anda juga dapat memindai kode QR pada struk.")
    return render_form(url_for("qr.link_survey", unit=unit), data, unit_services(unit), link_subtitle(),
                       code_box={"value": typed, "error": message}, status=400)


def code_tries_left() -> bool:
    """Typed codes are limited per browser and, more loosely, per address, so they cannot be guessed."""
    config = current_app.config
    return store.allow_hit(engine(), f"code-device:{device()}", HOUR,
                           config["COLLECTOR_PUBLIC_CODE_TRIES_PER_DEVICE"]) \
        and store.allow_hit(engine(), f"code-address:{request.remote_addr}", HOUR,
                            config["COLLECTOR_PUBLIC_CODE_TRIES_PER_ADDRESS"])


def receipt_token_for_code(unit: dict, code: str) -> str | None:
    """The compact token of the unit's unexpired receipt with this short code, made again with its kiosk's
    key; None when no receipt reported by a kiosk has it."""
    days = current_app.config["COLLECTOR_RECEIPT_DAYS"]
    since = datetime.now(ZoneInfo(unit["timezone"])).date() - timedelta(days=days)
    for issued in store.receipts_with_code(engine(), unit["code"], code, since):
        kiosk = store.get_kiosk(engine(), issued["kiosk_id"])
        if not kiosk or not kiosk["secret"] or wire.receipt_code(kiosk["secret"], issued["nonce"]) != code:
            continue
        receipt = wire.Receipt(kiosk["id"], issued["counter"], issued["service"],
                               int(datetime.fromisoformat(issued["issued_at"]).timestamp()), issued["nonce"])
        return wire.make_compact_receipt_token(kiosk["secret"], receipt)
    return None


def save(unit: dict, services: list, subtitle: str, *, channel: str, kiosk_id: str | None, counter: str,
         service: str, receipt: tuple[str, str] | None):
    ticket = read_ticket(request.form.get("ticket", ""))
    if ticket is None:
        return refused(Refusal(400, _("Formulir tidak sah"), _("Silakan buka lagi tautan survei.")), unit)
    problems = []
    try:
        validated = validate_response(request.form)
    except InvalidResponse as exc:
        problems = exc.problems
    if service not in {s["code"] for s in services}:
        problems.insert(0, Problem("missing_service", "service"))
    if problems and receipt and store.receipt_used(engine(), *receipt):
        return already_answered(unit)
    if problems:
        errors: dict[str, list[str]] = {}
        for p in problems:
            errors.setdefault(p.field or "", []).append(p.message(select_locale()))
        return render_form(request.path, unit, services, subtitle, request.form, errors, status=400)
    zone = ZoneInfo(unit["timezone"])
    now = clock()
    submitted = datetime.fromtimestamp(now, zone)
    started = datetime.fromtimestamp(ticket["t"], zone)
    duration = max(0, int((submitted - started).total_seconds() * 1000))
    same_device = ticket.get("d") == posted_device()
    if channel == "link":
        reason = link_suspect_reason(link_rules(), duration, questions_answered(*validated.to_dict().values()),
                                     same_device)
    else:
        rules = MisuseRules(min_seconds=float(current_app.config["COLLECTOR_MIN_SURVEY_SECONDS"]),
                            burst_count=10 ** 9)
        reason = suspect_reason(rules, duration, 0)
    # A receipt's answer gets an id derived from the receipt, so it can only ever be one response.
    response_id = str(uuid.uuid5(uuid.NAMESPACE_URL, f"skm-receipt:{receipt[0]}:{receipt[1]}")) if receipt else \
        str(uuid.uuid5(uuid.NAMESPACE_URL, f"skm-link:{ticket['n']}"))
    row = {"id": response_id, "kiosk_id": kiosk_id, "seq": None, "unit": unit["code"], "service": service,
           "counter": counter, "officer": None, "channel": channel, "questionnaire_version": QUESTIONNAIRE_VERSION,
           **validated.answers, **{f.name: validated.profile.get(f.name) for f in PROFILE},
           "comment": validated.comment, "started_at": started.isoformat(), "submitted_at": submitted.isoformat(),
           "local_day": submitted.date(), "local_hour": submitted.hour, "duration_ms": duration,
           "suspect": reason is not None, "suspect_reason": reason,
           "received_at": datetime.fromtimestamp(now, timezone.utc).isoformat(), "batch_id": None,
           "content_hash": wire.content_hash({"answers": dict(validated.answers), "channel": channel,
                                              "profile": dict(validated.profile), "comment": validated.comment})}
    if store.record_public_response(engine(), row, receipt, current_app.extensions["skm_themes"]):
        if channel == "link":
            check_link_answer(row, ticket["d"] if same_device else None, now)
    elif not store.is_stored_as(engine(), row):
        return already_answered(unit)  # a repeated Kirim of the same page is thanked again below
    return render_template("survey/public_message.html", unit=unit, kind="thanks", title=_("Terima kasih!"),
                           message=_("Penilaian Anda sudah kami terima dan membantu kami memperbaiki pelayanan.")
                           )


def link_rules() -> LinkRules:
    config = current_app.config
    return LinkRules(min_seconds=float(config["COLLECTOR_MIN_SURVEY_SECONDS"]),
                     seconds_per_answer=float(config["COLLECTOR_LINK_SECONDS_PER_ANSWER"]),
                     device_daily=config["COLLECTOR_LINK_ANSWERS_PER_DEVICE"],
                     burst_count=config["COLLECTOR_LINK_BURST_COUNT"],
                     burst_minutes=config["COLLECTOR_LINK_BURST_MINUTES"],
                     burst_distance=config["COLLECTOR_LINK_BURST_DISTANCE"])


def check_link_answer(row: dict, device_id: str | None, now: float) -> None:
    """After a new general-link answer is stored: flag it when its device answered the unit too often
    today, and flag every answer of a burst it belongs to (stored, never dropped)."""
    rules = link_rules()
    if device_id is not None:
        today = store.count_hit(engine(), f"link-device:{row['unit']}:{device_id}", DAY, now)
        reason = device_reason(rules, today)
        if reason:
            store.flag_suspect(engine(), [row["id"]], reason, current_app.extensions["skm_themes"])
    window_start = now - rules.burst_minutes * 60
    recent = store.recent_link_scores(engine(), row["unit"], row["local_day"] - timedelta(days=1),
                                      datetime.fromtimestamp(window_start, timezone.utc).isoformat())
    members = burst_members(rules, {code: row[code] for code in CODES}, recent)
    if members:
        moved = store.flag_suspect(engine(), members, burst_reason(rules, len(members)),
                                   current_app.extensions["skm_themes"])
    if members and moved:
        log.warning("general link of %s: a burst of %d near-identical answers in %d min, %d newly flagged suspect",
                    row["unit"], len(members), rules.burst_minutes, moved)


def already_answered(unit: dict):
    return render_template("survey/public_message.html", unit=unit, kind="done", title=_("Sudah dinilai"),
                           message=_("Struk ini sudah dipakai untuk memberi penilaian. Terima kasih, masukan "
                                     "Anda sudah kami terima.")), 200


@bp.get("/publik/<unit>/poster")
@public_page
def poster(unit: str):
    data = unit_or_404(unit)
    results_url = url_for("public.results", unit=unit, _external=True)
    survey_url = url_for("qr.link_survey", unit=unit, _external=True)
    return render_template("collector/poster.html", unit=data, results_url=results_url, survey_url=survey_url,
                           results_svg=qr_svg(results_url), survey_svg=qr_svg(survey_url))


def keep_answers_after_expired_token():
    """The page's CSRF token expired: show the answers again with a fresh token; nothing is lost."""
    notice = _("Jawaban Anda belum tersimpan. Tekan Kirim sekali lagi untuk menyimpannya.")
    args = request.view_args or {}
    if request.endpoint == "qr.receipt_survey":
        try:
            receipt, kiosk = check_receipt(args.get("token", ""))
        except Refusal as error:
            return refused(error)
        unit, services, subtitle = receipt_context(receipt, kiosk)
    else:
        unit = unit_or_404(args.get("unit", ""))
        services = unit_services(unit["code"])
        subtitle = link_subtitle()
    return render_form(request.path, unit, services, subtitle, request.form, notice=notice, status=400)
