"""The dashboard shows the general link's share of a period's answers and can leave the link out of every
figure and export of a view (``?tanpa_tautan=1``); the figures equal skm's computation on the raw rows."""
import csv
import io
import random
import re
from datetime import date, datetime
from fractions import Fraction
from zoneinfo import ZoneInfo

import pytest

from collector import demo, rollups, store
from skm import CODES, from_responses
from skm.index import round_half_up
from skm.periods import parse
from tests.helpers import create_collector, full_answers, hidden, labelled_rows, recomputed_workbook

UNIT = "dumai-disdukcapil"
PERIOD = parse("2026-11")
ZONE = ZoneInfo("Asia/Jakarta")


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    """The demo's kiosk and QR answers, plus general-link answers: genuine ones from many phones over days
    (mostly low scores, so leaving them out shows), and a scripted burst that is flagged."""
    app = create_collector({"TESTING": True}, instance_path=tmp_path_factory.mktemp("demo"))
    demo.build(app.extensions["skm_engine"], months=4, scale=0.15, end=date(2026, 11, 20))
    clock = app.extensions["skm_clock"] = Clock()
    rng = random.Random(7)
    for day in range(2, 14):
        for hour in (9, 14):
            phone = app.test_client()
            clock.now = datetime(2026, 11, day, hour, rng.randint(0, 59), tzinfo=ZONE).timestamp()
            page = phone.get(f"/s/{UNIT}").get_data(as_text=True)
            clock.now += rng.uniform(40, 120)
            answers = {f"answers.{c}": str(rng.choice((1, 2, 2, 3))) for c in CODES}
            assert phone.post(f"/s/{UNIT}", data={"csrf_token": hidden(page, "csrf_token"), "ticket": hidden(page, "ticket"),
                                                   "service": "kk", **answers}).status_code == 200
    script = app.test_client()
    clock.now = datetime(2026, 11, 16, 10, tzinfo=ZONE).timestamp()
    pages = [script.get(f"/s/{UNIT}").get_data(as_text=True) for _ in range(15)]
    clock.now += 60
    for page in pages:
        script.post(f"/s/{UNIT}", data={"csrf_token": hidden(page, "csrf_token"), "ticket": hidden(page, "ticket"),
                                        "service": "kk", **full_answers(1)})
    return app


@pytest.fixture(scope="module")
def engine(app):
    return app.extensions["skm_engine"]


@pytest.fixture(scope="module")
def admin(app):
    client = app.test_client()
    html = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"csrf_token": hidden(html, "csrf_token"), "username": "admin",
                                "password": demo.DEMO_PASSWORD})
    return client


def raw_rows(engine, without_link: bool, period=PERIOD):
    return [r for r in store.raw_responses(engine, [UNIT], period.start, period.end)
            if not (without_link and r["channel"] == "link")]


def raw_index(rows):
    trusted = [r for r in rows if not r["suspect"]]
    return from_responses([{c: r[c] for c in CODES} for r in trusted]), len(trusted)


def shown(page: str, pattern: str) -> str:
    return re.search(pattern, page, re.S).group(1)


def test_the_link_answers_are_there_some_flagged(engine):
    link = [r for r in raw_rows(engine, False) if r["channel"] == "link"]
    assert len(link) == 39 and sum(r["suspect"] for r in link) == 15


@pytest.mark.parametrize("without_link", [False, True])
def test_unit_page_figures_equal_skm_on_raw_rows_with_and_without_the_link(admin, engine, without_link):
    query = "&tanpa_tautan=1" if without_link else ""
    page = admin.get(f"/unit/{UNIT}?period=2026-11{query}").get_data(as_text=True)
    expected, n = raw_index(raw_rows(engine, without_link))
    assert shown(page, r'class="big konversi">([^<]+)<') == str(expected.konversi).replace(".", ",")
    assert f'<span class="big">{n}</span>' in page
    assert ('id="link-left-out"' in page) is without_link
    assert ("Semua angka dan unduhan di halaman ini tanpa jawaban dari tautan umum." in page) is without_link
    link = [r for r in raw_rows(engine, False) if r["channel"] == "link"]
    total = len(raw_rows(engine, False))
    pct = str(round_half_up(Fraction(100 * len(link), total), 1)).replace(".", ",")
    assert (f"Tautan umum (tanpa struk): {len(link)} dari {total} jawaban periode ini ({pct}%), 15 di antaranya "
            f"ditandai mencurigakan.") in page
    for export in ("export.xlsx", "export.csv", "report"):  # every link of the view keeps the choice
        assert re.search(rf'/unit/{UNIT}/{export}\?period=2026-11{query.replace("&", "&amp;")}"', page)
    assert ('<input type="hidden" name="tanpa_tautan" value="1">' in page) is without_link


def test_left_out_the_link_changes_the_index(engine):
    with_link, _ = raw_index(raw_rows(engine, False))
    without, _ = raw_index(raw_rows(engine, True))
    assert with_link.konversi < without.konversi  # the fixture's genuine link answers are low


@pytest.mark.parametrize("without_link", [False, True])
def test_exports_of_the_view_leave_the_link_out_too(admin, engine, without_link):
    query = "&tanpa_tautan=1" if without_link else ""
    rows = raw_rows(engine, without_link)
    text = admin.get(f"/unit/{UNIT}/export.csv?period=2026-11{query}").get_data().decode("utf-8-sig")  # BOM off
    exported = list(csv.DictReader(io.StringIO(text)))
    assert sorted(r["id"] for r in exported) == sorted(r["id"] for r in rows)
    response = admin.get(f"/unit/{UNIT}/export.xlsx?period=2026-11{query}")
    assert ("tanpa-tautan" in response.headers["Content-Disposition"]) is without_link
    sheet = recomputed_workbook(response.data)["Pengolahan"]
    values = {label: row[1] for label, row in labelled_rows(sheet).items()}
    expected, n = raw_index(rows)
    assert values["Jumlah responden"] == n and values["Nilai konversi (IKM x 25)"] == float(expected.konversi)
    assert ("Tanpa jawaban dari tautan umum" in [c for c in sheet[1] if c]) is without_link
    report = admin.get(f"/unit/{UNIT}/report?period=2026-11{query}").get_data(as_text=True)
    assert ("Tanpa jawaban dari tautan umum (tanpa struk)." in report) is without_link


@pytest.mark.parametrize("without_link", [False, True])
def test_overview_leaves_the_link_out_of_every_unit(admin, engine, without_link):
    query = "&tanpa_tautan=1" if without_link else ""
    page = admin.get(f"/?period=2026-11{query}").get_data(as_text=True)
    expected, n = raw_index(raw_rows(engine, without_link))
    row = shown(page, rf'(<tr data-unit="{UNIT}">.*?</tr>)')
    assert f'<td class="konversi">{str(expected.konversi).replace(".", ",")}</td>' in row and re.search(rf"<td>{n}(</td>| <span)", row)
    assert re.search(rf'/unit/{UNIT}\?period=2026-11{query.replace("&", "&amp;")}"', row)
    assert ('id="link-left-out"' in page) is without_link


def test_trend_and_weekday_grid_without_the_link_equal_the_raw_rows(engine):
    last = PERIOD.last_day
    for period, n, result in rollups.trend(engine, [UNIT], last, months=4, leave_out=("link",)):
        expected, count = raw_index(raw_rows(engine, True, period))
        assert (n, result) == (count, expected if count else None)
    grid = rollups.weekday_hour(engine, [UNIT], PERIOD, ("link",))
    cells: dict = {}
    for r in raw_rows(engine, True):
        if not r["suspect"]:
            cell = cells.setdefault((r["local_day"].weekday(), r["local_hour"]), [0, 0])
            cell[0] += 1
            cell[1] += sum(r[c] for c in CODES)
    assert {k: (c.responses, c.ikm) for k, c in grid.items()} == {
        k: (n, Fraction(total, 9 * n)) for k, (n, total) in cells.items()}
