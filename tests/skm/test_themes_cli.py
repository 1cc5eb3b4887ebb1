"""`skm themes FILE`: JSON lines of each comment's themes and integrity signal, from a text of one comment a
line, a CSV with a comment column, or standard input; a bad lexicon file stops it naming the problem."""
import json

from click.testing import CliRunner

from skm.cli import main


def lines(output: str) -> list[dict]:
    return [json.loads(line) for line in output.splitlines()]


def test_one_comment_a_line_from_stdin_masked():
    result = CliRunner().invoke(main, ["themes", "-"], input="antriannya lama bgt\n\n"
                                "petugas minta uang rokok, wa saya 0812-7654-3210\ngak ada pungli\n")
    assert result.exit_code == 0, result.output
    out = lines(result.output)
    assert [o["line"] for o in out] == [1, 3, 4]
    assert out[0]["themes"] == ["waktu_tunggu"] and out[0]["integrity"] == [] and out[0]["sentiment"] == "negatif"
    assert out[1]["integrity"] == ["pungli"] and "0812" not in out[1]["comment"]
    assert out[2]["themes"] == ["pujian"] and out[2]["integrity"] == []


def test_csv_with_a_comment_column(tmp_path):
    path = tmp_path / "komentar.csv"
    path.write_text('no;layanan;comment\n1;kk;"toilet bau, ac mati"\n2;ktp;ada calo di depan\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["themes", str(path)])
    assert result.exit_code == 0, result.output
    out = lines(result.output)
    assert [(o["line"], o["themes"], o["integrity"]) for o in out] == [(2, ["fasilitas"], []), (3, [], ["calo"])]
    assert out[0]["evidence"]["fasilitas"] == ["toilet bau", "ac mati"]


def test_lexicon_extension_and_its_errors(tmp_path):
    comments = tmp_path / "k.txt"
    comments.write_text("petugasnya ngaret\n", encoding="utf-8")
    good = tmp_path / "tema.toml"
    good.write_text('[tema.waktu_tunggu]\nkeluhan = ["ngaret"]\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["themes", "--lexicon", str(good), str(comments)])
    assert result.exit_code == 0 and lines(result.output)[0]["themes"] == ["waktu_tunggu"]
    bad = tmp_path / "salah.toml"
    bad.write_text('[tema.waktu_tunggu]\nkeluhn = ["ngaret"]\n', encoding="utf-8")
    result = CliRunner().invoke(main, ["themes", "--lexicon", str(bad), str(comments)])
    assert result.exit_code == 2
    assert "salah.toml" in result.output and "tema.waktu_tunggu.keluhn: nama tidak dikenal" in result.output
    result = CliRunner().invoke(main, ["--lang", "en", "themes", str(tmp_path / "none.txt")])
    assert result.exit_code != 0 and "none.txt" in result.output
