"""The kiosk's local API for a queue or receipt system: ``POST /api/v1/receipts`` issues a receipt token
and returns the survey URL and its QR code (SVG and PNG). Authenticated by ``KIOSK_RECEIPT_API_KEY``."""
from __future__ import annotations

import hmac

from flask import Blueprint, current_app, jsonify, request

from . import receipts
from .db import get_db

bp = Blueprint("kiosk_api", __name__, url_prefix="/api/v1")


@bp.before_request
def require_key():
    key = current_app.config["KIOSK_RECEIPT_API_KEY"]
    if not key:
        return jsonify(error="not_configured", message="set KIOSK_RECEIPT_API_KEY to use this API"), 503
    sent = request.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    if not hmac.compare_digest(sent.encode(), str(key).encode()):
        return jsonify(error="unauthorized", message="send Authorization: Bearer <KIOSK_RECEIPT_API_KEY>"), 401
    return None


@bp.post("/receipts")
def issue_receipt():
    data = request.get_json(silent=True)
    if not isinstance(data, dict) or not isinstance(data.get("counter"), str):
        return jsonify(error="bad_request", message='send JSON {"counter": "2", "service": "kk"}'), 400
    try:
        issued = receipts.issue(get_db(), data["counter"], data.get("service"),
                                current_app.config["KIOSK_PUBLIC_SURVEY_URL"], current_app.config["KIOSK_RECEIPT_DAYS"])
    except receipts.ReceiptError as exc:
        status = 409 if exc.code == "not_enrolled" else 400
        return jsonify(error=exc.code, message=str(exc)), status
    return jsonify(receipts.as_json(issued)), 201
