"""The sync API (docs/sync-protocol.md, docs/openapi.yaml). Every answer carries the server's time; every
answer to a signed request is itself signed, so a kiosk can tell a genuine ack from a captive portal."""
from __future__ import annotations

import json
import logging
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, g, request

from skm import wire

from . import ingest, store

bp = Blueprint("api", __name__, url_prefix="/api/v1")
log = logging.getLogger(__name__)

MESSAGES = {
    "unknown_kiosk": "this kiosk is not enrolled at this collector",
    "revoked": "this kiosk was revoked; enroll it again with a new code",
    "bad_signature": "the request's signature does not match",
    "stale_timestamp": "the request's time is too far from the server's; use server_time",
    "install_revoked": "this copy of the kiosk was revoked; the kiosk it was copied from goes on",
    "missing_auth": "signed headers X-SKM-Kiosk, X-SKM-Timestamp and X-SKM-Signature are required",
}


def server_time() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="milliseconds")


def engine():
    return current_app.extensions["skm_engine"]


def answer(data: dict, status: int = 200, sign_for: dict | None = None) -> Response:
    """JSON with the server's time in the body and a header; signed as an ack when ``sign_for`` is a kiosk."""
    now = data.setdefault("server_time", server_time())
    body = json.dumps(data).encode()  # ASCII escapes: a lone surrogate a kiosk sent comes back as \\ud800
    response = Response(body, status=status, mimetype="application/json")
    response.headers["X-SKM-Server-Time"] = now
    if sign_for is not None:
        response.headers["X-SKM-Signature"] = wire.sign(sign_for["secret"], "ack", sign_for["id"], now, body)
    return response


def refuse(code: str, status: int, message: str | None = None, **extra) -> Response:
    log.warning("api refused %s %s: %s (HTTP %d) kiosk=%s", request.method, request.url_rule, code, status,
                request.headers.get("X-SKM-Kiosk", "-")[:40])
    return answer({"error": code, "message": message or MESSAGES[code], **extra}, status)


@bp.before_request
def authenticate():
    """Every route but enrollment and the clock needs a request signed with the kiosk's secret."""
    if request.endpoint in ("api.enroll_kiosk", "api.clock"):
        return None
    kiosk_id = request.headers.get("X-SKM-Kiosk", "")
    timestamp = request.headers.get("X-SKM-Timestamp", "")
    signature = request.headers.get("X-SKM-Signature", "")
    if not (kiosk_id and timestamp and signature):
        return refuse("missing_auth", 401)
    kiosk_clock, install = request.headers.get("X-SKM-Kiosk-Clock", ""), request.headers.get("X-SKM-Install", "")
    kiosk, install_revoked = store.kiosk_and_install(engine(), kiosk_id, install)
    if kiosk is None or not kiosk["secret"]:
        return refuse("unknown_kiosk", 401)
    if kiosk["revoked_at"]:
        return refuse("revoked", 403, revoked_at=kiosk["revoked_at"])
    arrival = datetime.now(timezone.utc)
    try:
        skew = abs((arrival - datetime.fromisoformat(timestamp)).total_seconds())
    except (ValueError, TypeError, OverflowError):
        skew = float("inf")
    if skew > current_app.config["COLLECTOR_CLOCK_SKEW_SECONDS"]:
        return refuse("stale_timestamp", 401)
    if not wire.verify(kiosk["secret"], "request", kiosk_id, wire.signed_time(timestamp, kiosk_clock, install),
                       request.get_data(), signature):
        return refuse("bad_signature", 401)
    if install_revoked:
        return refuse("install_revoked", 403)
    g.kiosk, g.install = kiosk, install
    # An old kiosk sends no reading of its own clock: its timestamp is the best there is.
    g.clock_skew_ms = wire.measured_skew_ms(kiosk_clock or timestamp, arrival)
    if request.endpoint != "api.push_batch":  # a pushed batch notes the contact in its own transaction
        store.touch_kiosk(engine(), kiosk_id, g.clock_skew_ms)
    return None


@bp.get("/time")
def clock():
    return answer({})


@bp.post("/enroll")
def enroll_kiosk():
    try:
        data = wire.parse_json(request.get_data())
    except wire.NotJSON:
        data = None
    code = str(data.get("code", "")).strip() if isinstance(data, dict) else ""
    if not code:
        return refuse("enroll_code_unknown", 400, "an enrollment code is required")
    try:
        kiosk = store.enroll(engine(), code)
    except store.Refused as exc:
        return refuse(exc.code, 403 if exc.code == "revoked" else 400, str(exc))
    log.info("kiosk enrolled kiosk=%s unit=%s", kiosk["id"], kiosk["unit"])
    return answer({"kiosk_id": kiosk["id"], "secret": kiosk["secret"], "unit": kiosk["unit"],
                   "protocol": wire.PROTOCOL})


@bp.get("/config")
def config():
    return answer({**store.kiosk_config(engine(), g.kiosk), "protocol": wire.PROTOCOL}, sign_for=g.kiosk)


@bp.post("/batches")
def push_batch():
    try:
        batch = ingest.parse_batch(request.get_data(), current_app.config["COLLECTOR_BATCH_MAX"])
        result = ingest.ingest_batch(engine(), g.kiosk, batch, source="api",
                                     lexicon=current_app.extensions["skm_themes"], clock_skew_ms=g.clock_skew_ms,
                                     install=g.install,
                                     alerts_every_seconds=current_app.config["COLLECTOR_ALERTS_AFTER_INGEST_SECONDS"])
    except ingest.BatchError as exc:
        store.touch_kiosk(engine(), g.kiosk["id"], g.clock_skew_ms)  # nothing stored, yet the kiosk was here
        return refuse(exc.code, exc.status, exc.message)
    if result.install is not None:
        for warning in store.report_install(engine(), result.install):
            log.warning("%s", warning)
    return answer(result.to_ack(server_time()), sign_for=g.kiosk)


@bp.post("/receipts-issued")
def receipts_issued():
    """A kiosk reports the receipt tokens it issued, so the dashboard can show answers per token issued."""
    try:
        data = wire.parse_json(request.get_data())
    except wire.NotJSON as exc:
        return refuse("malformed_json", 400, f"the body is not JSON: {exc}")
    try:
        receipts = wire.read_issued_receipts(data, current_app.config["COLLECTOR_BATCH_MAX"])
    except ValueError as exc:
        return refuse("malformed_batch", 400, str(exc))
    codes = ingest.UnitCodes.of(engine(), g.kiosk["unit"])
    known, refused = [], []
    for r in receipts:
        problems = codes.problems(r["counter"], r["service"])
        if problems:
            refused.append({"nonce": r["nonce"], "reason": "; ".join(p.render("en") for p in problems)})
        else:
            known.append(r)
    zone = ZoneInfo(store.get_unit(engine(), g.kiosk["unit"])["timezone"])
    stored = store.store_receipts_issued(engine(), g.kiosk, known, zone)
    return answer({"stored": stored, "nonces": [r["nonce"] for r in receipts], "refused": refused},
                  sign_for=g.kiosk)


@bp.errorhandler(413)
def too_large(_error):
    return refuse("body_too_large", 413, f"the body is larger than {current_app.config['MAX_CONTENT_LENGTH']} bytes")
