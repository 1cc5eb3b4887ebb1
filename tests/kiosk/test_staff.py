import re

from kiosk import create_app
from tests.helpers import full_answers, hidden


def login(client, pin="4321"):
    html = client.get("/staff/login").get_data(as_text=True)
    return client.post("/staff/login", data={"csrf_token": hidden(html, "csrf_token"), "pin": pin})


def test_every_staff_page_needs_the_pin(client):
    response = client.get("/staff/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/staff/login")
    assert client.post("/staff/logout").status_code in (302, 400)


def test_wrong_pin_then_right_pin(client):
    wrong = login(client, "0000")
    assert wrong.status_code == 400 and "PIN salah." in wrong.get_data(as_text=True)
    right = login(client)
    assert right.status_code == 302 and right.headers["Location"] == "/staff/"
    assert client.get("/staff/").status_code == 200


def test_too_many_wrong_pins_pause_the_page(client):
    for _ in range(5):
        login(client, "0000")
    paused = login(client)  # even the right PIN waits now
    assert paused.status_code == 400 and "Terlalu banyak PIN salah" in paused.get_data(as_text=True)


def test_staff_page_shows_today_per_counter_suspect_and_backlog(instance):
    app = create_app({"TESTING": True, "KIOSK_MIN_SURVEY_SECONDS": 0, "KIOSK_BURST_COUNT": 1},
                     instance_path=instance)
    client = app.test_client()
    for _ in range(2):
        html = client.get("/k/1/survey").get_data(as_text=True)
        client.post("/k/1/survey", data={"csrf_token": hidden(html, "csrf_token"),
                                         "ticket": hidden(html, "ticket"), **full_answers()})
    html = client.get("/k/3/survey").get_data(as_text=True)
    client.post("/k/3/abandon", data={"csrf_token": hidden(html, "csrf_token"), "ticket": hidden(html, "ticket"),
                                      "reached": "waktu", "step": "3"})
    login(client)
    page = client.get("/staff/").get_data(as_text=True)
    cells = re.findall(r'<tr><th scope="row">([^<]+)</th><td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>', page)
    assert cells[0] == ("Loket 1 - KTP Elektronik", "2", "1", "0")  # the second was a burst
    assert cells[2] == ("Loket 3 - Akta Kelahiran", "0", "0", "1")
    assert '<dd id="backlog">2</dd>' in page
    assert "waktu: 1" in page and "belum pernah" in page
    assert page.count("Buka layar loket") == 6


def test_staff_session_times_out_and_logout_ends_it(instance):
    app = create_app({"TESTING": True, "KIOSK_STAFF_SESSION_MINUTES": 0}, instance_path=instance)
    client = app.test_client()
    login(client)
    assert client.get("/staff/").status_code == 302  # zero minutes: already idle
    app.config["KIOSK_STAFF_SESSION_MINUTES"] = 15
    login(client)
    page = client.get("/staff/").get_data(as_text=True)
    assert client.post("/staff/logout", data={"csrf_token": hidden(page, "csrf_token")}).status_code == 302
    assert client.get("/staff/").status_code == 302


def test_no_pin_set_says_how_to_set_one(tmp_path):
    from tests.helpers import DEMO_OFFICE
    from click.testing import CliRunner
    from skm.cli import main
    CliRunner().invoke(main, ["kiosk", "--instance", str(tmp_path), "init", str(DEMO_OFFICE)])
    client = create_app({"TESTING": True}, instance_path=tmp_path).test_client()
    response = client.get("/staff/login")
    assert response.status_code == 503 and "skm kiosk set-pin" in response.get_data(as_text=True)
