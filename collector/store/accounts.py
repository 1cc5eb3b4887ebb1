"""Dashboard accounts, their sign-in counters, and the audit log."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Callable, cast

from sqlalchemy import Engine, delete, insert, select, update

from .. import schema as t
from .engine import NotFound, _insert, now_iso, reading, rows, upsert
from .org import _require


def save_user(engine: Engine, username: str, name: str, password_hash: str, role: str, units: list[str],
              email: str | None = None) -> None:
    with engine.begin() as conn:
        for unit in units:
            _require(conn, t.units, unit, "unit")
        upsert(conn, t.users, {"username": username, "name": name, "password_hash": password_hash, "role": role,
                               "created_at": now_iso(), "failed_logins": 0, "next_attempt_at": None,
                               "disabled": False, "email": email})
        conn.execute(t.user_units.delete().where(t.user_units.c.username == username))
        for unit in units:
            conn.execute(insert(t.user_units).values(username=username, unit=unit))


def get_user(engine: Engine, username: str) -> dict | None:
    with reading(engine) as conn:
        row = conn.execute(select(t.users).where(t.users.c.username == username)).first()
        if row is None:
            return None
        user = dict(row._mapping)
        user["units"] = [r[0] for r in conn.execute(select(t.user_units.c.unit).where(
            t.user_units.c.username == username).order_by(t.user_units.c.unit))]
    return user


def list_users(engine: Engine) -> list[dict]:
    with reading(engine) as conn:
        names = [r[0] for r in conn.execute(select(t.users.c.username).order_by(t.users.c.username))]
    return [cast(dict, get_user(engine, n)) for n in names]  # users are disabled, never deleted


def take_login_attempt(engine: Engine, username: str, now: datetime,
                       wait_after: Callable[[int], timedelta | None]) -> int:
    """Count one sign-in attempt for the name as typed (an account's or not) before its password is compared,
    in one transaction that holds the name's row: concurrent attempts each see the count before them.
    Returns 0 when the password may be compared, else the whole seconds still to wait. ``wait_after(n)`` is
    how long the attempt after the n-th failure must wait."""
    lt = t.login_throttle
    with engine.begin() as conn:
        conn.execute(_insert(conn, lt).values(username=username, failures=0, next_attempt_at=None)
                     .on_conflict_do_nothing(index_elements=["username"]))
        row = conn.execute(select(lt.c.failures, lt.c.next_attempt_at).where(lt.c.username == username)
                           .with_for_update()).one()
        if row.next_attempt_at and datetime.fromisoformat(row.next_attempt_at) > now:
            return int((datetime.fromisoformat(row.next_attempt_at) - now).total_seconds()) + 1
        wait = wait_after(row.failures + 1)
        conn.execute(update(lt).where(lt.c.username == username).values(
            failures=row.failures + 1, next_attempt_at=(now + wait).isoformat() if wait else None))
    return 0


def login_failures(engine: Engine, username: str) -> int:
    with reading(engine) as conn:
        return conn.execute(select(t.login_throttle.c.failures).where(
            t.login_throttle.c.username == username)).scalar() or 0


def clear_login_failures(engine: Engine, username: str) -> None:
    with engine.begin() as conn:
        conn.execute(delete(t.login_throttle).where(t.login_throttle.c.username == username))


def set_password_hash(engine: Engine, username: str, password_hash: str) -> None:
    _update_user(engine, username, password_hash=password_hash)


def set_user_disabled(engine: Engine, username: str, disabled: bool) -> None:
    _update_user(engine, username, disabled=disabled)


def _update_user(engine: Engine, username: str, **values) -> None:
    with engine.begin() as conn:
        done = conn.execute(update(t.users).where(t.users.c.username == username).values(**values))
    if done.rowcount == 0:
        raise NotFound(f"user {username!r} does not exist")


# -- sessions ---------------------------------------------------------------------------------------------------

def start_session(engine: Engine, token_hash: str, username: str) -> None:
    now = now_iso()
    with engine.begin() as conn:
        conn.execute(insert(t.sessions).values(token_hash=token_hash, username=username, created_at=now,
                                               last_seen_at=now))


def session_user(engine: Engine, token_hash: str, idle: timedelta, touch_after: timedelta) -> str | None:
    """The username of a session that has not ended nor been idle longer than ``idle``; its last-seen time
    is written again only when older than ``touch_after`` (not a write per request)."""
    s = t.sessions
    now = datetime.now(timezone.utc)
    with reading(engine) as conn:  # a read: most requests write nothing (SQLite's write lock stays free)
        row = conn.execute(select(s.c.username, s.c.last_seen_at, s.c.ended_at)
                           .where(s.c.token_hash == token_hash)).first()
    if row is None or row.ended_at is not None:
        return None
    seen = datetime.fromisoformat(row.last_seen_at)
    if now - seen > idle:
        end_session(engine, token_hash, "idle")
        return None
    if now - seen > touch_after:
        with engine.begin() as conn:
            conn.execute(update(s).where((s.c.token_hash == token_hash) & s.c.ended_at.is_(None))
                         .values(last_seen_at=now_iso()))
    return row.username


def end_session(engine: Engine, token_hash: str, why: str) -> None:
    s = t.sessions
    with engine.begin() as conn:
        conn.execute(update(s).where((s.c.token_hash == token_hash) & s.c.ended_at.is_(None))
                     .values(ended_at=now_iso(), ended_why=why))


def end_sessions_of(engine: Engine, username: str, why: str) -> int:
    """End every open session of the account; returns how many."""
    s = t.sessions
    with engine.begin() as conn:
        done = conn.execute(update(s).where((s.c.username == username) & s.c.ended_at.is_(None))
                            .values(ended_at=now_iso(), ended_why=why))
    return done.rowcount


def audit(engine: Engine, action: str, username: str | None, target: str | None = None, detail: str | None = None,
          ip: str | None = None) -> None:
    with engine.begin() as conn:
        conn.execute(insert(t.audit_log).values(at=now_iso(), username=username, action=action, target=target,
                                                detail=detail, ip=ip))


def audit_entries(engine: Engine, limit: int = 200, action: str | None = None) -> list[dict]:
    a = t.audit_log
    stmt = select(a).order_by(a.c.id.desc()).limit(limit)
    if action:
        stmt = stmt.where(a.c.action == action)
    with reading(engine) as conn:
        return rows(conn.execute(stmt))
