import pytest

from skm.misuse import MisuseRules, suspect_reason

RULES = MisuseRules(min_seconds=10, burst_count=3, burst_window_seconds=60)


@pytest.mark.parametrize("duration_ms, recent, expected", [
    (20_000, 0, None),
    (10_000, 2, None),
    (9_999, 0, "too_fast:10.0s<10s"),
    (4_200, 0, "too_fast:4.2s<10s"),
    (20_000, 3, "burst:4/60s"),
    (1_000, 5, "too_fast:1.0s<10s;burst:6/60s"),
    (None, 0, None),
])
def test_suspect_reason(duration_ms, recent, expected):
    assert suspect_reason(RULES, duration_ms, recent) == expected
