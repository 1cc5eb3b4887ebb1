"""QR receipts: issued offline by the kiosk, answered once on a phone at the collector."""
import base64
import threading
import time
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import pytest

from collector import store
from kiosk import create_app as create_kiosk
from kiosk import receipts
from kiosk import store as kstore
from kiosk import sync
from skm import wire
from tests.helpers import CollectorServer, collector_engine, create_collector, full_answers, hidden, init_kiosk, seed_collector


@pytest.fixture
def collector(tmp_path):
    return create_collector({"TESTING": True}, instance_path=seed_collector(tmp_path / "collector"))


@pytest.fixture
def engine(collector):
    return collector.extensions["skm_engine"]


@pytest.fixture
def kiosk(engine):
    kiosk_id, code = store.add_kiosk(engine, "dumai-disdukcapil")
    return store.enroll(engine, code)


def token_for(kiosk, counter="2", service="kk", issued_at=None, secret=None, nonce="n0nce-1"):
    receipt = wire.Receipt(kiosk["id"], counter, service, int(issued_at or time.time()), nonce)
    return wire.make_receipt_token(secret or kiosk["secret"], receipt)


def answer(client, url, score=3, **extra):
    page = client.get(url).get_data(as_text=True)
    form = {"csrf_token": hidden(page, "csrf_token"), "ticket": hidden(page, "ticket"), **full_answers(score), **extra}
    return client.post(url, data=form)


def test_a_receipt_is_answered_once(collector, engine, kiosk):
    client = collector.test_client()
    url = f"/q/{token_for(kiosk)}"
    page = client.get(url).get_data(as_text=True)
    assert "Layanan Kartu Keluarga di Loket 2 - Kartu Keluarga" in page and "<script" not in page
    saved = answer(client, url, score=4, comment="Cepat sekali")
    assert saved.status_code == 200 and "Terima kasih!" in saved.get_data(as_text=True)
    [row] = list(store.raw_responses(engine, ["dumai-disdukcapil"], *bounds()))
    assert (row["channel"], row["counter"], row["service"], row["kiosk_id"]) == ("qr", "2", "kk", kiosk["id"])
    assert row["waktu"] == 4 and row["comment"] == "Cepat sekali"
    again = client.get(url)
    assert again.status_code == 200 and "Sudah dinilai" in again.get_data(as_text=True)
    assert store.response_count(engine) == 1
    assert sum(a["responses"] for a in store.aggregates(engine)) == 1


def bounds():
    from datetime import date, timedelta
    today = date.today()
    return today - timedelta(days=2), today + timedelta(days=2)


def test_second_submission_of_the_same_receipt_stores_nothing(collector, engine, kiosk):
    url = f"/q/{token_for(kiosk)}"
    first, second = collector.test_client(), collector.test_client()
    page_a = first.get(url).get_data(as_text=True)
    page_b = second.get(url).get_data(as_text=True)  # both phones opened it before either answered
    form = lambda page, score: {"csrf_token": hidden(page, "csrf_token"), "ticket": hidden(page, "ticket"),  # noqa
                                **full_answers(score)}
    assert "Terima kasih!" in first.post(url, data=form(page_a, 4)).get_data(as_text=True)
    assert "Sudah dinilai" in second.post(url, data=form(page_b, 1)).get_data(as_text=True)
    assert store.response_count(engine) == 1


def refusal_cases(kiosk):
    return [
        ("forged", token_for(kiosk, secret="f" * 64), 403, "Kode QR tidak sah"),
        ("expired", token_for(kiosk, issued_at=time.time() - 8 * 86400), 410, "sudah kedaluwarsa"),
        ("malformed", "not-a-token", 400, "Kode QR tidak terbaca"),
        ("cut short", token_for(kiosk)[:40], 400, "Kode QR tidak terbaca"),
        ("unknown kiosk", wire.make_receipt_token("s" * 64, wire.Receipt(
            "00000000-0000-4000-8000-000000000000", "2", "kk", int(time.time()), "x")), 403, "Kode QR tidak sah"),
        ("from the future", token_for(kiosk, issued_at=time.time() + 3600), 403, "Kode QR tidak sah"),
    ]


@pytest.mark.parametrize("case", range(6))
def test_bad_tokens_get_a_clear_page_and_store_nothing(collector, engine, kiosk, case):
    name, token, status, text = refusal_cases(kiosk)[case]
    client = collector.test_client()
    got = client.get(f"/q/{token}")
    assert got.status_code == status and text in got.get_data(as_text=True), name
    posted = client.post(f"/q/{token}", data={**full_answers(), "ticket": "x", "csrf_token": "x"})
    assert posted.status_code in (status, 400)
    assert store.response_count(engine) == 0


def test_a_revoked_kiosks_receipt_is_refused(collector, engine, kiosk):
    token = token_for(kiosk)
    store.revoke_kiosk(engine, kiosk["id"])
    page = collector.test_client().get(f"/q/{token}")
    assert page.status_code == 403 and "tidak berlaku lagi" in page.get_data(as_text=True)
    assert store.response_count(engine) == 0


def test_bad_answers_keep_what_was_given(collector, engine, kiosk):
    client = collector.test_client()
    url = f"/q/{token_for(kiosk)}"
    response = answer(client, url, **{"answers.waktu": "9", "comment": "Ruang tunggu panas"})
    page = response.get_data(as_text=True)
    assert response.status_code == 400 and "nilai 9 di luar rentang" in page and "Ruang tunggu panas" in page
    assert store.response_count(engine) == 0 and not store.receipt_used(engine, kiosk["id"], "n0nce-1")


def test_csrf_expiry_on_the_phone_loses_nothing(tmp_path):
    app = create_collector({"TESTING": True, "WTF_CSRF_TIME_LIMIT": 1}, instance_path=seed_collector(tmp_path / "c"))
    engine = app.extensions["skm_engine"]
    _id, code = store.add_kiosk(engine, "dumai-disdukcapil")
    kiosk = store.enroll(engine, code)
    client = app.test_client()
    url = f"/q/{token_for(kiosk)}"
    page = client.get(url).get_data(as_text=True)
    form = {"csrf_token": hidden(page, "csrf_token"), "ticket": hidden(page, "ticket"), **full_answers(2),
            "comment": "Lama"}
    time.sleep(2.1)
    again = client.post(url, data=form)
    text = again.get_data(as_text=True)
    assert again.status_code == 400 and "Tekan Kirim sekali lagi" in text and "Lama</textarea>" in text
    assert store.response_count(engine) == 0
    saved = client.post(url, data={**form, "csrf_token": hidden(text, "csrf_token")})
    assert "Terima kasih!" in saved.get_data(as_text=True) and store.response_count(engine) == 1


def test_general_link_is_channel_link_and_limited_per_address(tmp_path):
    app = create_collector({"TESTING": True, "COLLECTOR_PUBLIC_LIMIT_PER_ADDRESS": 2},
                     instance_path=seed_collector(tmp_path / "c"))
    engine = app.extensions["skm_engine"]
    client = app.test_client()
    for _ in range(2):
        assert "Terima kasih!" in answer(client, "/s/dumai-mpp", service="nib").get_data(as_text=True)
    assert answer(client, "/s/dumai-mpp", service="nib").status_code == 429
    rows = list(store.raw_responses(engine, ["dumai-mpp"], *bounds()))
    assert [(r["channel"], r["counter"], r["kiosk_id"]) for r in rows] == [("link", "-", None)] * 2
    assert client.get("/s/nowhere").status_code == 404


def test_a_page_sent_twice_from_the_general_link_counts_once(collector, engine):
    client = collector.test_client()
    page = client.get("/s/dumai-mpp").get_data(as_text=True)
    form = {"csrf_token": hidden(page, "csrf_token"), "ticket": hidden(page, "ticket"), **full_answers(), "service": "pbg"}
    client.post("/s/dumai-mpp", data=form)
    assert "Sudah dinilai" in client.post("/s/dumai-mpp", data=form).get_data(as_text=True)
    assert store.response_count(engine) == 1


def test_per_token_flood_limit(tmp_path):
    app = create_collector({"TESTING": True, "COLLECTOR_PUBLIC_LIMIT_PER_TOKEN": 3}, instance_path=seed_collector(tmp_path))
    engine = app.extensions["skm_engine"]
    _id, code = store.add_kiosk(engine, "dumai-disdukcapil")
    kiosk = store.enroll(engine, code)
    client = app.test_client()
    url = f"/q/{token_for(kiosk)}"
    statuses = [answer(client, url, **{"answers.waktu": "9"}).status_code for _ in range(4)]
    assert statuses == [400, 400, 400, 429]


def test_poster_has_two_qr_codes(collector):
    page = collector.test_client().get("/publik/dumai-mpp/poster").get_data(as_text=True)
    assert page.count("<svg") == 2 and "/s/dumai-mpp" in page and "/publik/dumai-mpp" in page


# -- the kiosk side ------------------------------------------------------------------------------------------

@pytest.fixture
def enrolled_kiosk(tmp_path):
    """A kiosk enrolled at a real collector process; the server is stopped after the test."""
    server = CollectorServer(seed_collector(tmp_path / "collector")).start()
    engine = collector_engine(server.instance)
    _id, code = store.add_kiosk(engine, "dumai-disdukcapil")
    instance = init_kiosk(tmp_path / "kiosk")
    db = kstore.connect(str(instance / "kiosk.db"))
    sync.enroll(db, server.url, code)
    yield server, engine, instance, db
    db.conn.close()
    server.stop()
    engine.dispose()


def test_receipt_issued_offline_is_accepted_once_the_collector_is_back(enrolled_kiosk):
    server, engine, instance, db = enrolled_kiosk
    server.stop()  # the office is offline
    issued = receipts.issue(db, "2", "pindah", None, 7)
    assert issued.url.startswith(server.url + "/q/")
    assert sync.sync_once(db, timeout=2).error.code == "network"
    server.start()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
    page = opener.open(issued.url).read().decode()
    body = urllib.parse.urlencode({"csrf_token": hidden(page, "csrf_token"), "ticket": hidden(page, "ticket"),
                                   **full_answers(3)}).encode()
    assert "Terima kasih!" in opener.open(issued.url, data=body).read().decode()
    rows = list(store.raw_responses(engine, ["dumai-disdukcapil"], *bounds()))
    assert [(r["channel"], r["service"]) for r in rows] == [("qr", "pindah")]
    # The kiosk reports what it issued; the dashboard then shows answers per receipt issued.
    assert sync.sync_once(db).ok
    start, end = bounds()
    assert store.receipts_issued_count(engine, ["dumai-disdukcapil"], start, end) == 1
    assert store.receipts_answered_count(engine, ["dumai-disdukcapil"], start, end) == 1


def test_many_concurrent_answers_to_one_receipt_store_exactly_one(enrolled_kiosk):
    server, engine, instance, db = enrolled_kiosk
    issued = receipts.issue(db, "1", None, None, 7)
    openers, forms = [], []
    for i in range(12):  # twelve phones opened the same QR
        opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        page = opener.open(issued.url).read().decode()
        openers.append(opener)
        forms.append(urllib.parse.urlencode({"csrf_token": hidden(page, "csrf_token"), "ticket": hidden(page, "ticket"),
                                             **full_answers(1 + i % 4)}).encode())
    results, go = [], threading.Barrier(len(openers))

    def submit(opener, body):
        go.wait()
        results.append(opener.open(issued.url, data=body).read().decode())

    threads = [threading.Thread(target=submit, args=pair) for pair in zip(openers, forms)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(results) == 12
    assert sum("Terima kasih!" in r for r in results) == 1
    assert sum("Sudah dinilai" in r for r in results) == 11
    assert store.response_count(engine) == 1


def test_kiosk_receipt_api(enrolled_kiosk):
    _server, _engine, instance, _db = enrolled_kiosk
    app = create_kiosk({"TESTING": True, "KIOSK_RECEIPT_API_KEY": "kunci-rahasia-antrian"}, instance_path=instance)
    client = app.test_client()
    ok = client.post("/api/v1/receipts", json={"counter": "2", "service": "kk"},
                     headers={"Authorization": "Bearer kunci-rahasia-antrian"})
    assert ok.status_code == 201
    data = ok.json
    assert "/q/" in data["url"] and data["svg"].startswith("<svg") and data["counter"] == "2"
    assert base64.b64decode(data["png_base64"]).startswith(b"\x89PNG")
    receipt, _payload, _sig = wire.read_receipt_token(data["token"])
    assert (receipt.counter, receipt.service) == ("2", "kk")
    assert client.post("/api/v1/receipts", json={"counter": "2", "service": "kk"}).status_code == 401
    bad = client.post("/api/v1/receipts", json={"counter": "2", "service": "paspor"},
                      headers={"Authorization": "Bearer kunci-rahasia-antrian"})
    assert bad.status_code == 400 and bad.json["error"] == "unknown_service"
    off = create_kiosk({"TESTING": True}, instance_path=instance).test_client()
    assert off.post("/api/v1/receipts", json={"counter": "2"}).status_code == 503


def test_staff_prints_a_slip(enrolled_kiosk):
    _server, _engine, instance, _db = enrolled_kiosk
    client = create_kiosk({"TESTING": True}, instance_path=instance).test_client()
    page = client.get("/staff/login").get_data(as_text=True)
    client.post("/staff/login", data={"csrf_token": hidden(page, "csrf_token"), "pin": "4321"})
    choose = client.get("/staff/qr").get_data(as_text=True)
    slip = client.post("/staff/qr", data={"csrf_token": hidden(choose, "csrf_token"), "counter": "3",
                                          "service": "kia", "width": "58"})
    text = slip.get_data(as_text=True)
    assert slip.status_code == 200 and 'class="slip w58"' in text and "<svg" in text
    assert "Kartu Identitas Anak" in text and "/q/" in text and "style=" not in text.split("<svg")[0]


def test_not_enrolled_kiosk_cannot_sign(tmp_path):
    instance = init_kiosk(tmp_path / "k")
    db = kstore.connect(str(instance / "kiosk.db"))
    with pytest.raises(receipts.ReceiptError) as err:
        receipts.issue(db, "1", None, None, 7)
    assert err.value.code == "not_enrolled"
    db.conn.close()
