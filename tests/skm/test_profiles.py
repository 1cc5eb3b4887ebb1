"""Profiles (the regulation an index follows), mutu per unsur, and the column order of U-labelled files."""
import json
from fractions import Fraction

import pytest

from skm import index
from skm.profiles import KEPMENPAN_25_2004, PERMENPANRB_14_2017
from tests.skm.test_cli import run, write

KEPMENPAN = ["--profile", "kepmenpan-25-2004"]


def u_file(tmp_path, u8: int, u9: int, rows: int = 2) -> str:
    """Nine U-labelled columns: 3 everywhere but U8 and U9, so the order decides which unsur is weakest."""
    header = ",".join(f"U{i}" for i in range(1, 10))
    line = ",".join(["3"] * 7 + [str(u8), str(u9)])
    return write(tmp_path, header + "\n" + "\n".join([line] * rows) + "\n")


# -- the column order of U1..U9 ---------------------------------------------------------------------------

def test_u_labelled_file_without_order_is_refused_with_the_choice_explained(tmp_path):
    result = run("ikm", u_file(tmp_path, 2, 4))
    assert result.exit_code == 2
    assert result.output.startswith("Kesalahan: ")
    for words in ("tidak menyebut urutan", "--order", "regulation: U8 = Penanganan Pengaduan",
                  "form: U8 = Sarana dan Prasarana", "kuesioner yang dicetak di Lampiran",
                  "kode unsur (persyaratan, prosedur"):
        assert words in result.output
    english = run("--lang", "en", "ikm", u_file(tmp_path, 2, 4))
    assert english.exit_code == 2
    assert "do not say which order" in english.output and "as printed on the Lampiran's questionnaire" in english.output


def test_both_orders_swap_names_ranks_and_mutu_but_not_the_index(tmp_path):
    path = u_file(tmp_path, 2, 4)
    by_regulation = json.loads(run("ikm", path, "--order", "regulation", "--json").output)
    by_form = json.loads(run("ikm", path, "--order", "form", "--json").output)
    unsur = {name: {u["code"]: u for u in data["unsur"]} for name, data in
             (("regulation", by_regulation), ("form", by_form))}
    assert (unsur["regulation"]["pengaduan"]["nrr"], unsur["regulation"]["sarana"]["nrr"]) == ("2.0000", "4.0000")
    assert (unsur["form"]["pengaduan"]["nrr"], unsur["form"]["sarana"]["nrr"]) == ("4.0000", "2.0000")
    assert by_regulation["priorities"][0] == "pengaduan" and by_form["priorities"][0] == "sarana"
    assert unsur["regulation"]["pengaduan"]["rank"] == 1 and unsur["form"]["sarana"]["rank"] == 1
    assert unsur["regulation"]["pengaduan"]["mutu"] == "D" and unsur["form"]["pengaduan"]["mutu"] == "A"
    assert by_regulation["ikm"] == by_form["ikm"] and by_regulation["konversi"] == by_form["konversi"] == "75.00"
    assert by_form["column_order"] == "form"
    text = run("ikm", path, "--order", "form").output
    sarana = next(line for line in text.splitlines() if "Sarana dan Prasarana" in line and "NRR" not in line)
    assert sarana.startswith("U9 ") and "2,0000" in sarana and " D " in sarana and "prioritas" in sarana
    assert "Urutan kolom             form: U8 = Sarana" in text  # the file's order is named; rows keep U1..U9


def test_columns_named_by_code_need_no_order(tmp_path):
    header = "persyaratan,prosedur,waktu,biaya,produk,kompetensi,perilaku,sarana,pengaduan\n"
    data = json.loads(run("ikm", write(tmp_path, header + "3,3,3,3,3,3,3,4,2\n"), "--json").output)
    assert {u["code"]: u["nrr"] for u in data["unsur"]}["pengaduan"] == "2.0000"


def test_missing_column_is_named_by_the_chosen_order(tmp_path):
    path = write(tmp_path, "U1,U2,U3,U4,U5,U6,U7,U8\n3,3,3,3,3,3,3,3\n")
    assert "kolom unsur tidak ada: pengaduan (U9)" in run("ikm", path, "--order", "form").output
    assert "kolom unsur tidak ada: sarana (U9)" in run("ikm", path, "--order", "regulation").output


def test_published_nrr_in_form_order():
    nrr = "3,3,3,3,3,3,3,4,2"
    by_form = json.loads(run("ikm", "--nrr", nrr, "--order", "form", "--json").output)
    assert {u["code"]: u["nrr"] for u in by_form["unsur"]}["sarana"] == "4.0000"
    by_regulation = json.loads(run("ikm", "--nrr", nrr, "--json").output)  # --nrr keeps the regulation's order
    assert {u["code"]: u["nrr"] for u in by_regulation["unsur"]}["sarana"] == "2.0000"


# -- mutu per unsur, from the NRR intervals ---------------------------------------------------------------

@pytest.mark.parametrize("nrr, expected", [
    ("4.00", "A"), ("3.5324", "A"), ("3.5322", "A"), ("3.5321", "B"), ("3.532", "B"),
    ("3.0644", "B"), ("3.0642", "B"), ("3.0641", "C"), ("3.064", "C"),
    ("2.60", "C"), ("2.5998", "C"), ("2.5997", "D"), ("2.5996", "D"), ("1.00", "D"),
])
def test_unsur_mutu_bands_and_boundaries(nrr, expected):
    """NRR x 25 rounded half-up to 2 decimals, graded as the index: 3,5322 x 25 = 88,305 -> 88,31 -> A."""
    assert index.nrr_mutu(nrr) == expected
    assert index.from_nrr({code: nrr for code in PERMENPANRB_14_2017.codes}).unsur[0].mutu == expected


def test_unsur_mutu_of_a_published_case(skm_vectors):
    """The vectors publish no per-unsur mutu; the Bantul NRR graded by the bands: 3,76 and 3,93 are A."""
    case = skm_vectors["ikm_cases"][0]
    result = index.from_nrr(case["nrr"])
    assert {u.code: u.mutu for u in result.unsur} == {
        "persyaratan": "B", "prosedur": "B", "waktu": "B", "biaya": "A", "produk": "B", "kompetensi": "B",
        "perilaku": "B", "pengaduan": "A", "sarana": "B"}
    assert run("ikm", "--nrr", ",".join(case["nrr"].values())).output.count("     A ") == 2


# -- KEPMENPAN 25/2004 ------------------------------------------------------------------------------------

def kepmenpan_file(tmp_path) -> str:
    """Two respondents: every unsur 3 and 4 (NRR 3,5), but keamanan (U14) 2 and 3 (NRR 2,5)."""
    header = ",".join(f"U{i}" for i in range(1, 15))
    return write(tmp_path, header + "\n" + ",".join(["3"] * 13 + ["2"]) + "\n" + ",".join(["4"] * 13 + ["3"]) + "\n")


def test_kepmenpan_hand_computed_case(tmp_path):
    """IKM = (13 x 3,5 + 2,5) / 14 = 48/14; konversi 85,71: A under 2004 (>= 81,26), B under 2017."""
    data = json.loads(run("ikm", kepmenpan_file(tmp_path), *KEPMENPAN, "--json").output)
    assert (data["ikm"], data["konversi"], data["mutu"], data["kinerja"]) == ("3.4286", "85.71", "A", "Sangat Baik")
    assert data["profile"] == "kepmenpan-25-2004" and data["profile_label"] == "KEPMENPAN 25/2004 (14 unsur)"
    assert len(data["unsur"]) == 14 and data["unsur"][0]["name"] == "Prosedur pelayanan"
    weakest = data["unsur"][13]
    assert (weakest["code"], weakest["name"], weakest["nrr"], weakest["rank"], weakest["mutu"]) == (
        "keamanan", "Keamanan pelayanan", "2.5000", 1, "C")  # 2,5 x 25 = 62,50: the top of C
    assert data["unsur"][0]["nrr_weighted"] == "0.2500" and data["unsur"][0]["mutu"] == "A"  # 3,5 / 14
    printed = json.loads(run("ikm", kepmenpan_file(tmp_path), *KEPMENPAN, "--weight", "0.071", "--json").output)
    assert printed["konversi"] == "85.20" and printed["conventions"].startswith("bobot 0,071")  # 48 x 0,071 x 25


def test_kepmenpan_output_is_labelled_and_default_stays_2017(tmp_path):
    text = run("ikm", kepmenpan_file(tmp_path), *KEPMENPAN).output
    assert "Profil                   KEPMENPAN 25/2004 (14 unsur)" in text
    assert "U14  Keamanan pelayanan" in text and "bobot 1/14 eksak" in text
    default = run("ikm", "--nrr", "3,3,3,3,3,3,3,3,3").output
    assert "Profil                   PermenPANRB 14/2017 (9 unsur)" in default and "bobot 1/9 eksak" in default
    assert index.IndexOptions().regulation is PERMENPANRB_14_2017


@pytest.mark.parametrize("konversi, expected", [
    ("100.00", "A"), ("81.26", "A"), ("81.255", "A"), ("81.25", "B"), ("81.2549", "B"),
    ("62.51", "B"), ("62.505", "B"), ("62.50", "C"), ("43.76", "C"), ("43.755", "C"), ("43.75", "D"),
    ("25.00", "D"),
])
def test_kepmenpan_bands_and_boundaries(konversi, expected):
    assert index.mutu(konversi, KEPMENPAN_25_2004) == expected


def test_kepmenpan_nrr_list_and_its_errors(tmp_path):
    data = json.loads(run("ikm", "--nrr", ",".join(["3.25"] * 13 + ["3.26"]), *KEPMENPAN, "--json").output)
    assert [u["mutu"] for u in data["unsur"]] == ["B"] * 13 + ["A"]  # NI 3,25 -> 81,25 B; 3,26 -> 81,50 A
    assert "harus ada 14 nilai NRR" in run("ikm", "--nrr", "3,3,3,3,3,3,3,3,3", *KEPMENPAN).output
    wrong_weight = run("ikm", kepmenpan_file(tmp_path), *KEPMENPAN, "--weight", "0.111")
    assert wrong_weight.exit_code == 2 and "bobot '0.111' tidak dikenal; pilihan: exact, 0.071" in wrong_weight.output
    wrong_order = run("ikm", kepmenpan_file(tmp_path), *KEPMENPAN, "--order", "form")
    assert wrong_order.exit_code == 2 and "urutan 'form' tidak ada untuk KEPMENPAN 25/2004" in wrong_order.output


def test_profile_weights_are_one_over_n():
    for profile in (PERMENPANRB_14_2017, KEPMENPAN_25_2004):
        assert profile.weights["exact"] == Fraction(1, len(profile.unsur))
