"""What a survey at the counter becomes: a ticket when it starts, a validated, stored row when it ends.

The ticket is signed by the kiosk and carries the response id (minted when the survey starts, so a
double tap or a resend stores one row), the counter and the start time (so the duration cannot be
forged by the page).

When the office PC is down, the tablet starts a survey from its cached page with an *offline ticket* it
mints itself: ``offline:<uuid4>:<start in ms on the tablet's clock>``. The server cannot sign what it
never saw, so it verifies what it can when the answers arrive: a well-formed UUID (the response id, as
DESIGN.md section 4 describes: a resend or a second tab finds the first row and stores nothing), a start
before the submit and a submit before the send. Every delivery also carries the tablet's clock at the
citizen's Kirim and at sending (``submitted_ms``, ``sent_ms``), so a copy delivered hours late keeps the
citizen's times, moved onto the kiosk's clock by the difference between the two clocks at delivery. The
misuse rules then judge the citizen's pace, not the delivery's. With a signed ticket the start stays the
kiosk's own and the submit time is kept between that start and now, so a page can make a survey look
faster, never slower, than it was.
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
from .clock import now as clock_now


OFFLINE_TICKET = "offline:"


class BadTicket(Exception):
    """The form's survey ticket is missing, forged, inconsistent or for another counter."""


@dataclass(frozen=True)
class Ticket:
    id: str
    counter: str
    started_at: datetime
    officer: str | None = None  # on duty at the counter when the survey started
    offline: bool = False  # minted by the tablet: the officer is looked up by the start time


@dataclass(frozen=True)
class TabletClock:
    """What the tablet's clock (ms since the epoch) said at the citizen's Kirim and when this copy was sent,
    and when the kiosk received it: the kiosk's time of any tablet moment is ``at(ms)``."""
    submitted_ms: int
    sent_ms: int
    received: datetime

    def at(self, ms: int) -> datetime:
        return self.received + timedelta(milliseconds=ms - self.sent_ms)


def read_clock(form: Mapping[str, Any], received: datetime) -> TabletClock | None:
    """The tablet's clock from a delivery; None from a form posted without the script."""
    submitted, sent = form.get("submitted_ms", ""), form.get("sent_ms", "")
    if not submitted and not sent:
        return None
    if not (submitted.isdigit() and sent.isdigit()) or int(submitted) > int(sent):
        raise BadTicket(f"clock {submitted!r} {sent!r}")
    return TabletClock(int(submitted), int(sent), received)


def _serializer() -> URLSafeSerializer:
    """The app's ticket signer, made once per secret key (building one derives its key: a cost on every
    request for nothing, since the key only changes with the app's configuration)."""
    secret = current_app.config["SECRET_KEY"]
    cached = current_app.extensions.get("skm_ticket_serializer")
    if cached is None or cached[0] != secret:
        cached = current_app.extensions["skm_ticket_serializer"] = (
            secret, URLSafeSerializer(secret, salt="kiosk-survey-ticket"))
    return cached[1]


def unit_zone(db: sqlite_utils.Database) -> ZoneInfo:
    return zone_named(store.get_setting(db, "unit_timezone"))


def zone_named(name: str | None) -> ZoneInfo:
    return ZoneInfo(name or "Asia/Jakarta")


def now(db: sqlite_utils.Database) -> datetime:
    """Now in the unit's time zone: every timestamp of a kiosk shares one offset, so they sort as text."""
    return clock_now(unit_zone(db))


def new_ticket(db: sqlite_utils.Database, counter: str) -> str:
    """A survey starts: its id, counter, start time and the officer on duty now (never shown to the citizen)."""
    officer = store.on_duty(db, counter, today_start(db))
    return _serializer().dumps({"id": str(uuid.uuid4()), "c": counter, "o": officer,
                                "t": clock_now().isoformat(timespec="milliseconds")})


def today_start(db: sqlite_utils.Database) -> str:
    return now(db).replace(hour=0, minute=0, second=0, microsecond=0).isoformat(timespec="milliseconds")


def read_ticket(raw: str, counter: str, clock: TabletClock | None = None) -> Ticket:
    """The survey's ticket, signed by this kiosk or (with the tablet's ``clock``) minted offline by the tablet."""
    if raw.startswith(OFFLINE_TICKET):
        return read_offline_ticket(raw, counter, clock)
    try:
        data = _serializer().loads(raw)
        ticket = Ticket(str(uuid.UUID(data["id"])), data["c"], datetime.fromisoformat(data["t"]), data.get("o"))
    except (BadSignature, KeyError, TypeError, ValueError) as exc:
        raise BadTicket(raw) from exc
    if ticket.counter != counter:
        raise BadTicket(raw)
    return ticket


def read_offline_ticket(raw: str, counter: str, clock: TabletClock | None) -> Ticket:
    try:
        _prefix, survey_id, started_ms = raw.split(":")
        parsed = uuid.UUID(survey_id)
    except ValueError as exc:
        raise BadTicket(raw) from exc
    if parsed.version != 4 or clock is None or not started_ms.isdigit() or int(started_ms) > clock.submitted_ms:
        raise BadTicket(raw)
    return Ticket(str(parsed), counter, clock.at(int(started_ms)), offline=True)


def submitted_time(ticket: Ticket, clock: TabletClock | None, received: datetime) -> datetime:
    """When the citizen pressed Kirim, on the kiosk's clock: between the survey's start and its arrival."""
    if clock is None:
        return received
    return min(max(clock.at(clock.submitted_ms), ticket.started_at), received)


def misuse_rules() -> MisuseRules:
    config = current_app.config
    return MisuseRules(min_seconds=float(config["KIOSK_MIN_SURVEY_SECONDS"]),
                       burst_count=int(config["KIOSK_BURST_COUNT"]),
                       burst_window_seconds=int(config["KIOSK_BURST_WINDOW_SECONDS"]))


def submit(db: sqlite_utils.Database, counter: store.Counter, ticket: Ticket, form: Mapping[str, Any],
           clock: TabletClock | None = None) -> tuple[dict, bool]:
    """Validate a submitted survey and store it once. Raises ``InvalidResponse`` with every problem.

    ``clock`` is the tablet's, from a delivery by the script: the citizen's submit time, however late the
    delivery (its ``received`` is when the kiosk got the post); without it the survey was submitted now."""
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
        existing = store.get_response(db, ticket.id)
        if existing is not None:
            return existing, False  # a resend of a stored survey: the first one counts, quietly
        raise InvalidResponse(problems)
    # A valid double tap or resend is found by record_response, in the transaction that would store it.
    unit = store.get_settings(db, "kiosk_id", "unit_code", "unit_timezone")  # one read for the three
    received = clock.received if clock is not None else clock_now(zone_named(unit["unit_timezone"]))
    submitted = submitted_time(ticket, clock, received)
    started = ticket.started_at.astimezone(submitted.tzinfo)
    officer = store.on_duty_at(db, counter.code, iso(started)) if ticket.offline else ticket.officer
    row = {
        "id": ticket.id, "kiosk_id": unit["kiosk_id"], "unit": unit["unit_code"],
        "service": service, "counter": counter.code, "officer": officer, "channel": "kiosk",
        "questionnaire_version": QUESTIONNAIRE_VERSION, **validated.answers, **validated.profile,
        "comment": validated.comment,
        "started_at": iso(started), "submitted_at": iso(submitted),
        "duration_ms": max(0, int((submitted - started).total_seconds() * 1000)),
    }
    rules = misuse_rules()

    def suspicion(tx: sqlite_utils.Database, row: dict) -> str | None:
        since = iso(submitted - timedelta(seconds=rules.burst_window_seconds))
        return suspect_reason(rules, row["duration_ms"], store.count_recent(tx, counter.code, since, iso(submitted)))

    return store.record_response(db, row, suspicion)


def iso(moment: datetime) -> str:
    return moment.isoformat(timespec="milliseconds")


def pick_service(counter: store.Counter, chosen: str | None) -> str | Problem:
    codes = [s.code for s in counter.services]
    if len(codes) == 1 and not chosen:
        return codes[0]
    if chosen in codes:
        return chosen
    if not chosen:
        return Problem("missing_service", "service")
    return Problem("unknown_service", "service", {"value": chosen})


MAX_STEP = 1000  # far more steps than any questionnaire has


class BadStep(ValueError):
    """An abandonment beacon's step that no survey page sends."""


def read_step(text: str) -> int | None:
    """The step a citizen left the survey on: empty, or a whole number 0..MAX_STEP in ASCII digits."""
    if not text:
        return None
    if not (text.isascii() and text.isdigit() and len(text) <= len(str(MAX_STEP)) and int(text) <= MAX_STEP):
        raise BadStep(f"step: a whole number from 0 to {MAX_STEP}")
    return int(text)


def abandon(db: sqlite_utils.Database, counter: store.Counter, ticket: Ticket, service: str | None,
            reached: str, step: int | None) -> bool:
    at = now(db)
    return store.record_abandonment(db, {
        "id": ticket.id, "counter": counter.code, "service": service if service in
        {s.code for s in counter.services} else None, "reached": reached[:40] or "?",
        "step": step,
        "started_at": ticket.started_at.astimezone(at.tzinfo).isoformat(timespec="milliseconds"),
        "abandoned_at": at.isoformat(timespec="milliseconds")})


def errors_by_field(error: InvalidResponse, lang: str) -> dict[str, list[str]]:
    """Problems as messages grouped by form field name, for showing next to each question."""
    grouped: dict[str, list[str]] = {}
    for problem in error.problems:
        grouped.setdefault(problem.field or "", []).append(problem.message(lang))
    return grouped
