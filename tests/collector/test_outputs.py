"""What the unit head downloads and reads: the CSV in both separators with its BOM, and mutu per unsur on
the unit page, the print report and the XLSX, each equal to skm's own grading of the raw responses; the
XLSX for auditors, whose formulas recompute the dashboard's figures (evaluated by a formula engine)."""
import csv
import io
import re
from datetime import date, datetime
from decimal import Decimal
from fractions import Fraction
from zoneinfo import ZoneInfo

import openpyxl
import pytest

from collector import reports, rollups, store
from skm import UNSUR, IndexOptions
from skm.numbers import round_half_up
from skm.periods import containing, parse
from tests.helpers import labelled_rows, recomputed_workbook
from tests.collector.test_dashboard import demo_app, engine, login, raw_index  # noqa: F401 (fixtures)

UNIT = "dumai-disdukcapil"
PERIOD = "2026-T4"


def signed_in(demo_app, username="kepala-dumai-disdukcapil"):
    client = demo_app.test_client()
    login(client, username)
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
    return re.findall(r'<td class="unsur-mutu">([A-D])</td>', html)


def test_mutu_per_unsur_on_the_page_the_report_and_the_xlsx(demo_app, engine):
    expected, _ = raw_index(engine, [UNIT], parse(PERIOD))
    grades = [band(u.nrr) for u in expected.unsur]
    client = signed_in(demo_app)
    assert shown_unsur_mutu(client.get(f"/unit/{UNIT}?period={PERIOD}").get_data(as_text=True)) == grades
    assert shown_unsur_mutu(client.get(f"/unit/{UNIT}/report?period={PERIOD}").get_data(as_text=True)) == grades
    sheet = recomputed_workbook(client.get(f"/unit/{UNIT}/export.xlsx?period={PERIOD}").data)["Pengolahan"]
    assert list(labelled_rows(sheet)["Mutu per unsur"][5:14]) == grades


# -- the XLSX for auditors: formulas that recompute the dashboard's figures --------------------------------

def close(a: float, b) -> bool:
    return abs(a - float(b)) < 1e-9


def assert_recomputes(sheet: list[tuple], result, respondents: int) -> None:
    """The recomputed worksheet has the figures of ``result`` (the dashboard's, in fractions): sums and counts
    exactly, NRR and IKM to 1e-9 and to the places shown, konversi, mutu and kinerja exactly."""
    rows = labelled_rows(sheet)
    unsur = {label: row[5:14] for label, row in rows.items()}
    assert list(unsur["Jumlah nilai per unsur"]) == [u.total for u in result.unsur]
    assert list(unsur["Jumlah responden per unsur"]) == [u.count for u in result.unsur]
    for shown, u in zip(unsur["NRR per unsur"], result.unsur):
        assert close(shown, u.nrr) and round_half_up(Fraction(shown), 4) == round_half_up(u.nrr, 4), (shown, u)
    assert all(close(shown, u.weighted) for shown, u in zip(unsur["NRR tertimbang per unsur"], result.unsur))
    assert list(unsur["Mutu per unsur"]) == [u.mutu for u in result.unsur]
    assert list(unsur["Peringkat (1 = NRR terendah)"]) == [u.rank for u in result.unsur]
    ikm = rows["IKM"][1]
    assert close(ikm, result.ikm) and round_half_up(Fraction(ikm), 4) == result.ikm_display(4)
    assert Decimal(str(rows["Nilai konversi (IKM x 25)"][1])) == result.konversi
    assert rows["Mutu pelayanan"][1] == result.mutu and rows["Kinerja unit pelayanan"][1] == result.kinerja("id")
    assert rows["Jumlah responden"][1] == respondents == result.respondents


@pytest.mark.parametrize("unit, period", [(UNIT, "2026-T4"), (UNIT, "2026-09"), ("rsud-dumai", "2026-T3")])
def test_the_xlsx_recomputes_the_dashboards_index_from_its_respondents(demo_app, engine, unit, period):
    expected, n = raw_index(engine, [unit], parse(period))
    dashboard = rollups.rollup(engine, [unit], parse(period)).result
    assert dashboard == expected and n > 20
    content = signed_in(demo_app, "admin").get(f"/unit/{unit}/export.xlsx?period={period}").data
    sheet = openpyxl.load_workbook(io.BytesIO(content))["Pengolahan"]
    rows = {row[0].value: row for row in sheet.iter_rows() if isinstance(row[0].value, str)}
    # Formulas, not values: an auditor's spreadsheet computes them from the respondents above.
    assert rows["IKM"][1].value == "=SUM(F{0}:N{0})".format(rows["NRR tertimbang per unsur"][0].row)
    assert [c.value for c in rows["Bobot per unsur"][5:14]] == ["=1/9"] * 9
    assert all(c.data_type == "f" for label in ("Jumlah nilai per unsur", "NRR per unsur", "Mutu per unsur")
               for c in rows[label][5:14])
    assert all(rows[label][1].data_type == "f" for label in ("Nilai konversi (IKM x 25)", "Mutu pelayanan",
                                                               "Kinerja unit pelayanan", "Jumlah responden"))
    assert_recomputes(recomputed_workbook(content)["Pengolahan"], dashboard, n)


@pytest.mark.parametrize("options", [IndexOptions(weight="0.111"), IndexOptions(weight="0.11", round_weighted=2),
                                     IndexOptions(round_weighted=3)])
def test_the_xlsx_follows_the_convention_of_the_index(engine, options):
    unit, period = store.get_unit(engine, UNIT), parse("2026-T3")
    result = rollups.rollup(engine, [UNIT], period, options).result
    assert result.ikm != rollups.rollup(engine, [UNIT], period).result.ikm  # the convention changes the index
    content = reports.xlsx_bytes(engine, unit, period, options=options)
    assert_recomputes(recomputed_workbook(content)["Pengolahan"], result, result.respondents)
    written = list(openpyxl.load_workbook(io.BytesIO(content))["Pengolahan"].iter_rows(values_only=True))
    at = {row[0]: number for number, row in enumerate(written, start=1) if isinstance(row[0], str)}
    rows = labelled_rows(written)
    weight = "=1/9" if options.weight == "exact" else float(options.regulation.weights[options.weight])
    assert rows["Bobot per unsur"][5:14] == (weight,) * 9
    product = f"F{at['NRR per unsur']}*F{at['Bobot per unsur']}"
    assert rows["NRR tertimbang per unsur"][5] == (f"=ROUND({product},{options.round_weighted})"
                                                   if options.round_weighted else f"={product}")


def test_the_xlsx_has_names_typed_cells_and_a_frozen_header(demo_app, engine):
    period = parse("2026-09")
    content = signed_in(demo_app).get(f"/unit/{UNIT}/export.xlsx?period={period.key()}").data
    book = openpyxl.load_workbook(io.BytesIO(content))
    sheet = book["Pengolahan"]
    assert sheet.freeze_panes == f"A{reports.FIRST_DATA_ROW}"
    assert [c.value for c in sheet[reports.FIRST_DATA_ROW - 2]][5:14] == [u.name["id"] for u in UNSUR]
    header = [c.value for c in sheet[reports.FIRST_DATA_ROW - 1]]
    assert header[:5] == ["No", "Waktu (Asia/Jakarta)", "Layanan", "Loket", "Kanal"]
    raw = [r for r in store.raw_responses(engine, [UNIT], period.start, period.end) if not r["suspect"]]
    data = [row for row in sheet.iter_rows(min_row=reports.FIRST_DATA_ROW, max_row=reports.FIRST_DATA_ROW + len(raw) - 1)]
    services, counters = store.service_names(engine, UNIT), store.counter_names(engine, UNIT)
    zone = ZoneInfo("Asia/Jakarta")
    for row, response in zip(data, raw, strict=True):
        shown = row[1]
        assert shown.number_format == "dd/mm/yyyy hh:mm" and shown.is_date
        assert shown.value == datetime.fromisoformat(response["submitted_at"]).astimezone(zone).replace(
            tzinfo=None, microsecond=0)
        assert (row[2].value, row[3].value) == (services[response["service"]], counters[response["counter"]])
        assert row[4].value == {"kiosk": "Kios di loket", "qr": "QR pada struk"}[response["channel"]]
    assert {r["channel"] for r in raw} == {"kiosk", "qr"}  # both channels' names were checked
    rows = {row[0].value: row for row in sheet.iter_rows() if isinstance(row[0].value, str)}
    formats = {label: {c.number_format for c in rows[label][5:14]} for label in (
        "Jumlah nilai per unsur", "NRR per unsur", "NRR tertimbang per unsur")}
    assert formats == {"Jumlah nilai per unsur": {"#,##0"}, "NRR per unsur": {"0.0000"},
                       "NRR tertimbang per unsur": {"0.0000"}}
    assert (rows["IKM"][1].number_format, rows["Nilai konversi (IKM x 25)"][1].number_format) == ("0.0000", "0.00")
    assert book.calculation.fullCalcOnLoad


def test_the_follow_up_plan_sheet_names_the_unsur_and_types_the_deadline(demo_app, engine):
    store.add_followup(engine, UNIT, "2026-09", "waktu", "Tambah loket", "Kasi Pelayanan", date(2026, 12, 15),
                       "rencana", "admin")
    plan = openpyxl.load_workbook(io.BytesIO(signed_in(demo_app).get(
        f"/unit/{UNIT}/export.xlsx?period=2026-09").data))["Rencana tindak lanjut"]
    assert plan.freeze_panes == "A2"
    [row] = [row for row in plan.iter_rows(min_row=2) if row[1].value == "Tambah loket"]
    assert row[0].value == "U3 Waktu Penyelesaian"
    assert row[3].value == datetime(2026, 12, 15) and row[3].number_format == "dd/mm/yyyy"


def test_a_running_period_is_marked_sementara(demo_app, engine):
    unit = store.get_unit(engine, UNIT)
    running = containing("triwulan", reports.today_in(unit["timezone"]))  # the triwulan of today: still running
    ended = parse("2026-09") if reports.today_in(unit["timezone"]) >= date(2026, 10, 1) else parse("2020-T1")
    for period, provisional in ((running, True), (ended, False)):
        assert reports.is_running(unit, period) is provisional
        rows = list(openpyxl.load_workbook(io.BytesIO(reports.xlsx_bytes(engine, unit, period)))[
            "Pengolahan"].iter_rows(max_row=3, values_only=True))
        assert rows[0][0].endswith("(SEMENTARA)") is provisional
        assert ("(sementara)" in rows[1][0]) is provisional
        assert (rows[2][0] or "").startswith("Data sementara: periode ini masih berjalan") is provisional
