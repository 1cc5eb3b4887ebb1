"""Citizens' comments with the scores they gave, for the unit page: filtered by an unsur's score or by the
rounded average of the nine, a page at a time (a bounded read of raw responses, by the unit/day index)."""
from __future__ import annotations

from datetime import date
from typing import Iterable

from sqlalchemy import Engine, and_, literal, select

from skm import CODES

from .. import schema as t
from .engine import reading, rows


def scored_comments(engine: Engine, units: Iterable[str], start: date, end: date, *, unsur: str | None = None,
                    score: int | None = None, limit: int = 20, offset: int = 0,
                    leave_out: tuple[str, ...] = ()) -> list[dict]:
    """The period's comments, newest first, each with its nine answers by code.

    ``score`` (1..4) keeps the comments whose answer to ``unsur`` was that score; with no ``unsur``, those
    whose average over the nine, rounded half-up, is that score (every response answers all nine, so the
    average is the sum / 9, compared in integers: 2s-1 <= 2 * sum / 9 < 2s+1)."""
    r = t.responses
    conditions = [r.c.unit.in_(list(units)), r.c.local_day >= start, r.c.local_day < end,
                  r.c.comment.is_not(None), r.c.comment != "", r.c.channel.not_in(leave_out)]
    if score is not None:
        if unsur is not None:
            conditions.append(r.c[unsur] == score)
        else:
            total = sum((r.c[code] for code in CODES), literal(0))
            conditions.append(and_(2 * total >= (2 * score - 1) * len(CODES), 2 * total < (2 * score + 1) * len(CODES)))
    stmt = (select(r.c.submitted_at, r.c.service, r.c.counter, r.c.channel, r.c.comment, r.c.suspect,
                   *(r.c[code] for code in CODES))
            .where(*conditions)
            .order_by(r.c.local_day.desc(), r.c.submitted_at.desc(), r.c.id).limit(limit).offset(offset))
    with reading(engine) as conn:
        return rows(conn.execute(stmt))
