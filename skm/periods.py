"""Reporting periods: month, triwulan (quarter), semester, year, or any date range.

Written as text in URLs and on the command line: ``2026-11``, ``2026-T3``, ``2026-S2``, ``2026``,
``2026-01-05..2026-02-10`` (both days included). Days are local days in the unit's time zone. ``parse``
also reads the spellings people type (``2026-Q3``, ``Triwulan III 2026``, ``TW3 2026``, ``Semester 2 2026``,
``Nov 2026``, ``November 2026``, ``2026-01-05 s.d. 2026-02-10``); ``key`` gives the canonical form back.
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

    def next(self) -> "Period":
        """The period of the same kind just after (for a range, the same number of days after)."""
        if self.kind == "range":
            return Period("range", self.end, self.end + timedelta(days=self.days))
        return containing(self.kind, self.end)

    def contains(self, day: date) -> bool:
        return self.start <= day < self.end


def is_provisional(period: Period, today: date) -> bool:
    """Whether ``period`` has not ended by ``today`` (the unit's local day): its figures are "sementara",
    still growing with every answer, and a comparison with a complete period is not like for like."""
    return today < period.end


def last_complete(kind: str, today: date) -> Period:
    """The newest month, triwulan, semester or year that ended before ``today``."""
    return containing(kind, today).previous()


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

# Words people write before the number of a triwulan or semester, or for a year (lower case).
KIND_WORDS = {
    "triwulan": "triwulan", "tw": "triwulan", "trw": "triwulan", "t": "triwulan", "q": "triwulan",
    "quarter": "triwulan", "kuartal": "triwulan", "semester": "semester", "smt": "semester",
    "sem": "semester", "s": "semester", "h": "semester", "tahun": "year", "th": "year", "thn": "year",
    "year": "year", "bulan": "month", "bln": "month", "month": "month",
}
ROMAN_NUMBERS = {"i": 1, "ii": 2, "iii": 3, "iv": 4}
# Month names and the abbreviations in use, Indonesian (old spellings too) and English, lower case.
MONTH_WORDS = {
    **{name.lower(): i + 1 for lang in MONTHS.values() for i, name in enumerate(lang)},
    **{name.lower()[:3]: i + 1 for lang in MONTHS.values() for i, name in enumerate(lang)},
    "pebruari": 2, "peb": 2, "agt": 8, "ags": 8, "sept": 9, "nopember": 11, "nop": 11,
}
RANGE_SEPARATOR = re.compile(r"\s*(?:\.\.|\s-\s|\s(?:s\.?\s?d\.?|s/d|sampai|hingga|to)\s)\s*", re.IGNORECASE)
SPELLED = re.compile(r"^[\w\s./,-]{1,60}$")


def _canonical(text: str) -> Period | None:
    for pattern, kind in PATTERNS:
        match = pattern.match(text)
        if not match:
            continue
        year = int(match.group(1))
        part = int(match.group(2)) if kind != "year" else 1
        if kind == "month" and not 1 <= part <= 12:
            return None
        return _of(kind, year, part)
    return None


def _of(kind: str, year: int, part: int) -> Period | None:
    """The ``part``-th month, triwulan or semester of ``year`` (1 for a year), inside the supported years."""
    size = {"month": 1, "triwulan": 3, "semester": 6, "year": 12}[kind]
    if not (limits.FIRST_YEAR <= year <= limits.LAST_YEAR and 1 <= part <= 12 // size):
        return None
    return containing(kind, date(year, (part - 1) * size + 1, 1))


def _number(token: str) -> int | None:
    if token.isdigit():
        return int(token)
    return ROMAN_NUMBERS.get(token)


def _spelled(text: str) -> Period | None:
    """``Triwulan III 2026``, ``TW3 2026``, ``2026-Q3``, ``Semester 2 2026``, ``Nov 2026``, ``11/2026``,
    ``Tahun 2026``: a four-digit year and, around it, what part of it."""
    if not SPELLED.match(text):
        return None
    tokens = [token for token in re.findall(r"[a-z]+|\d+", text.lower()) if token != "ke"]  # "triwulan ke-3"
    years = [i for i, token in enumerate(tokens) if len(token) == 4 and token.isdigit()]
    if len(years) != 1:
        return None
    year = int(tokens.pop(years[0]))
    if not tokens:
        return _of("year", year, 1)
    if tokens[0] in KIND_WORDS:
        kind, rest = KIND_WORDS[tokens[0]], tokens[1:]
        if kind == "year":
            return _of("year", year, 1) if not rest else None
        if kind == "month":
            tokens = rest  # "bulan November 2026": the month follows
        elif len(rest) == 1 and (part := _number(rest[0])) is not None:
            return _of(kind, year, part)
        else:
            return None
    if len(tokens) == 1:
        if tokens[0] in MONTH_WORDS:
            return _of("month", year, MONTH_WORDS[tokens[0]])
        if tokens[0].isdigit() and len(tokens[0]) <= 2:
            return _of("month", year, int(tokens[0]))
    return None


def _range(text: str) -> Period | None:
    parts = RANGE_SEPARATOR.split(text)
    if len(parts) != 2:
        return None
    try:
        start, end = date.fromisoformat(parts[0].strip()), date.fromisoformat(parts[1].strip())
    except ValueError:
        return None
    if end >= start and limits.FIRST_YEAR <= start.year and end.year <= limits.LAST_YEAR:
        return Period("range", start, end + timedelta(days=1))
    return None


def parse(text: str) -> Period:
    """A period from its text form or a common spelling of it; raises ``InvalidOption`` saying which forms
    are accepted."""
    text = " ".join((text or "").split())
    period = _canonical(text) or _range(text) or _spelled(text)
    if period is None:
        raise InvalidOption([Problem("bad_period", "period", {"value": text})])
    return period


def compose(kind: str, year: str = "", part: str = "", first: str = "", last: str = "") -> str:
    """The text form of what a period picker sent: a kind, a year and its month, triwulan or semester
    number, or the first and last day of a range. Not checked here: ``parse`` says what is wrong."""
    year, part = year.strip(), part.strip()
    if kind == "range":
        return f"{first.strip()}..{last.strip()}"
    if kind == "year":
        return year
    if kind == "month":
        return f"{year}-{part.zfill(2)}"
    if kind in ("triwulan", "semester"):
        return f"{year}-{kind[0].upper()}{part}"
    return f"{kind} {year} {part}".strip()


def trailing_months(last: date, count: int) -> list[Period]:
    """``count`` months ending with the month containing ``last``, oldest first."""
    end = containing("month", last)
    return [containing("month", _add_months(end.start, -i)) for i in range(count - 1, -1, -1)]
