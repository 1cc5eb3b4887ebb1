"""Receipt tokens for the QR survey, issued offline and signed with this kiosk's key (DESIGN.md section 6).

The token names the kiosk, counter, service, issue time and a nonce; nothing personal. It is the compact
format of ``skm.wire`` (about 45 characters), so the QR code stays coarse enough for a 58 mm slip; the
short code printed under it can be typed instead. The collector checks the signature with the same key,
the expiry, and that the kiosk is not revoked.
"""
from __future__ import annotations

import base64
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils

from skm import wire
from skmweb.qr import qr_png, qr_svg

from . import store
from .sync import corrected_now, credentials


class ReceiptError(Exception):
    """A receipt cannot be issued; ``code`` says why (not enrolled, unknown counter or service)."""

    def __init__(self, code: str, message: str):
        self.code = code
        super().__init__(message)


@dataclass(frozen=True)
class IssuedReceipt:
    token: str
    url: str
    receipt: wire.Receipt
    expires_at: datetime
    code: str  # the short code, as printed (``7K3M-Q9XD``)
    code_page: str  # the unit's survey page, where the code can be typed instead of scanning


def survey_base_url(db: sqlite_utils.Database, configured: str | None) -> str:
    creds = credentials(db)
    if configured:
        return configured.rstrip("/")
    if creds is None:
        raise ReceiptError("not_enrolled", "the kiosk must be enrolled at a collector to sign receipts")
    return creds.url


def issue(db: sqlite_utils.Database, counter_code: str, service: str | None, base_url: str | None,
          valid_days: int) -> IssuedReceipt:
    """Sign a one-time receipt token for a counter and service; works with no network."""
    creds = credentials(db)
    if creds is None:
        raise ReceiptError("not_enrolled", "the kiosk must be enrolled at a collector to sign receipts")
    try:
        counter = store.counter(db, counter_code)
    except store.UnknownCounter as exc:
        raise ReceiptError("unknown_counter", f"counter {counter_code!r} is not known at this kiosk") from exc
    codes = [s.code for s in counter.services]
    service = service or (codes[0] if len(codes) == 1 else None)
    if service not in codes:
        raise ReceiptError("unknown_service", f"choose one of the services of counter {counter_code}: "
                                              f"{', '.join(codes)}")
    # Signed on the collector's clock (this PC's corrected by the last measured offset): a PC running
    # fast or slow still issues receipts the collector takes as fresh and expires on the right day.
    receipt = wire.compact_receipt(creds.kiosk_id, counter.code, service, corrected_now(db).timestamp(),
                                   secrets.token_bytes(wire.NONCE_BYTES))
    token = wire.make_compact_receipt_token(creds.secret, receipt)
    store.record_receipt(db, receipt.nonce, counter.code, service, receipt.issued_at)
    base = survey_base_url(db, base_url)
    expires = datetime.fromtimestamp(receipt.issued_at).astimezone() + timedelta(days=valid_days)
    code = wire.grouped_code(wire.receipt_code(creds.secret, receipt.nonce))
    return IssuedReceipt(token, f"{base}/q/{token}", receipt, expires, code, f"{base}/s/{store.unit(db)['code']}")


def as_json(issued: IssuedReceipt) -> dict:
    return {"token": issued.token, "url": issued.url, "code": issued.code, "code_page": issued.code_page,
            "expires_at": issued.expires_at.isoformat(),
            "counter": issued.receipt.counter, "service": issued.receipt.service,
            "svg": qr_svg(issued.url), "png_base64": base64.b64encode(qr_png(issued.url)).decode()}
