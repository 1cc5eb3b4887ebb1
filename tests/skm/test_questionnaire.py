import subprocess
import sys

from skm import CODES, PROFILE, UNSUR
from skm.errors import MESSAGES
from skm.questionnaire import KINERJA, LANGUAGES


def test_nine_unsur_in_regulation_order_with_stable_codes():
    assert CODES == ("persyaratan", "prosedur", "waktu", "biaya", "produk", "kompetensi", "perilaku",
                     "pengaduan", "sarana")
    assert [u.order for u in UNSUR] == list(range(1, 10))
    assert UNSUR[7].name["id"] == "Penanganan Pengaduan, Saran dan Masukan"  # U8, before sarana
    assert UNSUR[3].answer(4) == "Gratis" and UNSUR[3].answer(1) == "Sangat mahal"


def test_every_text_is_in_both_languages():
    for u in UNSUR:
        for t in (u.name, u.question, *u.answers):
            assert set(t) == set(LANGUAGES) and all(t.values()), u.code
    for f in PROFILE:
        for t in (f.label, *(label for _, label in f.choices)):
            assert set(t) == set(LANGUAGES) and all(t.values()), f.name
    for code, words in {**MESSAGES, **KINERJA}.items():
        assert set(words) == set(LANGUAGES), code


def test_official_profile_choices():
    choices = {f.name: f.values for f in PROFILE}
    assert choices["jenis_kelamin"] == ("L", "P")
    assert choices["pendidikan"] == ("SD", "SMP", "SMA", "D1-D3", "S1", "S2", "S3")
    assert choices["pekerjaan"] == ("PNS", "TNI", "POLRI", "Swasta", "Wirausaha", "Lainnya")


def test_domain_imports_no_web_or_storage_library():
    code = ("import sys, skm, skm.index, skm.sample, skm.tabular, skm.validation; "
            "bad = {'flask', 'sqlite_utils', 'sqlalchemy', 'sqlite3', 'socket', 'click'} & set(sys.modules); "
            "print(sorted(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"
