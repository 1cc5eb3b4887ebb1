"""Officers, their daily figures, comments and context notes, and the unit's ranking switch."""
from __future__ import annotations

from datetime import date
from typing import Iterable

from sqlalchemy import Engine, func, insert, select, update

from skm import CODES

from .. import schema as t
from .engine import NotFound, now_iso, reading, rows, upsert
from .org import _require


def save_officer(engine: Engine, nip: str, name: str, unit: str, pin_hash: str) -> None:
    with engine.begin() as conn:
        _require(conn, t.units, unit, "unit")
        upsert(conn, t.officers, {"nip": nip, "name": name, "unit": unit, "pin_hash": pin_hash, "active": True})


def get_officer(engine: Engine, nip: str) -> dict | None:
    with reading(engine) as conn:
        row = conn.execute(select(t.officers).where(t.officers.c.nip == nip)).first()
    return dict(row._mapping) if row else None


def unit_officers(engine: Engine, unit: str) -> list[dict]:
    with reading(engine) as conn:
        return rows(conn.execute(select(t.officers).where((t.officers.c.unit == unit) & t.officers.c.active.is_(True))
                                 .order_by(t.officers.c.name)))


def unit_officer_nips(engine: Engine, unit: str) -> set[str]:
    """Every officer registered for the unit, active or not (a response may arrive after a deactivation)."""
    with reading(engine) as conn:
        return set(conn.execute(select(t.officers.c.nip).where(t.officers.c.unit == unit)).scalars())


def officer_totals(engine: Engine, officers: Iterable[str], start: date, end: date,
                   group_by: tuple[str, ...] = ("officer",)) -> list[dict]:
    """Sums of the officers' daily figures (trusted responses only) over [start, end)."""
    table = t.officer_daily
    columns = ("responses", "score_sum", "score_sq_sum", *(f"{c}_sum" for c in CODES), *t.SCORE_COLUMNS)
    keys = [table.c[g] for g in group_by]
    stmt = (select(*keys, *[func.sum(table.c[c]).label(c) for c in columns])
            .where(table.c.officer.in_(list(officers)), table.c.day >= start, table.c.day < end,
                   table.c.suspect.is_(False)).group_by(*keys))
    with reading(engine) as conn:
        return rows(conn.execute(stmt))


def officer_comments(engine: Engine, officer: str, start: date, end: date, limit: int = 50) -> list[dict]:
    r = t.responses
    stmt = (select(r.c.submitted_at, r.c.service, r.c.counter, r.c.comment, *(r.c[code] for code in CODES))
            .where(r.c.officer == officer, r.c.local_day >= start, r.c.local_day < end, r.c.comment.is_not(None),
                   r.c.comment != "").order_by(r.c.local_day.desc(), r.c.submitted_at.desc()).limit(limit))
    with reading(engine) as conn:
        return rows(conn.execute(stmt))


def add_officer_note(engine: Engine, officer: str, period: str, note: str, by: str) -> None:
    with engine.begin() as conn:
        conn.execute(insert(t.officer_notes).values(officer=officer, period=period, note=note, created_by=by,
                                                    created_at=now_iso()))


def officer_notes(engine: Engine, officer: str, period: str) -> list[dict]:
    n = t.officer_notes
    with reading(engine) as conn:
        return rows(conn.execute(select(n).where((n.c.officer == officer) & (n.c.period == period)).order_by(n.c.id)))


def set_officer_ranking(engine: Engine, unit: str, enabled: bool) -> None:
    with engine.begin() as conn:
        done = conn.execute(update(t.units).where(t.units.c.code == unit).values(officer_ranking=enabled))
    if done.rowcount == 0:
        raise NotFound(f"unit {unit!r} does not exist")


def link_user_to_officer(engine: Engine, username: str, nip: str) -> None:
    with engine.begin() as conn:
        conn.execute(update(t.users).where(t.users.c.username == username).values(officer=nip))
