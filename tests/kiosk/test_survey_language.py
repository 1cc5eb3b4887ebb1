"""The survey screen's own settings and the language a citizen chooses (the browser tests tap it; these check
the server's side: what is refused at start, what is stored, what is reset)."""
import re

import pytest

from kiosk import create_app
from skmweb import SettingError
from tests.helpers import full_answers, hidden


@pytest.mark.parametrize("setting, value, message", [
    ("KIOSK_IDLE_WARNING_SECONDS", -1, "KIOSK_IDLE_WARNING_SECONDS=-1 (given to create_app) is not valid: a whole number from 0 to 300"),
    ("KIOSK_IDLE_WARNING_SECONDS", "lima", "KIOSK_IDLE_WARNING_SECONDS='lima' (given to create_app) is not valid: a whole number from 0 to 300"),
    ("KIOSK_IDLE_WARNING_SECONDS", 301, "KIOSK_IDLE_WARNING_SECONDS=301 (given to create_app) is not valid: a whole number from 0 to 300"),
    ("KIOSK_DEFAULT_LANGUAGE", "fr", "KIOSK_DEFAULT_LANGUAGE='fr' (given to create_app) is not valid: one of id, en"),
])
def test_a_bad_survey_setting_stops_the_app_at_start_with_its_name(instance, setting, value, message):
    with pytest.raises(SettingError, match=re.escape(message)):
        create_app({"TESTING": True, setting: value}, instance_path=instance)


def test_the_office_can_make_english_the_default_and_next_citizen_returns_to_it(instance):
    client = create_app({"TESTING": True, "KIOSK_DEFAULT_LANGUAGE": "en"}, instance_path=instance).test_client()
    assert '<html lang="en">' in client.get("/k/1").get_data(as_text=True)
    client.get("/lang/id?next=/k/1")
    assert '<html lang="id">' in client.get("/k/1").get_data(as_text=True)
    response = client.get("/k/1/next")
    assert response.status_code == 302 and response.headers["Location"] == "/k/1"
    assert '<html lang="en">' in client.get("/k/1").get_data(as_text=True)


def test_the_language_button_stores_nothing_and_keeps_the_answers(client, db):
    page = client.get("/k/1/survey").get_data(as_text=True)
    form = {"csrf_token": hidden(page, "csrf_token"), "ticket": hidden(page, "ticket"), "service": "ktp-el",
            **full_answers(4), "comment": "Bagus", "at_step": "waktu", "lang": "en"}
    again = client.post("/k/1/survey", data=form).get_data(as_text=True)
    assert '<html lang="en">' in again and 'name="at_step" value="waktu"' in again
    assert 'value="4" required\n             checked' in again and "Bagus</textarea>" in again
    assert db["responses"].count == 0
    del form["lang"]
    assert client.post("/k/1/survey", data=form).status_code == 303
    assert db["responses"].count == 1
