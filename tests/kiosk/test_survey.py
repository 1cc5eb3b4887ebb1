"""The survey over the Flask test client: what is stored, what is refused, and that nothing half-writes."""
import time

import pytest

from kiosk import create_app, store
from tests.helpers import full_answers, hidden


def start(client, counter="1"):
    html = client.get(f"/k/{counter}/survey").get_data(as_text=True)
    return {"csrf_token": hidden(html, "csrf_token"), "ticket": hidden(html, "ticket")}


def rows(db):
    return [dict(r) for r in db.query("SELECT * FROM responses ORDER BY seq")]


def test_a_submitted_survey_is_stored_with_everything_design_names(client, db):
    form = {**start(client, "2"), **full_answers(3), "answers.waktu": "1", "service": "pindah",
            "profile.usia": "60+", "profile.jenis_kelamin": "P", "comment": "Antrian lama"}
    response = client.post("/k/2/survey", data=form)
    assert response.status_code == 303 and response.headers["Location"] == "/k/2/thanks"
    [row] = rows(db)
    assert row["waktu"] == 1 and row["sarana"] == 3 and row["service"] == "pindah" and row["counter"] == "2"
    assert row["usia"] == "60+" and row["jenis_kelamin"] == "P" and row["pendidikan"] is None
    assert row["comment"] == "Antrian lama" and row["channel"] == "kiosk" and row["seq"] == 1
    assert row["unit"] == "dumai-disdukcapil" and row["kiosk_id"] and row["sync_state"] == "pending"
    assert row["questionnaire_version"] == "permenpanrb-14-2017/1"
    assert row["submitted_at"].endswith("+07:00") and row["started_at"] <= row["submitted_at"]
    assert row["duration_ms"] >= 0


def test_a_double_tap_or_resend_stores_one_row(client, db):
    form = {**start(client), **full_answers(4)}
    first = client.post("/k/1/survey", data=form)
    again = client.post("/k/1/survey", data=form)
    as_json = client.post("/k/1/survey", data=form, headers={"Accept": "application/json"})
    assert first.status_code == again.status_code == 303
    assert as_json.json["status"] == "saved"
    assert len(rows(db)) == 1 and as_json.json["id"] == rows(db)[0]["id"]


def test_a_resend_with_other_answers_keeps_the_first_and_changes_nothing(client, db):
    """The insert finds a stored survey by its id: a valid resend with other answers keeps the first row
    as it was (seq, answers, suspicion), and an invalid resend of a stored survey is answered as saved."""
    ticket = start(client)
    client.post("/k/1/survey", data={**ticket, **full_answers(4)})
    before = rows(db)
    other = client.post("/k/1/survey", data={**ticket, **full_answers(1)})
    broken = client.post("/k/1/survey", data={**ticket, **full_answers(4), "answers.waktu": "9"},
                         headers={"Accept": "application/json"})
    assert other.status_code == 303 and broken.status_code == 200 and broken.json["status"] == "saved"
    assert rows(db) == before and before[0]["waktu"] == 4 and broken.json["id"] == before[0]["id"]
    fresh = client.post("/k/1/survey", data={**start(client), **full_answers(2)})  # the next survey still stores
    assert fresh.status_code == 303 and [r["seq"] for r in rows(db)] == [1, 2]


def test_seq_is_monotonic_per_kiosk(client, db):
    for _ in range(3):
        client.post("/k/1/survey", data={**start(client), **full_answers()})
    assert [r["seq"] for r in rows(db)] == [1, 2, 3]


BAD = [
    # (case, counter, change to a valid form, status, text expected on the page)
    ("score out of range", "1", {"answers.waktu": "7"}, 400, "nilai 7 di luar rentang 1 sampai 4"),
    ("score zero", "1", {"answers.sarana": "0"}, 400, "nilai 0 di luar rentang"),
    ("score not a number", "1", {"answers.biaya": "<script>"}, 400, "bukan bilangan bulat"),
    ("unknown unsur", "1", {"answers.kebersihan": "4"}, 400, "unsur tidak dikenal: &#39;kebersihan&#39;"),
    ("missing answer", "1", {"answers.produk": ""}, 400, "jawaban wajib diisi"),
    ("oversize comment", "1", {"comment": "x" * 1001}, 400, "komentar terlalu panjang: 1001 karakter"),
    ("bad profile choice", "1", {"profile.pendidikan": "SMK"}, 400, "pilihan &#39;SMK&#39; tidak ada"),
    ("unknown service", "2", {"service": "paspor"}, 400, "layanan &#39;paspor&#39; tidak ada di loket ini"),
    ("service missing", "2", {"service": ""}, 400, "pilih jenis layanan"),
    ("forged ticket", "1", {"ticket": "eyJpZCI6IjEifQ.forged"}, 400, "Formulir survei ini tidak sah"),
    ("no ticket", "1", {"ticket": ""}, 400, "Formulir survei ini tidak sah"),
]


@pytest.mark.parametrize("case, counter, change, status, text", BAD, ids=[b[0] for b in BAD])
def test_bad_input_gets_a_clear_page_and_stores_nothing(client, db, case, counter, change, status, text):
    form = {**start(client, counter), **full_answers(), **({"service": "kk"} if counter == "2" else {}), **change}
    form = {k: v for k, v in form.items() if v != "" or k in ("service",)}
    response = client.post(f"/k/{counter}/survey", data=form)
    page = response.get_data(as_text=True)
    assert response.status_code == status
    assert text in page
    assert rows(db) == []


def test_a_refused_form_keeps_the_citizens_answers(client, db):
    form = {**start(client), **full_answers(2), "answers.waktu": "9", "comment": "Ruang tunggu panas"}
    page = client.post("/k/1/survey", data=form).get_data(as_text=True)
    assert 'id="persyaratan-2" name="answers.persyaratan" value="2" required\n             checked' in page
    assert "Ruang tunggu panas</textarea>" in page
    assert 'href="#f-answers.waktu"' in page  # the summary links to the question


def test_ticket_of_another_counter_is_refused(client, db):
    form = {**start(client, "3"), **full_answers(), "service": "kia"}
    assert client.post("/k/1/survey", data={**form}).status_code == 400
    assert rows(db) == []


def test_unknown_counter(client):
    for url in ("/k/99", "/k/99/survey"):
        response = client.get(url)
        assert response.status_code == 404
        assert "Loket 99 tidak dikenal di kios ini." in response.get_data(as_text=True)
    assert client.post("/k/99/survey", data=full_answers()).status_code in (400, 404)


def test_expired_csrf_token_keeps_the_answers_and_saves_on_the_next_press(instance):
    app = create_app({"TESTING": True, "KIOSK_CSRF_SECONDS": 1}, instance_path=instance)
    client = app.test_client()
    form = {**start(client), **full_answers(4), "answers.waktu": "2", "comment": "Cepat"}
    time.sleep(2.1)  # past the token's lifetime (whole seconds)
    refused = client.post("/k/1/survey", data=form)
    page = refused.get_data(as_text=True)
    assert refused.status_code == 400
    assert "Tekan Kirim sekali lagi" in page and "CSRF" not in page
    assert 'value="2" required\n             checked' in page and "Cepat</textarea>" in page
    with app.app_context():
        db = store.connect(app.config["KIOSK_DATABASE"])
        assert db["responses"].count == 0  # a post without a valid token stores nothing
    resend = {**form, "csrf_token": hidden(page, "csrf_token"), "ticket": hidden(page, "ticket")}
    assert client.post("/k/1/survey", data=resend).status_code == 303
    assert db["responses"].count == 1
    db.conn.close()


def test_expired_csrf_token_from_the_script_gets_a_json_answer(instance):
    app = create_app({"TESTING": True, "KIOSK_CSRF_SECONDS": 1}, instance_path=instance)
    client = app.test_client()
    form = {**start(client), **full_answers()}
    time.sleep(2.1)
    response = client.post("/k/1/survey", data=form, headers={"Accept": "application/json"})
    assert response.status_code == 400 and response.json["status"] == "csrf"
    fresh = client.get("/csrf").json["csrf_token"]
    saved = client.post("/k/1/survey", data={**form, "csrf_token": fresh}, headers={"Accept": "application/json"})
    assert saved.json["status"] == "saved"


def test_too_fast_and_bursts_are_stored_but_flagged(instance):
    app = create_app({"TESTING": True, "KIOSK_MIN_SURVEY_SECONDS": 60, "KIOSK_BURST_COUNT": 2},
                     instance_path=instance)
    client = app.test_client()
    for _ in range(3):
        client.post("/k/1/survey", data={**start(client), **full_answers()})
    db = store.connect(app.config["KIOSK_DATABASE"])
    reasons = [r["suspect_reason"] for r in rows(db)]
    assert len(reasons) == 3 and all(r and r.startswith("too_fast:") for r in reasons)
    assert [("burst:" in r) for r in reasons] == [False, False, True]
    assert [r["suspect"] for r in rows(db)] == [1, 1, 1]
    db.conn.close()


def test_a_normal_pace_is_not_suspect(instance):
    app = create_app({"TESTING": True, "KIOSK_MIN_SURVEY_SECONDS": 0}, instance_path=instance)
    client = app.test_client()
    client.post("/k/1/survey", data={**start(client), **full_answers()})
    db = store.connect(app.config["KIOSK_DATABASE"])
    assert [(r["suspect"], r["suspect_reason"]) for r in rows(db)] == [(0, None)]
    db.conn.close()


def test_abandonment_is_counted_once_and_not_after_a_submit(client, db):
    form = start(client, "2")
    beacon = {**form, "reached": "biaya", "step": "4", "service": "kk"}
    assert client.post("/k/2/abandon", data=beacon).json["status"] == "counted"
    assert client.post("/k/2/abandon", data=beacon).json["status"] == "known"
    [row] = [dict(r) for r in db.query("SELECT * FROM abandonments")]
    assert (row["counter"], row["reached"], row["step"], row["service"]) == ("2", "biaya", 4, "kk")
    finished = start(client)
    client.post("/k/1/survey", data={**finished, **full_answers()})
    assert client.post("/k/1/abandon", data={**finished, "reached": "comment"}).json["status"] == "known"
    assert db["abandonments"].count == 1


def test_language_switch_and_no_open_redirect(client):
    assert "Mulai survei" in client.get("/k/1").get_data(as_text=True)
    response = client.get("/lang/en?next=/k/1")
    assert response.headers["Location"] == "/k/1"
    page = client.get("/k/1/survey").get_data(as_text=True)
    assert "How fast was the service delivered?" in page and "Question 3 of 9" in page and "Very fast" in page
    assert client.get("/lang/en?next=//evil.example/").headers["Location"] == "/"
    client.get("/lang/id")
    assert "Mulai survei" in client.get("/k/1").get_data(as_text=True)


def test_security_headers_on_html(client):
    response = client.get("/k/1")
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"


def test_pages_reference_only_local_assets(client):
    for url in ("/k/1", "/k/2/survey", "/k/1/thanks", "/staff/login"):
        page = client.get(url).get_data(as_text=True)
        assert "http://" not in page and "https://" not in page, url
        assert "style=" not in page and "<script>" not in page, url  # nothing the CSP would block


def test_index_lists_counters_and_an_unconfigured_kiosk_says_how_to_set_up(client, tmp_path):
    page = client.get("/").get_data(as_text=True)
    assert page.count('href="/k/') == 6
    empty = create_app({"TESTING": True}, instance_path=tmp_path / "empty").test_client()
    response = empty.get("/")
    assert response.status_code == 503 and "skm kiosk init" in response.get_data(as_text=True)
