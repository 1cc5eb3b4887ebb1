"""The QR survey on a phone: bytes the mobile page costs (HTML plus every asset it loads, against the
100 KB budget a slow 3G connection allows; and gzipped as a browser gets it, against the same page
uncompressed), the receipt URL's length and QR version (against the old full-length token of the same
receipt), and the time to verify a receipt token (read, find the kiosk, check the HMAC) against a bare
HMAC-SHA256 of the same bytes measured in the same run."""
import gzip
import hashlib
import hmac
import re
import shutil
import tempfile
import time
import uuid
from pathlib import Path

import qrcode

from collector import store
from skm import wire
from tests.helpers import create_collector, seed_collector

BUDGET = 100 * 1024
PUBLIC_BASE = "https://skm.dumaikota.go.id"  # a collector's public address of a typical length
ROUNDS = 20_000


def page_bytes(client, url: str, **headers) -> int:
    html = client.get(url, headers=headers).get_data()
    text = gzip.decompress(html) if headers else html
    assets = set(re.findall(rb'(?:href|src)="(/static/[^"#]+)', text))
    return len(html) + sum(len(client.get(a.decode(), headers=headers).get_data()) for a in assets)


def qr_version(url: str) -> int:
    code = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M)  # as qrcode.make, as skmweb.qr
    code.add_data(url)
    code.make(fit=True)
    return code.version


def per_call(fn, rounds: int) -> float:
    start = time.perf_counter()
    for _ in range(rounds):
        fn()
    return (time.perf_counter() - start) / rounds


def run():
    folder = Path(tempfile.mkdtemp())
    try:
        app = create_collector({"TESTING": True}, instance_path=seed_collector(folder / "c"))
        engine = app.extensions["skm_engine"]
        _id, code = store.add_kiosk(engine, "dumai-disdukcapil")
        kiosk = store.enroll(engine, code)
        receipt = wire.compact_receipt(kiosk["id"], "2", "kk", time.time(), uuid.uuid4().bytes[:wire.NONCE_BYTES])
        token = wire.make_compact_receipt_token(kiosk["secret"], receipt)
        old_token = wire.make_receipt_token(kiosk["secret"], receipt)  # the same receipt, the first format
        size = page_bytes(app.test_client(), f"/q/{token}")
        gzipped = page_bytes(app.test_client(), f"/q/{token}", **{"Accept-Encoding": "gzip"})
        print(f"   mobile survey page with assets: {size} bytes, {gzipped} gzipped")
        url, old_url = f"{PUBLIC_BASE}/q/{token}", f"{PUBLIC_BASE}/q/{old_token}"

        def verify():
            read = wire.read_receipt_token(token)
            [found] = store.kiosks_by_reference(engine, read.receipt.kiosk_id)
            assert read.signed_by(found["secret"])

        payload = wire.read_receipt_token(token).message
        secret = kiosk["secret"].encode()
        verification = per_call(verify, ROUNDS // 10)
        bare = per_call(lambda: hmac.new(secret, payload, hashlib.sha256).digest(), ROUNDS)
        engine.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "qr_mobile_page_bytes": {"value": size, "unit": "bytes", "baseline": BUDGET, "ratio": size / BUDGET},
        "qr_mobile_page_gzip_bytes": {"value": gzipped, "unit": "bytes", "baseline_name": "the same page uncompressed",
                                      "baseline": size, "ratio": gzipped / size},
        "receipt_url_chars": {"value": len(url), "unit": "chars", "baseline_name": "old full-length token URL",
                              "baseline": len(old_url), "ratio": len(url) / len(old_url)},
        "receipt_qr_version": {"value": qr_version(url), "unit": "version",
                               "baseline_name": "old full-length token URL, same receipt",
                               "baseline": qr_version(old_url), "ratio": qr_version(url) / qr_version(old_url)},
        "qr_token_verify_us": {"value": verification * 1e6, "unit": "us", "baseline": bare * 1e6,
                               "ratio": verification / bare},
    }
