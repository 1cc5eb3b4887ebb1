"""Did a follow-up work? An unsur's scores before and after it, compared with Welch's two-sample t-test
(unequal variances), from the count of each score 1..4 on each side: those give the exact mean and
variance, so no raw response is read. Pure Python: the t distribution through the regularized incomplete
beta function (Numerical Recipes' continued fraction)."""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Mapping

SIGNIFICANCE = 0.05  # two-sided


@dataclass(frozen=True)
class Side:
    """One side's scores: how many respondents gave each score."""
    counts: Mapping[int, int]

    @property
    def n(self) -> int:
        return sum(self.counts.values())

    @property
    def mean(self) -> Fraction:
        return Fraction(sum(s * c for s, c in self.counts.items()), self.n)

    @property
    def variance(self) -> Fraction:
        """The sample variance (n - 1 in the denominator)."""
        mean = self.mean
        return sum(((Fraction(s) - mean) ** 2 * c for s, c in self.counts.items()), Fraction(0)) / (self.n - 1)


@dataclass(frozen=True)
class Welch:
    before: Side
    after: Side
    t: float | None  # None: too few respondents, or no spread on either side
    df: float | None
    p: float | None  # two-sided

    @property
    def change(self) -> Fraction:
        return self.after.mean - self.before.mean

    @property
    def significant(self) -> bool:
        return self.p is not None and self.p < SIGNIFICANCE


def welch(before: Mapping[int, int], after: Mapping[int, int]) -> Welch:
    """Welch's t-test of the mean score after against before; needs at least two respondents a side."""
    b, a = Side(before), Side(after)
    if b.n < 2 or a.n < 2:
        return Welch(b, a, None, None, None)
    vb, va = float(b.variance) / b.n, float(a.variance) / a.n
    if vb + va == 0:
        return Welch(b, a, None, None, None if a.mean == b.mean else 0.0)
    t = float(a.mean - b.mean) / math.sqrt(vb + va)
    df = (vb + va) ** 2 / ((vb ** 2 / (b.n - 1) if vb else 0) + (va ** 2 / (a.n - 1) if va else 0))
    return Welch(b, a, t, df, two_sided_p(t, df))


def two_sided_p(t: float, df: float) -> float:
    """P(|T| >= |t|) for Student's t with ``df`` degrees of freedom: I_x(df/2, 1/2) with x = df/(df+t^2)."""
    return regularized_beta(df / (df + t * t), df / 2, 0.5)


def regularized_beta(x: float, a: float, b: float) -> float:
    if x <= 0:
        return 0.0
    if x >= 1:
        return 1.0
    front = math.exp(math.lgamma(a + b) - math.lgamma(a) - math.lgamma(b) + a * math.log(x) + b * math.log1p(-x))
    if x < (a + 1) / (a + b + 2):
        return front * _beta_fraction(x, a, b) / a
    return 1 - front * _beta_fraction(1 - x, b, a) / b


def _beta_fraction(x: float, a: float, b: float, steps: int = 300, eps: float = 1e-15) -> float:
    tiny = 1e-300
    c, d = 1.0, 1 - (a + b) * x / (a + 1)
    d = 1 / (d if abs(d) > tiny else tiny)
    h = d
    for m in range(1, steps + 1):
        for numerator in (m * (b - m) * x / ((a + 2 * m - 1) * (a + 2 * m)),
                          -(a + m) * (a + b + m) * x / ((a + 2 * m) * (a + 2 * m + 1))):
            d = 1 + numerator * d
            d = 1 / (d if abs(d) > tiny else tiny)
            c = 1 + numerator / c
            c = c if abs(c) > tiny else tiny
            h *= d * c
        if abs(d * c - 1) < eps:
            break
    return h
