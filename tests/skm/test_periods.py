from datetime import date

import pytest

from skm import InvalidOption
from skm.periods import containing, parse, trailing_months


@pytest.mark.parametrize("text, start, end, label", [
    ("2026-11", date(2026, 11, 1), date(2026, 12, 1), "November 2026"),
    ("2026-12", date(2026, 12, 1), date(2027, 1, 1), "Desember 2026"),
    ("2026-T3", date(2026, 7, 1), date(2026, 10, 1), "Triwulan III 2026"),
    ("2026-S2", date(2026, 7, 1), date(2027, 1, 1), "Semester II 2026"),
    ("2026", date(2026, 1, 1), date(2027, 1, 1), "Tahun 2026"),
    ("2026-01-05..2026-02-10", date(2026, 1, 5), date(2026, 2, 11), "5 Januari 2026 - 10 Februari 2026"),
])
def test_parse_label_and_key_round_trip(text, start, end, label):
    period = parse(text)
    assert (period.start, period.end, period.label("id")) == (start, end, label)
    assert parse(period.key()) == period


@pytest.mark.parametrize("text", ["", "2026-13", "2026-T5", "2026-S3", "26", "2026-02-10..2026-01-05", "x..y"])
def test_bad_periods(text):
    with pytest.raises(InvalidOption) as err:
        parse(text)
    assert "2026-T3" in err.value.render("id")[0]


def test_previous_periods():
    assert parse("2026-01").previous().key() == "2025-12"
    assert parse("2026-T1").previous().key() == "2025-T4"
    assert parse("2026-S1").previous().key() == "2025-S2"
    assert parse("2026").previous().key() == "2025"
    assert parse("2026-01-11..2026-01-20").previous().key() == "2026-01-01..2026-01-10"


def test_trailing_months():
    months = trailing_months(date(2026, 2, 14), 24)
    assert len(months) == 24 and months[0].key() == "2024-03" and months[-1].key() == "2026-02"
    assert containing("triwulan", date(2026, 5, 31)).label("en") == "Quarter II 2026"
