"""What the unit head downloads and reads: the CSV in both separators with its BOM, and mutu per unsur on
the unit page, the print report and the XLSX, each equal to skm's own grading of the raw responses."""
import csv
import io
import re
from decimal import Decimal

import openpyxl

from skm.numbers import round_half_up
from skm.periods import parse
from tests.collector.test_dashboard import demo_app, engine, login, raw_index  # noqa: F401 (fixtures)

UNIT = "dumai-disdukcapil"
PERIOD = "2026-T4"


def signed_in(demo_app):
    client = demo_app.test_client()
    login(client, "kepala-dumai-disdukcapil")
    return client


def test_csv_has_a_bom_and_the_semicolon_variant_reads_back_to_the_same_rows(demo_app):
    client = signed_in(demo_app)
    comma = client.get(f"/unit/{UNIT}/export.csv?period={PERIOD}")
    assert comma.status_code == 200 and comma.headers["Content-Type"] == "text/csv; charset=utf-8"
    comma_bytes = comma.data  # a streamed body: read it before the next request
    semicolon = client.get(f"/unit/{UNIT}/export.csv?period={PERIOD}&sep=semicolon")
    assert semicolon.status_code == 200
    semicolon_bytes = semicolon.data
    assert comma_bytes[:3] == semicolon_bytes[:3] == b"\xef\xbb\xbf"
    by_comma = list(csv.reader(io.StringIO(comma_bytes.decode("utf-8-sig"), newline="")))
    by_semicolon = list(csv.reader(io.StringIO(semicolon_bytes.decode("utf-8-sig"), newline=""), delimiter=";"))
    assert len(by_comma) > 10 and by_semicolon == by_comma
    assert by_semicolon[0][:3] == ["id", "submitted_at", "unit"]  # the BOM is not part of the first name
    assert b";" in semicolon_bytes.splitlines()[0] and b"," not in semicolon_bytes.splitlines()[0]


def test_csv_with_an_unknown_separator_says_which_exist(demo_app):
    response = signed_in(demo_app).get(f"/unit/{UNIT}/export.csv?period={PERIOD}&sep=tab")
    assert response.status_code == 400
    assert "Pemisah CSV &#39;tab&#39; tidak dikenal; pilihan: comma, semicolon" in response.get_data(as_text=True)


def test_unit_page_links_both_csv_variants(demo_app):
    page = signed_in(demo_app).get(f"/unit/{UNIT}?period={PERIOD}").get_data(as_text=True)
    links = dict(re.findall(r'href="([^"]*export\.csv[^"]*)" class="button" id="[^"]*">([^<]+)<', page))
    assert links == {f"/unit/{UNIT}/export.csv?period={PERIOD}&amp;sep=semicolon": "CSV (Excel Indonesia)",
                     f"/unit/{UNIT}/export.csv?period={PERIOD}": "CSV (koma)"}


def band(nrr) -> str:
    """The NRR intervals of PermenPANRB 14/2017, on NRR x 25 rounded to 2 decimals."""
    konversi = round_half_up(nrr * 25, 2)
    return next(grade for floor, grade in (("88.31", "A"), ("76.61", "B"), ("65.00", "C"), ("25.00", "D"))
                if konversi >= Decimal(floor))


def shown_unsur_mutu(html: str) -> list[str]:
    return re.findall(r'<td class="mutu">([A-D])</td>', html)


def test_mutu_per_unsur_on_the_page_the_report_and_the_xlsx(demo_app, engine):
    expected, _ = raw_index(engine, [UNIT], parse(PERIOD))
    grades = [band(u.nrr) for u in expected.unsur]
    client = signed_in(demo_app)
    assert shown_unsur_mutu(client.get(f"/unit/{UNIT}?period={PERIOD}").get_data(as_text=True)) == grades
    assert shown_unsur_mutu(client.get(f"/unit/{UNIT}/report?period={PERIOD}").get_data(as_text=True)) == grades
    sheet = openpyxl.load_workbook(io.BytesIO(client.get(f"/unit/{UNIT}/export.xlsx?period={PERIOD}").data))[
        "Pengolahan"]
    rows = {row[0]: row for row in sheet.iter_rows(values_only=True) if row and row[0]}
    assert list(rows["Mutu per unsur"][5:14]) == grades
