"""The comment tagger: Indonesian affixes, informal spelling, repeated letters, negation, the lexicon
extension and its errors, the quality goals on the labelled set (tests/data/comments_labelled.csv) and
the figures reached on the blind set (tests/data/comments_blind.csv)."""
import csv
from pathlib import Path

import pytest

from skm import themes

LABELLED = Path(__file__).resolve().parents[1] / "data" / "comments_labelled.csv"
BLIND = Path(__file__).resolve().parents[1] / "data" / "comments_blind.csv"
GOAL = 0.85
INTEGRITY_RECALL_GOAL = 0.95


def found(text: str) -> set[str]:
    return set(themes.tag(text).themes)


@pytest.mark.parametrize("text, theme", [
    ("saya menunggu terlalu lama", "waktu_tunggu"),        # me- with the t restored
    ("mengantre dari subuh", "waktu_tunggu"),              # meng-
    ("antriannya panjang", "waktu_tunggu"),                # -nya, -an, slang antri
    ("ngantri berjam-jam", "waktu_tunggu"),                # informal ng-, reduplication with a hyphen
    ("nungguin hasilnya 3 jam", "waktu_tunggu"),           # informal n- and -in
    ("warga cuma dicuekin, ditanya malah nyuekin", "sikap_petugas"),  # informal ny- for a c- root
    ("pegawainya ngomel", "sikap_petugas"),                # informal ng- before a vowel root
    ("saya dipersulit petugas", "sikap_petugas"),          # di- and per-
    ("persyaratannya berbelit-belit", "persyaratan"),      # ber-, -nya
    ("dipungut biaya 50rb", "biaya"),                      # di-, 50rb split into number and ribu
    ("toiletnya kotor", "fasilitas"),
    ("kebersihan toilet kurang", "fasilitas"),
    ("tidak diberi tahu syaratnya", "informasi"),
    ("pulang sebelum jam 2", "jam_layanan"),
])
def test_affixes(text, theme):
    assert theme in found(text)


@pytest.mark.parametrize("text, theme", [
    ("antri lama bgt", "waktu_tunggu"),
    ("ptgs jutek", "sikap_petugas"),
    ("sistem eror", "sistem"),
    ("gk ada kursi", "fasilitas"),
    ("tdk ada petunjuk", "informasi"),
    ("lmyn cepet, mantul", "pujian"),
])
def test_informal_spelling_and_abbreviations(text, theme):
    assert theme in found(text)


@pytest.mark.parametrize("text, theme", [
    ("lamaaaa bangettt", "waktu_tunggu"),
    ("ramaaah sekaliii", "pujian"),
    ("judeeesss", "sikap_petugas"),
    ("lamaa", "waktu_tunggu"),  # a doubled letter made single only when the word is otherwise unknown
])
def test_repeated_letters(text, theme):
    assert theme in found(text)


@pytest.mark.parametrize("text, expected", [
    ("tidak lama", {"pujian"}),                              # a negated complaint is praise
    ("gak lama kok", {"pujian"}),
    ("tidak terlalu lama", {"pujian"}),                      # negation reaches over "terlalu"
    ("tidak ramah", {"sikap_petugas"}),                      # a negated praise is a complaint
    ("kurang ramah", {"sikap_petugas"}),
    ("petugasnya ramah bgt", {"pujian"}),
    ("gak ada pungli", {"pujian"}),
    ("tidak ada kursi", {"fasilitas"}),                      # a needed thing missing
    ("kursinya tidak ada", {"fasilitas"}),
    ("tidak tahu kenapa lama sekali", {"waktu_tunggu"}),     # "tahu" ends the negation's reach
    ("tidak ramah dan lama", {"sikap_petugas", "waktu_tunggu"}),  # "dan" ends it too
    ("jangan lama-lama", {"waktu_tunggu"}),                  # a wish is still a complaint
])
def test_negation(text, expected):
    assert found(text) == expected


@pytest.mark.parametrize("text, signals", [
    ("disuruh bayar 50rb biar cepet", ["pungli"]),
    ("bayar lebih biar cepat", ["suap"]),
    ("Disuruh bayar lebih biar cepat", ["suap"]),  # a theme's "suruh bayar" does not hide the signal
    ("harus bayar lebih biar cepat", ["suap"]),
    ("tidak disuruh bayar lebih biar cepat", []),
    ("ada pungli di loket", ["pungli"]),
    ("katanya gratis tapi dimintai uang rokok", ["pungli"]),
    ("ada calo di parkiran", ["calo"]),
    ("kasih uang pelicin ke petugas", ["suap"]),
    ("diminta uang rokok, ada calo juga", ["pungli", "calo"]),
    ("gak ada pungli", []),
    ("tidak pernah dimintai uang", []),
    ("semoga tidak ada calo", []),
    ("jangan ada pungli ya", []),
    ("pelayanan cepat dan ramah", []),
])
def test_integrity_signals(text, signals):
    assert sorted(themes.integrity_signals(text)) == sorted(signals)


def test_praise_is_not_read_in_a_sentence_reporting_a_bribe():
    tagging = themes.tag("bisa tanpa antri kalau bayar ke satpam")
    assert tagging.integrity and not tagging.praise and tagging.sentiment == "negatif"


def test_empty_and_mixed():
    assert themes.tag(None).themes == () and themes.tag("").sentiment == "netral"
    mixed = themes.tag("petugas ramah tapi antrinya lama")
    assert mixed.themes == ("waktu_tunggu", "pujian") and mixed.sentiment == "campuran"
    assert mixed.evidence["waktu_tunggu"] == ("lama",)


def labelled(split=None, path=LABELLED):
    with open(path, encoding="utf-8", newline="") as file:
        rows = list(csv.DictReader(file))
    return [(r["comment"], set(filter(None, r["themes"].split(";"))), r["integrity"] == "1")
            for r in rows if split is None or r["split"] == split]


def test_labelled_set_is_large_varied_and_has_hard_negatives():
    rows = labelled()
    assert len(rows) >= 300 and len({text for text, _, _ in rows}) == len(rows)
    codes = set(themes.default_lexicon().themes)
    assert all(gold <= codes for _, gold, _ in rows)
    for code in codes:
        assert sum(code in gold for _, gold, _ in rows) >= 20, code
    assert sum(flag for _, _, flag in rows) >= 30
    texts = {text for text, _, _ in rows}
    assert {"petugasnya ramah bgt", "gak ada pungli, mantap", "tidak lama kok, 15 menit sudah selesai"} <= texts


def tagger(text):
    tagging = themes.tag(text)
    return set(tagging.themes), bool(tagging.integrity)


def test_tagger_meets_the_goals_on_the_labelled_set():
    """Issue 17: precision and recall at least 0.85 per theme and for the integrity signal, recall at least
    0.95 for the integrity signal, on the whole labelled set (held-out rows included)."""
    scores = themes.score(labelled(), tagger, themes.default_lexicon().themes)
    low = {code: (round(s.precision, 3), round(s.recall, 3)) for code, s in scores.items()
           if s.precision < GOAL or s.recall < GOAL}
    assert not low
    assert scores[themes.INTEGRITY].recall >= INTEGRITY_RECALL_GOAL


# What the tagger reaches on the blind set (tests/data/comments_blind.csv: 242 comments written before the
# lexicon was read; never a row of it was added to the lexicon), rounded down: (precision, recall). Below
# the goal for waktu_tunggu and persyaratan precision and for integrity precision; a regression fails here.
BLIND_REACHED = {
    "waktu_tunggu": (0.79, 1.00), "sikap_petugas": (0.91, 0.95), "biaya": (0.95, 0.95),
    "persyaratan": (0.80, 0.89), "sistem": (1.00, 1.00), "fasilitas": (0.92, 0.95),
    "informasi": (0.90, 0.95), "jam_layanan": (0.93, 0.88), "pujian": (0.97, 0.93),
    themes.INTEGRITY: (0.85, 0.96),
}


def test_blind_set_is_large_varied_and_apart_from_the_labelled_set():
    rows = labelled(path=BLIND)
    assert len(rows) >= 200 and len({text for text, _, _ in rows}) == len(rows)
    assert not {text for text, _, _ in rows} & {text for text, _, _ in labelled()}
    codes = set(themes.default_lexicon().themes)
    assert all(gold <= codes for _, gold, _ in rows)
    assert sum(flag for _, _, flag in rows) >= 25
    assert sum(not gold for _, gold, _ in rows) >= 10  # comments with no theme at all


def test_tagger_on_the_blind_set_keeps_what_it_reached():
    scores = themes.score(labelled(path=BLIND), tagger, themes.default_lexicon().themes)
    assert set(scores) == set(BLIND_REACHED)
    low = {code: (round(s.precision, 3), round(s.recall, 3)) for code, s in scores.items()
           if s.precision < BLIND_REACHED[code][0] or s.recall < BLIND_REACHED[code][1]}
    assert not low


def test_score_counts_what_it_says():
    rows = [("a", {"biaya"}, True), ("b", set(), False), ("c", {"biaya"}, False)]
    scores = themes.score(rows, lambda text: ({"biaya"} if text != "c" else set(), text == "b"), ["biaya"])
    assert (scores["biaya"].true_positives, scores["biaya"].false_positives, scores["biaya"].false_negatives) == (1, 1, 1)
    assert scores["integrity"].precision == 0 and scores["integrity"].recall == 0


EXTENSION = """
[normalisasi]
slang = { lelet = "lambat" }
[tema.waktu_tunggu]
keluhan = ["ngaret"]
[tema.parkir_liar]
label = "Juru parkir liar"
label_en = "Unofficial parking attendants"
keluhan = ["jukir"]
[integritas.pungli]
tanda = ["uang keamanan"]
"""


def test_an_extension_adds_words_themes_and_signals():
    lexicon = themes.load_lexicon(EXTENSION, "tema-kota.toml")
    assert "waktu_tunggu" in lexicon.tag("petugasnya ngaret").themes
    assert "parkir_liar" in lexicon.tag("banyak jukir di depan").themes
    assert lexicon.themes["parkir_liar"].name("en") == "Unofficial parking attendants"
    assert lexicon.integrity_signals("diminta uang keamanan") == ["pungli"]
    assert lexicon.themes["waktu_tunggu"].label == "Waktu tunggu / antrean"  # kept from the shipped one
    assert "ngaret" not in themes.default_lexicon().vocabulary  # the shipped lexicon is left as it was


@pytest.mark.parametrize("text, code, where", [
    ("[tema.x\n", "lexicon_not_toml", "f.toml"),
    ("[warna]\nmerah = 1\n", "lexicon_unknown_key", "f.toml: warna"),
    ("[tema.waktu_tunggu]\nkeluhn = [\"x\"]\n", "lexicon_unknown_key", "f.toml: tema.waktu_tunggu.keluhn"),
    ("[tema.waktu_tunggu]\nkeluhan = \"lama\"\n", "lexicon_not_list", "f.toml: tema.waktu_tunggu.keluhan"),
    ("[tema.waktu_tunggu]\nkeluhan = [\"ok\", \"<b>\"]\n", "lexicon_bad_term", "f.toml: tema.waktu_tunggu.keluhan[2]"),
    ("[tema.waktu_tunggu]\nkeluhan = [\"* lama\"]\n", "lexicon_bad_term", "f.toml: tema.waktu_tunggu.keluhan[1]"),
    ("[tema.Baru]\nlabel = \"b\"\nlabel_en = \"n\"\n", "lexicon_bad_code", "f.toml: tema.Baru"),
    ("[tema.baru]\nkeluhan = [\"x\"]\n", "lexicon_missing_label", "f.toml: tema.baru.label"),
    ("[integritas.baru]\nlabel = \"b\"\nlabel_en = \"n\"\ntema = \"tidak_ada\"\n", "lexicon_unknown_theme",
     "f.toml: integritas.baru.tema"),
    ("[normalisasi]\nslang = { gk = 3 }\n", "lexicon_bad_map", "f.toml: normalisasi.slang"),
])
def test_a_bad_extension_is_refused_saying_what_and_where(text, code, where):
    with pytest.raises(themes.InvalidLexicon) as caught:
        themes.load_lexicon(text, "f.toml")
    problem = caught.value.problems[0]
    assert (problem.code, problem.field) == (code, where)
    assert caught.value.render("id")[0].startswith(where) and caught.value.render("en")[0].startswith(where)


def test_a_full_tagging_cache_drops_its_oldest_and_keeps_the_newest(monkeypatch):
    """A collector tags a batch's comments when it stores them and again in the checks after it: once the
    cache is full, the newest comments must still be the ones it holds."""
    monkeypatch.setattr(themes, "CACHED_TAGGINGS", 3)
    lexicon = themes.load_lexicon()
    texts = [f"antrian panjang sekali nomor {i}" for i in range(5)]
    first = [lexicon.tag(text) for text in texts]
    assert list(lexicon._tagged) == texts[2:]
    assert lexicon.tag(texts[4]) is first[4] and lexicon.tag(texts[3]) is first[3]  # read from the cache
    again = lexicon.tag(texts[0])  # dropped, so read again: the same tagging, now the newest held
    assert again == first[0] and again is not first[0]
    assert list(lexicon._tagged) == [texts[3], texts[4], texts[0]]
