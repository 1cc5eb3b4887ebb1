"""Dashboard accounts, their sign-in counters, and the audit log."""
from __future__ import annotations

from typing import cast

from sqlalchemy import Engine, insert, select, update

from .. import schema as t
from .engine import now_iso, rows, upsert
from .org import _require


def save_user(engine: Engine, username: str, name: str, password_hash: str, role: str, units: list[str]) -> None:
    with engine.begin() as conn:
        for unit in units:
            _require(conn, t.units, unit, "unit")
        upsert(conn, t.users, {"username": username, "name": name, "password_hash": password_hash, "role": role,
                               "created_at": now_iso(), "failed_logins": 0, "next_attempt_at": None,
                               "disabled": False})
        conn.execute(t.user_units.delete().where(t.user_units.c.username == username))
        for unit in units:
            conn.execute(insert(t.user_units).values(username=username, unit=unit))


def get_user(engine: Engine, username: str) -> dict | None:
    with engine.connect() as conn:
        row = conn.execute(select(t.users).where(t.users.c.username == username)).first()
        if row is None:
            return None
        user = dict(row._mapping)
        user["units"] = [r[0] for r in conn.execute(select(t.user_units.c.unit).where(
            t.user_units.c.username == username).order_by(t.user_units.c.unit))]
    return user


def list_users(engine: Engine) -> list[dict]:
    with engine.connect() as conn:
        names = [r[0] for r in conn.execute(select(t.users.c.username).order_by(t.users.c.username))]
    return [cast(dict, get_user(engine, n)) for n in names]  # users are disabled, never deleted


def record_login_failure(engine: Engine, username: str, next_attempt_at: str | None) -> int:
    with engine.begin() as conn:
        conn.execute(update(t.users).where(t.users.c.username == username).values(
            failed_logins=t.users.c.failed_logins + 1, next_attempt_at=next_attempt_at))
        return conn.execute(select(t.users.c.failed_logins).where(t.users.c.username == username)).scalar() or 0


def record_login_success(engine: Engine, username: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(t.users).where(t.users.c.username == username).values(failed_logins=0,
                                                                                   next_attempt_at=None))


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
    with engine.connect() as conn:
        return rows(conn.execute(stmt))
