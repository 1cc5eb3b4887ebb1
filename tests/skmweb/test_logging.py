"""Logging: the events an operator needs, a request id on every line of a request, and never a secret.

Real requests through both apps (a dashboard sign-in, an enrollment, a signed batch with a comment, a
receipt issued by the kiosk's API and answered on the phone survey, a staff PIN, a kiosk survey with a
comment), every record captured at DEBUG, then searched for each secret value.
"""
import json
import logging
import re
import urllib.request
import uuid

import pytest

import collector
import kiosk
from collector import auth
from collector import store as cstore
from kiosk import store as kstore
from kiosk.staff import set_pin
from skmweb.logs import TEXT_FORMAT, JsonFormatter
from tests.collector.conftest import KioskClient
from tests.helpers import KioskServer, full_answers, hidden, init_kiosk, seed_collector, wire_response

PASSWORD, WRONG_PASSWORD = "kata-sandi-Rahasia-8c1f", "tebakan-Salah-77d0"
PIN, WRONG_PIN = "73915428", "64028317"
API_KEY = "kunci-antrian-Qz93kd"
KIOSK_COMMENT, PHONE_COMMENT, BATCH_COMMENT = ("Petugas loket ramah sekali xq1", "Toilet kotor sekali xq2",
                                               "Antrian panjang hari ini xq3")


def all_text(records) -> str:
    """Every captured record as both formats would write it, with its raw arguments."""
    text, json_lines = logging.Formatter(TEXT_FORMAT), JsonFormatter()
    return "\n".join(f"{text.format(r)}\n{json_lines.format(r)}\n{r.args!r}" for r in records)


def sign_in(client, username, password):
    page = client.get("/login").get_data(as_text=True)
    return client.post("/login", data={"csrf_token": hidden(page, "csrf_token"), "username": username,
                                       "password": password})


def staff_sign_in(client, pin):
    page = client.get("/staff/login").get_data(as_text=True)
    return client.post("/staff/login", data={"csrf_token": hidden(page, "csrf_token"), "pin": pin})


def survey(client, url, comment, **fields):
    page = client.get(url).get_data(as_text=True)
    return client.post(url, data={"csrf_token": hidden(page, "csrf_token"), "ticket": hidden(page, "ticket"),
                                  **full_answers(3), "comment": comment, **fields})


def test_the_expected_events_are_logged_and_no_secret_ever_is(tmp_path, caplog):
    caplog.set_level(logging.DEBUG)
    central = collector.create_app({"TESTING": True, "COLLECTOR_LOG_LEVEL": "DEBUG"},
                                   instance_path=seed_collector(tmp_path / "c"))
    engine = central.extensions["skm_engine"]
    web = central.test_client()
    auth.create_user(engine, "kepala.dumai", "Kepala", PASSWORD, "admin", [])
    assert sign_in(web, "kepala.dumai", WRONG_PASSWORD).status_code == 400
    assert sign_in(web, "kepala.dumai", PASSWORD).status_code == 302

    _kiosk_id, code = cstore.add_kiosk(engine, "dumai-disdukcapil")
    enrolled = web.post("/api/v1/enroll", json={"code": code}).json
    signer = KioskClient(web, enrolled["kiosk_id"], enrolled["secret"])
    batch_id = str(uuid.uuid4())
    body = json.dumps({"protocol": "skm-sync/1", "batch_id": batch_id,
                       "responses": [wire_response(1, comment=BATCH_COMMENT)]}).encode()
    headers = signer.headers(body)
    assert web.post("/api/v1/batches", data=body, headers=headers).status_code == 200

    instance = init_kiosk(tmp_path / "k")
    counter_app = kiosk.create_app({"TESTING": True, "KIOSK_LOG_LEVEL": "DEBUG", "KIOSK_RECEIPT_API_KEY": API_KEY,
                                    "KIOSK_MIN_SURVEY_SECONDS": 0}, instance_path=instance)
    db = kstore.connect(counter_app.config["KIOSK_DATABASE"])
    kstore.set_settings(db, collector_url="http://collector.example", kiosk_id=enrolled["kiosk_id"],
                        kiosk_secret=enrolled["secret"])
    set_pin(db, PIN)
    db.conn.close()
    tablet = counter_app.test_client()
    issued = tablet.post("/api/v1/receipts", json={"counter": "2", "service": "kk"},
                         headers={"Authorization": f"Bearer {API_KEY}"}).json
    token = issued["token"]
    answered = survey(web, f"/q/{token}", PHONE_COMMENT)
    assert answered.status_code == 200 and "Terima kasih!" in answered.get_data(as_text=True)
    assert staff_sign_in(tablet, WRONG_PIN).status_code == 400
    assert staff_sign_in(tablet, PIN).status_code == 302
    assert survey(tablet, "/k/1/survey", KIOSK_COMMENT, service="ktp-el").status_code == 303

    logged = all_text(caplog.records)
    for secret in (PASSWORD, WRONG_PASSWORD, PIN, WRONG_PIN, API_KEY, code, enrolled["secret"], token,
                   headers["X-SKM-Signature"], KIOSK_COMMENT, PHONE_COMMENT, BATCH_COMMENT):
        assert secret not in logged, f"{secret!r} was logged"
    messages = [r.getMessage() for r in caplog.records]
    assert "sign-in refused user='kepala.dumai': unknown name, disabled or wrong password" in messages
    assert "sign-in user='kepala.dumai' role=admin" in messages
    assert f"kiosk enrolled kiosk={enrolled['kiosk_id']} unit=dumai-disdukcapil" in messages
    assert any(re.fullmatch(rf"ingest kiosk={enrolled['kiosk_id']} batch={batch_id} source=api accepted=1 duplicate=0 "
                            r"conflict=0 invalid=0 ms=\d+", m) for m in messages), messages
    assert "staff PIN refused: wrong PIN" in messages and "staff signed in" in messages
    assert any(re.fullmatch(r"POST /q/<token> 200 \d+ms", m) for m in messages)
    requests = [r for r in caplog.records if r.name == "skmweb.access"]
    assert len(requests) >= 12 and all(re.fullmatch(r"[0-9a-f]{32}", r.request_id) for r in requests)
    assert len({r.request_id for r in requests}) == len(requests)  # one id per request


@pytest.fixture
def kiosk_app(tmp_path):
    def make(**config):
        return kiosk.create_app({"TESTING": True, **config}, instance_path=init_kiosk(tmp_path / "k"))
    return make


@pytest.mark.parametrize("proxies, sent, echoed", [
    (1, "req-2f9c1b7a-proxy", True),
    (1, "short", False),
    (1, "a b c d e f g h i", False),
    (1, "x" * 101, False),
    (1, "ok-id;\"forged\":1", False),
    (0, "req-2f9c1b7a-proxy", False),  # no trusted proxy: anyone could send it
])
def test_the_request_id_comes_from_a_trusted_proxy_in_a_safe_form_or_is_made(kiosk_app, caplog, proxies, sent,
                                                                               echoed):
    caplog.set_level(logging.INFO)
    client = kiosk_app(KIOSK_TRUSTED_PROXIES=proxies).test_client()
    response = client.get("/staff/login", headers={"X-Request-Id": sent})
    request_id = response.headers["X-Request-Id"]
    assert (request_id == sent) is echoed
    if not echoed:
        assert re.fullmatch(r"[0-9a-f]{32}", request_id)
    [line] = [r for r in caplog.records if r.name == "skmweb.access"]
    assert line.request_id == request_id and line.getMessage().startswith("GET /staff/login 200 ")


def test_a_server_process_writes_json_lines_with_the_request_id(tmp_path):
    instance = init_kiosk(tmp_path / "k")
    with KioskServer(instance, {"LOG_FORMAT": "json", "TRUSTED_PROXIES": 1, "SYNC_ENABLED": "false"}) as server:
        request = urllib.request.Request(server.url + "/healthz", headers={"X-Request-Id": "probe-000123456789"})
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.headers["X-Request-Id"] == "probe-000123456789"
    lines = [json.loads(line) for line in server.log.read_text().splitlines() if line.startswith("{")]
    [access] = [line for line in lines if line["request_id"] == "probe-000123456789"]
    assert access["logger"] == "skmweb.access" and access["level"] == "INFO"
    assert access["message"].startswith("GET /healthz 200 ")
