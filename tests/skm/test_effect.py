"""Welch's t-test from score counts, against published t-table values and a worked example."""
from fractions import Fraction

import pytest

from skm.effect import two_sided_p, welch


@pytest.mark.parametrize("t, df, p", [(2.228, 10, 0.05), (12.706, 1, 0.05), (2.576, 10 ** 7, 0.01),
                                      (3.169, 10, 0.01), (0.0, 5, 1.0), (1.812, 10, 0.10)])
def test_two_sided_p_matches_the_t_table(t, df, p):
    assert two_sided_p(t, df) == pytest.approx(p, abs=2e-4)


def test_welch_on_score_counts():
    # before: 2,2,2,3,3 (mean 2.4, var 0.3); after: 3,3,4,4,4,4 (mean 11/3, var 4/15)
    result = welch({2: 3, 3: 2}, {3: 2, 4: 4})
    assert (result.before.mean, result.after.mean) == (Fraction(12, 5), Fraction(11, 3))
    assert (result.before.variance, result.after.variance) == (Fraction(3, 10), Fraction(4, 15))
    se2 = 0.3 / 5 + (4 / 15) / 6
    assert result.t == pytest.approx((11 / 3 - 2.4) / se2 ** 0.5)
    assert result.df == pytest.approx(se2 ** 2 / ((0.3 / 5) ** 2 / 4 + ((4 / 15) / 6) ** 2 / 5))
    assert result.significant and result.p == pytest.approx(two_sided_p(result.t, result.df))


def test_too_few_or_no_spread_cannot_be_tested():
    assert welch({3: 1}, {4: 10}).p is None
    assert welch({3: 5}, {3: 5}).p is None
    assert not welch({3: 5}, {3: 5}).significant
