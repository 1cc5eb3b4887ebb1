"""The price of exact arithmetic: the IKM of 100,000 raw responses with Fractions, against the same
sums in floats (the baseline, what a naive implementation does)."""
import random
import time

from skm import CODES, index

N = 100_000


def best_of(fn, repeat=3):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return min(times)


def float_ikm(responses):
    totals = dict.fromkeys(CODES, 0)
    for r in responses:
        for code, score in r.items():
            totals[code] += score
    return sum(totals[c] / len(responses) for c in CODES) / 9 * 25


def run():
    rnd = random.Random(2017)
    responses = [{c: rnd.randint(1, 4) for c in CODES} for _ in range(N)]
    exact = best_of(lambda: index.from_responses(responses))
    naive = best_of(lambda: float_ikm(responses))
    aggregates, n = index.aggregate(responses)
    from_agg = best_of(lambda: index.from_aggregates(aggregates, respondents=n), repeat=200)
    return {
        "index_exact_100k_responses": {"value": exact, "unit": "s", "baseline": naive, "ratio": exact / naive},
        "index_from_aggregates": {"value": from_agg * 1e6, "unit": "us", "baseline": exact * 1e6,
                                  "ratio": from_agg / exact},
    }
