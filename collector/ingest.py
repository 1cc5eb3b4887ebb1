"""A batch of responses from a kiosk (over the API or in an offline bundle) -> validated -> stored once.

Validation comes first and covers the whole batch; then one transaction stores it (``store.ingest``).
"""
from __future__ import annotations

import logging
import time
import uuid
from dataclasses import dataclass
from collections.abc import Mapping  # isinstance() on it is much cheaper than on typing's
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from skm import InvalidResponse, Problem, limits, themes, wire

from . import alerts, store

log = logging.getLogger(__name__)


class BatchError(Exception):
    """The batch as a whole is unusable; nothing of it was stored. ``code`` names why, for the kiosk."""

    def __init__(self, code: str, message: str, status: int = 400):
        self.code, self.message, self.status = code, message, status
        super().__init__(message)


@dataclass(frozen=True)
class BatchResult:
    batch_id: str
    outcomes: list[store.Outcome]
    install: store.InstallNote | None = None  # what noting a pushed batch under its install found

    def counts(self) -> dict[str, int]:
        counts = {"accepted": 0, "duplicate": 0, "conflict": 0, "invalid": 0}
        for o in self.outcomes:
            counts[o.status] += 1
        return counts

    def to_ack(self, server_time: str) -> dict:
        return {"protocol": wire.PROTOCOL, "batch_id": self.batch_id, "server_time": server_time,
                "results": [{"id": o.id, "status": o.status, "reason": o.reason} for o in self.outcomes]}


@dataclass(frozen=True)
class UnitCodes:
    """What a kiosk may name in the values it signs: its unit's counters, services and officers."""
    unit: str
    counters: frozenset[str]
    services: frozenset[str]
    officers: frozenset[str]

    @classmethod
    def of(cls, engine: Engine, unit: str) -> "UnitCodes":
        return cls.read(engine, unit)[1]

    @classmethod
    def read(cls, engine: Engine, unit: str) -> tuple[dict, "UnitCodes"]:
        """The unit's row and its codes, in one snapshot."""
        row, counters, services, officers = store.unit_with_codes(engine, unit)
        return row, cls(unit, frozenset(counters), frozenset(services), frozenset(officers))

    def problems(self, counter: str, service: str, officer: str | None = None) -> list[Problem]:
        """The values this unit does not have, each as a ``Problem`` naming its field (long values cut)."""
        problems = []
        if counter not in self.counters:
            problems.append(Problem("unknown_counter", "counter", {"value": shown(counter)}))
        if service not in self.services:
            problems.append(Problem("unknown_unit_service", "service", {"value": shown(service)}))
        if officer is not None and officer not in self.officers:
            problems.append(Problem("unknown_officer", "officer", {"value": shown(officer)}))
        return problems


def shown(value: str, limit: int = 40) -> str:
    """A value as a reason quotes it: at most ``limit`` characters, then an ellipsis."""
    return value if len(value) <= limit else value[:limit] + "…"


def parse_batch(body: bytes, max_responses: int) -> dict:
    try:
        batch = wire.parse_json(body)
    except wire.NotJSON as exc:
        raise BatchError("malformed_json", f"the body is not JSON: {exc}") from exc
    if not isinstance(batch, dict) or not isinstance(batch.get("responses"), list):
        raise BatchError("malformed_batch", "a batch is an object with a 'responses' list")
    try:
        batch["batch_id"] = str(uuid.UUID(str(batch.get("batch_id"))))
    except ValueError as exc:
        raise BatchError("malformed_batch", "batch_id must be a UUID") from exc
    if len(batch["responses"]) > max_responses:
        raise BatchError("batch_too_large", f"{len(batch['responses'])} responses in one batch; at most "
                                            f"{max_responses}", status=413)
    return batch


def seqs_of(batch: Mapping[str, Any]) -> dict[int, str]:
    """seq -> response id of the batch's responses that have both in range (the invalid ones left out)."""
    return {r["seq"]: str(r["id"]) for r in batch["responses"] if isinstance(r, Mapping)
            and isinstance(r.get("seq"), int) and not isinstance(r.get("seq"), bool) and 0 < r["seq"] <= limits.SEQ_MAX
            and isinstance(r.get("id"), str) and len(r["id"]) <= 36}


def ingest_batch(engine: Engine, kiosk: Mapping[str, Any], batch: Mapping[str, Any], source: str,
                 lexicon: themes.Lexicon, clock_skew_ms: int | None = None, install: str | None = None,
                 alerts_every_seconds: float = 0) -> BatchResult:
    """Validate every response of the batch, then store the valid ones in one transaction; then evaluate the
    unit's alert rules, with ``lexicon`` (the app's, ``app.extensions["skm_themes"]``) for integrity signals.

    A batch pushed over the API names the kiosk ``install`` that sent it: the same transaction then notes
    the kiosk's contact and clock skew and the batch under that install (``store.note_arrival``), and the
    result carries what that found. ``alerts_every_seconds``: see ``alerts.after_ingest``.

    The kiosk's times are filed corrected by ``clock_skew_ms`` (its clock minus the server's, measured on
    this request); a bundle, which has no request, takes the kiosk's last measured skew."""
    if clock_skew_ms is None:
        clock_skew_ms = kiosk.get("clock_skew_ms") or 0
    unit, codes = UnitCodes.read(engine, kiosk["unit"])
    zone = ZoneInfo(unit["timezone"])
    valid: list[tuple[wire.WireResponse, str]] = []
    invalid: list[store.Outcome] = []
    seen: set[str] = set()
    for position, data in enumerate(batch["responses"]):
        raw_id = str(data.get("id")) if isinstance(data, Mapping) else f"#{position}"
        try:
            response = wire.validate_wire_response(data)
            problems = codes.problems(response.counter, response.service, response.officer)
            if response.unit != unit["code"]:
                problems.insert(0, Problem("unit_mismatch", "unit", {"value": response.unit, "unit": unit["code"]}))
            if problems:
                raise InvalidResponse(problems)
        except InvalidResponse as exc:
            invalid.append(store.Outcome(raw_id, "invalid", "; ".join(exc.render("en"))))
            continue
        if response.id in seen:
            continue  # the same response twice in one batch is stored once; its outcome is reported once
        seen.add(response.id)
        data = response.data
        valid.append((response, wire.content_hash(data if type(data) is dict else dict(data))))
    started = time.perf_counter()
    arrival = None if install is None else store.Arrival(kiosk["id"], install, clock_skew_ms, seqs_of(batch))
    outcomes, note = store.ingest(engine, kiosk["id"], batch["batch_id"], source, valid, invalid, zone, clock_skew_ms,
                                  lexicon, arrival)
    result = BatchResult(batch["batch_id"], outcomes, note)
    log.info("ingest kiosk=%s batch=%s source=%s %s ms=%.0f", kiosk["id"], batch["batch_id"], source,
             " ".join(f"{status}={n}" for status, n in result.counts().items()),
             (time.perf_counter() - started) * 1000)
    accepted = {o.id for o in outcomes if o.status == "accepted"}
    if accepted:
        check_alerts(engine, unit, [response for response, _hash in valid if response.id in accepted], lexicon,
                     alerts_every_seconds)
    return result


def check_alerts(engine: Engine, unit: Mapping[str, Any], accepted: list[wire.WireResponse],
                 lexicon: themes.Lexicon, every_seconds: float = 0) -> None:
    """The alert rules after the batch committed (its ack must not depend on them): from the aggregates, and
    the integrity check on the new comments only. A failure is logged with its traceback; the schedule's
    next run evaluates the same rules again."""
    comments = [{"id": r.id, "counter": r.counter, "service": r.service, "submitted_at": r.submitted_at.isoformat(),
                 "comment": r.content.comment} for r in accepted if r.content.comment]
    try:
        alerts.after_ingest(engine, unit, comments, lexicon, every_seconds)
    except Exception:  # noqa: BLE001 - the batch is stored; the scheduled run retries the rules
        log.exception("alerts after ingest unit=%s failed; the scheduled run evaluates them again", unit["code"])


def read_bundle(engine: Engine, content: bytes) -> tuple[dict, dict]:
    """An offline bundle's kiosk and batch, after checking its signature with that kiosk's secret."""
    try:
        bundle = wire.parse_json(content)
        kiosk_id, signed_at, signature = bundle["kiosk_id"], bundle["signed_at"], bundle["signature"]
        body = wire.canonical(bundle["batch"])
    except (wire.NotJSON, KeyError, TypeError) as exc:
        raise BatchError("malformed_bundle", f"not an SKM bundle file: {exc}") from exc
    if bundle.get("format") != wire.BUNDLE_FORMAT:
        raise BatchError("malformed_bundle", f"unknown bundle format {bundle.get('format')!r}")
    kiosk = store.get_kiosk(engine, str(kiosk_id))
    if kiosk is None or not kiosk["secret"]:
        raise BatchError("unknown_kiosk", f"kiosk {kiosk_id} is not enrolled at this collector", status=401)
    if kiosk["revoked_at"]:
        raise BatchError("revoked", f"kiosk {kiosk_id} was revoked on {kiosk['revoked_at']}", status=403)
    if not wire.verify(kiosk["secret"], "bundle", kiosk["id"], signed_at, body, signature):
        raise BatchError("bad_signature", "the bundle's signature does not match: altered or forged", status=401)
    batch = parse_batch(body, max_responses=10 ** 9)
    return kiosk, batch
