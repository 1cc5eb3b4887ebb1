"""Sample size by Krejcie and Morgan (1970), as PermenPANRB 14/2017 prescribes.

S = X2 N P (1 - P) / (d2 (N - 1) + X2 P (1 - P)), with X2 = 3.841 (chi-square, 1 df, 95 %), P = 0.5 and
d = 0.05, rounded half-up. N is the number of service recipients in the period.
"""
from __future__ import annotations

from dataclasses import dataclass
from fractions import Fraction

from .errors import InvalidOption, Problem
from .index import round_half_up

CHI_SQUARE = Fraction("3.841")
PROPORTION = Fraction(1, 2)
MARGIN = Fraction("0.05")


def krejcie_morgan(population: int) -> int:
    """The minimum number of respondents for a population of ``population`` service recipients."""
    if population < 0:
        raise InvalidOption([Problem("population_negative", "population", {"value": population})])
    if population == 0:
        return 0
    pq = PROPORTION * (1 - PROPORTION)
    size = CHI_SQUARE * population * pq / (MARGIN ** 2 * (population - 1) + CHI_SQUARE * pq)
    return int(round_half_up(size, 0))


@dataclass(frozen=True)
class SampleAdequacy:
    population: int
    required: int
    respondents: int

    @property
    def missing(self) -> int:
        return max(0, self.required - self.respondents)

    @property
    def adequate(self) -> bool:
        return self.missing == 0

    def describe(self, lang: str = "id") -> str:
        if self.adequate:
            return {"id": "sampel memadai", "en": "sample adequate"}[lang]
        return {"id": "sampel belum memadai: kurang {n} responden",
                "en": "sample not yet adequate: {n} respondents short"}[lang].format(n=self.missing)


def adequacy(population: int, respondents: int) -> SampleAdequacy:
    return SampleAdequacy(population, krejcie_morgan(population), respondents)
