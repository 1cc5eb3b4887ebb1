"""The collector's dashboard in real Chromium against a real ``skm collector run`` process, filled with the
Kota Dumai demo: sign-in through the form, the XLSX export against the page, accessibility (axe), no request
off the collector, the printable report on A4; the period picker (previous / next, kinds, typed spellings, an
unreadable one), "sementara" on a running period, names instead of codes, comments with their scores and
filters, and the unit page's layout at 1366 x 768.

Chromium and Playwright missing skip these tests (from the ``browser`` fixture of ``conftest.py``), which
``SKM_REQUIRE_ALL=1`` turns into failures.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from datetime import date, datetime
from decimal import Decimal
from urllib.parse import parse_qs, urlsplit
from zoneinfo import ZoneInfo

import pytest

from collector import demo
from skm.periods import containing, last_complete, parse
from tests.helpers import CollectorServer, create_collector, recomputed_workbook

pytestmark = pytest.mark.browser

UNIT = "dumai-disdukcapil"
USERNAME = f"kepala-{UNIT}"
SERIOUS = ("serious", "critical")
SHEETS = ("Pengolahan", "Profil responden", "Rencana tindak lanjut")
A4_POINTS = (595.92, 841.92)  # Chromium's A4 media box, in PDF points
COMMENTS_PER_PAGE = 4  # the demo at this scale has about a dozen comments: three pages


@pytest.fixture(scope="module")
def collector(tmp_path_factory):
    """A collector process on the demo data (three months), built before the server starts."""
    instance = tmp_path_factory.mktemp("dashboard") / "collector"
    app = create_collector(instance_path=instance)
    engine = app.extensions["skm_engine"]
    built = demo.build(engine, months=3, scale=0.1)
    engine.dispose()
    assert built["responses"] > 0
    server = CollectorServer(instance, {"COMMENTS_PER_PAGE": COMMENTS_PER_PAGE}).start()
    yield server
    server.stop()


def demo_period() -> str:
    """Every day the demo filled: from the first of its three months to today (the unit's local days)."""
    today = datetime.now(ZoneInfo("Asia/Jakarta")).date()
    return f"{demo.month_starts(today, 3)[0].isoformat()}..{today.isoformat()}"


def record_requests(page) -> list[str]:
    urls: list[str] = []
    page.on("request", lambda request: urls.append(request.url))
    return urls


def sign_in(page, collector, username: str = USERNAME) -> None:
    page.goto(collector.url + "/login")
    page.fill("#username", username)
    page.fill("#password", demo.DEMO_PASSWORD)
    with page.expect_navigation():
        page.click("form.login button[type=submit]")
    assert urlsplit(page.url).path == "/", page.content()[:1000]


def open_unit_page(page, collector) -> None:
    """From the overview to the unit, then the whole demo period through the period form."""
    page.click(f'tr[data-unit="{UNIT}"] a')
    assert urlsplit(page.url).path == f"/unit/{UNIT}"
    page.fill("#period", demo_period())
    with page.expect_navigation():
        page.click("form.period-text button[type=submit]")
    assert urlsplit(page.url).path == f"/unit/{UNIT}"


def decimal_of(shown: str) -> Decimal:
    """A figure as the page shows it in Bahasa Indonesia: decimal comma, no thousands separator."""
    assert re.fullmatch(r"\d+(,\d+)?", shown), shown
    return Decimal(shown.replace(",", "."))


def pengolahan(rows: list[tuple]) -> tuple[int, Decimal | None]:
    """The per-respondent rows (numbered 1..n under the U1..U9 header) and the konversi of the worksheet,
    as recomputed from its formulas."""
    header = next(i for i, row in enumerate(rows) if row and row[0] == "No")
    assert list(rows[header][5:14]) == [f"U{i}" for i in range(1, 10)], rows[header]
    numbers = []
    for row in rows[header + 1:]:
        if not row or not isinstance(row[0], int):
            break
        numbers.append(row[0])
        assert all(isinstance(v, int) and 1 <= v <= 4 for v in row[5:14]), row
    assert numbers == list(range(1, len(numbers) + 1))
    konversi = next((row[1] for row in rows if row and row[0] == "Nilai konversi (IKM x 25)"), None)
    return len(numbers), None if konversi is None else Decimal(str(konversi)).quantize(Decimal("0.01"))


def test_xlsx_export_has_what_the_unit_page_shows(collector, new_page, tmp_path):
    page = new_page()
    sign_in(page, collector)
    open_unit_page(page, collector)
    respondents = int(page.locator("section.headline > div:nth-child(3) .big").inner_text().strip())
    konversi = decimal_of(page.locator("section.headline .konversi").inner_text().strip())
    assert respondents > 0

    with page.expect_download() as info:
        page.click("#export-xlsx")
    download = info.value
    assert download.suggested_filename.startswith(f"skm-{UNIT}-") and download.suggested_filename.endswith(".xlsx")
    target = tmp_path / download.suggested_filename
    download.save_as(target)

    workbook = recomputed_workbook(target.read_bytes())
    assert set(SHEETS) <= set(workbook), list(workbook)
    rows, workbook_konversi = pengolahan(workbook["Pengolahan"])
    assert rows == respondents, f"{rows} rows in the workbook, {respondents} respondents on the page"
    assert workbook_konversi == konversi, f"konversi {workbook_konversi} in the workbook, {konversi} on the page"


def axe_problems(page, screen: str) -> list[str]:
    """The serious and critical axe violations of the page, readably, one entry per violation."""
    from axe_playwright_python.sync_playwright import Axe
    found = []
    for v in Axe().run(page).response["violations"]:
        if v["impact"] in SERIOUS:
            nodes = "\n".join(f"      {', '.join(map(str, n['target']))}: {n.get('failureSummary', '')}"
                              for n in v["nodes"])
            found.append(f"{screen}: {v['id']} ({v['impact']}) {v['help']}\n    {v['helpUrl']}\n{nodes}")
    return found


def tour(page, collector, check) -> None:
    """Sign-in page, overview, unit page, printable report and public page, calling ``check(page, name)``."""
    page.goto(collector.url + "/login")
    check(page, "sign-in page")
    sign_in(page, collector)
    check(page, "overview")
    open_unit_page(page, collector)
    check(page, "unit page")
    report = page.locator("p.actions a", has_text="Laporan cetak").get_attribute("href")
    page.goto(collector.url + report)
    check(page, "printable report")
    page.goto(f"{collector.url}/publik/{UNIT}")
    check(page, "public page")


def test_pages_have_no_serious_accessibility_violation(collector, new_page):
    pytest.importorskip("axe_playwright_python", reason="axe-playwright-python is not installed "
                                                        "(pip install -e '.[test]')")
    problems: list[str] = []
    tour(new_page(), collector, lambda page, name: problems.extend(axe_problems(page, name)))
    assert not problems, "\n".join(problems)


def test_every_request_goes_to_the_collector(collector, new_page):
    """No CDN, font service or analytics: the office network may have no internet."""
    page = new_page()
    urls = record_requests(page)
    seen: list[str] = []
    tour(page, collector, lambda page, name: seen.append(name))
    with page.expect_download():
        page.goto(f"{collector.url}/unit/{UNIT}")
        page.click("#export-xlsx")
    assert len(seen) == 5 and len(urls) >= 6, urls
    offsite = [u for u in urls if urlsplit(u).scheme not in ("data", "blob", "about")
               and (urlsplit(u).hostname, urlsplit(u).port) != ("127.0.0.1", collector.port)]
    assert not offsite, "requests to another host:\n" + "\n".join(offsite)


def report_headings(html: str) -> set[str]:
    """The report's headings and captions, as text."""
    found = re.findall(r"<(h1|h2|h3|caption)\b[^>]*>(.*?)</\1>", html, re.S)
    return {" ".join(re.sub(r"<[^>]+>", "", text).split()) for _tag, text in found}


def pdf_pages(pdf: bytes) -> list[tuple[float, float]]:
    """The media box (width, height) of each page of a PDF Chromium printed (page objects are not compressed)."""
    pages = []
    for match in re.finditer(rb"/Type\s*/Page\b(?!s)", pdf):
        start = pdf.rfind(b"<<", 0, match.start())
        box = re.search(rb"/MediaBox\s*\[\s*([\d.]+)\s+([\d.]+)\s+([\d.]+)\s+([\d.]+)\s*\]", pdf[start:start + 2000])
        assert box, pdf[start:start + 300]
        pages.append((float(box.group(3)) - float(box.group(1)), float(box.group(4)) - float(box.group(2))))
    return pages


def test_printable_report_prints_on_a4_pages_with_a_cover(collector, new_page):
    page = new_page()
    sign_in(page, collector)
    open_unit_page(page, collector)
    page.click("p.actions a:has-text('Laporan cetak')")
    page.wait_for_load_state()
    assert urlsplit(page.url).path == f"/unit/{UNIT}/report"
    assert page.locator("h1").inner_text() == "Survei Kepuasan Masyarakat"
    assert page.locator(".cover-kicker").inner_text().strip().lower() == "laporan hasil"
    page.emulate_media(media="print")
    assert page.locator("header.top").is_hidden() and page.locator("form.period").count() == 0

    pdf = page.pdf(prefer_css_page_size=True, print_background=True)
    assert pdf.startswith(b"%PDF-")
    pages = pdf_pages(pdf)
    assert 4 <= len(pages) <= 10, f"the report prints on {len(pages)} pages"
    for width, height in pages:
        assert abs(width - A4_POINTS[0]) < 2 and abs(height - A4_POINTS[1]) < 2, (width, height)
    if shutil.which("pdftotext") is None:
        pytest.skip("pdftotext is missing (apt-get install poppler-utils): the page ends are not checked")
    names = report_headings(page.content())
    text = subprocess.run(["pdftotext", "-", "-"], input=pdf, check=True, capture_output=True).stdout.decode()
    for number, printed in enumerate([p for p in text.split("\f") if p.strip()], start=1):
        lines = [" ".join(line.split()) for line in printed.splitlines() if line.strip()]
        body = [line for line in lines if not re.fullmatch(r"\d+ ?/ ?\d+", line)]
        assert body[-1] not in names, f"printed page {number} ends with the heading {body[-1]!r}"


# -- the period picker, "sementara", names, comments, 1366 px (issue 15 point 4) ---------------------------------

LAPTOP = {"width": 1366, "height": 768}


def today() -> date:
    return datetime.now(ZoneInfo("Asia/Jakarta")).date()


def query(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_opens_on_the_last_complete_triwulan_and_steps_to_the_running_one(collector, new_page):
    page = new_page()
    sign_in(page, collector)
    complete, running = last_complete("triwulan", today()), containing("triwulan", today())
    assert page.locator("#period-label").inner_text() == complete.label("id")
    assert page.locator("#period-title .badge-provisional").count() == 0
    assert page.locator(".provisional").count() == 0

    with page.expect_navigation():
        page.click("#period-next")
    assert query(page)["period"] == [running.key()]
    assert page.locator("#period-label").inner_text() == running.label("id")
    badge = page.locator("#period-title .badge-provisional")
    assert badge.is_visible() and badge.inner_text().strip().lower() == "sementara"
    note = page.locator("p.provisional")
    assert note.is_visible() and "belum selesai" in note.inner_text() and "sementara" in note.inner_text()
    assert page.locator("#period-next").count() == 0, "no next link into a period that has not started"

    with page.expect_navigation():
        page.click("#period-prev")
    assert query(page)["period"] == [complete.key()]
    with page.expect_navigation():
        page.click("#period-prev")
    assert query(page)["period"] == [complete.previous().key()]
    assert page.locator("#period-label").inner_text() == complete.previous().label("id")


def test_picker_kinds_work_without_script(collector, new_page):
    page = new_page(java_script_enabled=False)
    sign_in(page, collector)
    picker = page.locator("form.period")
    page.select_option("#period-kind", "month")
    assert picker.locator("#period-month").is_visible() and picker.locator("#period-year").is_visible()
    assert picker.locator("#period-triwulan").is_hidden() and picker.locator("#period-start").is_hidden()
    page.fill("#period-year", "2026")
    page.select_option("#period-month", "11")
    with page.expect_navigation():
        picker.locator("button[type=submit]").click()
    assert query(page)["period"] == ["2026-11"] and page.locator("#period-label").inner_text() == "November 2026"
    assert page.locator("#period-kind").input_value() == "month" and page.locator("#period-month").input_value() == "11"

    page.select_option("#period-kind", "semester")
    assert picker.locator("#period-semester").is_visible() and picker.locator("#period-month").is_hidden()
    page.select_option("#period-semester", "1")
    with page.expect_navigation():
        picker.locator("button[type=submit]").click()
    assert query(page)["period"] == ["2026-S1"] and page.locator("#period-label").inner_text() == "Semester I 2026"

    page.select_option("#period-kind", "range")
    assert picker.locator("#period-start").is_visible() and picker.locator("#period-year").is_hidden()
    page.fill("#period-start", "2026-01-05")
    page.fill("#period-end", "2026-02-10")
    with page.expect_navigation():
        picker.locator("button[type=submit]").click()
    assert query(page)["period"] == ["2026-01-05..2026-02-10"]
    assert page.locator("#period-label").inner_text() == "5 Januari 2026 - 10 Februari 2026"
    with page.expect_navigation():
        page.click("#period-prev")  # a range steps by its own length
    assert query(page)["period"] == ["2025-11-29..2026-01-04"]


@pytest.mark.parametrize("typed, key", [("2026-Q3", "2026-T3"), ("Triwulan III 2026", "2026-T3"),
                                        ("TW3 2026", "2026-T3"), ("Semester 2 2026", "2026-S2"),
                                        ("Nov 2026", "2026-11")])
def test_typed_spellings_open_the_canonical_period(collector, new_page, typed, key):
    page = new_page()
    sign_in(page, collector)
    page.fill("#period", typed)
    with page.expect_navigation():
        page.click("form.period-text button[type=submit]")
    assert urlsplit(page.url).path == "/" and query(page)["period"] == [key]
    assert page.locator("#period-label").inner_text() == parse(key).label("id")
    assert page.locator("#period-error").count() == 0


def test_an_unreadable_period_keeps_the_picker_and_says_why(collector, new_page):
    page = new_page()
    sign_in(page, collector)
    page.click(f'tr[data-unit="{UNIT}"] a')
    page.fill("#period", "Triwulan Lima 2026")
    with page.expect_navigation() as navigation:
        page.click("form.period-text button[type=submit]")
    assert navigation.value.status == 400
    assert urlsplit(page.url).path == f"/unit/{UNIT}", "the same page, not an error page"
    error = page.locator("#period-error")
    assert error.is_visible() and "'Triwulan Lima 2026' tidak dikenal" in error.inner_text()
    assert "Triwulan III 2026" in error.inner_text(), "the message gives examples"
    assert page.locator("#period").input_value() == "Triwulan Lima 2026"
    assert page.locator("#period").get_attribute("aria-invalid") == "true"
    assert page.locator("section.headline").is_visible(), "the page shows the default period meanwhile"
    page.fill("#period", "Triwulan III 2026")  # the way back: correct it where it is
    with page.expect_navigation():
        page.click("form.period-text button[type=submit]")
    assert query(page)["period"] == ["2026-T3"] and page.locator("#period-error").count() == 0


def test_sementara_on_the_unit_page_officer_page_public_page_and_export(collector, new_page):
    running = containing("triwulan", today())
    page = new_page()
    sign_in(page, collector)
    page.goto(f"{collector.url}/unit/{UNIT}?period={running.key()}")
    assert page.locator("#period-title .badge-provisional").is_visible()
    assert "periode ini sementara" in page.locator("section.headline").inner_text()
    with page.expect_download() as info:
        page.click("#export-csv-comma")
    assert info.value.suggested_filename == f"skm-{UNIT}-{running.key()}-sementara.csv"
    with page.expect_download() as info:
        page.click("#export-xlsx")
    assert info.value.suggested_filename == f"skm-{UNIT}-{running.key()}-sementara.xlsx"
    page.goto(f"{collector.url}/unit/{UNIT}/report?period={running.key()}")
    assert page.locator("p.provisional").is_visible()
    page.goto(f"{collector.url}/unit/{UNIT}?period={running.previous().key()}")
    assert page.locator(".badge-provisional").count() == 0
    with page.expect_download() as info:
        page.click("#export-csv-comma")
    assert info.value.suggested_filename == f"skm-{UNIT}-{running.previous().key()}.csv"

    officer = new_page()
    sign_in_officer = f"petugas-{UNIT}"
    officer.goto(collector.url + "/login")
    officer.fill("#username", sign_in_officer)
    officer.fill("#password", demo.DEMO_PASSWORD)
    with officer.expect_navigation():
        officer.click("form.login button[type=submit]")
    assert urlsplit(officer.url).path.startswith("/officer/")
    assert officer.locator(".badge-provisional").count() == 0, "an officer's page opens on a complete period"
    with officer.expect_navigation():
        officer.click("#period-next")
    assert officer.locator("#period-title .badge-provisional").is_visible()
    assert officer.locator("p.provisional").is_visible()

    public = new_page()
    public.goto(f"{collector.url}/publik/{UNIT}")
    sections = public.locator("section.public-period")
    assert sections.count() == 5
    first = sections.nth(0)
    assert first.get_attribute("data-period") == running.key()
    assert first.locator(".badge-provisional").is_visible() and "belum selesai" in first.inner_text()
    for i in range(1, 5):
        assert sections.nth(i).locator(".badge-provisional").count() == 0


def demo_unit():
    return next(u for u in demo.UNITS if u.code == UNIT)


def test_names_not_codes_for_services_counters_and_channels(collector, new_page):
    unit = demo_unit()
    service_names = {code: name for _c, _n, services in unit.counters for code, name in services}
    counter_names = {code: name for code, name, _s in unit.counters}
    page = new_page()
    sign_in(page, collector)
    open_unit_page(page, collector)

    def first_cells(caption: str) -> list[str]:
        table = page.locator("table.data", has=page.locator("caption", has_text=caption))
        return [t.strip() for t in table.locator("tbody th").all_inner_texts()]

    services = first_cells("Per layanan")
    assert services and set(services) <= set(service_names.values()), services
    counters = first_cells("Per loket")
    assert counters and set(counters) <= set(counter_names.values()), counters
    channels = first_cells("Per kanal")
    assert channels and set(channels) <= {"Kios (tablet di loket)", "QR pada struk", "Tautan umum (tanpa struk)"}
    meta = page.locator("#comments li.comment .sub").all_inner_texts()
    assert meta
    for line in meta:
        parts = [p.strip() for p in line.split("\u00b7")]
        assert parts[1] in service_names.values() and parts[2] in counter_names.values(), line
        assert parts[3] in ("Kios (tablet di loket)", "QR pada struk", "Tautan umum (tanpa struk)"), line
        for code in (*service_names, "kiosk", "qr"):
            assert code not in parts[1:4], line
    names = [t.strip() for t in page.locator("#comments li.comment").first.locator(".score").all_inner_texts()]
    assert [n.rsplit(" ", 1)[0] for n in names] == ["Persyaratan", "Prosedur", "Waktu", "Biaya", "Produk",
                                                      "Kompetensi", "Perilaku", "Pengaduan", "Sarana"]


def comment_scores(page) -> list[dict[str, int]]:
    found = []
    for item in page.locator("#comments li.comment").all():
        found.append({chip.get_attribute("data-unsur"): int(chip.inner_text().rsplit(" ", 1)[1])
                      for chip in item.locator(".score").all()})
    return found


def test_comments_show_their_scores_and_filter_by_unsur_and_score(collector, new_page):
    page = new_page()
    sign_in(page, collector)
    open_unit_page(page, collector)
    everything = comment_scores(page)
    assert everything and all(len(s) == 9 for s in everything)
    averages = page.locator("#comments li.comment .average strong").all_inner_texts()
    for shown, scores in zip(averages, everything):
        assert decimal_of(shown) == (Decimal(sum(scores.values())) / 9).quantize(Decimal("0.1"), "ROUND_HALF_UP")

    low = everything[-1]["waktu"]
    page.select_option("#filter-unsur", "waktu")
    page.select_option("#filter-skor", str(low))
    with page.expect_navigation():
        page.click("form.comment-filter button[type=submit]")
    assert query(page)["unsur"] == ["waktu"] and query(page)["skor"] == [str(low)]
    assert query(page)["period"] == [demo_period()], "the filter keeps the period"
    filtered = comment_scores(page)
    assert filtered and all(s["waktu"] == low for s in filtered), filtered
    assert page.locator("#filter-unsur").input_value() == "waktu"

    page.select_option("#filter-unsur", "")
    page.select_option("#filter-skor", "4")
    with page.expect_navigation():
        page.click("form.comment-filter button[type=submit]")
    for scores in comment_scores(page):
        assert (Decimal(sum(scores.values())) / 9).quantize(Decimal("1"), "ROUND_HALF_UP") == 4, scores

    page.goto(f"{collector.url}/unit/{UNIT}?period={demo_period()}&unsur=waktu&skor=7")
    assert page.locator(".filter-error").inner_text().startswith("Nilai '7' tidak dikenal")
    assert page.locator("form.comment-filter").is_visible()


def comment_times(page) -> list[str]:
    return [t[:16] for t in page.locator("#comments li.comment .sub").all_inner_texts()]


def test_comment_pages(collector, new_page):
    """COMMENTS_PER_PAGE a page, newest first, the next page going on where the first ended, and back again."""
    page = new_page()
    sign_in(page, collector)
    open_unit_page(page, collector)
    first = comment_times(page)
    assert len(first) == COMMENTS_PER_PAGE and first == sorted(first, reverse=True) and page.locator("#comments-prev").count() == 0
    with page.expect_navigation():
        page.click("#comments-next")
    assert query(page)["hal"] == ["2"] and query(page)["period"] == [demo_period()]
    second = comment_times(page)
    assert second and second == sorted(second, reverse=True) and second[0] <= first[-1]
    with page.expect_navigation():
        page.click("#comments-prev")
    assert comment_times(page) == first


def boxes_overlap(a: dict, b: dict) -> bool:
    return (a["x"] < b["x"] + b["width"] - 0.5 and b["x"] < a["x"] + a["width"] - 0.5
            and a["y"] < b["y"] + b["height"] - 0.5 and b["y"] < a["y"] + a["height"] - 0.5)


def test_unit_page_at_1366_has_no_overlap_and_no_horizontal_scroll(collector, new_page):
    page = new_page(viewport=LAPTOP)
    sign_in(page, collector)
    open_unit_page(page, collector)
    assert page.evaluate("document.documentElement.scrollWidth") <= LAPTOP["width"], "the page scrolls sideways"
    # Every table, heading and chart of the page against every other: no two boxes intersect.
    blocks = page.locator("main h1, main h2, main table.data, main figure.chart, main .columns > *").all()
    seen = []
    for block in blocks:
        box = block.bounding_box()
        if box and box["width"] and box["height"]:
            seen.append((block.evaluate("e => e.tagName + (e.caption ? ': ' + e.caption.innerText : '') + "
                                        "' ' + e.innerText.slice(0, 30)"), box))
    for i, (name_a, a) in enumerate(seen):
        for name_b, b in seen[i + 1:]:
            if boxes_overlap(a, b) and not (contains(a, b) or contains(b, a)):
                pytest.fail(f"{name_a!r} {a} overlaps {name_b!r} {b}")
    # Inside each breakdown table, every header cell stays within its table and within the viewport.
    for table in page.locator(".breakdowns table.data").all():
        outer = table.bounding_box()
        for cell in table.locator("th, td").all():
            box = cell.bounding_box()
            assert contains(outer, box), f"a cell {cell.inner_text()!r} {box} sticks out of its table {outer}"
        assert outer["x"] + outer["width"] <= LAPTOP["width"]


def contains(outer: dict, inner: dict) -> bool:
    return (outer["x"] - 0.5 <= inner["x"] and inner["x"] + inner["width"] <= outer["x"] + outer["width"] + 0.5
            and outer["y"] - 0.5 <= inner["y"] and inner["y"] + inner["height"] <= outer["y"] + outer["height"] + 0.5)
