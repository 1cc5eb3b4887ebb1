"""Accounts, sign-in and who may see what.

Roles: ``admin`` (everything, may edit), ``pimpinan`` (sees everything, read only), ``kepala_unit`` (sees
and edits only the units assigned), ``petugas`` (an officer's own figures) and ``inspektorat`` (the
integrity alerts of every unit, with masked comments, and no unit page). Passwords are hashed with
werkzeug's scrypt. Sessions are server-side (the ``sessions`` table): replaced at sign-in, ended by logout,
a password change, disabling the account or an idle time. Repeated failures for a name (an account's or not)
slow the next attempt and then lock it for a while, counted in the database. Every sign-in, failure and
export goes to the audit log.
"""
from __future__ import annotations

import hashlib
import re
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
from skmweb.forms import StorableText, unstorable_message

from . import store

ROLES = ("admin", "pimpinan", "kepala_unit", "petugas", "inspektorat")
EMAIL = re.compile(r"[^@\s<>,;\"]+@[^@\s<>,;\"]+\.[^@\s<>,;\"]+")
SLOW_AFTER = 3  # failures before each further attempt must wait
LOCK_AFTER = 6  # failures before the account is locked
LOCK_MINUTES = 15
DUMMY_HASH = generate_password_hash("not a real password", method="scrypt")
TOUCH_AFTER = timedelta(seconds=60)  # a session's last-seen time is rewritten at most this often

bp = Blueprint("auth", __name__)
log = logging.getLogger(__name__)


class UserError(Exception):
    """A user account could not be saved as asked."""


def create_user(engine, username: str, name: str, password: str, role: str, units: list[str],
                officer: str | None = None, email: str | None = None) -> None:
    if role not in ROLES:
        raise UserError(f"role {role!r}: use one of {', '.join(ROLES)}")
    check_password_rules(password)
    if role == "kepala_unit" and not units:
        raise UserError("a kepala_unit needs at least one --unit")
    if role == "petugas" and (not officer or store.get_officer(engine, officer) is None):
        raise UserError("a petugas account needs --officer NIP of a registered officer")
    if role != "petugas" and officer:
        raise UserError("--officer goes with the petugas role only")
    if email is not None and not EMAIL.fullmatch(email):
        raise UserError(f"--email {email!r} is not an e-mail address (name@domain, no spaces)")
    if role == "inspektorat" and units:
        raise UserError("an inspektorat account sees every unit's integrity alerts: give no --unit")
    try:
        store.save_user(engine, username, name, generate_password_hash(password, method="scrypt"), role,
                        [] if role == "petugas" else units, email)
    except store.NotFound as exc:
        raise UserError(str(exc)) from exc
    if officer:
        store.link_user_to_officer(engine, username, officer)
    store.end_sessions_of(engine, username, "password")  # replacing an account replaces its password


def engine():
    return current_app.extensions["skm_engine"]


class LoginForm(FlaskForm):
    username = StringField("username", validators=[InputRequired(), Length(max=100), StorableText()])
    password = PasswordField("password", validators=[InputRequired(), Length(max=200)])


def current_user() -> dict | None:
    """The signed-in user, or None. The cookie's token must name a session the collector has not ended (by
    logout, a password change, disabling the account, or idleness), so a copied cookie dies with it."""
    if "user" in g:
        return g.user
    g.user = None
    token, seen = session.get("sid"), session.get("seen", 0)
    idle = timedelta(minutes=current_app.config["COLLECTOR_IDLE_MINUTES"])
    username = None
    if token and time.time() - seen <= idle.total_seconds():
        username = store.session_user(engine(), token_hash(token), idle, TOUCH_AFTER)
    user = store.get_user(engine(), username) if username else None
    if user and not user["disabled"]:
        g.user = user
        session["seen"] = time.time()
    elif token:
        session.clear()
    return g.user


def token_hash(token: str) -> str:
    """What the sessions table keeps of a cookie's token: a stolen database names no live session."""
    return hashlib.sha256(token.encode()).hexdigest()


def change_password(engine, username: str, password: str) -> int:
    """Set a new password and end every session of the account (the CLI has none to keep); returns how many."""
    check_password_rules(password)
    store.set_password_hash(engine, username, generate_password_hash(password, method="scrypt"))
    return _end_sessions(engine, username, "password", "password_changed", "password changed")


def disable_user(engine, username: str) -> int:
    """Disable the account: it cannot sign in, and every session of it ends now; returns how many."""
    store.set_user_disabled(engine, username, True)
    return _end_sessions(engine, username, "disabled", "user_disabled", "account disabled")


def _end_sessions(engine, username: str, why: str, action: str, said: str) -> int:
    """End every session of the account after a change to it, audited and logged; returns how many."""
    ended = store.end_sessions_of(engine, username, why)
    store.audit(engine, action, None, target=username, detail=f"{ended} sessions ended")
    log.info("%s user=%r: %d sessions ended", said, username, ended)
    return ended


def enable_user(engine, username: str) -> None:
    store.set_user_disabled(engine, username, False)
    store.audit(engine, "user_enabled", None, target=username)


def check_password_rules(password: str) -> None:
    if len(password) < 10:
        raise UserError("the password needs at least 10 characters")


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
        error = unstorable_message(form) or _("Sesi formulir kedaluwarsa atau isian kosong. Silakan coba lagi.")
    return render_template("collector/login.html", form=form, error=error), 200 if error is None else 400


def attempt(username: str, password: str) -> str | None:
    """Sign in, or say why not. Any name typed, an account's or not, is counted and slowed the same way, and
    gets the same answers: a wrong password and an unknown or disabled name cannot be told apart."""
    wait = store.take_login_attempt(engine(), username, datetime.now(timezone.utc), wait_after)
    if wait:
        store.audit(engine(), "login_refused_wait", username, detail=f"{wait}s", ip=client_ip())
        log.warning("sign-in refused user=%r: must wait %ds after failures", username, wait)
        return _("Terlalu banyak percobaan gagal. Coba lagi dalam %(s)d detik.", s=wait)
    user = store.get_user(engine(), username)
    valid = check_password_hash(user["password_hash"] if user else DUMMY_HASH, password)  # the same work for all
    if not user or user["disabled"] or not valid:
        store.audit(engine(), "login_failed", username, ip=client_ip())
        log.warning("sign-in refused user=%r: unknown name, disabled or wrong password", username)
        return _("Nama pengguna atau kata sandi salah.")
    store.clear_login_failures(engine(), username)
    session.clear()  # a new session at sign-in: nothing from before carries over
    token = secrets.token_hex(16)
    store.start_session(engine(), token_hash(token), username)
    session["sid"] = token
    session["user"] = username
    session["seen"] = time.time()
    store.audit(engine(), "login", username, ip=client_ip())
    log.info("sign-in user=%r role=%s", username, user["role"])
    return None


def wait_after(failures: int) -> timedelta | None:
    """How long the attempt after ``failures`` failures in a row must wait: SLOW_AFTER free attempts, then
    5 s doubling, then a LOCK_MINUTES lock at LOCK_AFTER."""
    if failures >= LOCK_AFTER:
        return timedelta(minutes=LOCK_MINUTES)
    if failures >= SLOW_AFTER:
        return timedelta(seconds=5 * 2 ** (failures - SLOW_AFTER))
    return None


@bp.post("/logout")
def logout():
    user = current_user()
    if user:
        store.end_session(engine(), token_hash(session["sid"]), "logout")
        store.audit(engine(), "logout", user["username"], ip=client_ip())
    session.clear()
    return redirect(url_for("auth.login"))
