"""The wire format between kiosk and collector: a response as JSON, its validation, canonical bytes and
the HMAC-SHA256 signatures of requests, acks and offline bundles (docs/sync-protocol.md).

Pure: bytes in, values out. The apps do the HTTP.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import operator
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from types import MappingProxyType
from collections.abc import Mapping  # isinstance() on it is much cheaper than on typing's
from typing import Any

from . import limits
from .errors import InvalidResponse, Problem
from .questionnaire import CODES, COMMENT_MAX_LENGTH, PROFILE_BY_NAME, QUESTIONNAIRE_VERSION
from .validation import _UNSTORABLE, DECLINED, ValidatedResponse, unstorable_character, validate_response

PROTOCOL = "skm-sync/1"
BUNDLE_FORMAT = "skm-bundle/1"
CHANNELS = ("kiosk", "qr")
KNOWN_VERSIONS = (QUESTIONNAIRE_VERSION,)
CLOCK_SKEW_SECONDS = 300  # a signed request older or newer than this is refused, with the server's time
CLOCK_TOLERANCE_MS = 5000  # a kiosk clock this close to the server's is taken as right (network delay)

FIRST_SECOND = int(datetime(limits.FIRST_YEAR, 1, 1, tzinfo=timezone.utc).timestamp())
LAST_SECOND = int(datetime(limits.LAST_YEAR, 12, 31, 23, 59, 59, tzinfo=timezone.utc).timestamp())


class NotJSON(ValueError):
    """A body that is not JSON the API can read."""


def _no_constant(name: str):
    raise NotJSON(f"{name} is not a JSON value")


def parse_json(body: bytes | str) -> Any:
    """JSON as the API reads it; ``NotJSON`` for anything else: not UTF-8, not JSON, NaN or Infinity, or
    nested deeper than Python's parser can go (the audit sent 100,000 levels)."""
    try:
        return json.loads(body, parse_constant=_no_constant)
    except RecursionError as exc:
        raise NotJSON("nested too deeply") from exc
    except ValueError as exc:  # JSONDecodeError and UnicodeDecodeError are ValueErrors
        raise NotJSON(str(exc)) from exc


def read_issued_receipts(data: Any, most: int) -> list[dict]:
    """The receipts of a kiosk's ``receipts-issued`` report, each checked; ``ValueError`` naming the first
    field that is wrong (a list of at most ``most`` objects {nonce, counter, service, issued_at})."""
    receipts = data.get("receipts") if isinstance(data, dict) else None
    if not isinstance(receipts, list) or len(receipts) > most:
        raise ValueError(f"receipts: a list of at most {most} {{nonce, counter, service, issued_at}} objects")
    for position, receipt in enumerate(receipts):
        where = f"receipts[{position}]"
        if not isinstance(receipt, dict):
            raise ValueError(f"{where}: an object {{nonce, counter, service, issued_at}}")
        for field, limit in (("nonce", limits.NONCE_LENGTH), ("counter", limits.CODE_LENGTH),
                             ("service", limits.CODE_LENGTH)):
            value = receipt.get(field)
            if not isinstance(value, str) or not 0 < len(value) <= limit or unstorable_character(value):
                raise ValueError(f"{where}.{field}: a text of 1 to {limit} characters")
        if not _whole_number(receipt.get("issued_at"), FIRST_SECOND, LAST_SECOND):
            raise ValueError(f"{where}.issued_at: unix seconds from {FIRST_SECOND} to {LAST_SECOND}")
    return receipts


# The purpose goes into every signature, so a request's signature can never pass as an ack's.
PURPOSES = ("request", "ack", "bundle")


# Made once, not per call. Parsed JSON and our own values hold no reference cycles: the encoder's cycle check
# (a set of every container it enters) is left out, the same bytes about 10 % sooner.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False, check_circular=False)


def canonical(data: Any) -> bytes:
    """One byte string per value: sorted keys, no spaces, UTF-8."""
    return _CANONICAL.encode(data).encode()


def content_hash(response: Mapping[str, Any]) -> str:
    return hashlib.sha256(canonical(response)).hexdigest()


def sign(secret: str, purpose: str, kiosk_id: str, timestamp: str, body: bytes) -> str:
    return sign_digest(secret, purpose, kiosk_id, timestamp, hashlib.sha256(body).hexdigest())


def sign_digest(secret: str, purpose: str, kiosk_id: str, timestamp: str, body_sha256: str) -> str:
    """``sign`` from the body's SHA-256 (hex), for a body hashed as it is streamed (a large bundle)."""
    assert purpose in PURPOSES
    message = "\n".join([PROTOCOL, purpose, kiosk_id, timestamp, body_sha256])
    return hmac.new(secret.encode(), message.encode(), hashlib.sha256).hexdigest()


def signed_time(timestamp: str, kiosk_clock: str = "", install: str = "") -> str:
    """What a request's signature covers as its time: the corrected ``X-SKM-Timestamp``, then, when the
    kiosk sends them, its own clock reading (``X-SKM-Kiosk-Clock``) and its install id (``X-SKM-Install``).
    A kiosk that sends neither signs the timestamp alone, as before; dropping either header breaks the
    signature."""
    if not (kiosk_clock or install):
        return timestamp
    return f"{timestamp}\nclock={kiosk_clock}\ninstall={install}"


def measured_skew_ms(kiosk_clock: str, arrival: datetime) -> int:
    """A kiosk's clock minus the server's, in ms, from its signed reading and the request's arrival; 0
    within ``CLOCK_TOLERANCE_MS`` (the time on the wire) or for a reading that is not a time of 2000..2999."""
    problems: list[Problem] = []
    reading = parse_time(kiosk_clock, "kiosk_clock", problems)
    if reading is None:
        return 0
    skew = int((reading - arrival).total_seconds() * 1000)
    return skew if abs(skew) >= CLOCK_TOLERANCE_MS else 0


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


_CANONICAL_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\Z")  # as str(UUID) writes


def validate_wire_response(data: Any) -> WireResponse:
    """Validate one response of a batch; raise ``InvalidResponse`` listing every problem by field.

    A response as kiosks send it (a dict of exactly typed values, every one valid) takes one pass of
    precompiled checks (``_common_valid``); anything else, every invalid response included, goes through
    ``_validate_each_field``, which alone words the problems."""
    response = _common_valid(data)
    return response if response is not None else _validate_each_field(data)


_SCORE_VALUES = frozenset((1, 2, 3, 4))
_INT_ONLY = frozenset((int,))
_SCORES_OF = operator.itemgetter(*CODES)
_EMPTY: Mapping[str, str] = MappingProxyType({})


def _common_valid(data: Any) -> WireResponse | None:
    """The ``WireResponse`` of ``data`` when it is valid in the common way, else None (then the full check
    decides, and words the problems). Accepts only what ``_validate_each_field`` accepts, and makes the
    same value of it: tests/skm/test_wire_fast_path.py checks both on generated responses."""
    if type(data) is not dict:
        return None
    get = data.get
    response_id, seq, unit, service, counter = get("id"), get("seq"), get("unit"), get("service"), get("counter")
    if not (type(response_id) is str and _CANONICAL_UUID.match(response_id)
            and type(seq) is int and 1 <= seq <= limits.SEQ_MAX
            and type(unit) is str and len(unit) <= limits.CODE_LENGTH and unit.strip()
            and type(service) is str and len(service) <= limits.CODE_LENGTH and service.strip()
            and type(counter) is str and len(counter) <= limits.CODE_LENGTH and counter.strip()):
        return None
    texts = [unit, service, counter]
    officer, reason = get("officer"), get("suspect_reason")
    if officer is not None:
        if not (type(officer) is str and len(officer) <= limits.OFFICER_LENGTH and officer.strip()):
            return None
        texts.append(officer)
    if reason is not None:
        if not (type(reason) is str and len(reason) <= limits.SUSPECT_REASON_LENGTH and reason.strip()):
            return None
        texts.append(reason)
    channel, version, duration, suspect = get("channel"), get("questionnaire_version"), get("duration_ms"), \
        get("suspect", False)
    if not (type(channel) is str and channel in CHANNELS and type(version) is str and version in KNOWN_VERSIONS
            and (duration is None or type(duration) is int and 0 <= duration <= limits.DURATION_MS_MAX)
            and type(suspect) is bool):
        return None
    started_text, submitted_text = get("started_at"), get("submitted_at")
    if type(submitted_text) is not str or len(submitted_text) > limits.TIMESTAMP_LENGTH:
        return None
    try:
        submitted = datetime.fromisoformat(submitted_text)
        started = None
        if started_text is not None:
            if type(started_text) is not str or len(started_text) > limits.TIMESTAMP_LENGTH:
                return None
            started = datetime.fromisoformat(started_text)
    except ValueError:
        return None
    if (submitted.tzinfo is None or not limits.FIRST_YEAR <= submitted.year <= limits.LAST_YEAR
            or started is not None and (started.tzinfo is None
                                        or not limits.FIRST_YEAR <= started.year <= limits.LAST_YEAR)):
        return None
    raw_answers = get("answers")
    if type(raw_answers) is not dict or len(raw_answers) != len(CODES):
        return None
    try:
        scores = _SCORES_OF(raw_answers)
    except KeyError:
        return None
    # The types first: a list is no set member, and True equals 1.
    if not (_INT_ONLY.issuperset(map(type, scores)) and _SCORE_VALUES.issuperset(scores)):
        return None
    raw_profile, profile = get("profile"), _EMPTY
    if raw_profile:
        if type(raw_profile) is not dict:
            return None
        chosen: dict[str, str] = {}
        for key, value in raw_profile.items():
            spec = PROFILE_BY_NAME.get(key)
            if spec is None:
                return None
            if value in DECLINED:
                continue
            if value not in spec.values:
                return None
            chosen[key] = value
        profile = MappingProxyType(chosen)
    elif raw_profile is not None and type(raw_profile) is not dict:
        return None  # an empty list or text is no mapping
    comment = get("comment")
    if comment is not None:
        if type(comment) is not str:
            return None
        comment = comment.strip()
        if len(comment) > COMMENT_MAX_LENGTH:
            return None
        texts.append(comment)
        comment = comment or None
    if _UNSTORABLE.search("".join(texts)):
        return None
    content = ValidatedResponse(MappingProxyType(dict(zip(CODES, scores))), profile, comment)
    return WireResponse(response_id, seq, unit, service, counter, officer, channel, version, content, started,
                        submitted, duration, suspect, reason, data)


def _validate_each_field(data: Any) -> WireResponse:
    """Every field checked on its own, every problem listed (``validate_wire_response``)."""
    if not isinstance(data, Mapping):
        raise InvalidResponse([Problem("not_a_mapping")])
    problems: list[Problem] = []
    try:
        response_id = data.get("id")
        if not (isinstance(response_id, str) and _CANONICAL_UUID.match(response_id)):  # else as uuid reads it
            response_id = str(uuid.UUID(str(response_id)))
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
    # No problem means every required field was read, so none of these is None.
    assert (seq is not None and unit is not None and service is not None and counter is not None
            and channel is not None and version is not None and content is not None and submitted is not None)
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
#
# Two formats. The first (``skm-receipt/1``) is base64url JSON and a 16-byte HMAC, about 130 characters: a
# version 9 QR code, too dense for a 58 mm slip. Receipts already printed with it are honoured until they
# expire. Kiosks now issue the compact format (``skm-receipt/2``): packed bytes and an 8-byte HMAC in
# Crockford base32, about 45 characters, so the whole URL fits a version 4 or 5 code:
#
#   version (1) | kiosk id prefix (4, the UUID's first 8 hex digits) | minutes since RECEIPT_EPOCH (3)
#   | nonce (6) | counter code (1 + n, UTF-8) | service code (1 + n) | HMAC-SHA256 truncated (8)
#
# The kiosk prefix need not be unique: the collector tries each kiosk that has it, and the MAC tells.
# A receipt also has a short code (8 symbols, printed ``XXXX-XXXX``) a citizen can type instead of scanning:
# a MAC over the kiosk's nonce, so only the kiosk's key makes one and the collector can check it.


@dataclass(frozen=True)
class Receipt:
    """What a receipt's QR code carries: no personal data, only where and when the service was given.
    Read from a compact token, ``kiosk_id`` is only the first 8 hex digits of the kiosk's id."""
    kiosk_id: str
    counter: str
    service: str
    issued_at: int  # unix seconds (a whole minute in the compact format)
    nonce: str  # 12 hex digits in the compact format

    def to_payload(self) -> dict:
        return {"k": self.kiosk_id, "c": self.counter, "s": self.service, "t": self.issued_at, "n": self.nonce}


@dataclass(frozen=True)
class ReceiptToken:
    """A token as read, not yet verified: the verifier needs the kiosk's secret."""
    receipt: Receipt
    message: bytes  # what the signature covers, the format's tag included
    signature: bytes

    def signed_by(self, secret: str) -> bool:
        return hmac.compare_digest(_mac(secret, self.message)[:len(self.signature)], self.signature)


class BadReceipt(ValueError):
    """A receipt token that cannot be read (cut, altered in form, not a token)."""


RECEIPT_TAG_V1 = b"skm-receipt/1\n"
RECEIPT_TAG_V2 = b"skm-receipt/2\n"
RECEIPT_CODE_TAG = b"skm-receipt-code/1\n"
COMPACT_VERSION = 2
RECEIPT_EPOCH = 1_735_689_600  # 2025-01-01T00:00:00Z; three bytes of minutes last until 2056
KIOSK_PREFIX_BYTES, NONCE_BYTES, MAC_BYTES, CODE_SYMBOLS = 4, 6, 8, 8
CROCKFORD = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # no I, L, O, U: nothing to misread
_CROCKFORD_READ = {**{c: i for i, c in enumerate(CROCKFORD)}, "I": 1, "L": 1, "O": 0}


def _mac(secret: str, message: bytes) -> bytes:
    return hmac.new(secret.encode(), message, hashlib.sha256).digest()


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def crockford(data: bytes, symbols: int | None = None) -> str:
    """Base32 (Crockford's alphabet, no padding) of ``data``, or of its first ``symbols`` x 5 bits."""
    bits = len(data) * 8
    number = int.from_bytes(data, "big") << (-bits % 5)
    count = (bits + 4) // 5
    text = "".join(CROCKFORD[(number >> (5 * i)) & 31] for i in reversed(range(count)))
    return text[:symbols] if symbols else text


def uncrockford(text: str) -> bytes:
    """The bytes of a Crockford base32 text, read case-insensitively (I and L as 1, O as 0)."""
    try:
        values = [_CROCKFORD_READ[c] for c in text.upper()]
    except KeyError as exc:
        raise BadReceipt(f"not base32: {exc}") from exc
    bits = len(values) * 5
    if bits % 8 >= 5:
        raise BadReceipt("base32 of the wrong length")
    number = 0
    for value in values:
        number = number << 5 | value
    if number & ((1 << bits % 8) - 1):
        raise BadReceipt("base32 with stray bits at the end")  # one token, one spelling
    return (number >> (bits % 8)).to_bytes(bits // 8, "big")


def make_receipt_token(secret: str, receipt: Receipt) -> str:
    """The first format, ``payload.signature`` (base64url JSON, 16-byte HMAC). Kept so the tests and the
    bench can make the receipts already printed; kiosks issue ``make_compact_receipt_token``."""
    payload = canonical(receipt.to_payload())
    return f"{_b64(payload)}.{_b64(_mac(secret, RECEIPT_TAG_V1 + payload)[:16])}"


def compact_receipt(kiosk_id: str, counter: str, service: str, issued_at: float, nonce: bytes) -> Receipt:
    """A receipt the compact format can carry: issue time cut to the minute, nonce as hex."""
    minute = int(issued_at) // 60 * 60
    return Receipt(kiosk_id, counter, service, minute, nonce.hex())


def is_compact_nonce(nonce: str) -> bool:
    return len(nonce) == 2 * NONCE_BYTES and all(c in "0123456789abcdef" for c in nonce)


def make_compact_receipt_token(secret: str, receipt: Receipt) -> str:
    body = _pack_receipt(receipt)
    return crockford(body + _mac(secret, RECEIPT_TAG_V2 + body)[:MAC_BYTES])


def _pack_receipt(receipt: Receipt) -> bytes:
    minutes = (receipt.issued_at - RECEIPT_EPOCH) // 60
    texts = [receipt.counter.encode(), receipt.service.encode()]
    if receipt.issued_at % 60 or not 0 <= minutes < 1 << 24 or any(len(text) > 255 for text in texts):
        raise ValueError("a compact receipt needs a whole minute after 2025 and codes of at most 255 bytes")
    nonce = bytes.fromhex(receipt.nonce)
    if len(nonce) != NONCE_BYTES:
        raise ValueError(f"a compact receipt's nonce has {NONCE_BYTES} bytes")
    return (bytes([COMPACT_VERSION]) + bytes.fromhex(receipt.kiosk_id.replace("-", "")[:2 * KIOSK_PREFIX_BYTES])
            + minutes.to_bytes(3, "big") + nonce + b"".join(bytes([len(text)]) + text for text in texts))


def read_receipt_token(token: str) -> ReceiptToken:
    """The receipt of either format, not yet verified; ``BadReceipt`` when it cannot be read."""
    try:
        return _read_v1(token) if "." in token else _read_compact(token)
    except (ValueError, KeyError, TypeError, IndexError, UnicodeDecodeError) as exc:
        raise BadReceipt(str(exc)) from exc


def _read_v1(token: str) -> ReceiptToken:
    payload_text, signature_text = token.split(".")
    payload, signature = _unb64(payload_text), _unb64(signature_text)
    data = parse_json(payload)
    if not (isinstance(data, dict) and all(isinstance(data.get(k), str) for k in "kcsn")
            and _whole_number(data.get("t"), FIRST_SECOND, LAST_SECOND)):
        raise BadReceipt("fields of the wrong type")
    receipt = Receipt(str(uuid.UUID(data["k"])), data["c"], data["s"], data["t"], data["n"])
    if not (0 < len(receipt.nonce) <= limits.NONCE_LENGTH and len(receipt.counter) <= limits.CODE_LENGTH
            and len(receipt.service) <= limits.CODE_LENGTH and len(signature) == 16):
        raise BadReceipt("fields out of range")
    return ReceiptToken(receipt, RECEIPT_TAG_V1 + payload, signature)


def _read_compact(token: str) -> ReceiptToken:
    data = uncrockford(token)
    body, signature = data[:-MAC_BYTES], data[-MAC_BYTES:]
    if len(signature) != MAC_BYTES or not body or body[0] != COMPACT_VERSION:
        raise BadReceipt("not a compact receipt token")
    at = 1 + KIOSK_PREFIX_BYTES
    kiosk, minutes, nonce = body[1:at].hex(), int.from_bytes(body[at:at + 3], "big"), body[at + 3:at + 3 + NONCE_BYTES]
    texts, at = [], at + 3 + NONCE_BYTES
    for _ in range(2):
        length = body[at]
        texts.append(body[at + 1:at + 1 + length].decode())
        at += 1 + length
    if at != len(body) or len(nonce) != NONCE_BYTES or not all(texts):
        raise BadReceipt("fields out of range")
    receipt = Receipt(kiosk, texts[0], texts[1], RECEIPT_EPOCH + 60 * minutes, nonce.hex())
    return ReceiptToken(receipt, RECEIPT_TAG_V2 + body, signature)


def receipt_code(secret: str, nonce: str) -> str:
    """The short code printed under a receipt's QR code: 8 symbols (40 bits) of a MAC over its nonce."""
    return crockford(_mac(secret, RECEIPT_CODE_TAG + nonce.encode()), CODE_SYMBOLS)


def normal_receipt_code(typed: str) -> str | None:
    """A typed code as stored (upper case, I/L as 1 and O as 0, spaces and dashes dropped), or None."""
    text = "".join(typed.split()).replace("-", "").upper().translate(str.maketrans("ILO", "110"))
    return text if len(text) == CODE_SYMBOLS and all(c in CROCKFORD for c in text) else None


def grouped_code(code: str) -> str:
    """``7K3MQ9XD`` as printed: ``7K3M-Q9XD``."""
    return f"{code[:4]}-{code[4:]}"
