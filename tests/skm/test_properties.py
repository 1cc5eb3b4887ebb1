"""Properties of the index that must hold for any survey (hypothesis)."""
from fractions import Fraction

from hypothesis import given, settings, strategies as st

from skm import CODES, index

score = st.integers(1, 4)
full_response = st.fixed_dictionaries({code: score for code in CODES})
responses = st.lists(full_response, min_size=1, max_size=40)
options = st.builds(index.IndexOptions, st.sampled_from(list(index.WEIGHTS)),
                    st.one_of(st.none(), st.integers(1, 4)))


@given(responses)
def test_konversi_within_25_and_100(rs):
    assert 25 <= index.from_responses(rs).konversi <= 100


@given(responses, options)
def test_other_conventions_stay_within_their_own_scale(rs, opts):
    # With weight w the scale is 25*9*w .. 100*9*w; each of the nine roundings moves it at most half a unit.
    weight = index.WEIGHTS[opts.weight]
    slack = 9 * 25 * Fraction(1, 2 * 10 ** opts.round_weighted) if opts.round_weighted else 0
    konversi = Fraction(index.from_responses(rs, opts).konversi)
    assert 25 * 9 * weight - slack - Fraction(1, 200) <= konversi <= 100 * 9 * weight + slack + Fraction(1, 200)


@given(responses, st.randoms(use_true_random=False))
def test_permuting_respondents_or_columns_changes_nothing(rs, rnd):
    shuffled = rs[:]
    rnd.shuffle(shuffled)
    reordered = []
    for r in shuffled:
        keys = list(r)
        rnd.shuffle(keys)
        reordered.append({k: r[k] for k in keys})
    assert index.from_responses(reordered).ikm == index.from_responses(rs).ikm


@given(responses, st.data())
def test_raising_one_answer_never_lowers_the_ikm(rs, data):
    i = data.draw(st.integers(0, len(rs) - 1))
    code = data.draw(st.sampled_from(CODES))
    if rs[i][code] == 4:
        return
    raised = [dict(r) for r in rs]
    raised[i][code] += 1
    before, after = index.from_responses(rs), index.from_responses(raised)
    assert after.ikm > before.ikm
    assert after.konversi >= before.konversi


@given(st.lists(st.dictionaries(st.sampled_from(CODES), score, min_size=1), min_size=1, max_size=30)
       .filter(lambda rs: all(any(c in r for r in rs) for c in CODES)), options)
def test_raw_responses_equal_their_aggregates(rs, opts):
    # Aggregates summed from arbitrary splits, as daily rows at the collector would be.
    half = len(rs) // 2
    first, _ = index.aggregate(rs[:half])
    second, _ = index.aggregate(rs[half:])
    merged = {code: first[code] + second[code] for code in CODES}
    from_raw = index.from_responses(rs, opts)
    from_agg = index.from_aggregates(merged, opts, respondents=len(rs))
    assert from_raw == from_agg


@settings(max_examples=300)
@given(st.fractions(min_value=25, max_value=100), st.fractions(min_value=25, max_value=100))
def test_mutu_is_monotone_in_konversi(a, b):
    low, high = sorted((a, b))
    assert "ABCD".index(index.mutu(low)) >= "ABCD".index(index.mutu(high))


@given(responses)
def test_konversi_is_ikm_times_25_rounded(rs):
    result = index.from_responses(rs)
    assert abs(Fraction(result.konversi) - result.ikm * 25) <= Fraction(1, 200)
