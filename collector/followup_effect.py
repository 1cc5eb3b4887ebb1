"""Did the follow-up work? For each follow-up marked done, its unsur's scores in the 28 local days before the
done day against the days after it (up to 28, up to today), from the daily aggregates' score counts, with
Welch's two-sample t-test (``skm.effect``) on the per-respondent scores: a change is "larger than chance"
when the two-sided p is below 0.05."""
from __future__ import annotations

from datetime import date, timedelta
from typing import Any, Mapping

from sqlalchemy import Engine

from skm.effect import SIGNIFICANCE, welch

from . import store

WINDOW_DAYS = 28


def score_counts(engine: Engine, unit: str, unsur: str, start: date, end: date) -> dict[int, int]:
    columns = tuple(f"{unsur}_{s}" for s in (1, 2, 3, 4))
    rows = store.aggregate_totals(engine, [unit], start, end, columns=("responses", *columns))
    row = rows[0] if rows else {}
    return {s: row.get(f"{unsur}_{s}", 0) for s in (1, 2, 3, 4)}


def effect(engine: Engine, followup: Mapping[str, Any], today: date) -> dict | None:
    """The before/after figures of a done follow-up (None if it is not done). The done day itself counts
    on neither side."""
    done = followup.get("done_on")
    if not done:
        return None
    done = done if isinstance(done, date) else date.fromisoformat(str(done))
    before = score_counts(engine, followup["unit"], followup["unsur"], done - timedelta(days=WINDOW_DAYS), done)
    after_end = min(done + timedelta(days=WINDOW_DAYS + 1), today + timedelta(days=1))
    after = score_counts(engine, followup["unit"], followup["unsur"], done + timedelta(days=1), after_end)
    test = welch(before, after)
    return {"followup": followup, "done_on": done,
            "before_start": done - timedelta(days=WINDOW_DAYS), "before_end": done - timedelta(days=1),
            "after_start": done + timedelta(days=1), "after_end": after_end - timedelta(days=1),
            "n_before": test.before.n, "n_after": test.after.n,
            "nrr_before": test.before.mean if test.before.n else None,
            "nrr_after": test.after.mean if test.after.n else None,
            "p": test.p, "t": test.t, "df": test.df, "significant": test.significant,
            "testable": test.p is not None, "alpha": SIGNIFICANCE}


def effects(engine: Engine, followups: list[Mapping[str, Any]], today: date) -> list[dict]:
    return [e for e in (effect(engine, f, today) for f in followups) if e is not None]
