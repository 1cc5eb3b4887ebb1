"""Respondents from a table: a paper survey typed into a spreadsheet and saved as CSV.

Columns are named by unsur code (``waktu``) or by regulation label (``U3``), any case; other columns
are ignored. A blank cell is an unanswered unsur. Pure: takes rows, not files.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Iterable, Mapping, Sequence

from .errors import InvalidNrr, InvalidTable, Problem
from .questionnaire import CODES, UNSUR, UNSUR_BY_CODE, UNSUR_BY_LABEL
from .validation import ValidatedResponse, parse_score

MAX_PROBLEMS = 50  # a wholly wrong file should not print ten thousand lines


def unsur_columns(header: Sequence[str]) -> dict[str, str]:
    """Map each unsur code to the header column holding it; raise ``InvalidTable`` if any is missing."""
    found: dict[str, list[str]] = {}
    for column in header:
        name = (column or "").strip()
        unsur = UNSUR_BY_CODE.get(name.lower()) or UNSUR_BY_LABEL.get(name.upper())
        if unsur:
            found.setdefault(unsur.code, []).append(column)
    problems = [Problem("duplicate_column", params={"unsur": code, "columns": ", ".join(cols)}, row=1)
                for code, cols in found.items() if len(cols) > 1]
    missing = [f"{u.code} (U{u.order})" for u in UNSUR if u.code not in found]
    if missing:
        problems.append(Problem("missing_columns", params={"columns": ", ".join(missing)}, row=1))
    if problems:
        raise InvalidTable(problems)
    return {code: cols[0] for code, cols in found.items()}


def responses_from_rows(header: Sequence[str] | None, rows: Iterable[Mapping[str, str]],
                        first_row: int = 2) -> list[ValidatedResponse]:
    """Validate every row (dicts keyed by header); raise one ``InvalidTable`` naming each bad row and column.

    ``first_row`` is the line number of the first data row, for messages (the header is line 1).
    """
    if not header:
        raise InvalidTable([Problem("empty_file")])
    columns = unsur_columns(header)
    responses: list[ValidatedResponse] = []
    problems: list[Problem] = []
    for line, row in enumerate(rows, start=first_row):
        answers: dict[str, int] = {}
        for code in CODES:
            score = parse_score(row.get(columns[code]))
            if isinstance(score, Problem):
                problems.append(score.at(row=line, column=columns[code]))
            elif score is not None:
                answers[code] = score
        if not answers and not any(p.row == line for p in problems):
            if all(not (v or "").strip() for v in row.values() if isinstance(v, str)):
                continue  # a wholly empty line, as spreadsheets leave at the end
            problems.append(Problem("no_answers", row=line))
        responses.append(ValidatedResponse(answers))
        if len(problems) >= MAX_PROBLEMS:
            break
    if not responses and not problems:
        problems.append(Problem("no_rows"))
    if problems:
        raise InvalidTable(problems)
    return responses


def parse_nrr_list(text: str) -> dict[str, Decimal]:
    """Nine published NRR in regulation order, ``3.31,3.35,...`` or with decimal commas ``3,31;3,35;...``.

    Only the numbers are parsed here; ``index.from_nrr`` checks their range.
    """
    if ";" in text:
        parts = [p.strip().replace(",", ".") for p in text.split(";")]
    else:
        parts = [p.strip() for p in text.split(",")]
    parts = [p for p in parts if p]
    if len(parts) != len(UNSUR):
        raise InvalidNrr([Problem("nrr_count", "nrr", {"count": len(parts)})])
    values: dict[str, Decimal] = {}
    problems = []
    for unsur, part in zip(UNSUR, parts):
        try:
            values[unsur.code] = Decimal(part)
        except InvalidOperation:
            problems.append(Problem("nrr_not_number", unsur.label, {"value": part}))
    if problems:
        raise InvalidNrr(problems)
    return values
