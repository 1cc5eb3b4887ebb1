"""The collector's dashboard in real Chromium against a real ``skm collector run`` process, filled with the
Kota Dumai demo: sign-in through the form, the XLSX export against the page, accessibility (axe), no request
off the collector, and the printable report on A4.

Chromium and Playwright missing skip these tests (from the ``browser`` fixture of ``conftest.py``), which
``SKM_REQUIRE_ALL=1`` turns into failures.
"""
from __future__ import annotations

import re
import shutil
import subprocess
from datetime import datetime
from decimal import Decimal
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from collector import demo
from tests.helpers import CollectorServer, create_collector

pytestmark = pytest.mark.browser

UNIT = "dumai-disdukcapil"
USERNAME = f"kepala-{UNIT}"
SERIOUS = ("serious", "critical")
SHEETS = ("Pengolahan", "Profil responden", "Rencana tindak lanjut")
A4_POINTS = (595.92, 841.92)  # Chromium's A4 media box, in PDF points


@pytest.fixture(scope="module")
def collector(tmp_path_factory):
    """A collector process on the demo data (three months), built before the server starts."""
    instance = tmp_path_factory.mktemp("dashboard") / "collector"
    app = create_collector(instance_path=instance)
    engine = app.extensions["skm_engine"]
    built = demo.build(engine, months=3, scale=0.1)
    engine.dispose()
    assert built["responses"] > 0
    server = CollectorServer(instance).start()
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
        page.click("form.period button[type=submit]")
    assert urlsplit(page.url).path == f"/unit/{UNIT}"


def decimal_of(shown: str) -> Decimal:
    """A figure as the page shows it in Bahasa Indonesia: decimal comma, no thousands separator."""
    assert re.fullmatch(r"\d+(,\d+)?", shown), shown
    return Decimal(shown.replace(",", "."))


def pengolahan(sheet) -> tuple[int, Decimal | None]:
    """The per-respondent rows (numbered 1..n under the U1..U9 header) and the konversi of the worksheet."""
    rows = list(sheet.iter_rows(values_only=True))
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
    from openpyxl import load_workbook

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

    workbook = load_workbook(target, read_only=True)
    assert set(SHEETS) <= set(workbook.sheetnames), workbook.sheetnames
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
