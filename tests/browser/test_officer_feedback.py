"""An officer's day, in a real browser: check in on the kiosk's staff page, two citizens rate the service,
check out, the kiosk syncs, and the officer signs in at the collector and sees the two responses."""
from datetime import date

import pytest
from werkzeug.security import generate_password_hash

from collector import auth, store as cstore
from kiosk import store as kstore
from kiosk import sync
from tests.helpers import CollectorServer, KioskServer, collector_engine, init_kiosk, seed_collector

pytestmark = pytest.mark.browser
NIP = "198501012010011001"


def answer_survey(page, kiosk_url: str) -> None:
    page.goto(f"{kiosk_url}/k/1")
    page.click("text=Mulai survei")
    for _ in range(9):
        page.locator(".step.current label.face-option").nth(3).click()
        page.wait_for_timeout(350)
    page.click(".step.current [data-next]")  # the profile step
    page.click("#submit")
    page.wait_for_url("**/k/1/thanks")


def test_check_in_two_surveys_check_out_sync_and_see_them(new_page, tmp_path):
    collector_instance = seed_collector(tmp_path / "collector")
    engine = collector_engine(collector_instance)
    cstore.save_officer(engine, NIP, "Ani Lubis", "dumai-disdukcapil", generate_password_hash("1357"))
    auth.create_user(engine, "ani", "Ani Lubis", "kata-sandi-ani", "petugas", [], officer=NIP)
    _id, code = cstore.add_kiosk(engine, "dumai-disdukcapil")
    kiosk_instance = init_kiosk(tmp_path / "kiosk")
    with CollectorServer(collector_instance, {"OFFICER_MIN_RESPONSES": 2}) as collector, \
            KioskServer(kiosk_instance, {"MIN_SURVEY_SECONDS": 0, "SYNC_ENABLED": "false"}) as kiosk:
        db = kstore.connect(str(kiosk_instance / "kiosk.db"))
        sync.enroll(db, collector.url, code)
        staff = new_page()
        staff.goto(f"{kiosk.url}/staff/login")
        staff.fill("#pin", "4321")
        staff.click("button[type=submit]")
        staff.select_option("#checkin-nip", NIP)
        staff.select_option("#checkin-counter", "1")
        staff.fill("#checkin-pin", "1357")
        staff.click("#checkin button[type=submit]")
        assert "Ani Lubis" in staff.inner_text("#shifts")

        citizen = new_page()
        answer_survey(citizen, kiosk.url)
        answer_survey(citizen, kiosk.url)
        assert "Ani Lubis" not in citizen.content()  # citizens never see who served them

        staff.goto(f"{kiosk.url}/staff/")
        staff.click("#shifts button[type=submit]")
        assert "Belum ada petugas yang bertugas" in staff.inner_text("#shifts")
        assert sync.sync_once(db).ok and kstore.outbox_backlog(db) == 0
        db.conn.close()

        officer = new_page()
        officer.goto(f"{collector.url}/login")
        officer.fill("#username", "ani")
        officer.fill("#password", "kata-sandi-ani")
        officer.click("button[type=submit]")
        officer.wait_for_url(f"**/officer/{NIP}")
        officer.goto(f"{collector.url}/officer/{NIP}?period={date.today().year}")
        assert officer.inner_text(".officer-respondents") == "2"
        assert officer.inner_text(".officer-konversi") == "100,00"  # every answer was the fourth face
    engine.dispose()
