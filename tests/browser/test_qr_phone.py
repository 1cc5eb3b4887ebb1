"""A citizen with a receipt, on a phone-sized screen: open the QR code's URL, answer, see the thanks; a
second visit is told, kindly, that the receipt was already used."""
import pytest

from collector import store as cstore
from kiosk import receipts
from kiosk import store as kstore
from kiosk import sync
from tests.helpers import CollectorServer, collector_engine, init_kiosk, seed_collector

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


def test_scan_answer_thanks_then_refused(new_page, tmp_path):
    instance = seed_collector(tmp_path / "collector")
    engine = collector_engine(instance)
    _id, code = cstore.add_kiosk(engine, "dumai-disdukcapil")
    kiosk_instance = init_kiosk(tmp_path / "kiosk")
    with CollectorServer(instance) as collector:
        db = kstore.connect(str(kiosk_instance / "kiosk.db"))
        sync.enroll(db, collector.url, code)
        issued = receipts.issue(db, "2", "kk", None, 7)  # what the slip's QR code holds
        db.conn.close()

        phone = new_page(**PHONE)
        sizes = []
        phone.on("response", lambda r: sizes.append(len(r.body())) if r.ok else None)
        phone.goto(issued.url)
        assert sum(sizes) < 100 * 1024  # light enough for a slow 3G connection
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
        for question in range(9):
            phone.locator("fieldset.question").nth(question).locator("label.face-option").nth(2).tap()
        phone.locator("label[for=jenis_kelamin-1]").tap()
        phone.fill("#comment", "Cepat, terima kasih")
        with phone.expect_navigation():
            phone.locator("#submit").tap()
        assert "Terima kasih!" in phone.inner_text("h1")

        again = new_page(**PHONE)  # the same QR, later, on another phone
        again.goto(issued.url)
        assert "Sudah dinilai" in again.inner_text("h1")
        assert again.locator("form").count() == 0

    [row] = [r for r in cstore.raw_responses(engine, ["dumai-disdukcapil"], *bounds())]
    assert (row["channel"], row["counter"], row["service"], row["waktu"], row["jenis_kelamin"], row["comment"]) == \
        ("qr", "2", "kk", 3, "L", "Cepat, terima kasih")
    engine.dispose()


def bounds():
    from datetime import date, timedelta
    return date.today() - timedelta(days=2), date.today() + timedelta(days=2)
