"""The unit page's comment themes: counts per theme for the period and the one before, computed from the
comments ingested through the real API; a theme's link lists its comments masked; COLLECTOR_THEMES_FILE
extends the lexicon and a bad one stops the app."""
import re

import pytest

from collector import auth, demo
from skmweb import SettingError
from tests.helpers import create_collector, hidden, seed_collector, wire_response

PASSWORD = demo.DEMO_PASSWORD

NOVEMBER = [  # (comment, the day in November 2026)
    ("antriannya lama bgt, NIK saya 1472012501900003", "2026-11-03"),
    ("nunggu 3 jam", "2026-11-04"),
    ("petugasnya ramah bgt", "2026-11-05"),
    ("disuruh bayar 50rb biar cepet, hubungi 0812-7654-3210", "2026-11-06"),
    ("toilet bau", "2026-11-07"),
    (None, "2026-11-08"),
]
OCTOBER = [("antri lama", "2026-10-10"), ("tidak lama, mantap", "2026-10-11"), ("toiletnya kotor", "2026-10-12"),
           ("ac mati", "2026-10-13")]


def push_comments(kiosk, comments, first_seq=1, **changes):
    responses = [wire_response(seq=first_seq + i, comment=text, started_at=f"{day}T09:14:02.120+07:00",
                               submitted_at=f"{day}T09:14:31.877+07:00", **changes)
                 for i, (text, day) in enumerate(comments)]
    statuses = kiosk.statuses(kiosk.push(responses))
    assert set(statuses.values()) == {"accepted"}, statuses


def signed_in(app, username="kepala", units=("dumai-disdukcapil",)):
    auth.create_user(app.extensions["skm_engine"], username, "Kepala", PASSWORD, "kepala_unit", list(units))
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    assert client.post("/login", data={"csrf_token": hidden(html, "csrf_token"), "username": username,
                                       "password": PASSWORD}).status_code == 302
    return client


def theme_row(page: str, code: str) -> list[str]:
    row = re.search(rf'<tr data-theme="{code}"[^>]*>(.*?)</tr>', page, re.S)
    assert row, code
    return [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row.group(1), re.S)]


def test_counts_per_theme_against_the_period_before(app, kiosk):
    push_comments(kiosk, NOVEMBER)
    push_comments(kiosk, OCTOBER, first_seq=len(NOVEMBER) + 1)
    push_comments(kiosk, [("lama sekali, suspect", "2026-11-09")], first_seq=20, suspect=True,
                  suspect_reason="too_fast")
    page = signed_in(app).get("/unit/dumai-disdukcapil?period=2026-11").get_data(as_text=True)
    assert "Tema komentar" in page and "Dihitung dari 5 komentar" in page and "4 komentar pada Oktober 2026" in page
    assert theme_row(page, "waktu_tunggu") == ["2", "40,0", "1", "\u2191 +1"]  # the suspect one is not counted
    assert theme_row(page, "fasilitas") == ["1", "20,0", "2", "\u2193 -1"]
    assert theme_row(page, "pujian") == ["1", "20,0", "1", "="]
    assert theme_row(page, "biaya") == ["1", "20,0", "0", "\u2191 +1"]
    assert theme_row(page, "pungli") == ["1", "20,0", "0", "\u2191 +1"]
    assert theme_row(page, "calo") == ["0", "0,0", "0", "="]


def test_a_theme_opens_its_comments_masked(app, kiosk):
    push_comments(kiosk, NOVEMBER)
    client = signed_in(app)
    page = client.get("/unit/dumai-disdukcapil?period=2026-11&tema=waktu_tunggu").get_data(as_text=True)
    listed = page.split('id="tema-komentar"')[1].split("</ul>")[0]
    assert "Komentar bertema Waktu tunggu / antrean" in page
    assert "nunggu 3 jam" in listed and "[NIK disamarkan]" in listed and "1472012501900003" not in page
    assert "toilet bau" not in listed and "ramah" not in listed
    page = client.get("/unit/dumai-disdukcapil?period=2026-11&tema=pungli").get_data(as_text=True)
    listed = page.split('id="tema-komentar"')[1].split("</ul>")[0]
    assert "biar cepet" in listed and "[telepon disamarkan]" in listed and "0812-7654-3210" not in page
    response = client.get("/unit/dumai-disdukcapil?period=2026-11&tema=tidak_ada")
    assert response.status_code == 400 and "Tema &#39;tidak_ada&#39; tidak dikenal" in response.get_data(as_text=True)


def test_a_unit_head_sees_no_other_units_themes(app, kiosk):
    push_comments(kiosk, NOVEMBER)
    client = signed_in(app, units=("dumai-mpp",))
    response = client.get("/unit/dumai-disdukcapil?period=2026-11&tema=waktu_tunggu")
    assert response.status_code == 404 and "nunggu 3 jam" not in response.get_data(as_text=True)


def test_themes_file_extends_the_lexicon(tmp_path):
    lexicon = tmp_path / "tema.toml"
    lexicon.write_text('[tema.waktu_tunggu]\nkeluhan = ["ngaret"]\n', encoding="utf-8")
    app = create_collector({"TESTING": True, "COLLECTOR_THEMES_FILE": str(lexicon)},
                           instance_path=seed_collector(tmp_path / "c"))
    assert "waktu_tunggu" in app.extensions["skm_themes"].tag("petugas ngaret").themes


@pytest.mark.parametrize("content, message", [
    ('[tema.waktu_tunggu]\nkeluhn = ["x"]\n', "tema.waktu_tunggu.keluhn: unknown name"),
    ("[tema.x\n", "not a valid TOML file"),
    (None, "cannot be read"),
])
def test_a_bad_themes_file_stops_the_app_naming_the_problem(tmp_path, content, message):
    path = tmp_path / "tema.toml"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    instance = seed_collector(tmp_path / "c")
    with pytest.raises(SettingError) as caught:
        create_collector({"TESTING": True, "COLLECTOR_THEMES_FILE": str(path)}, instance_path=instance)
    assert "COLLECTOR_THEMES_FILE" in str(caught.value) and message in str(caught.value)
