"""A kiosk PC with a wrong clock, through a real kiosk and a real collector (separate server processes):
enrollment succeeds, its responses are filed under the true day, the skew is shown on the staff page and
the dashboard, and its receipts are accepted and expire on the right day. The kiosk's clock is shifted
with KIOSK_CLOCK_SHIFT_SECONDS, as a wrong PC clock would be."""
import time
import urllib.parse
import urllib.request
from datetime import datetime, timedelta
from http.cookiejar import CookieJar
from zoneinfo import ZoneInfo

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from collector import auth, create_app as create_collector_app, schema
from collector import store as cstore
from kiosk import clock, create_app as create_kiosk
from kiosk import store as kstore
from skm import CODES
from skm.cli import main
from tests.helpers import KioskServer, hidden, init_kiosk

DAY = 86400
ZONE = ZoneInfo("Asia/Jakarta")
RECEIPT_KEY = "kunci-antrian"


@pytest.fixture(autouse=True)
def true_clock():
    yield
    clock.set_shift(0)  # the CLI's app shifted this process's kiosk clock


def enroll(instance, collector, shift: float):
    _kiosk_id, code = cstore.add_kiosk(collector.engine, "dumai-disdukcapil")
    return CliRunner().invoke(main, ["kiosk", "--instance", str(instance), "enroll", collector.url, code],
                              env={"SKM_KIOSK_CLOCK_SHIFT_SECONDS": str(shift)})


@pytest.mark.parametrize("shift", [600, 400 * DAY, -8 * DAY])
def test_enrollment_succeeds_with_a_wrong_clock(tmp_path, collector, shift):
    instance = init_kiosk(tmp_path / "kiosk")
    result = enroll(instance, collector, shift)
    assert result.exit_code == 0, result.output
    assert "enrolled as kiosk" in result.output and "not pulled" not in result.output
    db = kstore.connect(str(instance / "kiosk.db"))
    assert abs(int(kstore.get_setting(db, "clock_offset_ms")) + shift * 1000) < 60_000
    db.conn.close()


def submit_survey(url: str, counter: str = "2") -> int:
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    with opener.open(f"{url}/k/{counter}/survey", timeout=10) as page:
        html = page.read().decode()
    form = {"csrf_token": hidden(html, "csrf_token"), "ticket": hidden(html, "ticket"), "service": "kk",
            **{f"answers.{code}": "4" for code in CODES}}
    with opener.open(urllib.request.Request(f"{url}/k/{counter}/survey", urllib.parse.urlencode(form).encode(),
                                            method="POST"), timeout=10) as answer:
        return answer.status


def issue_receipt(url: str) -> dict:
    import json
    request = urllib.request.Request(f"{url}/api/v1/receipts", json.dumps({"counter": "2", "service": "kk"}).encode(),
                                     headers={"Authorization": f"Bearer {RECEIPT_KEY}",
                                              "Content-Type": "application/json"}, method="POST")
    with urllib.request.urlopen(request, timeout=10) as answer:
        return json.loads(answer.read())


def stored_rows(engine, kiosk_id):
    r = schema.responses
    with engine.connect() as conn:
        return [dict(row._mapping) for row in conn.execute(select(r).where(r.c.kiosk_id == kiosk_id))]


def wait_for(predicate, seconds=30.0):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert time.monotonic() < deadline, "not synced in time"
        time.sleep(0.2)


@pytest.mark.parametrize("shift,words", [(400 * DAY, "400 hari lebih cepat"), (-8 * DAY, "8 hari lebih lambat")])
def test_a_skewed_kiosk_files_its_responses_under_today_and_shows_the_skew(tmp_path, collector, shift, words):
    instance = init_kiosk(tmp_path / "kiosk")
    assert enroll(instance, collector, shift).exit_code == 0
    clock.set_shift(0)
    db = kstore.connect(str(instance / "kiosk.db"))
    kiosk_id = kstore.get_setting(db, "kiosk_id")
    db.conn.close()
    settings = {"CLOCK_SHIFT_SECONDS": shift, "SYNC_INTERVAL_SECONDS": 0.2, "RECEIPT_API_KEY": RECEIPT_KEY}
    with KioskServer(instance, settings) as kiosk:
        assert submit_survey(kiosk.url) == 200
        receipt = issue_receipt(kiosk.url)
        wait_for(lambda: stored_rows(collector.engine, kiosk_id))
    today = datetime.now(ZONE).date()
    (row,) = stored_rows(collector.engine, kiosk_id)
    assert row["local_day"] == today
    assert datetime.fromisoformat(row["claimed_submitted_at"]).astimezone(ZONE).date() == today + timedelta(seconds=shift)
    assert abs(row["clock_skew_ms"] - shift * 1000) < 60_000
    assert datetime.fromisoformat(row["submitted_at"]).astimezone(ZONE).date() == today

    # The receipt, signed on the corrected clock: accepted as fresh, valid for the collector's 7 days.
    assert datetime.fromisoformat(receipt["expires_at"]).astimezone(ZONE).date() == today + timedelta(days=7)
    page = urllib.request.urlopen(f"{collector.url}/q/{urllib.parse.quote(receipt['token'])}", timeout=10)
    assert page.status == 200 and "Loket 2" in page.read().decode()

    staff = create_kiosk({"TESTING": True}, instance_path=instance).test_client()
    html = staff.get("/staff/login").get_data(as_text=True)
    staff.post("/staff/login", data={"csrf_token": hidden(html, "csrf_token"), "pin": "4321"})
    assert words in staff.get("/staff/").get_data(as_text=True)

    dashboard = create_collector_app({"TESTING": True}, instance_path=collector.instance).test_client()
    auth.create_user(collector.engine, f"kepala{shift}", "Kepala", "kata-sandi-panjang", "kepala_unit",
                     ["dumai-disdukcapil"])
    html = dashboard.get("/login").get_data(as_text=True)
    dashboard.post("/login", data={"csrf_token": hidden(html, "csrf_token"), "username": f"kepala{shift}",
                                   "password": "kata-sandi-panjang"})
    unit_page = dashboard.get("/unit/dumai-disdukcapil").get_data(as_text=True)
    assert words in unit_page and "kiosk-warnings" in unit_page
