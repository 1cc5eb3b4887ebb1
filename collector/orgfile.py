"""The organisation tree from a CSV file a spreadsheet user can fill in: one row per counter and service.

    pemda,pemda_name,opd,opd_name,unit,unit_name,timezone,counter,counter_name,service,service_name
    dumai,Pemerintah Kota Dumai,disdukcapil,Dinas Kependudukan dan Pencatatan Sipil,dumai-disdukcapil,...

Optional columns ``head_name, head_nip, report_place``: who signs the unit's Laporan Hasil SKM and where; all
three on a row, or none (a unit's other rows may leave them empty).
"""
from __future__ import annotations

import csv
import io
import re
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Engine

from . import store

COLUMNS = ("pemda", "pemda_name", "opd", "opd_name", "unit", "unit_name", "timezone", "counter", "counter_name",
           "service", "service_name")
CODE_COLUMNS = ("pemda", "opd", "unit", "counter", "service")
SIGNATORY_COLUMNS = ("head_name", "head_nip", "report_place")  # optional: the report's signature block
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")


class OrgFileError(Exception):
    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def parse_csv(text: str) -> list[dict[str, str]]:
    """Validated rows; raises ``OrgFileError`` naming each bad line and column."""
    reader = csv.DictReader(io.StringIO(text))
    missing = [c for c in COLUMNS if c not in (reader.fieldnames or [])]
    if missing:
        raise OrgFileError([f"line 1: missing columns: {', '.join(missing)}"])
    rows, problems = [], []
    names: dict[tuple[str, str], tuple[str, int]] = {}
    for line, row in enumerate(reader, start=2):
        row = {c: (row.get(c) or "").strip() for c in (*COLUMNS, *SIGNATORY_COLUMNS)}
        if not any(row.values()):
            continue
        signatory = [row[c] for c in SIGNATORY_COLUMNS]
        if any(signatory) and not all(signatory):
            problems.append(f"line {line}, columns {', '.join(SIGNATORY_COLUMNS)}: fill in all three or none")
        if row["head_nip"] and not store.NIP.match(row["head_nip"].replace(" ", "")):
            problems.append(f"line {line}, column head_nip: {row['head_nip']!r} is not an 18-digit NIP")
        for column, longest in (("head_name", 200), ("report_place", 100)):
            if len(row[column]) > longest:
                problems.append(f"line {line}, column {column}: longer than {longest} characters")
        for column in COLUMNS:
            if not row[column] and column != "timezone":
                problems.append(f"line {line}, column {column}: empty")
        for column in CODE_COLUMNS:
            if row[column] and not CODE.match(row[column]):
                problems.append(f"line {line}, column {column}: {row[column]!r} is not a code "
                                f"(letters, digits, '-', '_', at most 40)")
        row["timezone"] = row["timezone"] or "Asia/Jakarta"
        try:
            ZoneInfo(row["timezone"])
        except (ZoneInfoNotFoundError, ValueError):
            problems.append(f"line {line}, column timezone: {row['timezone']!r} is not a time zone")
        for level in ("pemda", "opd", "unit", "counter", "service"):
            key = (level, row["unit"] + "/" + row[level] if level in ("counter", "service") else row[level])
            name = row[f"{level}_name"]
            first = names.setdefault(key, (name, line))
            if first[0] != name:
                problems.append(f"line {line}, column {level}_name: {row[level]!r} was named {first[0]!r} "
                                f"on line {first[1]}")
        rows.append(row)
    if not rows and not problems:
        problems.append("no rows")
    if problems:
        raise OrgFileError(problems)
    return rows


def save(engine: Engine, rows: list[dict[str, str]]) -> dict[str, int]:
    seen: dict[str, set] = {level: set() for level in ("pemda", "OPD", "units", "counters")}
    counters: dict[tuple[str, str], tuple[str, list[tuple[str, str]]]] = {}
    for r in rows:
        if r["pemda"] not in seen["pemda"]:
            store.save_pemda(engine, r["pemda"], r["pemda_name"])
            seen["pemda"].add(r["pemda"])
        if r["opd"] not in seen["OPD"]:
            store.save_opd(engine, r["opd"], r["pemda"], r["opd_name"])
            seen["OPD"].add(r["opd"])
        if r["unit"] not in seen["units"]:
            store.save_unit(engine, r["unit"], r["opd"], r["unit_name"], r["timezone"])
            seen["units"].add(r["unit"])
        if r.get("head_name"):
            store.set_signatory(engine, r["unit"], r["head_name"], r["head_nip"], r["report_place"])
        counters.setdefault((r["unit"], r["counter"]), (r["counter_name"], []))[1].append(
            (r["service"], r["service_name"]))
    for (unit, code), (name, services) in counters.items():
        store.save_counter(engine, unit, code, name, services)
    seen["counters"] = set(counters)
    return {what: len(codes) for what, codes in seen.items()}
