"""The QR survey on a phone: bytes the mobile page costs (HTML plus every asset it loads, against the
100 KB budget a slow 3G connection allows), and the time to verify a receipt token (read, find the kiosk,
check the HMAC) against a bare HMAC-SHA256 of the same bytes measured in the same run."""
import hashlib
import hmac
import re
import shutil
import tempfile
import time
import uuid
from pathlib import Path

from collector import store
from skm import wire
from tests.helpers import create_collector, seed_collector

BUDGET = 100 * 1024
ROUNDS = 20_000


def page_bytes(client, url: str) -> int:
    html = client.get(url).get_data()
    assets = set(re.findall(rb'(?:href|src)="(/static/[^"#]+)', html))
    return len(html) + sum(len(client.get(a.decode()).get_data()) for a in assets)


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
        token = wire.make_receipt_token(kiosk["secret"], wire.Receipt(kiosk["id"], "2", "kk", int(time.time()),
                                                                      uuid.uuid4().hex[:12]))
        size = page_bytes(app.test_client(), f"/q/{token}")
        print(f"   mobile survey page with assets: {size} bytes")

        def verify():
            receipt, payload, signature = wire.read_receipt_token(token)
            found = store.get_kiosk(engine, receipt.kiosk_id)
            assert wire.verify_receipt_token(found["secret"], payload, signature)

        _r, payload, _s = wire.read_receipt_token(token)
        secret = kiosk["secret"].encode()
        verification = per_call(verify, ROUNDS // 10)
        bare = per_call(lambda: hmac.new(secret, payload, hashlib.sha256).digest(), ROUNDS)
        engine.dispose()
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return {
        "qr_mobile_page_bytes": {"value": size, "unit": "bytes", "baseline": BUDGET, "ratio": size / BUDGET},
        "qr_token_verify_us": {"value": verification * 1e6, "unit": "us", "baseline": bare * 1e6,
                               "ratio": verification / bare},
    }
