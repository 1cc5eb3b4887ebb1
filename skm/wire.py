"""The wire format between kiosk and collector: a response as JSON, its validation, canonical bytes and
the HMAC-SHA256 signatures of requests, acks and offline bundles (docs/sync-protocol.md).

Pure: bytes in, values out. The apps do the HTTP.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Mapping

from . import limits
from .errors import InvalidResponse, Problem
from .questionnaire import QUESTIONNAIRE_VERSION
from .validation import ValidatedResponse, unstorable_character, validate_response

PROTOCOL = "skm-sync/1"
BUNDLE_FORMAT = "skm-bundle/1"
CHANNELS = ("kiosk", "qr")
KNOWN_VERSIONS = (QUESTIONNAIRE_VERSION,)
CLOCK_SKEW_SECONDS = 300  # a signed request older or newer than this is refused, with the server's time

# The purpose goes into every signature, so a request's signature can never pass as an ack's.
PURPOSES = ("request", "ack", "bundle")


def canonical(data: Any) -> bytes:
    """One byte string per value: sorted keys, no spaces, UTF-8."""
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def content_hash(response: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(response)).hexdigest()


def sign(secret: str, purpose: str, kiosk_id: str, timestamp: str, body: bytes) -> str:
    assert purpose in PURPOSES
    message = "\n".join([PROTOCOL, purpose, kiosk_id, timestamp, hashlib.sha256(body).hexdigest()])
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def verify(secret: str, purpose: str, kiosk_id: str, timestamp: str, body: bytes, signature: str) -> bool:
    return hmac.compare_digest(sign(secret, purpose, kiosk_id, timestamp, body), signature or "")


@dataclass(frozen=True)
class WireResponse:
    """A validated response as the kiosk sent it. ``data`` is the exact mapping, for the content hash."""
    id: str
    seq: int
    unit: str
    service: str
    counter: str
    officer: str | None
    channel: str
    questionnaire_version: str
    content: ValidatedResponse
    started_at: datetime | None
    submitted_at: datetime
    duration_ms: int | None
    suspect: bool
    suspect_reason: str | None
    data: Mapping[str, Any]


def parse_time(value: Any, field: str, problems: list[Problem], required: bool = True) -> datetime | None:
    if value is None and not required:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except (TypeError, ValueError):
        problems.append(Problem("bad_timestamp", field, {"value": value}))
        return None
    if parsed.tzinfo is None:
        problems.append(Problem("timestamp_without_offset", field, {"value": value}))
        return None
    if not limits.FIRST_YEAR <= parsed.year <= limits.LAST_YEAR or len(value) > limits.TIMESTAMP_LENGTH:
        problems.append(Problem("timestamp_out_of_range", field,
                                {"value": value, "first": limits.FIRST_YEAR, "last": limits.LAST_YEAR}))
        return None
    return parsed


def _whole_number(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _text(data: Mapping[str, Any], field: str, problems: list[Problem], limit: int,
          required: bool = True) -> str | None:
    value = data.get(field)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        problems.append(Problem("bad_text", field, {"limit": limit}))
        return None
    bad = unstorable_character(value)
    if bad:
        problems.append(Problem("unstorable_character", field, {"character": bad}))
        return None
    return value


def validate_wire_response(data: Any) -> WireResponse:
    """Validate one response of a batch; raise ``InvalidResponse`` listing every problem by field."""
    if not isinstance(data, Mapping):
        raise InvalidResponse([Problem("not_a_mapping")])
    problems: list[Problem] = []
    try:
        response_id = str(uuid.UUID(str(data.get("id"))))
    except ValueError:
        problems.append(Problem("bad_id", "id", {"value": data.get("id")}))
        response_id = ""
    seq = data.get("seq")
    if not _whole_number(seq, 1, limits.SEQ_MAX):
        problems.append(Problem("bad_seq", "seq", {"value": seq, "limit": limits.SEQ_MAX}))
    unit, service, counter = (_text(data, f, problems, limits.CODE_LENGTH) for f in ("unit", "service", "counter"))
    officer = _text(data, "officer", problems, limits.OFFICER_LENGTH, required=False)
    channel = data.get("channel")
    if channel not in CHANNELS:
        problems.append(Problem("bad_choice", "channel", {"value": channel, "choices": ", ".join(CHANNELS)}))
    version = data.get("questionnaire_version")
    if version not in KNOWN_VERSIONS:
        problems.append(Problem("unknown_version", "questionnaire_version", {"value": version}))
    started = parse_time(data.get("started_at"), "started_at", problems, required=False)
    submitted = parse_time(data.get("submitted_at"), "submitted_at", problems)
    duration = data.get("duration_ms")
    if duration is not None and not _whole_number(duration, 0, limits.DURATION_MS_MAX):
        problems.append(Problem("bad_duration", "duration_ms", {"value": duration, "limit": limits.DURATION_MS_MAX}))
    suspect = data.get("suspect", False)
    if not isinstance(suspect, bool):
        problems.append(Problem("bad_choice", "suspect", {"value": suspect, "choices": "true, false"}))
    reason = _text(data, "suspect_reason", problems, limits.SUSPECT_REASON_LENGTH, required=False)
    content = None
    try:
        content = validate_response({k: data[k] for k in ("answers", "profile", "comment") if k in data})
    except InvalidResponse as exc:
        problems.extend(exc.problems)
    if problems:
        raise InvalidResponse(problems)
    return WireResponse(response_id, seq, unit, service, counter, officer, channel, version, content, started,
                        submitted, duration, suspect, reason, data)


def response_to_wire(row: Mapping[str, Any], codes: tuple[str, ...], profile_fields: tuple[str, ...]) -> dict:
    """A stored row (flat columns, as both apps keep them) in the wire shape."""
    return {
        "id": row["id"], "seq": row["seq"], "unit": row["unit"], "service": row["service"],
        "counter": row["counter"], "officer": row.get("officer"), "channel": row.get("channel") or "kiosk",
        "questionnaire_version": row["questionnaire_version"],
        "answers": {code: row[code] for code in codes if row.get(code) is not None},
        "profile": {name: row[name] for name in profile_fields if row.get(name)},
        "comment": row.get("comment"), "started_at": row.get("started_at"), "submitted_at": row["submitted_at"],
        "duration_ms": row.get("duration_ms"), "suspect": bool(row.get("suspect")),
        "suspect_reason": row.get("suspect_reason"),
    }


# -- receipt tokens (the QR code on a receipt) --------------------------------------------------------------


@dataclass(frozen=True)
class Receipt:
    """What a receipt's QR code carries: no personal data, only where and when the service was given."""
    kiosk_id: str
    counter: str
    service: str
    issued_at: int  # unix seconds
    nonce: str

    def to_payload(self) -> dict:
        return {"k": self.kiosk_id, "c": self.counter, "s": self.service, "t": self.issued_at, "n": self.nonce}


class BadReceipt(ValueError):
    """A receipt token that cannot be read (cut, altered in form, not a token)."""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def make_receipt_token(secret: str, receipt: Receipt) -> str:
    """``payload.signature``, both base64url; the signature is HMAC-SHA256 with the kiosk's secret."""
    payload = canonical(receipt.to_payload())
    signature = hmac.new(secret.encode(), b"skm-receipt/1\n" + payload, hashlib.sha256).digest()[:16]
    return f"{_b64(payload)}.{_b64(signature)}"


def read_receipt_token(token: str) -> tuple[Receipt, bytes, bytes]:
    """The receipt and the signed bytes, not yet verified (the verifier needs the kiosk's secret)."""
    try:
        payload_text, signature_text = token.split(".")
        payload, signature = _unb64(payload_text), _unb64(signature_text)
        data = json.loads(payload)
        receipt = Receipt(str(uuid.UUID(data["k"])), str(data["c"]), str(data["s"]), int(data["t"]), str(data["n"]))
    except (ValueError, KeyError, TypeError, json.JSONDecodeError) as exc:
        raise BadReceipt(str(exc)) from exc
    if not (0 < len(receipt.nonce) <= limits.NONCE_LENGTH and len(receipt.counter) <= limits.CODE_LENGTH
            and len(receipt.service) <= limits.CODE_LENGTH):
        raise BadReceipt("fields out of range")
    return receipt, payload, signature


def verify_receipt_token(secret: str, payload: bytes, signature: bytes) -> bool:
    expected = hmac.new(secret.encode(), b"skm-receipt/1\n" + payload, hashlib.sha256).digest()[:16]
    return hmac.compare_digest(expected, signature)
