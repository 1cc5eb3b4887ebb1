"""The staff page behind a PIN: today's responses per counter, suspect and abandoned surveys, the sync
outbox. The access rule is declared once, for every route of the blueprint."""
from __future__ import annotations

import json
import logging
import time
from typing import Callable

from flask import Blueprint, current_app, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField
from wtforms.validators import InputRequired

from skm import limits
from skmweb import local_path
from skmweb.clocks import skew_text
from skmweb.qr import qr_svg

from . import officer_pins, receipts, store, sync
from .db import get_db
from .responses import now

bp = Blueprint("staff", __name__, url_prefix="/staff")
log = logging.getLogger(__name__)
PIN_KEY = "staff_pin_hash"
LOCK_SECONDS = 60


class PinForm(FlaskForm):
    pin = PasswordField("PIN", validators=[InputRequired()])


def set_pin(db, pin: str) -> None:
    store.set_settings(db, **{PIN_KEY: generate_password_hash(pin)})


def signed_in() -> bool:
    last = session.get("staff_seen")
    limit = current_app.config["KIOSK_STAFF_SESSION_MINUTES"] * 60
    return last is not None and time.time() - last < limit


@bp.before_request
def require_pin():
    if request.endpoint in ("staff.login",):
        return None
    if not signed_in():
        session.pop("staff_seen", None)
        return redirect(url_for("staff.login", next=request.path))
    session["staff_seen"] = time.time()
    return None


@bp.route("/login", methods=["GET", "POST"])
def login():
    db = get_db()
    form = PinForm()
    pin_hash = store.get_setting(db, PIN_KEY)
    error = None
    if pin_hash is None:
        error = _("PIN staf belum diatur. Jalankan: skm kiosk set-pin")
    elif form.validate_on_submit():
        right, wait = limited_pin_check(db, "staff", lambda: check_password_hash(pin_hash, form.pin.data))
        if right:
            session.clear()  # a fresh session at sign-in
            session["staff_seen"] = time.time()
            log.info("staff signed in")
            target = request.args.get("next", "")
            return redirect(target if local_path(target) and target.startswith("/staff/") else url_for("staff.home"))
        if wait:
            error = _("Terlalu banyak PIN salah. Coba lagi dalam %(s)d detik.", s=wait)
            log.warning("staff PIN refused: paused after too many wrong PINs")
        else:
            log.warning("staff PIN refused: wrong PIN")
            error = _("PIN salah.")
    status = 200 if error is None else (503 if pin_hash is None else 400)
    return render_template("kiosk/staff_login.html", form=form, error=error), status


def limited_pin_check(db, key: str, pin_is_right: Callable[[], bool]) -> tuple[bool, int]:
    """(right, seconds to wait): KIOSK_STAFF_PIN_ATTEMPTS wrong PINs for ``key`` pause it for LOCK_SECONDS.
    The attempt is counted in the store before the PIN is compared, so concurrent guesses all count; during
    a pause no PIN is compared at all."""
    wait = store.take_pin_attempt(db, key, current_app.config["KIOSK_STAFF_PIN_ATTEMPTS"], LOCK_SECONDS, time.time())
    if wait:
        return False, int(wait) + 1
    if pin_is_right():
        store.clear_pin_attempts(db, key)
        return True, 0
    return False, 0


@bp.post("/logout")
def logout():
    session.pop("staff_seen", None)
    return redirect(url_for("survey.index"))


@bp.get("/")
def home():
    db = get_db()
    today = now(db).replace(hour=0, minute=0, second=0, microsecond=0)
    start, end = store.day_bounds(today)
    error = running_agent_error() or json.loads(store.get_setting(db, "last_sync_error") or "null")
    return render_template(
        "kiosk/staff.html", unit=store.unit(db), today=today.date(), counters=store.today_per_counter(db, start, end),
        backlog=store.outbox_backlog(db), last_sync=store.last_sync(db),
        last_success=store.get_setting(db, "last_sync_success"), collector=store.get_setting(db, "collector_url"),
        error=error, error_text=sync_error_text(error["code"]) if error else None,
        set_aside=store.set_aside(db), abandoned=store.abandoned_steps(db, start, end),
        officers=store.officers(db), shifts=store.open_shifts(db, start), all_counters=store.counters(db),
        tablets=store.tablets_holding_answers(db),
        checkin_error=request.args.get("checkin_error"), clock_warning=clock_warning(db))


def clock_warning(db) -> str | None:
    """This PC's clock against the collector's (as last measured when syncing), when off by more than
    KIOSK_CLOCK_WARN_SECONDS; receipts and sync are corrected either way."""
    skew_ms = -int(sync.clock_offset(db).total_seconds() * 1000)
    if abs(skew_ms) <= current_app.config["KIOSK_CLOCK_WARN_SECONDS"] * 1000:
        return None
    return _("Jam komputer kios %(skew)s dari jam collector. Struk QR dan pengiriman tetap memakai waktu yang "
             "dikoreksi; perbaiki jam komputer (tanggal, jam dan zona waktu).", skew=skew_text(skew_ms))


@bp.post("/checkin")
def checkin():
    """An officer starts a shift at a counter with their own PIN, verified here (offline) against the sealed
    verifier; wrong PINs pause that officer's check-in as they pause the staff page."""
    db = get_db()
    nip, counter_code, pin = (request.form.get(k, "") for k in ("nip", "counter", "pin"))
    officer = next((o for o in store.officers(db) if o["nip"] == nip), None)
    try:
        store.counter(db, counter_code)
    except store.UnknownCounter:
        officer = None
    if officer is None:
        return redirect(url_for("staff.home", checkin_error="1"))
    right, wait = limited_pin_check(
        db, f"officer:{nip}", lambda: officer_pins.verify(officer["pin_verifier"], pin, officer_pins.key_for(db)))
    if not right:
        log.warning("officer check-in refused: %s", "paused after too many wrong PINs" if wait else "wrong PIN")
        return redirect(url_for("staff.home", checkin_error="paused" if wait else "1"))
    store.check_in(db, nip, counter_code, now(db).isoformat(timespec="milliseconds"))
    return redirect(url_for("staff.home"))


@bp.post(f"/checkout/<int(max={limits.INTEGER_MAX}):shift_id>")
def checkout(shift_id: int):
    db = get_db()
    store.check_out(db, shift_id, now(db).isoformat(timespec="milliseconds"))
    return redirect(url_for("staff.home"))


@bp.get("/qr")
def qr_choose():
    db = get_db()
    return render_template("kiosk/qr_choose.html", unit=store.unit(db), counters=store.counters(db),
                           enrolled=store.get_setting(db, "kiosk_secret") is not None)


@bp.post("/qr")
def qr_slip():
    db = get_db()
    width = request.form.get("width") if request.form.get("width") in ("58", "80") else "80"
    try:
        issued = receipts.issue(db, request.form.get("counter", ""), request.form.get("service") or None,
                                current_app.config["KIOSK_PUBLIC_SURVEY_URL"], current_app.config["KIOSK_RECEIPT_DAYS"])
    except receipts.ReceiptError as exc:
        return render_template("kiosk/qr_choose.html", unit=store.unit(db), counters=store.counters(db),
                               enrolled=store.get_setting(db, "kiosk_secret") is not None, error=str(exc)), 400
    counter = store.counter(db, issued.receipt.counter)
    service = next(s.name for s in counter.services if s.code == issued.receipt.service)
    return render_template("kiosk/slip.html", unit=store.unit(db), counter=counter, service=service, issued=issued,
                           svg=qr_svg(issued.url), width=width)


def running_agent_error() -> dict | None:
    """The sync agent's last failure as it saw it, which a full or locked store may not have recorded."""
    agent = current_app.extensions.get("skm_sync_agent")
    return agent.status.error if agent else None


def sync_error_text(code: str) -> str:
    """What a sync failure means, in plain words for the staff."""
    texts = {
        "network": _("Collector tidak dapat dihubungi (jaringan putus atau server mati). Jawaban tetap aman di "
                     "kios dan dikirim ulang otomatis."),
        "not_an_ack": _("Jawaban yang diterima bukan dari collector (mungkin halaman login Wi-Fi atau proxy). "
                        "Tidak ada yang ditandai terkirim; dicoba lagi otomatis."),
        "revoked": _("Kios ini dicabut di collector. Minta admin mendaftarkannya ulang dengan kode baru."),
        "install_revoked": _("Salinan kios ini dicabut di collector (kios yang sama terpasang di tempat lain). "
                             "Minta admin mendaftarkannya sebagai kios baru."),
        "unknown_kiosk": _("Collector tidak mengenal kios ini. Daftarkan ulang dengan kode baru."),
        "bad_signature": _("Collector menolak tanda tangan kios: kuncinya tidak cocok. Daftarkan ulang kios."),
        "stale_timestamp": _("Jam kios berbeda jauh dengan collector; jam akan dikoreksi otomatis."),
        "server_error": _("Collector sedang bermasalah. Dicoba lagi otomatis."),
        "not_enrolled": _("Kios belum terdaftar di collector. Jalankan: skm kiosk enroll ALAMAT KODE"),
        "batch_too_large": _("Kiriman terlalu besar untuk collector: kecilkan KIOSK_SYNC_BATCH_SIZE."),
        "disk_full": _("Disk komputer kios penuh. Jawaban yang sudah tersimpan aman; kosongkan ruang disk, lalu "
                       "pengiriman dilanjutkan otomatis."),
        "database_locked": _("Basis data kios sedang dikunci program lain (misalnya cadangan). Dicoba lagi "
                             "otomatis."),
        "internal": _("Terjadi kesalahan tak terduga pada pengiriman. Dicoba lagi otomatis; rinciannya ada di "
                      "log kios."),
    }
    return texts.get(code) or _("Sinkronisasi gagal: %(code)s", code=code)
