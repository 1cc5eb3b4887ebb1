"""Accounts, sign-in and who may see what.

Roles: ``admin`` (everything, may edit), ``pimpinan`` (sees everything, read only) and ``kepala_unit``
(sees and edits only the units assigned). Passwords are hashed with werkzeug's scrypt; the session is
replaced at sign-in and ends after an idle time; repeated failures for one account slow the next attempt
and then lock it for a while. Every sign-in, failure and export goes to the audit log.
"""
from __future__ import annotations

import logging
import secrets
import time
from datetime import datetime, timedelta, timezone

from flask import Blueprint, abort, current_app, g, redirect, render_template, request, session, url_for
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from werkzeug.security import check_password_hash, generate_password_hash
from wtforms import PasswordField, StringField
from wtforms.validators import InputRequired, Length

from skmweb import local_path

from . import store

ROLES = ("admin", "pimpinan", "kepala_unit", "petugas")
SLOW_AFTER = 3  # failures before each further attempt must wait
LOCK_AFTER = 6  # failures before the account is locked
LOCK_MINUTES = 15
DUMMY_HASH = generate_password_hash("not a real password")

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)


class UserError(Exception):
    """A user account could not be saved as asked."""


def create_user(engine, username: str, name: str, password: str, role: str, units: list[str],
                officer: str | None = None) -> None:
    if role not in ROLES:
        raise UserError(f"role {role!r}: use one of {', '.join(ROLES)}")
    if len(password) < 10:
        raise UserError("the password needs at least 10 characters")
    if role == "kepala_unit" and not units:
        raise UserError("a kepala_unit needs at least one --unit")
    if role == "petugas" and (not officer or store.get_officer(engine, officer) is None):
        raise UserError("a petugas account needs --officer NIP of a registered officer")
    if role != "petugas" and officer:
        raise UserError("--officer goes with the petugas role only")
    try:
        store.save_user(engine, username, name, generate_password_hash(password, method="scrypt"), role,
                        [] if role == "petugas" else units)
    except store.NotFound as exc:
        raise UserError(str(exc)) from exc
    if officer:
        store.link_user_to_officer(engine, username, officer)


def engine():
    return current_app.extensions["skm_engine"]


class LoginForm(FlaskForm):
    username = StringField("username", validators=[InputRequired(), Length(max=100)])
    password = PasswordField("password", validators=[InputRequired(), Length(max=200)])


def current_user() -> dict | None:
    """The signed-in user, or None; an idle session ends here."""
    if "user" in g:
        return g.user
    g.user = None
    username, seen = session.get("user"), session.get("seen", 0)
    idle = current_app.config["COLLECTOR_IDLE_MINUTES"] * 60
    if username and time.time() - seen <= idle:
        user = store.get_user(engine(), username)
        if user and not user["disabled"]:
            g.user = user
            session["seen"] = time.time()
    elif username:
        session.clear()
    return g.user


def can_see(user: dict, unit: str) -> bool:
    return user["role"] in ("admin", "pimpinan") or (user["role"] == "kepala_unit" and unit in user["units"])


def can_see_officer(user: dict, officer: dict) -> bool:
    """An officer sees themselves; their kepala unit sees what they see; pimpinan and admin see all."""
    if user["role"] == "petugas":
        return user.get("officer") == officer["nip"]
    return can_see(user, officer["unit"])


def can_edit(user: dict, unit: str) -> bool:
    return user["role"] == "admin" or (user["role"] == "kepala_unit" and unit in user["units"])


def visible_units(user: dict) -> list[dict]:
    return [u for u in store.all_units(engine()) if can_see(user, u["code"])]


def require_login():
    """The access rule of every signed-in blueprint: a user, and for a URL naming a unit, that unit."""
    user = current_user()
    if user is None:
        return redirect(url_for("auth.login", next=request.full_path.rstrip("?")))
    args = request.view_args or {}
    if args.get("unit") is not None and not can_see(user, args["unit"]):
        abort(404)
    if args.get("nip") is not None:
        officer = store.get_officer(engine(), args["nip"])
        if officer is None or not can_see_officer(user, officer):
            abort(404)
        g.officer = officer
    return None


def client_ip() -> str:
    return request.remote_addr or ""


@bp.route("/login", methods=["GET", "POST"])
def login():
    form = LoginForm()
    error = None
    if form.validate_on_submit():
        error = attempt(form.username.data.strip(), form.password.data)
        if error is None:
            target = request.args.get("next", "")
            return redirect(target if local_path(target) else url_for("dashboard.overview"))
    elif request.method == "POST":
        error = _("Sesi formulir kedaluwarsa atau isian kosong. Silakan coba lagi.")
    return render_template("collector/login.html", form=form, error=error), 200 if error is None else 400


def attempt(username: str, password: str) -> str | None:
    """Sign in, or say why not. Unknown names and wrong passwords get the same answer."""
    user = store.get_user(engine(), username)
    now = datetime.now(timezone.utc)
    if user and user["next_attempt_at"] and datetime.fromisoformat(user["next_attempt_at"]) > now:
        wait = int((datetime.fromisoformat(user["next_attempt_at"]) - now).total_seconds()) + 1
        store.audit(engine(), "login_refused_wait", username, detail=f"{wait}s", ip=client_ip())
        log.warning("sign-in refused user=%r: must wait %ds after failures", username, wait)
        return _("Terlalu banyak percobaan gagal. Coba lagi dalam %(s)d detik.", s=wait)
    valid = check_password_hash(user["password_hash"] if user else DUMMY_HASH, password)
    if not user or user["disabled"] or not valid:
        if user:
            failures = user["failed_logins"] + 1
            if failures >= LOCK_AFTER:
                delay = timedelta(minutes=LOCK_MINUTES)
            elif failures >= SLOW_AFTER:
                delay = timedelta(seconds=5 * 2 ** (failures - SLOW_AFTER))
            else:
                delay = None
            store.record_login_failure(engine(), username, (now + delay).isoformat() if delay else None)
        store.audit(engine(), "login_failed", username, ip=client_ip())
        log.warning("sign-in refused user=%r: unknown name, disabled or wrong password", username)
        return _("Nama pengguna atau kata sandi salah.")
    store.record_login_success(engine(), username)
    session.clear()  # a new session at sign-in: nothing from before carries over
    session["user"] = username
    session["sid"] = secrets.token_hex(16)
    session["seen"] = time.time()
    store.audit(engine(), "login", username, ip=client_ip())
    log.info("sign-in user=%r role=%s", username, user["role"])
    return None


@bp.post("/logout")
def logout():
    user = current_user()
    if user:
        store.audit(engine(), "logout", user["username"], ip=client_ip())
    session.clear()
    return redirect(url_for("auth.login"))
