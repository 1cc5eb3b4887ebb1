"""Respondents from a table: a paper survey typed into a spreadsheet and saved as CSV.

Columns are named by unsur code (``waktu``) or by label (``U3``), any case; other columns are ignored.
A label means a position, and PermenPANRB 14/2017 lists pengaduan at 8 while the printed questionnaire puts
sarana there: a table labelled U1..U9 must say which order it follows. A blank cell is an unanswered unsur.
Pure: takes rows, not files.
"""
from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Iterable, Mapping, Sequence

from .errors import InvalidNrr, InvalidTable, Problem
from .profiles import PERMENPANRB_14_2017, ColumnOrder, IndexProfile
from .questionnaire import LANGUAGES
from .validation import ValidatedResponse, parse_score

MAX_PROBLEMS = 50  # a wholly wrong file should not print ten thousand lines


def column_order(profile: IndexProfile, order: str | None, labelled: bool = True) -> ColumnOrder | Problem | None:
    """The order U-labelled columns follow: the one named, the profile's only one, or a Problem saying why
    none can be chosen. ``None`` when no column is labelled and no order was named (none is needed)."""
    if order is not None:
        if order in profile.column_orders:
            return profile.column_orders[order]
        return Problem("bad_order", params={"value": order, "profile": profile.title,
                                            "choices": ", ".join(profile.column_orders)})
    if not profile.order_is_ambiguous:
        return next(iter(profile.column_orders.values()))
    if not labelled:
        return None
    return Problem("order_required", params={
        "columns": f"U1..U{len(profile.unsur)}", "codes": ", ".join(profile.codes),
        "choices": {lang: "; ".join(o.explanation[lang] for o in profile.column_orders.values())
                    for lang in LANGUAGES}})


def unsur_columns(header: Sequence[str], profile: IndexProfile = PERMENPANRB_14_2017,
                  order: str | None = None) -> dict[str, str]:
    """Map each unsur code to the header column holding it; raise ``InvalidTable`` if any is missing, or
    if columns are labelled U1..Un and the profile's order is ambiguous and ``order`` is not given."""
    names = [((column or "").strip(), column) for column in header]
    labels = {u.label for u in profile.unsur}
    labelled = [column for name, column in names if name.upper() in labels]
    chosen = column_order(profile, order, bool(labelled))
    if isinstance(chosen, Problem):
        raise InvalidTable([chosen.at(row=1)])
    by_label = {f"U{i}": code for i, code in enumerate(chosen.codes, start=1)} if chosen else {}
    found: dict[str, list[str]] = {}
    for name, column in names:
        code = name.lower() if name.lower() in profile.by_code else by_label.get(name.upper())
        if code:
            found.setdefault(code, []).append(column)
    problems = [Problem("duplicate_column", params={"unsur": code, "columns": ", ".join(cols)}, row=1)
                for code, cols in found.items() if len(cols) > 1]
    label_of = {code: label for label, code in by_label.items()}
    missing = [f"{u.code} ({label_of.get(u.code, u.label)})" for u in profile.unsur if u.code not in found]
    if missing:
        problems.append(Problem("missing_columns", params={"columns": ", ".join(missing)}, row=1))
    if problems:
        raise InvalidTable(problems)
    return {code: cols[0] for code, cols in found.items()}


def responses_from_rows(header: Sequence[str] | None, rows: Iterable[Mapping[str, str]], first_row: int = 2,
                        profile: IndexProfile = PERMENPANRB_14_2017, order: str | None = None
                        ) -> list[ValidatedResponse]:
    """Validate every row (dicts keyed by header); raise one ``InvalidTable`` naming each bad row and column.

    ``first_row`` is the line number of the first data row, for messages (the header is line 1).
    """
    if not header:
        raise InvalidTable([Problem("empty_file")])
    columns = unsur_columns(header, profile, order)
    responses: list[ValidatedResponse] = []
    problems: list[Problem] = []
    for line, row in enumerate(rows, start=first_row):
        answers: dict[str, int] = {}
        for code in profile.codes:
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


def parse_nrr_list(text: str, profile: IndexProfile = PERMENPANRB_14_2017,
                   order: str = "regulation") -> dict[str, Decimal]:
    """Published NRR in the given order (the regulation's by default), ``3.31,3.35,...`` or with decimal
    commas ``3,31;3,35;...``.

    Only the numbers are parsed here; ``index.from_nrr`` checks their range.
    """
    if ";" in text:
        parts = [p.strip().replace(",", ".") for p in text.split(";")]
    else:
        parts = [p.strip() for p in text.split(",")]
    parts = [p for p in parts if p]
    chosen = column_order(profile, order)
    if isinstance(chosen, Problem):
        raise InvalidNrr([chosen])
    assert chosen is not None  # a list of NRR is read as labelled: an order, or a Problem, always comes back
    if len(parts) != len(chosen.codes):
        raise InvalidNrr([Problem("nrr_count", "nrr", {"count": len(parts), "expected": len(chosen.codes)})])
    values: dict[str, Decimal] = {}
    problems = []
    for position, (code, part) in enumerate(zip(chosen.codes, parts), start=1):
        try:
            values[code] = Decimal(part)
        except InvalidOperation:
            problems.append(Problem("nrr_not_number", f"U{position}", {"value": part}))
    if problems:
        raise InvalidNrr(problems)
    return values
