"""What a survey at the counter becomes: a ticket when it starts, a validated, stored row when it ends.

The ticket is signed by the kiosk and carries the response id (minted when the survey starts, so a
double tap or a resend stores one row), the counter and the start time (so the duration cannot be
forged by the page).
"""
from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Mapping
from zoneinfo import ZoneInfo

import sqlite_utils
from flask import current_app
from itsdangerous import BadSignature, URLSafeSerializer

from skm import QUESTIONNAIRE_VERSION, InvalidResponse, Problem, validate_response
from skm.misuse import MisuseRules, suspect_reason

from . import store


class BadTicket(Exception):
    """The form's survey ticket is missing, forged or for another counter."""


@dataclass(frozen=True)
class Ticket:
    id: str
    counter: str
    started_at: datetime
    officer: str | None = None  # on duty at the counter when the survey started


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="kiosk-survey-ticket")


def unit_zone(db: sqlite_utils.Database) -> ZoneInfo:
    return ZoneInfo(store.get_setting(db, "unit_timezone") or "Asia/Jakarta")


def now(db: sqlite_utils.Database) -> datetime:
    """Now in the unit's time zone: every timestamp of a kiosk shares one offset, so they sort as text."""
    return datetime.now(unit_zone(db))


def new_ticket(db: sqlite_utils.Database, counter: str) -> str:
    """A survey starts: its id, counter, start time and the officer on duty now (never shown to the citizen)."""
    officer = store.on_duty(db, counter, today_start(db))
    return _serializer().dumps({"id": str(uuid.uuid4()), "c": counter, "o": officer,
                                "t": datetime.now().astimezone().isoformat(timespec="milliseconds")})


def today_start(db: sqlite_utils.Database) -> str:
    return now(db).replace(hour=0, minute=0, second=0, microsecond=0).isoformat(timespec="milliseconds")


def read_ticket(raw: str, counter: str) -> Ticket:
    try:
        data = _serializer().loads(raw)
        ticket = Ticket(str(uuid.UUID(data["id"])), data["c"], datetime.fromisoformat(data["t"]), data.get("o"))
    except (BadSignature, KeyError, TypeError, ValueError) as exc:
        raise BadTicket(raw) from exc
    if ticket.counter != counter:
        raise BadTicket(raw)
    return ticket


def misuse_rules() -> MisuseRules:
    config = current_app.config
    return MisuseRules(min_seconds=float(config["KIOSK_MIN_SURVEY_SECONDS"]),
                       burst_count=int(config["KIOSK_BURST_COUNT"]),
                       burst_window_seconds=int(config["KIOSK_BURST_WINDOW_SECONDS"]))


def submit(db: sqlite_utils.Database, counter: store.Counter, ticket: Ticket,
           form: Mapping[str, Any]) -> tuple[dict, bool]:
    """Validate a submitted survey and store it once. Raises ``InvalidResponse`` with every problem."""
    existing = store.get_response(db, ticket.id)
    if existing is not None:
        return existing, False  # a double tap or a resend: the first one counts, quietly
    service = pick_service(counter, form.get("service"))
    try:
        validated = validate_response(form)
    except InvalidResponse as exc:
        problems = exc.problems
    else:
        problems = []
    if isinstance(service, Problem):
        problems = [service, *problems]
    if problems:
        raise InvalidResponse(problems)
    submitted = now(db)
    row = {
        "id": ticket.id, "kiosk_id": store.get_setting(db, "kiosk_id"), "unit": store.get_setting(db, "unit_code"),
        "service": service, "counter": counter.code, "officer": ticket.officer, "channel": "kiosk",
        "questionnaire_version": QUESTIONNAIRE_VERSION, **validated.answers, **validated.profile,
        "comment": validated.comment,
        "started_at": ticket.started_at.astimezone(submitted.tzinfo).isoformat(timespec="milliseconds"),
        "submitted_at": submitted.isoformat(timespec="milliseconds"),
        "duration_ms": max(0, int((submitted - ticket.started_at).total_seconds() * 1000)),
    }
    rules = misuse_rules()

    def suspicion(tx: sqlite_utils.Database, row: dict) -> str | None:
        since = (submitted - timedelta(seconds=rules.burst_window_seconds)).isoformat(timespec="milliseconds")
        return suspect_reason(rules, row["duration_ms"], store.count_recent(tx, counter.code, since))

    return store.record_response(db, row, suspicion)


def pick_service(counter: store.Counter, chosen: str | None) -> str | Problem:
    codes = [s.code for s in counter.services]
    if len(codes) == 1 and not chosen:
        return codes[0]
    if chosen in codes:
        return chosen
    if not chosen:
        return Problem("missing_service", "service")
    return Problem("unknown_service", "service", {"value": chosen})


def abandon(db: sqlite_utils.Database, counter: store.Counter, ticket: Ticket, service: str | None,
            reached: str, step: str) -> bool:
    at = now(db)
    return store.record_abandonment(db, {
        "id": ticket.id, "counter": counter.code, "service": service if service in
        {s.code for s in counter.services} else None, "reached": reached[:40] or "?",
        "step": int(step) if step.isdigit() else None,
        "started_at": ticket.started_at.astimezone(at.tzinfo).isoformat(timespec="milliseconds"),
        "abandoned_at": at.isoformat(timespec="milliseconds")})


def errors_by_field(error: InvalidResponse, lang: str) -> dict[str, list[str]]:
    """Problems as messages grouped by form field name, for showing next to each question."""
    grouped: dict[str, list[str]] = {}
    for problem in error.problems:
        grouped.setdefault(problem.field or "", []).append(problem.message(lang))
    return grouped
