"""Cells of the CSV and XLSX exports written as text, never as formulas (CSV injection, OWASP).

A spreadsheet reads a cell starting with ``=``, ``+``, ``-`` or ``@`` as a formula (a tab or a carriage
return first hides one from the eye), so a citizen's comment ``=HYPERLINK(...)`` would run in the unit
head's spreadsheet. Every text value of an export goes through ``as_text``: such a text is prefixed with a
single quote, which spreadsheets show and never evaluate. Numbers, dates and None are values, not text,
and pass unchanged (a negative score stays a number). A formula of our own (a future report computing its
totals) is written without this helper, deliberately.
"""
from __future__ import annotations

from typing import Any, Iterable

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
