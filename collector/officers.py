"""Officer feedback (PermenPANRB 6/2022: continuous feedback for ASN performance), fair by design:
figures only above a minimum number of responses, an uncertainty range on every figure, the unit's
figures beside them, no ranking unless a unit turns it on for pimpinan, and every view audited."""
from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from fractions import Fraction
from typing import cast

from sqlalchemy import Engine
from werkzeug.security import generate_password_hash

from skm import CODES, IncompleteData, IndexResult, from_aggregates
from skm.index import round_half_up
from skm.masking import mask_personal_data
from skm.periods import Period, trailing_months

from . import rollups, store

INFLUENCED = ("perilaku", "kompetensi", "waktu")  # the unsur an officer influences most
PIN_DIGITS = 6  # a check-in PIN's least length: kiosks verify it offline (docs/security.md, "Officer PINs")
PIN_HASH_METHOD = "scrypt:131072:8:1"  # 4x werkzeug's default cost: each guess against a stolen kiosk is slower
Z95 = 1.96


def pin_problem(pin: str) -> str | None:
    """What is wrong with a new check-in PIN, or None."""
    if not (pin.isdigit() and len(pin) >= PIN_DIGITS):
        return f"the PIN must be at least {PIN_DIGITS} digits"
    return None


def hash_pin(pin: str) -> str:
    return generate_password_hash(pin, method=PIN_HASH_METHOD)


@dataclass(frozen=True)
class Range:
    low: Decimal
    high: Decimal


@dataclass(frozen=True)
class OfficerFigures:
    respondents: int
    enough: bool  # at least the minimum: only then are figures shown
    result: IndexResult | None
    konversi_range: Range | None
    unsur_ranges: dict[str, Range]


def _range(mean: float, variance: float, n: int, scale: float, lo: float, hi: float) -> Range:
    half = Z95 * math.sqrt(max(variance, 0.0) / n) * scale if n > 1 else (hi - lo) * scale
    value = mean * scale
    return Range(round_half_up(Fraction(max(lo * scale, value - half)), 2),
                 round_half_up(Fraction(min(hi * scale, value + half)), 2))


def figures(row: dict | None, minimum: int) -> OfficerFigures:
    """An officer's index over a period from the summed daily rows, with 95 % ranges (normal
    approximation). Below ``minimum`` responses nothing but the count is given."""
    n = int(row["responses"]) if row else 0
    if n < minimum or n == 0:
        return OfficerFigures(n, False, None, None, {})
    assert row is not None  # n > 0 means a row
    try:
        result = from_aggregates(rollups.unsur_aggregates(row), respondents=n)
    except IncompleteData:
        return OfficerFigures(n, False, None, None, {})
    mean_total = row["score_sum"] / n  # each respondent's nine answers summed: 9..36
    variance = (row["score_sq_sum"] - n * mean_total ** 2) / (n - 1) if n > 1 else 0.0
    konversi = _range(mean_total / 9, variance / 81, n, 25, 1, 4)
    unsur_ranges = {}
    for code in INFLUENCED:
        counts = [row[f"{code}_{s}"] for s in (1, 2, 3, 4)]
        m = sum(s * c for s, c in zip((1, 2, 3, 4), counts)) / n
        var = (sum(s * s * c for s, c in zip((1, 2, 3, 4), counts)) - n * m * m) / (n - 1) if n > 1 else 0.0
        unsur_ranges[code] = _range(m, var, n, 1, 1, 4)
    return OfficerFigures(n, True, result, konversi, unsur_ranges)


def officer_view(engine: Engine, officer: dict, period: Period, minimum: int) -> dict:
    rows = store.officer_totals(engine, [officer["nip"]], period.start, period.end)
    own = figures(rows[0] if rows else None, minimum)
    unit_rollup = rollups.rollup(engine, [officer["unit"]], period)
    months = trailing_months(min(period.last_day, date.today()), 12)
    by_month: dict[date, dict] = {}
    for row in store.officer_totals(engine, [officer["nip"]], months[0].start, months[-1].end, group_by=("day",)):
        day = row["day"] if isinstance(row["day"], date) else date.fromisoformat(str(row["day"]))
        into = by_month.setdefault(day.replace(day=1), dict.fromkeys(row, 0))
        for column, value in row.items():
            if column != "day":
                into[column] += value
    trend = [(month, figures(by_month.get(month.start), minimum)) for month in months]
    return {"officer": officer, "period": period, "own": own, "unit_result": unit_rollup.result,
            "unit_respondents": unit_rollup.respondents, "influenced": INFLUENCED, "trend": trend,
            # Below the minimum the comments stay hidden too: a handful could point at single citizens.
            "comments": [{**c, "comment": mask_personal_data(c["comment"]), "scores": {code: c[code] for code in CODES},
                          "average": sum(c[code] for code in CODES) / len(CODES)}
                         for c in store.officer_comments(engine, officer["nip"], period.start, period.end)]
            if own.enough else [],
            "notes": store.officer_notes(engine, officer["nip"], period.key()), "minimum": minimum}


def unit_officers_view(engine: Engine, unit: str, period: Period, minimum: int) -> list[tuple[dict, OfficerFigures]]:
    officers = store.unit_officers(engine, unit)
    totals = {r["officer"]: r for r in store.officer_totals(engine, [o["nip"] for o in officers], period.start,
                                                             period.end)}
    return [(o, figures(totals.get(o["nip"]), minimum)) for o in officers]


def ranked(rows: list[tuple[dict, OfficerFigures]]) -> list[tuple[dict, OfficerFigures]]:
    """Officers with enough responses, best konversi first; the rest after, in name order."""
    shown = sorted((r for r in rows if r[1].enough), key=lambda r: -cast(IndexResult, r[1].result).konversi)
    return shown + [r for r in rows if not r[1].enough]
