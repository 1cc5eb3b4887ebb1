from decimal import Decimal
from fractions import Fraction

import pytest

from skm import CODES, IncompleteData, InvalidNrr, InvalidOption, index

ALL = dict.fromkeys(CODES, 4)


@pytest.mark.parametrize("value, places, expected", [
    ("88.305", 2, "88.31"), ("88.3049", 2, "88.30"), (Fraction(1, 3), 4, "0.3333"), (Fraction(2, 3), 4, "0.6667"),
    ("2.5", 0, "3"), ("-2.5", 0, "-3"), ("64.995", 2, "65.00"), (100, 2, "100.00"),
])
def test_round_half_up(value, places, expected):
    assert str(index.round_half_up(value, places)) == expected


def test_nrr_divides_by_respondents_who_answered_that_unsur():
    responses = [dict(ALL), {**ALL, "waktu": 2}, {c: 3 for c in CODES if c != "waktu"}]
    result = index.from_responses(responses)
    assert result.respondents == 3
    assert result.by_code("waktu").count == 2
    assert result.by_code("waktu").nrr == Fraction(6, 2)
    assert result.by_code("persyaratan").nrr == Fraction(11, 3)


def test_exact_weight_has_no_float_error():
    # NRR all 3.0644 exactly at B's lower NI bound: 3.0644 * 25 = 76.61
    result = index.from_nrr(dict.fromkeys(CODES, "3.0644"))
    assert result.ikm == Fraction("3.0644")
    assert result.konversi == Decimal("76.61")
    assert result.mutu == "B"


def test_weights_and_intermediate_rounding():
    nrr = dict.fromkeys(CODES, "3.33")
    assert index.from_nrr(nrr).konversi == Decimal("83.25")
    assert index.from_nrr(nrr, index.IndexOptions("0.11")).konversi == Decimal("82.42")  # 3.33*.11*9*25=82.4175
    rounded = index.from_nrr(nrr, index.IndexOptions("exact", round_weighted=2))
    assert rounded.by_code("waktu").weighted == Fraction("0.37")  # 3.33/9 = 0.37
    assert rounded.konversi == Decimal("83.25")
    assert rounded.options.describe("id") == "bobot 1/9 eksak, NRR tertimbang dibulatkan 2 desimal"
    assert index.from_nrr(dict.fromkeys(CODES, "3.1"), index.IndexOptions(round_weighted=2)).ikm == Fraction("3.06")  # 0.3444.. -> 0.34


def test_ranking_weakest_first_with_ties_sharing_a_rank():
    nrr = {"persyaratan": "3.1", "prosedur": "2.5", "waktu": "2.5", "biaya": "3.9", "produk": "3.0",
           "kompetensi": "3.0", "perilaku": "3.5", "pengaduan": "3.6", "sarana": "3.7"}
    result = index.from_nrr(nrr)
    assert [u.code for u in result.ranking][:4] == ["prosedur", "waktu", "produk", "kompetensi"]
    assert result.by_code("prosedur").rank == result.by_code("waktu").rank == 1
    assert result.by_code("produk").rank == result.by_code("kompetensi").rank == 3
    assert result.priorities == ("prosedur", "waktu", "produk", "kompetensi")  # tie at the third place kept


def test_an_unsur_without_answers_is_an_error_not_a_zero():
    with pytest.raises(IncompleteData) as err:
        index.from_responses([{c: 3 for c in CODES if c != "biaya"}])
    assert "biaya" in err.value.render("id")[0]


def test_from_nrr_reports_every_bad_value():
    with pytest.raises(InvalidNrr) as err:
        index.from_nrr({**dict.fromkeys(CODES, "3"), "waktu": "4.5", "biaya": "abc"} | {"sarana": "Infinity"})
    assert {p.field for p in err.value.problems} == {"waktu", "biaya", "sarana"}


@pytest.mark.parametrize("weight, rounding", [("0.1", None), ("exact", 0), ("exact", 7), ("exact", True), ("exact", "2")])
def test_bad_options(weight, rounding):
    with pytest.raises(InvalidOption):
        index.IndexOptions(weight, rounding)


def test_result_as_dict_names_its_conventions():
    data = index.from_responses([ALL]).to_dict("en")
    assert data["konversi"] == "100.00" and data["mutu"] == "A" and data["kinerja"] == "Very good"
    assert data["options"] == {"weight": "exact", "round_weighted": None, "profile": "permenpanrb-14-2017"}
    assert data["conventions"] == "weight 1/9 exact, no intermediate rounding"
    assert [u["label"] for u in data["unsur"]] == [f"U{i}" for i in range(1, 10)]
