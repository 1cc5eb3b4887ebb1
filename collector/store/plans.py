"""Populations (service recipients per period) and the follow-up plan (rencana tindak lanjut)."""
from __future__ import annotations

from datetime import date
from typing import Iterable

from sqlalchemy import Engine, func, insert, select, update

from .. import schema as t
from .engine import now_iso, reading, rows, upsert


def population(engine: Engine, unit: str, period: str) -> int | None:
    with reading(engine) as conn:
        return conn.execute(select(t.populations.c.recipients).where(
            (t.populations.c.unit == unit) & (t.populations.c.period == period))).scalar()


def populations(engine: Engine, units: Iterable[str], period: str) -> dict[str, int]:
    p = t.populations
    with reading(engine) as conn:
        return dict(conn.execute(select(p.c.unit, p.c.recipients).where(p.c.unit.in_(list(units)),
                                                                          p.c.period == period)).all())


def set_population(engine: Engine, unit: str, period: str, recipients: int, by: str) -> None:
    with engine.begin() as conn:
        upsert(conn, t.populations, {"unit": unit, "period": period, "recipients": recipients, "updated_by": by,
                                     "updated_at": now_iso()})


def set_monthly_volume(engine: Engine, unit: str, volume: int | None) -> None:
    with engine.begin() as conn:
        conn.execute(update(t.units).where(t.units.c.code == unit).values(monthly_volume=volume))


def followups(engine: Engine, unit: str, period: str) -> list[dict]:
    f = t.followups
    with reading(engine) as conn:
        return rows(conn.execute(select(f).where((f.c.unit == unit) & (f.c.period == period)).order_by(f.c.id)))


def add_followup(engine: Engine, unit: str, period: str, unsur: str, action: str, person: str,
                 deadline: date | None, status: str, by: str, source: str | None = None,
                 today: date | None = None) -> int:
    """A follow-up action on an unsur: ``person`` owns it, ``deadline`` is its due date, ``source`` what
    prompted it (alert | tema | terlemah). Added as selesai, it is done ``today`` (the unit's local day)."""
    with engine.begin() as conn:
        result = conn.execute(insert(t.followups).values(
            unit=unit, period=period, unsur=unsur, action=action, person=person, deadline=deadline, status=status,
            updated_by=by, updated_at=now_iso(), source=source, done_on=today if status == "selesai" else None))
        key = result.inserted_primary_key
        assert key is not None  # an INSERT has one
        return key[0]


def set_followup_status(engine: Engine, unit: str, followup_id: int, status: str, by: str,
                        today: date | None = None) -> bool:
    """Set a follow-up's status; marked selesai it is done ``today`` (kept if it was done before), and any
    other status takes the done day away."""
    f = t.followups
    done_on = func.coalesce(f.c.done_on, today) if status == "selesai" else None
    with engine.begin() as conn:
        done = conn.execute(update(f).where((f.c.id == followup_id) & (f.c.unit == unit)).values(
            status=status, updated_by=by, updated_at=now_iso(), done_on=done_on))
    return done.rowcount == 1


def followups_due(engine: Engine, units: Iterable[str], by: date) -> list[dict]:
    """Follow-ups not done whose due date is on or before ``by``, soonest first."""
    f = t.followups
    with reading(engine) as conn:
        return rows(conn.execute(select(f).where(f.c.unit.in_(list(units)), f.c.status != "selesai",
                                                 f.c.deadline.is_not(None), f.c.deadline <= by)
                                 .order_by(f.c.deadline, f.c.id)))
