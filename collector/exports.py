"""Cells of the CSV and XLSX exports written as text, never as formulas (CSV injection, OWASP).

A spreadsheet reads a cell starting with ``=``, ``+``, ``-`` or ``@`` as a formula (a tab or a carriage
return first hides one from the eye), so a citizen's comment ``=HYPERLINK(...)`` would run in the unit
head's spreadsheet. Every text value of an export goes through ``as_text``: such a text is prefixed with a
single quote, which spreadsheets show and never evaluate. Numbers, dates and None are values, not text,
and pass unchanged (a negative score stays a number). A formula of our own (the XLSX's sums, NRR, IKM and
konversi, which an auditor can check) is written with ``put_formula`` only, never from a value read from the
database.

Number formats are written as Excel stores them, locale-independent: ``0.0000`` shows as ``3,2000`` and
``#,##0`` as ``1.234`` in an Excel or LibreOffice set to Indonesian, and dates as ``dd/mm/yyyy``.
"""
from __future__ import annotations

from datetime import date, datetime
from typing import Any, Iterable
from zoneinfo import ZoneInfo

FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def as_text(value: Any) -> Any:
    """``value`` as an export cell: a text a spreadsheet could take for a formula gets a leading ``'``.
    One rule, no guessing which texts a spreadsheet would evaluate: a lone ``-`` is prefixed too."""
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def text_row(values: Iterable[Any]) -> list[Any]:
    """A row of export cells, each through ``as_text``."""
    return [as_text(value) for value in values]


def append_row(sheet, values: Iterable[Any]) -> None:
    """``sheet.append`` (openpyxl) with every cell through ``as_text``."""
    sheet.append(text_row(values))


COUNT_FORMAT = "#,##0"  # 1.234 in an Indonesian Excel
NRR_FORMAT = "0.0000"  # 3,2000: NRR, NRR tertimbang, IKM and weights, shown to 4 places (the cell holds more)
KONVERSI_FORMAT = "0.00"  # 79,26
DATETIME_FORMAT = "dd/mm/yyyy hh:mm"
DATE_FORMAT = "dd/mm/yyyy"


def put_formula(sheet, row: int, column: int, formula: str, number_format: str | None = None):
    """One of OUR formulas into a cell (openpyxl), with its number format. Never give it a value read
    from the database: those go through ``as_text``."""
    if not formula.startswith("="):
        raise ValueError(f"not a formula: {formula!r}")
    cell = sheet.cell(row, column, formula)
    if number_format:
        cell.number_format = number_format
    return cell


def local_time(stamp: str | None, zone: str) -> datetime | None:
    """An ISO timestamp as stored (with its offset) as a spreadsheet date-time: the unit's local time,
    without a zone (a spreadsheet cell has none; the column's header names the zone)."""
    if not stamp:
        return None
    moment = datetime.fromisoformat(stamp)
    if moment.tzinfo is not None:
        moment = moment.astimezone(ZoneInfo(zone)).replace(tzinfo=None)
    return moment.replace(microsecond=0)


def set_formats(sheet, row: int, formats: dict[int, str]) -> None:
    """The number format of some cells of a row: ``{column: format}``."""
    for column, number_format in formats.items():
        sheet.cell(row, column).number_format = number_format


def format_dates(sheet, row: int) -> None:
    """Every date or date-time cell of a row gets the Indonesian day-first format."""
    for cell in sheet[row]:
        if isinstance(cell.value, datetime):
            cell.number_format = DATETIME_FORMAT
        elif isinstance(cell.value, date):
            cell.number_format = DATE_FORMAT
