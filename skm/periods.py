"""Reporting periods: month, triwulan (quarter), semester, year, or any date range.

Written as text in URLs and on the command line: ``2026-11``, ``2026-T3``, ``2026-S2``, ``2026``,
``2026-01-05..2026-02-10`` (both days included). Days are local days in the unit's time zone.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from . import limits
from .errors import InvalidOption, Problem

MONTHS = {
    "id": ("Januari", "Februari", "Maret", "April", "Mei", "Juni", "Juli", "Agustus", "September", "Oktober",
           "November", "Desember"),
    "en": ("January", "February", "March", "April", "May", "June", "July", "August", "September", "October",
           "November", "December"),
}
ROMAN = ("I", "II", "III", "IV")
KINDS = ("month", "triwulan", "semester", "year", "range")


@dataclass(frozen=True)
class Period:
    kind: str
    start: date  # first day
    end: date  # the day after the last

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def key(self) -> str:
        """The text form, the inverse of ``parse``."""
        y = self.start.year
        if self.kind == "month":
            return f"{y}-{self.start.month:02d}"
        if self.kind == "triwulan":
            return f"{y}-T{(self.start.month - 1) // 3 + 1}"
        if self.kind == "semester":
            return f"{y}-S{(self.start.month - 1) // 6 + 1}"
        if self.kind == "year":
            return str(y)
        return f"{self.start.isoformat()}..{self.last_day.isoformat()}"

    def label(self, lang: str = "id") -> str:
        y = self.start.year
        if self.kind == "month":
            return f"{MONTHS[lang][self.start.month - 1]} {y}"
        if self.kind == "triwulan":
            word = {"id": "Triwulan", "en": "Quarter"}[lang]
            return f"{word} {ROMAN[(self.start.month - 1) // 3]} {y}"
        if self.kind == "semester":
            return f"Semester {ROMAN[(self.start.month - 1) // 6]} {y}"
        if self.kind == "year":
            return {"id": f"Tahun {y}", "en": f"Year {y}"}[lang]
        return f"{format_day(self.start, lang)} - {format_day(self.last_day, lang)}"

    def previous(self) -> "Period":
        """The period of the same kind just before (for a range, the same number of days before)."""
        if self.kind == "range":
            return Period("range", self.start - timedelta(days=self.days), self.start)
        return containing(self.kind, self.start - timedelta(days=1))

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end


def format_day(day: date, lang: str = "id") -> str:
    return f"{day.day} {MONTHS[lang][day.month - 1]} {day.year}"


def _add_months(day: date, months: int) -> date:
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def containing(kind: str, day: date) -> Period:
    """The month, triwulan, semester or year that contains ``day``."""
    size = {"month": 1, "triwulan": 3, "semester": 6, "year": 12}[kind]
    first_month = (day.month - 1) // size * size + 1
    start = date(day.year, first_month, 1)
    return Period(kind, start, _add_months(start, size))


PATTERNS = (
    (re.compile(r"^(\d{4})-(\d{2})$"), "month"),
    (re.compile(r"^(\d{4})-[Tt]([1-4])$"), "triwulan"),
    (re.compile(r"^(\d{4})-[Ss]([12])$"), "semester"),
    (re.compile(r"^(\d{4})$"), "year"),
)


def parse(text: str) -> Period:
    """A period from its text form; raises ``InvalidOption`` saying which forms are accepted."""
    text = (text or "").strip()
    try:
        for pattern, kind in PATTERNS:
            match = pattern.match(text)
            if not match:
                continue
            year = int(match.group(1))
            part = int(match.group(2)) if kind != "year" else 1
            month = {"month": part, "triwulan": (part - 1) * 3 + 1, "semester": (part - 1) * 6 + 1, "year": 1}[kind]
            if limits.FIRST_YEAR <= year <= limits.LAST_YEAR:
                return containing(kind, date(year, month, 1))
        first, sep, last = text.partition("..")
        if sep:
            start, end = date.fromisoformat(first), date.fromisoformat(last)
            if end >= start and limits.FIRST_YEAR <= start.year and end.year <= limits.LAST_YEAR:
                return Period("range", start, end + timedelta(days=1))
    except ValueError:
        pass
    raise InvalidOption([Problem("bad_period", "period", {"value": text})])


def trailing_months(last: date, count: int) -> list[Period]:
    """``count`` months ending with the month containing ``last``, oldest first."""
    end = containing("month", last)
    return [containing("month", _add_months(end.start, -i)) for i in range(count - 1, -1, -1)]
