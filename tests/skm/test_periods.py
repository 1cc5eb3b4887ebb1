from datetime import date

import pytest

from skm import InvalidOption
from skm.periods import compose, containing, is_provisional, last_complete, parse, trailing_months


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


@pytest.mark.parametrize("text, key", [
    ("2026-Q3", "2026-T3"), ("Triwulan III 2026", "2026-T3"), ("TW3 2026", "2026-T3"), ("T3 2026", "2026-T3"),
    ("tw iii 2026", "2026-T3"), ("triwulan ke-3 2026", "2026-T3"), ("Q4-2026", "2026-T4"), ("2026-t1", "2026-T1"),
    ("Semester 2 2026", "2026-S2"), ("Semester II 2026", "2026-S2"), ("S1 2026", "2026-S1"),
    ("November 2026", "2026-11"), ("Nov 2026", "2026-11"), ("Nopember 2026", "2026-11"), ("Mei 2026", "2026-05"),
    ("Agustus 2026", "2026-08"), ("ags 2026", "2026-08"), ("Oktober 2026", "2026-10"), ("December 2026", "2026-12"),
    ("11/2026", "2026-11"), ("bulan Oktober 2026", "2026-10"), ("  2026  ", "2026"), ("Tahun 2026", "2026"),
    ("2026-01-05 s.d. 2026-02-10", "2026-01-05..2026-02-10"), ("2026-01-05 - 2026-02-10", "2026-01-05..2026-02-10"),
    ("2026-01-05 sampai 2026-02-10", "2026-01-05..2026-02-10"),
])
def test_common_spellings_normalise_to_the_canonical_form(text, key):
    assert parse(text).key() == key


@pytest.mark.parametrize("text", ["Triwulan V 2026", "TW0 2026", "Semester 3 2026", "Novembre 2026", "2026 2027",
                                  "bulan 13 2026", "Tahun 2026 2", "0001-T1", "Triwulan III 9999", "<b>2026</b>",
                                  "T3", "November"])
def test_unreadable_spellings_are_refused_with_the_value(text):
    with pytest.raises(InvalidOption) as err:
        parse(text)
    assert " ".join(text.split()) in err.value.render("id")[0]


def test_next_is_the_inverse_of_previous():
    for text in ("2026-12", "2026-T4", "2026-S2", "2026", "2026-01-11..2026-01-20"):
        period = parse(text)
        assert period.next().previous() == period and period.previous().next() == period
    assert parse("2026-T4").next().key() == "2027-T1"


def test_provisional_until_the_period_has_ended():
    t4 = parse("2026-T4")
    assert is_provisional(t4, date(2026, 12, 3)) and is_provisional(t4, date(2026, 12, 31))
    assert not is_provisional(t4, date(2027, 1, 1))
    assert last_complete("triwulan", date(2026, 12, 3)).key() == "2026-T3"
    assert last_complete("month", date(2026, 1, 1)).key() == "2025-12"


@pytest.mark.parametrize("args, key", [
    (("month", "2026", "3"), "2026-03"), (("triwulan", "2026", "4"), "2026-T4"), (("semester", "2026", "1"), "2026-S1"),
    (("year", "2026"), "2026"), (("range", "", "", "2026-01-05", "2026-02-10"), "2026-01-05..2026-02-10"),
])
def test_compose_what_a_picker_sent(args, key):
    assert parse(compose(*args)).key() == key
