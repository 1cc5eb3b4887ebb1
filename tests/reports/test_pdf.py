"""The Laporan Hasil SKM's PDF, rendered by the real route on demo data and read back with poppler: its pages
turned into images (pdftoppm) and text (pdftotext), no page ending with a heading, its figures those of the
dashboard, decimal commas and full unsur names throughout.

Needs WeasyPrint's Pango (libpango-1.0-0, libpangoft2-1.0-0) and poppler-utils; without them the tests skip
with the reason, which ``SKM_REQUIRE_ALL=1`` turns into failures."""
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from collector import pdf, reports, store
from skm import UNSUR
from skm.numbers import round_half_up
from skm.periods import is_provisional, parse
from tests.collector.test_dashboard import demo_app, engine, login, shown_konversi  # noqa: F401 (fixtures)

UNIT = "dumai-disdukcapil"
PERIOD = "2026-T4"


@pytest.fixture(scope="module")
def tools():
    missing = pdf.available()
    if missing:
        pytest.skip(f"WeasyPrint cannot load ({missing}): apt-get install libpango-1.0-0 libpangoft2-1.0-0")
    for tool in ("pdftoppm", "pdftotext", "pdfinfo"):
        if shutil.which(tool) is None:
            pytest.skip(f"{tool} is missing: apt-get install poppler-utils")


@pytest.fixture(scope="module")
def rendered(demo_app, tools, tmp_path_factory):
    """The PDF as downloaded, the print view it was made from, and its pages' text."""
    client = demo_app.test_client()
    login(client, "kepala-dumai-disdukcapil")
    response = client.get(f"/unit/{UNIT}/report.pdf?period={PERIOD}")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    running = is_provisional(parse(PERIOD), reports.today_in("Asia/Jakarta"))  # its name says so while it runs
    name = f"skm-{UNIT}-{PERIOD}{'-sementara' if running else ''}.pdf"
    assert response.headers["Content-Disposition"] == f'attachment; filename="{name}"'
    folder = tmp_path_factory.mktemp("pdf")
    path = folder / "laporan.pdf"
    path.write_bytes(response.data)
    text = subprocess.run(["pdftotext", str(path), "-"], check=True, capture_output=True, text=True).stdout
    pages = text.split("\f")
    if pages and not pages[-1].strip():
        pages.pop()  # pdftotext ends every page with a form feed
    html = client.get(f"/unit/{UNIT}/report?period={PERIOD}").get_data(as_text=True)
    unit_page = client.get(f"/unit/{UNIT}?period={PERIOD}").get_data(as_text=True)
    return {"path": path, "folder": folder, "pages": pages, "html": html, "unit_page": unit_page}


def page_count(path: Path) -> int:
    info = subprocess.run(["pdfinfo", str(path)], check=True, capture_output=True, text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))


def test_every_page_becomes_an_image(rendered):
    count = page_count(rendered["path"])
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(rendered["path"]), str(rendered["folder"] / "page")],
                   check=True)
    images = sorted(rendered["folder"].glob("page-*.png"))
    assert len(images) == count == len(rendered["pages"]) and 4 <= count <= 10
    for image in images:
        assert image.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and image.stat().st_size > 1000


def headings(html: str) -> set[str]:
    """The print view's headings and captions, as text."""
    found = re.findall(r"<(h1|h2|h3|caption)\b[^>]*>(.*?)</\1>", html, re.S)
    return {" ".join(re.sub(r"<[^>]+>", "", text).split()) for _tag, text in found}


def test_no_page_ends_with_a_heading(rendered):
    names = headings(rendered["html"])
    assert "6. Analysis" not in names and "6. Analisis" in names and "Tren 12 bulan" in names
    for number, page in enumerate(rendered["pages"], start=1):
        lines = [" ".join(line.split()) for line in page.splitlines() if line.strip()]
        body = [line for line in lines if not re.fullmatch(r"\d+ ?/ ?\d+", line)]  # the page number
        assert body and len(body) < len(lines) or number == 1, f"page {number} has no page number"
        assert body[-1] not in names, f"page {number} ends with the heading {body[-1]!r}"


def comma(value, places: int) -> str:
    return str(round_half_up(value, places)).replace(".", ",")


def test_its_figures_are_the_dashboards(rendered, engine):
    summary = reports.unit_summary(engine, store.get_unit(engine, UNIT), parse(PERIOD))
    result = summary.rollup.result
    text = " ".join(" ".join(rendered["pages"]).split())
    assert shown_konversi(rendered["unit_page"]) == comma(result.konversi, 2)
    assert f"IKM {comma(result.ikm, 4)}" in text and f"Nilai konversi {comma(result.konversi, 2)}" in text
    assert f"Mutu pelayanan {result.mutu}" in text and f"Jumlah responden {summary.rollup.respondents}" in text
    for u in result.unsur:
        assert f"{u.count} {u.total} {comma(u.nrr, 4)} {comma(u.weighted, 4)} {u.mutu}" in text, u.code


def test_decimal_commas_full_names_and_every_section(rendered):
    text = " ".join(" ".join(rendered["pages"]).split())
    assert not re.search(r"\d\.\d", text), re.search(r".{30}\d\.\d.{30}", text)
    for u in UNSUR:
        assert f"U{u.order} {u.name['id']}" in text
    for section in ("Dasar pelaksanaan", "Metode", "Profil responden", "Nilai per unsur", "Analisis",
                    "Yang ditulis warga", "Rencana tindak lanjut", "Publikasi hasil", "Krejcie dan Morgan",
                    "Belum ada publikasi tercatat untuk periode ini.",
                    "A ≥ 88,31", "B ≥ 76,61", "NIP"):
        assert section in text, section
    first = " ".join(rendered["pages"][0].split())
    assert first.startswith("LAPORAN HASIL Survei Kepuasan Masyarakat") or "Survei Kepuasan Masyarakat" in first


def test_the_download_is_audited_like_the_other_exports(rendered, engine):
    entry = store.audit_entries(engine, action="export")[0]
    assert (entry["username"], entry["target"]) == ("kepala-dumai-disdukcapil", UNIT)
    assert entry["detail"].startswith(f"pdf {PERIOD}") or any(
        e["detail"] == f"pdf {PERIOD}" for e in store.audit_entries(engine, action="export"))
