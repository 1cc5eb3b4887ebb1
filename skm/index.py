"""The Indeks Kepuasan Masyarakat, in exact arithmetic.

NRR per unsur = sum of its scores / respondents who answered it. IKM = sum of NRR x weight, with the
weight 1/n (n unsur) by default. Konversi = IKM x 25, rounded half-up to 2 decimals, then graded into mutu
A..D; each unsur is graded the same way from its NRR x 25 (the NRR intervals of the regulation).
Figures are Fractions until they are shown, so no boundary is decided by a float.

The regulation (its unsur, weights and bands) is a profile (``skm.profiles``), PermenPANRB 14/2017 by
default. Published reports differ in convention (weight 0,111 or 0,11; each weighted NRR rounded before the
sum); those are options, and a result records the options that produced it.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from typing import Iterable, Mapping

from .errors import IncompleteData, InvalidNrr, InvalidOption, Problem
from .numbers import round_half_up
from .profiles import DEFAULT_PROFILE, PERMENPANRB_14_2017, PROFILES, IndexProfile

WEIGHTS: Mapping[str, Fraction] = PERMENPANRB_14_2017.weights
PRIORITY_COUNT = 3  # the lowest three unsur get a follow-up plan

__all__ = ["round_half_up"]  # re-exported: callers round figures for display from here


def mutu(konversi: Fraction | Decimal | str, profile: IndexProfile = PERMENPANRB_14_2017) -> str:
    """Grade a konversi value: rounded half-up to 2 decimals, then A (>= 88.31 under PermenPANRB) .. D."""
    return profile.grade(konversi).mutu


def nrr_mutu(nrr: Fraction | Decimal | str, profile: IndexProfile = PERMENPANRB_14_2017) -> str:
    """The mutu of one unsur: its NRR x 25 graded as the index is (NRR 3,5324-4,00 is A, ...)."""
    return mutu(Fraction(nrr) * 25, profile)


@dataclass(frozen=True)
class IndexOptions:
    weight: str = "exact"
    round_weighted: int | None = None  # decimals each NRR x weight is rounded to before the sum
    profile: str = DEFAULT_PROFILE  # a key of ``skm.profiles.PROFILES``

    def __post_init__(self) -> None:
        problems = []
        if self.profile not in PROFILES:
            problems.append(Problem("bad_profile", "profile", {"value": self.profile, "choices": ", ".join(PROFILES)}))
        elif self.weight not in self.regulation.weights:
            problems.append(Problem("bad_weight", "weight", {"value": self.weight,
                                                             "choices": ", ".join(self.regulation.weights)}))
        if self.round_weighted is not None and (
                isinstance(self.round_weighted, bool) or not isinstance(self.round_weighted, int)
                or not 1 <= self.round_weighted <= 6):
            problems.append(Problem("bad_rounding", "round_weighted", {"value": self.round_weighted}))
        if problems:
            raise InvalidOption(problems)

    @property
    def regulation(self) -> IndexProfile:
        return PROFILES[self.profile]

    @property
    def is_default(self) -> bool:
        return self == IndexOptions()

    def describe(self, lang: str = "id") -> str:
        if self.weight == "exact":
            weight = {"id": "bobot 1/{n} eksak", "en": "weight 1/{n} exact"}[lang].format(
                n=len(self.regulation.unsur))
        else:
            weight = {"id": "bobot ", "en": "weight "}[lang] + (self.weight.replace(".", ",") if lang == "id"
                                                                else self.weight)
        if self.round_weighted is None:
            rounding = {"id": "tanpa pembulatan antara", "en": "no intermediate rounding"}[lang]
        else:
            rounding = {"id": "NRR tertimbang dibulatkan {n} desimal",
                        "en": "weighted NRR rounded to {n} decimals"}[lang].format(n=self.round_weighted)
        return f"{weight}, {rounding}"

    def to_dict(self) -> dict:
        return {"weight": self.weight, "round_weighted": self.round_weighted, "profile": self.profile}


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
    mutu: str  # the NRR's band, A..D

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
    def profile(self) -> IndexProfile:
        return self.options.regulation

    @property
    def mutu(self) -> str:
        return mutu(self.konversi, self.profile)

    def kinerja(self, lang: str = "id") -> str:
        return self.profile.grade(self.konversi).kinerja[lang]

    def unsur_name(self, code: str, lang: str = "id") -> str:
        return self.profile.by_code[code].name[lang]

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
                "code": u.code, "label": f"U{u.order}", "name": self.unsur_name(u.code, lang),
                "n": u.count, "nrr": str(round_half_up(u.nrr, places)),
                "nrr_weighted": str(round_half_up(u.weighted, places)), "mutu": u.mutu, "rank": u.rank,
                "priority": u.priority,
            } for u in self.unsur],
            "profile": self.profile.key,
            "profile_label": self.profile.label,
            "ikm": str(self.ikm_display(places)),
            "konversi": str(self.konversi),
            "mutu": self.mutu,
            "kinerja": self.kinerja(lang),
            "priorities": list(self.priorities),
            "options": self.options.to_dict(),
            "conventions": self.options.describe(lang),
        }


def aggregate(responses: Iterable[Mapping[str, int]], codes: Iterable[str] = PERMENPANRB_14_2017.codes
              ) -> tuple[dict[str, UnsurAggregate], int]:
    """Per-unsur (sum, count) of raw answers (``code -> score``), and the number of respondents."""
    codes = tuple(codes)
    totals = {code: 0 for code in codes}
    counts = {code: 0 for code in codes}
    respondents = 0
    for answers in responses:
        respondents += 1
        for code, score in answers.items():
            totals[code] += score
            counts[code] += 1
    return {code: UnsurAggregate(totals[code], counts[code]) for code in codes}, respondents


def from_responses(responses: Iterable[Mapping[str, int]], options: IndexOptions = IndexOptions()) -> IndexResult:
    aggregates, respondents = aggregate(responses, options.regulation.codes)
    return from_aggregates(aggregates, options, respondents=respondents)


def from_aggregates(aggregates: Mapping[str, UnsurAggregate], options: IndexOptions = IndexOptions(),
                    respondents: int | None = None) -> IndexResult:
    """The index from per-unsur (sum, count); raises ``IncompleteData`` if an unsur has no answer."""
    codes = options.regulation.codes
    empty = [code for code in codes if aggregates.get(code, UnsurAggregate(0, 0)).count == 0]
    if empty:
        raise IncompleteData([Problem("unsur_without_answers", params={"unsur": ", ".join(empty)})])
    nrr = {code: Fraction(aggregates[code].total) / aggregates[code].count for code in codes}
    return _compute(nrr, options, respondents, aggregates)


def from_nrr(nrr: Mapping[str, Fraction | Decimal | str], options: IndexOptions = IndexOptions()) -> IndexResult:
    """The index from published per-unsur NRR (each 1..4)."""
    values: dict[str, Fraction] = {}
    problems = []
    for code in options.regulation.codes:
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
    profile = options.regulation
    weight = profile.weights[options.weight]
    sorted_nrr = sorted(nrr.values())
    results = []
    for u in profile.unsur:
        weighted = nrr[u.code] * weight
        if options.round_weighted is not None:
            weighted = Fraction(round_half_up(weighted, options.round_weighted))
        agg = aggregates[u.code] if aggregates else None
        results.append(UnsurResult(
            code=u.code, order=u.order, count=agg.count if agg else None, total=agg.total if agg else None,
            nrr=nrr[u.code], weighted=weighted, rank=1 + sorted_nrr.index(nrr[u.code]),
            mutu=nrr_mutu(nrr[u.code], profile)))
    return IndexResult(tuple(results), sum((r.weighted for r in results), Fraction(0)), options, respondents)
