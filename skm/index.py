"""The Indeks Kepuasan Masyarakat, in exact arithmetic.

NRR per unsur = sum of its scores / respondents who answered it. IKM = sum of NRR x weight, with the
weight 1/9 by default. Konversi = IKM x 25, rounded half-up to 2 decimals, then graded into mutu A..D.
Figures are Fractions until they are shown, so no boundary is decided by a float.

Published reports differ in convention (weight 0,111 or 0,11; each weighted NRR rounded before the sum);
those are options, and a result records the options that produced it.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Iterable, Mapping

from .errors import IncompleteData, InvalidNrr, InvalidOption, Problem
from .questionnaire import CODES, KINERJA, UNSUR, UNSUR_BY_CODE

WEIGHTS: Mapping[str, Fraction] = {
    "exact": Fraction(1, 9),
    "0.111": Fraction(111, 1000),
    "0.11": Fraction(11, 100),
}

# Lowest konversi (after rounding to 2 decimals) of each mutu, best first.
MUTU_FLOORS: tuple[tuple[Fraction, str], ...] = (
    (Fraction("88.31"), "A"),
    (Fraction("76.61"), "B"),
    (Fraction("65.00"), "C"),
    (Fraction("25.00"), "D"),
)
PRIORITY_COUNT = 3  # the lowest three unsur get a follow-up plan


def round_half_up(value: Fraction | Decimal | int | str, places: int) -> Decimal:
    """Round to ``places`` decimals, halves away from zero, exactly."""
    value = Fraction(value)
    scale = 10 ** places
    scaled = abs(value) * scale
    whole = int(scaled + Fraction(1, 2))  # floor, since scaled >= 0
    sign = -1 if value < 0 else 1
    return Decimal(sign * whole).scaleb(-places).quantize(Decimal(1).scaleb(-places))


def mutu(konversi: Fraction | Decimal | str) -> str:
    """Grade a konversi value: rounded half-up to 2 decimals, then A (>= 88.31) .. D."""
    rounded = Fraction(round_half_up(konversi, 2))
    for floor, grade in MUTU_FLOORS:
        if rounded >= floor:
            return grade
    return "D"


@dataclass(frozen=True)
class IndexOptions:
    weight: str = "exact"
    round_weighted: int | None = None  # decimals each NRR x weight is rounded to before the sum

    def __post_init__(self) -> None:
        problems = []
        if self.weight not in WEIGHTS:
            problems.append(Problem("bad_weight", "weight", {"value": self.weight, "choices": ", ".join(WEIGHTS)}))
        if self.round_weighted is not None and (
                isinstance(self.round_weighted, bool) or not isinstance(self.round_weighted, int)
                or not 1 <= self.round_weighted <= 6):
            problems.append(Problem("bad_rounding", "round_weighted", {"value": self.round_weighted}))
        if problems:
            raise InvalidOption(problems)

    @property
    def is_default(self) -> bool:
        return self == IndexOptions()

    def describe(self, lang: str = "id") -> str:
        weight = {"exact": {"id": "bobot 1/9 eksak", "en": "weight 1/9 exact"},
                  "0.111": {"id": "bobot 0,111", "en": "weight 0.111"},
                  "0.11": {"id": "bobot 0,11", "en": "weight 0.11"}}[self.weight][lang]
        if self.round_weighted is None:
            rounding = {"id": "tanpa pembulatan antara", "en": "no intermediate rounding"}[lang]
        else:
            rounding = {"id": "NRR tertimbang dibulatkan {n} desimal",
                        "en": "weighted NRR rounded to {n} decimals"}[lang].format(n=self.round_weighted)
        return f"{weight}, {rounding}"

    def to_dict(self) -> dict:
        return {"weight": self.weight, "round_weighted": self.round_weighted}


@dataclass(frozen=True)
class UnsurAggregate:
    """What the index needs of one unsur: the sum of its scores and how many answered it."""
    total: int | Fraction
    count: int

    def __add__(self, other: "UnsurAggregate") -> "UnsurAggregate":
        return UnsurAggregate(self.total + other.total, self.count + other.count)


@dataclass(frozen=True)
class UnsurResult:
    code: str
    order: int
    count: int | None  # respondents who answered; None when computed from published NRR
    total: int | Fraction | None
    nrr: Fraction
    weighted: Fraction  # NRR x weight, after the optional rounding
    rank: int  # 1 = weakest; ties share a rank

    @property
    def priority(self) -> bool:
        return self.rank <= PRIORITY_COUNT


@dataclass(frozen=True)
class IndexResult:
    unsur: tuple[UnsurResult, ...]  # regulation order
    ikm: Fraction  # 1..4 scale, exact
    options: IndexOptions
    respondents: int | None = None

    @property
    def konversi(self) -> Decimal:
        return round_half_up(self.ikm * 25, 2)

    @property
    def mutu(self) -> str:
        return mutu(self.konversi)

    def kinerja(self, lang: str = "id") -> str:
        return KINERJA[self.mutu][lang]

    def ikm_display(self, places: int = 4) -> Decimal:
        return round_half_up(self.ikm, places)

    @property
    def ranking(self) -> tuple[UnsurResult, ...]:
        """Unsur from the weakest (lowest NRR) up; ties in regulation order."""
        return tuple(sorted(self.unsur, key=lambda u: (u.nrr, u.order)))

    @property
    def priorities(self) -> tuple[str, ...]:
        """Codes of the unsur a follow-up plan starts with: the lowest three, and any tied with the third."""
        return tuple(u.code for u in self.ranking if u.priority)

    def by_code(self, code: str) -> UnsurResult:
        return next(u for u in self.unsur if u.code == code)

    def to_dict(self, lang: str = "id", places: int = 4) -> dict:
        return {
            "respondents": self.respondents,
            "unsur": [{
                "code": u.code, "label": f"U{u.order}", "name": UNSUR_BY_CODE[u.code].name[lang],
                "n": u.count, "nrr": str(round_half_up(u.nrr, places)),
                "nrr_weighted": str(round_half_up(u.weighted, places)), "rank": u.rank, "priority": u.priority,
            } for u in self.unsur],
            "ikm": str(self.ikm_display(places)),
            "konversi": str(self.konversi),
            "mutu": self.mutu,
            "kinerja": self.kinerja(lang),
            "priorities": list(self.priorities),
            "options": self.options.to_dict(),
            "conventions": self.options.describe(lang),
        }


def aggregate(responses: Iterable[Mapping[str, int]]) -> tuple[dict[str, UnsurAggregate], int]:
    """Per-unsur (sum, count) of raw answers (``code -> score``), and the number of respondents."""
    totals = {code: 0 for code in CODES}
    counts = {code: 0 for code in CODES}
    respondents = 0
    for answers in responses:
        respondents += 1
        for code, score in answers.items():
            totals[code] += score
            counts[code] += 1
    return {code: UnsurAggregate(totals[code], counts[code]) for code in CODES}, respondents


def from_responses(responses: Iterable[Mapping[str, int]], options: IndexOptions = IndexOptions()) -> IndexResult:
    aggregates, respondents = aggregate(responses)
    return from_aggregates(aggregates, options, respondents=respondents)


def from_aggregates(aggregates: Mapping[str, UnsurAggregate], options: IndexOptions = IndexOptions(),
                    respondents: int | None = None) -> IndexResult:
    """The index from per-unsur (sum, count); raises ``IncompleteData`` if an unsur has no answer."""
    empty = [code for code in CODES if aggregates.get(code, UnsurAggregate(0, 0)).count == 0]
    if empty:
        raise IncompleteData([Problem("unsur_without_answers", params={"unsur": ", ".join(empty)})])
    nrr = {code: Fraction(aggregates[code].total) / aggregates[code].count for code in CODES}
    return _compute(nrr, options, respondents, aggregates)


def from_nrr(nrr: Mapping[str, Fraction | Decimal | str], options: IndexOptions = IndexOptions()) -> IndexResult:
    """The index from published per-unsur NRR (each 1..4)."""
    values: dict[str, Fraction] = {}
    problems = []
    for code in CODES:
        if code not in nrr:
            problems.append(Problem("missing_unsur", code))
            continue
        try:
            value = Fraction(nrr[code])
        except (ValueError, TypeError, ZeroDivisionError, OverflowError):
            problems.append(Problem("nrr_not_number", code, {"value": nrr[code]}))
            continue
        if not 1 <= value <= 4:
            problems.append(Problem("nrr_out_of_range", code, {"value": nrr[code]}))
        values[code] = value
    if problems:
        raise InvalidNrr(problems)
    return _compute(values, options, None, None)


def _compute(nrr: Mapping[str, Fraction], options: IndexOptions, respondents: int | None,
             aggregates: Mapping[str, UnsurAggregate] | None) -> IndexResult:
    weight = WEIGHTS[options.weight]
    sorted_nrr = sorted(nrr.values())
    results = []
    for u in UNSUR:
        weighted = nrr[u.code] * weight
        if options.round_weighted is not None:
            weighted = Fraction(round_half_up(weighted, options.round_weighted))
        agg = aggregates[u.code] if aggregates else None
        results.append(UnsurResult(
            code=u.code, order=u.order, count=agg.count if agg else None, total=agg.total if agg else None,
            nrr=nrr[u.code], weighted=weighted, rank=1 + sorted_nrr.index(nrr[u.code])))
    return IndexResult(tuple(results), sum((r.weighted for r in results), Fraction(0)), options, respondents)
