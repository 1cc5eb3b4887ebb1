"""QR receipts: issued offline by the kiosk, answered once on a phone at the collector."""
import base64
import re
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
from skmweb.qr import qr_png
from tests.helpers import (CollectorServer, collector_engine, create_collector, full_answers, hidden, init_kiosk,
                           seed_collector)


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


def test_a_page_sent_twice_from_the_general_link_counts_once_and_is_thanked_twice(collector, engine):
    client = collector.test_client()
    page = client.get("/s/dumai-mpp").get_data(as_text=True)
    form = {"csrf_token": hidden(page, "csrf_token"), "ticket": hidden(page, "ticket"), **full_answers(), "service": "pbg"}
    assert "Terima kasih!" in client.post("/s/dumai-mpp", data=form).get_data(as_text=True)
    assert "Terima kasih!" in client.post("/s/dumai-mpp", data=form).get_data(as_text=True)
    changed = client.post("/s/dumai-mpp", data={**form, "answers.waktu": "1"})  # the same page, other answers
    assert "Sudah dinilai" in changed.get_data(as_text=True)
    assert store.response_count(engine) == 1


def test_a_repeated_kirim_of_a_receipts_survey_is_thanked_and_stored_once(collector, engine, kiosk):
    client = collector.test_client()
    for url in (f"/q/{token_for(kiosk)}", f"/q/{compact_token_for(kiosk)}"):
        page = client.get(url).get_data(as_text=True)
        form = {"csrf_token": hidden(page, "csrf_token"), "ticket": hidden(page, "ticket"), **full_answers(2)}
        first, second = (client.post(url, data=form).get_data(as_text=True) for _ in range(2))
        assert "Terima kasih!" in first and "Terima kasih!" in second
        other_answers = client.post(url, data={**form, "answers.sarana": "4"}).get_data(as_text=True)
        assert "Sudah dinilai" in other_answers
        incomplete = client.post(url, data={k: v for k, v in form.items() if k != "answers.sarana"})
        assert "Sudah dinilai" in incomplete.get_data(as_text=True)
    assert store.response_count(engine) == 2


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
    receipt = wire.read_receipt_token(data["token"]).receipt
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
    assert "Kartu Identitas Anak" in text and "style=" not in text.split("<svg")[0]
    code = re.search(r'<p class="slip-code">([0-9A-Z]{4}-[0-9A-Z]{4})</p>', text).group(1)
    assert wire.normal_receipt_code(code) and "/s/dumai-disdukcapil lalu ketik kode" in text


def test_not_enrolled_kiosk_cannot_sign(tmp_path):
    instance = init_kiosk(tmp_path / "k")
    db = kstore.connect(str(instance / "kiosk.db"))
    with pytest.raises(receipts.ReceiptError) as err:
        receipts.issue(db, "1", None, None, 7)
    assert err.value.code == "not_enrolled"
    db.conn.close()


# -- compact receipt tokens and short codes (a QR code a cheap phone reads) ------------------------------------

def compact_token_for(kiosk, counter="2", service="kk", issued_at=None, secret=None, nonce=b"\x01\x02\x03\x04\x05\x06"):
    receipt = wire.compact_receipt(kiosk["id"], counter, service, issued_at or time.time(), nonce)
    return wire.make_compact_receipt_token(secret or kiosk["secret"], receipt)


def qr_version_of_png(png_bytes: bytes, box_size: int = 6, border: int = 2) -> int:
    """The QR version of a PNG from ``skmweb.qr.qr_png``, read back from its pixels: 17 + 4 x version modules."""
    import png
    width, height, pixels, _info = png.Reader(bytes=png_bytes).read()
    rows = [list(row) for row in pixels]
    modules = width // box_size - 2 * border
    assert width == height and (modules - 17) % 4 == 0
    # The top-left finder pattern starts right after the quiet zone: the module there is dark.
    assert rows[border * box_size][border * box_size * (len(rows[0]) // width)] == 0
    return (modules - 17) // 4


def test_the_kiosk_issues_a_short_url_a_version_5_code_and_a_short_code(enrolled_kiosk):
    server, _engine, instance, db = enrolled_kiosk
    app = create_kiosk({"TESTING": True, "KIOSK_RECEIPT_API_KEY": "kunci-rahasia-antrian",
                        "KIOSK_PUBLIC_SURVEY_URL": "https://skm.dumaikota.go.id"}, instance_path=instance)
    answer_ = app.test_client().post("/api/v1/receipts", json={"counter": "2", "service": "pindah"},
                                     headers={"Authorization": "Bearer kunci-rahasia-antrian"}).json
    url = answer_["url"]
    assert url.startswith("https://skm.dumaikota.go.id/q/") and len(url) <= 80, (len(url), url)
    assert qr_version_of_png(base64.b64decode(answer_["png_base64"])) <= 5
    code = answer_["code"]
    assert len(code) <= 10 and wire.normal_receipt_code(code) and set(code) <= set(wire.CROCKFORD + "-")
    # The old token of the same receipt, for comparison: the QR code it made was far denser.
    read = wire.read_receipt_token(url.rsplit("/", 1)[1]).receipt
    assert (read.counter, read.service) == ("2", "pindah")
    old_url = "https://skm.dumaikota.go.id/q/" + token_for({"id": sync.credentials(db).kiosk_id,
                                                              "secret": sync.credentials(db).secret},
                                                             counter="2", service="pindah", nonce="x" * 12)
    assert len(old_url) > 150 and qr_version_of_png(qr_png(old_url)) >= 8


def test_compact_tokens_are_answered_once(collector, engine, kiosk):
    client = collector.test_client()
    url = f"/q/{compact_token_for(kiosk)}"
    assert "Layanan Kartu Keluarga di Loket 2" in client.get(url).get_data(as_text=True)
    assert "Terima kasih!" in answer(client, url, score=4).get_data(as_text=True)
    assert "Sudah dinilai" in client.get(url).get_data(as_text=True)
    assert "Sudah dinilai" in client.get(url.lower()).get_data(as_text=True)  # a scanner that lowers the case
    [row] = list(store.raw_responses(engine, ["dumai-disdukcapil"], *bounds()))
    assert (row["kiosk_id"], row["channel"], row["waktu"]) == (kiosk["id"], "qr", 4)


def compact_refusal_cases(kiosk):
    token = compact_token_for(kiosk)
    other = "A" if token[-3] != "A" else "B"
    return [
        ("forged", compact_token_for(kiosk, secret="f" * 64), 403, "Kode QR tidak sah"),
        ("one symbol of the MAC changed", token[:-3] + other + token[-2:], 403, "Kode QR tidak sah"),
        ("stray padding bits", token[:-1] + wire.CROCKFORD[wire.CROCKFORD.index(token[-1]) ^ 1], 400,
         "Kode QR tidak terbaca"),
        ("cut by one symbol", token[:-1], 400, "Kode QR tidak terbaca"),
        ("cut by half", token[:22], 400, "Kode QR tidak terbaca"),
        ("not base32", token[:-1] + "U", 400, "Kode QR tidak terbaca"),
        ("expired", compact_token_for(kiosk, issued_at=time.time() - 8 * 86400), 410, "sudah kedaluwarsa"),
        ("unknown kiosk", wire.make_compact_receipt_token("s" * 64, wire.compact_receipt(
            "00000000-0000-4000-8000-000000000000", "2", "kk", time.time(), b"\0" * 6)), 403, "Kode QR tidak sah"),
    ]


@pytest.mark.parametrize("case", range(8))
def test_bad_compact_tokens_get_a_clear_page_and_store_nothing(collector, engine, kiosk, case):
    name, token, status, text = compact_refusal_cases(kiosk)[case]
    got = collector.test_client().get(f"/q/{token}")
    assert got.status_code == status and text in got.get_data(as_text=True), name
    assert store.response_count(engine) == 0


def test_two_kiosks_sharing_an_id_prefix_are_told_apart_by_the_signature(collector, engine, kiosk):
    from sqlalchemy import insert
    from collector import schema
    twin = kiosk["id"][:8] + "-0000-4000-8000-000000000000"
    with engine.begin() as conn:
        conn.execute(insert(schema.kiosks).values(id=twin, unit="dumai-mpp", name="twin", secret="t" * 64,
                                                  created_at=store.now_iso()))
    page = collector.test_client().get(f"/q/{compact_token_for(kiosk)}")
    assert page.status_code == 200 and "Loket 2" in page.get_data(as_text=True)


def test_receipt_codes_normalise_what_a_citizen_types():
    assert wire.normal_receipt_code(" 7k3m - q9xd ") == "7K3MQ9XD"
    assert wire.normal_receipt_code("7K3M-Q9XO") == "7K3MQ9X0"  # O read as zero, I and L as one
    assert wire.normal_receipt_code("7K3MIL9X") == "7K3M119X"
    assert [wire.normal_receipt_code(bad) for bad in ("7K3M-Q9X", "7K3M-Q9XDD", "7K3M-Q9XU", "")] == [None] * 4
    assert wire.grouped_code("7K3MQ9XD") == "7K3M-Q9XD"


def type_code(client, unit, code):
    page = client.get(f"/s/{unit}").get_data(as_text=True)
    return client.post(f"/s/{unit}/kode", data={"csrf_token": hidden(page, "csrf_token"), "code": code})


def test_a_short_code_typed_on_the_units_page_opens_that_receipts_survey_once(enrolled_kiosk):
    server, engine, instance, db = enrolled_kiosk
    issued = receipts.issue(db, "2", "pindah", None, 7)
    app = create_collector({"TESTING": True}, instance_path=server.instance)
    client = app.test_client()
    not_yet = type_code(client, "dumai-disdukcapil", issued.code)  # the kiosk has not reported it yet
    assert not_yet.status_code == 400 and "tidak kami kenal" in not_yet.get_data(as_text=True)
    assert sync.sync_once(db).ok  # the kiosk reports the receipts it issued
    typed = issued.code.lower().replace("-", " ")
    found = type_code(client, "dumai-disdukcapil", typed)
    assert found.status_code == 303 and found.headers["Location"].endswith(issued.url.split(server.url)[1])
    survey = client.get(found.headers["Location"]).get_data(as_text=True)
    assert "Layanan Surat Pindah di Loket 2" in survey
    assert "Terima kasih!" in answer(client, found.headers["Location"]).get_data(as_text=True)
    again = type_code(app.test_client(), "dumai-disdukcapil", issued.code)
    assert "Sudah dinilai" in app.test_client().get(again.headers["Location"]).get_data(as_text=True)
    elsewhere = type_code(client, "dumai-mpp", issued.code)  # another unit's page does not know it
    assert elsewhere.status_code == 400
    assert [r["service"] for r in store.raw_responses(engine, ["dumai-disdukcapil"], *bounds())] == ["pindah"]


@pytest.mark.parametrize("lang, typed, text", [
    ("id", "12345", "Kode struk terdiri dari 8 huruf dan angka"),
    ("en", "12345", "The receipt code has 8 letters and digits"),
    ("id", "ZZZZ-ZZZZ", "Kode struk ini tidak kami kenal"),
    ("en", "ZZZZ-ZZZZ", "We do not know this receipt code"),
])
def test_a_wrong_code_is_told_beside_the_field_in_the_users_language(collector, lang, typed, text):
    client = collector.test_client()
    client.get(f"/lang/{lang}")
    got = type_code(client, "dumai-disdukcapil", typed)
    page = got.get_data(as_text=True)
    assert got.status_code == 400 and f'<p class="field-error" id="err-code">{text}' in page
    assert f'value="{typed}"' in page and "autofocus" in page.split('id="code"')[1].split(">")[0]


def test_typed_codes_are_limited_per_browser(tmp_path):
    app = create_collector({"TESTING": True, "COLLECTOR_PUBLIC_CODE_TRIES_PER_DEVICE": 3},
                     instance_path=seed_collector(tmp_path / "c"))
    client = app.test_client()
    assert [type_code(client, "dumai-mpp", "ZZZZ-ZZZZ").status_code for _ in range(4)] == [400, 400, 400, 429]
    assert type_code(app.test_client(), "dumai-mpp", "ZZZZ-ZZZZ").status_code == 400  # another phone


def test_receipt_codes_revision_keeps_reported_receipts(tmp_path):
    """A collector at the schema before short codes (m007), with a reported receipt, upgrades and keeps it,
    with no code: its slip never printed one."""
    from alembic import command
    from sqlalchemy import insert, inspect, select
    from collector import migrations, schema
    engine = store.make_engine(f"sqlite:///{tmp_path}/old.db")
    with engine.begin() as conn:
        command.upgrade(migrations.alembic_config(conn), "m007_monthly_aggregates")
    assert "code" not in {c["name"] for c in inspect(engine).get_columns("receipts_issued")}
    with engine.begin() as conn:
        conn.execute(insert(schema.receipts_issued).values(kiosk_id="k", nonce="old-nonce", unit="u", counter="1",
                                                           service="s", issued_at="2026-01-01", day=date_(2026, 1, 1)))
    assert migrations.upgrade(engine) == ("m007_monthly_aggregates", migrations.head())
    with engine.connect() as conn:
        assert conn.execute(select(schema.receipts_issued.c.nonce, schema.receipts_issued.c.code)).all() == [
            ("old-nonce", None)]
    engine.dispose()


def date_(*parts):
    from datetime import date
    return date(*parts)
