"""The office a kiosk serves, read from a TOML file until the collector provides it.

    [unit]
    code = "dumai-disdukcapil"
    name = "Dinas Kependudukan dan Pencatatan Sipil Kota Dumai"
    timezone = "Asia/Jakarta"          # WIB; Asia/Makassar is WITA, Asia/Jayapura WIT

    [[counters]]
    code = "1"                          # the tablet opens /k/1
    name = "Loket 1"
    services = [{code = "ktp-el", name = "KTP Elektronik"}]
"""
from __future__ import annotations

import re
import tomllib
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from .store import Counter, Service

CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,39}$")


class OfficeError(Exception):
    """The office file is not usable; ``problems`` says what and where, each one."""

    def __init__(self, problems: list[str]):
        self.problems = problems
        super().__init__("; ".join(problems))


def parse_office(text: str) -> tuple[dict[str, str], list[Counter]]:
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise OfficeError([f"TOML: {exc}"]) from exc
    return office_from_dict(data)


def office_from_dict(data: dict[str, Any]) -> tuple[dict[str, str], list[Counter]]:
    problems: list[str] = []
    unit = data["unit"] if isinstance(data.get("unit"), dict) else {}
    if not unit:
        problems.append("[unit]: missing")
    for key in ("code", "name"):
        if unit and not str(unit.get(key) or "").strip():
            problems.append(f"[unit] {key}: missing")
    if unit.get("code") and not CODE.match(str(unit["code"])):
        problems.append(f"[unit] code {unit['code']!r}: use letters, digits, '-' or '_' (at most 40)")
    timezone = unit.get("timezone", "Asia/Jakarta")
    try:
        ZoneInfo(str(timezone))
    except (ZoneInfoNotFoundError, ValueError):
        problems.append(f"[unit] timezone {timezone!r}: not a time zone (Asia/Jakarta, Asia/Makassar, Asia/Jayapura)")
    counters: list[Counter] = []
    raw_counters = data.get("counters")
    if not isinstance(raw_counters, list) or not raw_counters:
        problems.append("[[counters]]: at least one counter is needed")
        raw_counters = []
    seen: set[str] = set()
    for i, raw in enumerate(raw_counters, start=1):
        where = f"[[counters]] #{i}"
        code, name = str(raw.get("code", "")), str(raw.get("name", "")).strip()
        if not CODE.match(code):
            problems.append(f"{where} code {code!r}: use letters, digits, '-' or '_' (at most 40)")
        elif code in seen:
            problems.append(f"{where} code {code!r}: used twice")
        seen.add(code)
        if not name:
            problems.append(f"{where} name: missing")
        services = []
        for j, s in enumerate(raw.get("services") or [], start=1):
            s_code, s_name = str(s.get("code", "")), str(s.get("name", "")).strip()
            if not CODE.match(s_code) or not s_name:
                problems.append(f"{where} service #{j}: needs a code (letters, digits, '-', '_') and a name")
            services.append(Service(s_code, s_name))
        if not services:
            problems.append(f"{where} services: at least one service is needed")
        counters.append(Counter(code, name, tuple(services)))
    names: dict[str, str] = {}
    for c in counters:
        for s in c.services:
            if names.setdefault(s.code, s.name) != s.name:
                problems.append(f"service {s.code!r}: two different names ({names[s.code]!r}, {s.name!r})")
    if problems:
        raise OfficeError(problems)
    return {"code": unit["code"], "name": unit["name"].strip(), "timezone": str(timezone)}, counters
