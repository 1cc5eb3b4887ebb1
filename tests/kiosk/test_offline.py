"""The kiosk's side of a tablet working while the office PC is down: offline tickets, the citizen's times
on a late delivery, the misuse rules on them, tablet heartbeats, the service worker's route."""
import shutil
import sqlite3
import time
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from kiosk import create_app, store
from tests.helpers import full_answers, hidden

JSON = {"Accept": "application/json"}
HOUR_MS = 3600 * 1000
NOW_MS = 1_800_000_000_000  # the tablet's clock: any value, only differences between its readings count


def rows(db):
    return [dict(r) for r in db.query("SELECT * FROM responses ORDER BY seq")]


def csrf(client):
    return client.get("/csrf").json["csrf_token"]


def offline_delivery(client, started_ms, submitted_ms, sent_ms, survey_id=None, counter="1"):
    """What kiosk.js sends for a survey answered from the tablet's kept page."""
    ticket = f"offline:{survey_id or uuid.uuid4()}:{started_ms}"
    form = {"csrf_token": csrf(client), "ticket": ticket, **full_answers(),
            "submitted_ms": str(submitted_ms), "sent_ms": str(sent_ms)}
    return client.post(f"/k/{counter}/survey", data=form, headers=JSON), form


def kiosk_app(instance, **settings):
    return create_app({"TESTING": True, "KIOSK_MIN_SURVEY_SECONDS": 0, **settings}, instance_path=instance)


def test_answers_delivered_hours_late_keep_the_citizens_times_and_are_stored_once(client, db):
    before = datetime.now().astimezone()
    response, form = offline_delivery(client, NOW_MS, NOW_MS + 42_000, NOW_MS + 42_000 + 3 * HOUR_MS)
    assert response.status_code == 200 and response.json["status"] == "saved", response.json
    [row] = rows(db)
    assert row["id"] == form["ticket"].split(":")[1]
    assert row["duration_ms"] == 42_000
    submitted = datetime.fromisoformat(row["submitted_at"])
    assert datetime.fromisoformat(row["started_at"]) == submitted - timedelta(seconds=42)
    assert submitted < before - timedelta(hours=2, minutes=59)  # three hours before it arrived

    # The ack was lost: the same answers again, later still. One row, unchanged.
    again = client.post("/k/1/survey", data={**form, "csrf_token": csrf(client), "sent_ms": str(NOW_MS + 4 * HOUR_MS)},
                        headers=JSON)
    assert again.json == {**response.json}
    assert rows(db) == [row]


def test_misuse_rules_judge_the_citizens_pace_not_the_delivery(instance):
    app = kiosk_app(instance, KIOSK_MIN_SURVEY_SECONDS=10, KIOSK_BURST_COUNT=2)
    client = app.test_client()
    sent = NOW_MS + 2 * HOUR_MS
    for i in range(3):  # three citizens within a minute, two hours before the PC came back
        start = NOW_MS + i * 20_000
        offline_delivery(client, start, start + (3_000 if i == 0 else 15_000), sent)
    html = client.get("/k/1/survey").get_data(as_text=True)  # and one now, online
    client.post("/k/1/survey", data={"csrf_token": hidden(html, "csrf_token"), "ticket": hidden(html, "ticket"),
                                     **full_answers()}, headers=JSON)
    db = store.connect(app.config["KIOSK_DATABASE"])
    reasons = [r["suspect_reason"] for r in rows(db)]
    db.conn.close()
    assert reasons[0].startswith("too_fast:") and "burst" not in reasons[0]
    assert reasons[1] is None
    assert reasons[2].startswith("burst:")
    assert "burst" not in reasons[3], "answers delivered late are not a burst of the surveys done now"


def test_a_signed_ticket_delivered_late_keeps_the_citizens_submit_within_its_start_and_now(client, db):
    html = client.get("/k/1/survey").get_data(as_text=True)
    base = {"csrf_token": hidden(html, "csrf_token"), "ticket": hidden(html, "ticket"), **full_answers()}
    # The tablet says the citizen pressed Kirim an hour before it sent: before the ticket was minted, so
    # the start is the earliest it can be (a page can make a survey look faster, never slower).
    saved = client.post("/k/1/survey", headers=JSON, data={**base, "submitted_ms": str(NOW_MS - HOUR_MS),
                                                            "sent_ms": str(NOW_MS)})
    assert saved.json["status"] == "saved"
    [row] = rows(db)
    assert row["submitted_at"] == row["started_at"] and row["duration_ms"] == 0


@pytest.mark.parametrize("case, ticket, clock", [
    ("not a uuid", "offline:not-a-uuid:{start}", ("{submitted}", "{sent}")),
    ("a uuid of another version", "offline:" + str(uuid.uuid1()) + ":{start}", ("{submitted}", "{sent}")),
    ("no start", "offline:" + str(uuid.uuid4()) + ":", ("{submitted}", "{sent}")),
    ("extra part", "offline:" + str(uuid.uuid4()) + ":{start}:9", ("{submitted}", "{sent}")),
    ("started after submitted", "offline:" + str(uuid.uuid4()) + ":{sent}", ("{submitted}", "{sent}")),
    ("submitted after sent", "offline:" + str(uuid.uuid4()) + ":{start}", ("{sent}", "{submitted}")),
    ("no tablet clock", "offline:" + str(uuid.uuid4()) + ":{start}", ("", "")),
    ("a clock that is not a number", "offline:" + str(uuid.uuid4()) + ":{start}", ("soon", "{sent}")),
], ids=lambda value: value if isinstance(value, str) and " " in value else "")
def test_a_bad_offline_ticket_is_refused_with_the_reason_and_stores_nothing(client, db, case, ticket, clock):
    times = {"start": NOW_MS, "submitted": NOW_MS + 30_000, "sent": NOW_MS + 60_000}
    form = {"csrf_token": csrf(client), "ticket": ticket.format(**times), **full_answers(),
            "submitted_ms": clock[0].format(**times), "sent_ms": clock[1].format(**times)}
    response = client.post("/k/1/survey", data=form, headers=JSON)
    assert response.status_code == 400, case
    assert response.json == {"status": "invalid",
                             "errors": {"ticket": ["Formulir survei ini tidak sah. Silakan mulai lagi dari layar awal."]}}
    assert rows(db) == []


def test_an_offline_survey_gets_the_officer_on_duty_when_it_started(client, db):
    store.save_officers(db, [{"nip": "198001012005011001", "name": "Sari", "pin_verifier": None}])
    shift_start = datetime.now(ZoneInfo("Asia/Jakarta")) - timedelta(minutes=2)  # the demo unit's zone
    store.check_in(db, "198001012005011001", "1", shift_start.isoformat(timespec="milliseconds"))
    minute = 60_000
    during, _ = offline_delivery(client, NOW_MS, NOW_MS + 20_000, NOW_MS + 20_000 + minute)
    before, _ = offline_delivery(client, NOW_MS, NOW_MS + 20_000, NOW_MS + 20_000 + 3 * minute)
    assert during.json["status"] == before.json["status"] == "saved"
    officers = {r["id"]: r["officer"] for r in rows(db)}
    assert [officers[during.json["id"]], officers[before.json["id"]]] == ["198001012005011001", None]


# -- the kept pages and the service worker ---------------------------------------------------------------

def test_the_kept_survey_page_has_no_ticket_and_the_offline_thanks_says_the_answers_wait(client):
    shell = client.get("/k/1/survey/offline").get_data(as_text=True)
    assert hidden(shell, "ticket") == ""
    thanks = client.get("/k/1/thanks/offline").get_data(as_text=True)
    assert "disimpan di tablet ini" in thanks
    assert client.get("/k/99/survey/offline").status_code == 404


def test_the_service_worker_covers_the_kiosk_and_a_changed_asset_gives_a_new_cache(instance, tmp_path):
    static = shutil.copytree(create_app({"TESTING": True}, instance_path=instance).static_folder, tmp_path / "static")
    app = create_app({"TESTING": True}, instance_path=instance)
    app.static_folder = str(static)
    client = app.test_client()
    first = client.get("/sw.js")
    assert first.mimetype == "text/javascript" and first.headers["Cache-Control"] == "no-cache"
    source = first.get_data(as_text=True)
    assert "__SKM_" not in source and '"/static/kiosk.js"' in source
    assert client.get("/sw.js").get_data() == first.get_data()
    (static / "kiosk.css").write_text((static / "kiosk.css").read_text() + "\n/* upgraded */\n")
    assert client.get("/sw.js").get_data(as_text=True).split("\n")[:20] != source.split("\n")[:20]


# -- tablets ---------------------------------------------------------------------------------------------------

def beat(client, body):
    return client.post("/tablets/heartbeat", json=body, headers={"X-CSRFToken": csrf(client)})


def staff_tablets(client):
    with client.session_transaction() as session:
        session["staff_seen"] = time.time()
    return client.get("/staff/").get_data(as_text=True).split('id="tablets"')[1].split("</table>")[0]


def test_the_staff_page_lists_tablets_holding_answers_until_they_are_sent(client, db):
    tablet = str(uuid.uuid4())
    assert beat(client, {"tablet": tablet, "counter": "2", "unsent": 3}).json == {"status": "recorded"}
    listed = staff_tablets(client)
    assert f"<td>{tablet[:8]}</td><td>2</td><td>3</td>" in listed
    assert beat(client, {"tablet": tablet, "counter": None, "unsent": 0}).json == {"status": "recorded"}
    assert tablet[:8] not in staff_tablets(client)
    assert "Semua tablet sudah mengirim jawabannya." in staff_tablets(client)
    assert [(r["id"], r["counter"], r["unsent"]) for r in db.query("SELECT * FROM tablets")] == [(tablet, "2", 0)]


@pytest.mark.parametrize("body, field, message", [
    ([1, 2], "", 'Kirim JSON {"tablet": "...", "counter": "1", "unsent": 0}.'),
    ({"tablet": "short", "counter": "1", "unsent": 0}, "tablet",
     "tablet harus berupa 8 sampai 64 huruf, angka, atau tanda hubung."),
    ({"tablet": "a" * 65, "counter": "1", "unsent": 0}, "tablet",
     "tablet harus berupa 8 sampai 64 huruf, angka, atau tanda hubung."),
    ({"tablet": "tablet-01", "counter": "99", "unsent": 0}, "counter", "Loket 99 tidak dikenal di kios ini."),
    ({"tablet": "tablet-01", "counter": "1", "unsent": -1}, "unsent", "unsent harus bilangan bulat dari 0 sampai 100000."),
    ({"tablet": "tablet-01", "counter": "1", "unsent": "2"}, "unsent", "unsent harus bilangan bulat dari 0 sampai 100000."),
    ({"tablet": "tablet-01", "counter": "1", "unsent": True}, "unsent", "unsent harus bilangan bulat dari 0 sampai 100000."),
])
def test_a_bad_heartbeat_says_what_is_wrong_and_records_nothing(client, db, body, field, message):
    response = beat(client, body)
    assert response.status_code == 400
    assert response.json == {"status": "invalid", "errors": {field: [message]}}
    assert list(db.query("SELECT * FROM tablets")) == []


def test_a_heartbeat_without_a_csrf_token_is_refused(client, db):
    response = client.post("/tablets/heartbeat", json={"tablet": "tablet-01", "counter": "1", "unsent": 1})
    assert response.status_code == 400
    assert list(db.query("SELECT * FROM tablets")) == []


def test_the_tablets_migration_keeps_the_responses_of_the_schema_before_it(tmp_path, monkeypatch):
    path = str(tmp_path / "k.db")
    db = store.connect(path)
    before = [(n, step) for n, step in store.SCHEMA_MIGRATIONS if n < "m004"]
    monkeypatch.setattr(store, "SCHEMA_MIGRATIONS", before)
    store.migrate(db)
    row = {"id": "r1", "counter": "1", "service": "s", "submitted_at": "2026-01-01T10:00:00+07:00",
           **{k: v and 3 for k, v in full_answers().items()}}
    row = {k.removeprefix("answers."): v for k, v in row.items()}
    store.record_response(db, row, lambda tx, r: None)
    monkeypatch.undo()
    assert store.migrate(db) == [name for name, _step in store.SCHEMA_MIGRATIONS if name >= "m004"]
    assert [(r["id"], r["sync_state"]) for r in db.query("SELECT * FROM responses")] == [("r1", "pending")]
    assert db["tablets"].columns_dict == {"id": str, "counter": str, "unsent": int, "last_seen": str}
    db.conn.close()
    assert sqlite3.connect(path).execute("SELECT COUNT(*) FROM tablets").fetchone() == (0,)
