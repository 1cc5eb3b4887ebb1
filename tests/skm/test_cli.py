import json

import pytest
from click.testing import CliRunner

from skm.cli import main
from tests.conftest import ROOT

BANTUL = "3.31,3.35,3.49,3.93,3.45,3.39,3.39,3.76,3.35"


def run(*args, env=None):
    return CliRunner().invoke(main, list(args), env=env or {"SKM_LANG": "id"})


def write(tmp_path, text, name="survey.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return str(path)


def test_bundled_sample_file():
    result = run("ikm", str(ROOT / "samples" / "paper-survey.csv"))
    assert result.exit_code == 0, result.output
    assert "Indeks Kepuasan Masyarakat (60 responden)" in result.output
    assert "Nilai konversi           79,26" in result.output
    assert "bobot 1/9 eksak, tanpa pembulatan antara" in result.output


def test_published_nrr_in_both_languages():
    result = run("--lang", "en", "ikm", "--nrr", BANTUL, "--json")
    data = json.loads(result.output)
    assert (data["konversi"], data["mutu"], data["kinerja"]) == ("87.28", "B", "Good")
    semicolons = run("ikm", "--nrr", BANTUL.replace(",", ";").replace(".", ","))
    assert "87,28" in semicolons.output and "Baik" in semicolons.output


def test_columns_by_code_or_label_any_case_extra_ignored(tmp_path):
    header = "Nama;u1;U2;waktu;BIAYA;U5;U6;U7;U8;sarana;Catatan\n"
    path = write(tmp_path, "\ufeff" + header + "Ani;4;4;4;4;4;4;4;4;4;baik\nBudi;3;3;3;3;3;3;3;3;3;\n")
    data = json.loads(run("ikm", path, "--order", "regulation", "--json").output)
    assert data["respondents"] == 2 and data["konversi"] == "87.50"


def test_options_are_applied_and_reported(tmp_path):
    path = write(tmp_path, ",".join(f"U{i}" for i in range(1, 10)) + "\n" + ",".join(["4"] * 9) + "\n")
    data = json.loads(run("ikm", path, "--order", "form", "--weight", "0.111", "--json").output)
    assert data["konversi"] == "99.90" and data["options"]["weight"] == "0.111"
    data = json.loads(run("ikm", path, "--order", "form", "--round-weighted", "2", "--json").output)
    assert data["options"]["round_weighted"] == 2 and data["konversi"] == "99.00"  # 4/9 -> 0.44


def test_sample_size_against_population(tmp_path):
    path = write(tmp_path, ",".join(f"U{i}" for i in range(1, 10)) + "\n" + ",".join(["3"] * 9) + "\n")
    result = run("ikm", path, "--order", "regulation", "--population", "100")
    assert "1/80 (N=100): sampel belum memadai: kurang 79 responden" in result.output
    assert run("sample-size", "1000").output.strip() == "278"


@pytest.mark.parametrize("content, expected", [
    ("", "berkas kosong"),
    ("U1,U2,U3\n1,2,3\n", "baris 1: kolom unsur tidak ada: biaya (U4)"),
    ("U1,persyaratan,U2,U3,U4,U5,U6,U7,U8,U9\n", "unsur persyaratan muncul di dua kolom: U1, persyaratan"),
    ("U1,U2,U3,U4,U5,U6,U7,U8,U9\n", "tidak ada baris responden"),
    ("U1,U2,U3,U4,U5,U6,U7,U8,U9\n3,3,3,3,3,3,3,3,3\n3,3,3,3,5,3,3,3,3\n", "baris 3, kolom U5: nilai 5 di luar"),
    ("U1,U2,U3,U4,U5,U6,U7,U8,U9\n3,3,3,3,3,3,3,3,bagus\n", "baris 2, kolom U9: nilai 'bagus' bukan"),
    ("U1,U2,U3,U4,U5,U6,U7,U8,U9,Nama\n,,,,,,,,,Ani\n", "baris 2: tidak ada satu pun unsur"),
    ("U1,U2,U3,U4,U5,U6,U7,U8,U9\n3,3,3,3,3,3,3,,3\n", "belum ada jawaban untuk unsur: pengaduan"),
])
def test_malformed_csv_names_row_and_column_exit_2(tmp_path, content, expected):
    result = run("ikm", write(tmp_path, content), "--order", "regulation")
    assert result.exit_code == 2, result.output
    assert expected in result.output
    assert result.output.startswith("Kesalahan: ")


def test_errors_in_english(tmp_path):
    result = run("--lang", "en", "ikm", write(tmp_path, "U1,U2,U3,U4,U5,U6,U7,U8,U9\n3,3,3,3,3,3,3,3,0\n"),
                 "--order", "regulation")
    assert result.exit_code == 2
    assert "Error: " in result.output and "row 2, column U9: score 0 is outside 1 to 4" in result.output


def test_windows_excel_encoding_and_trailing_blank_lines(tmp_path):
    content = "Nama;U1;U2;U3;U4;U5;U6;U7;U8;U9\nJosé;4;4;4;4;4;4;4;4;4\n;;;;;;;;;\n"
    data = json.loads(run("ikm", write(tmp_path, content, encoding="cp1252"), "--order", "form", "--json").output)
    assert data["respondents"] == 1


@pytest.mark.parametrize("args, expected", [
    (["ikm"], "FILE atau --nrr"),
    (["ikm", "--nrr", "3,3,3"], "harus ada 9 nilai NRR"),
    (["ikm", "--nrr", "3,3,3,3,3,3,3,3,x"], "U9: 'x' bukan angka"),
    (["ikm", "--nrr", "3,3,3,3,3,3,3,3,4.5"], "NRR 4.5 di luar rentang"),
    (["ikm", "--nrr", BANTUL, "--population", "100"], "--population butuh FILE"),
    (["ikm", "/no/such/file.csv"], "/no/such/file.csv"),
])
def test_bad_arguments(args, expected):
    result = run(*args)
    assert result.exit_code != 0
    assert expected in result.output
