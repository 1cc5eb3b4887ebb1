"""Hostile input the audit sent (issue 14, finding 7): each gets a 4xx with a clear message, never a 500, and
changes nothing in the database. On SQLite and, in the PostgreSQL pass, on PostgreSQL."""
import base64
import json
import uuid

import pytest
from hypothesis import HealthCheck, example, given, settings, strategies as st
from sqlalchemy import func, select

from collector import auth, schema
from skm import wire
from tests.helpers import hidden, wire_response

from .test_access import changed_tables, snapshot

UNIT = "dumai-disdukcapil"
PASSWORD = "sandi-yang-panjang"


def deep(levels: int) -> bytes:
    return b"[" * levels + b"]" * levels


def batch_body(**changes) -> bytes:
    body = {"protocol": wire.PROTOCOL, "batch_id": str(uuid.uuid4()), "responses": [wire_response(**changes)]}
    return json.dumps(body).encode()


def v1_token(payload: bytes) -> str:
    encode = lambda data: base64.urlsafe_b64encode(data).rstrip(b"=").decode()  # noqa: E731
    return f"{encode(payload)}.{encode(bytes(16))}"


def receipts_body(**changes) -> bytes:
    receipt = {"nonce": uuid.uuid4().hex[:16], "counter": "2", "service": "kk", "issued_at": 1_790_000_000,
               **changes}
    return json.dumps({"receipts": [receipt]}).encode()


# (name, how the request is made, expected status, a word of the expected message or per-response reason)
# "signed": a body the enrolled kiosk signs; "anon": a plain request; "admin": signed in as an admin.
CASES = [
    ("enroll with a JSON number", "anon", ("POST", "/api/v1/enroll", b"5"), 400, "enrollment code"),
    ("enroll with a JSON array", "anon", ("POST", "/api/v1/enroll", b"[1, 2]"), 400, "enrollment code"),
    ("batch nested 100,000 deep", "signed", ("POST", "/api/v1/batches", deep(100_000)), 400, "not JSON"),
    ("responses nested 100,000 deep", "signed",
     ("POST", "/api/v1/batches", b'{"batch_id": "%s", "responses": %s}' % (str(uuid.uuid4()).encode(),
                                                                           deep(100_000))), 400, "not JSON"),
    ("seq 2**70", "signed", ("POST", "/api/v1/batches", batch_body(seq=2 ** 70)), 200, "seq"),
    ("duration_ms 10**30", "signed", ("POST", "/api/v1/batches", batch_body(duration_ms=10 ** 30)), 200,
     "duration_ms"),
    ("a lone surrogate in the comment", "signed",
     ("POST", "/api/v1/batches", batch_body(comment="antri \ud800 lama")), 200, "comment"),
    ("a lone surrogate in the id", "signed", ("POST", "/api/v1/batches", batch_body(id="\ud800")), 200, "id"),
    ("submitted_at 9999-12-31T23:59:59-12:00", "signed",
     ("POST", "/api/v1/batches", batch_body(submitted_at="9999-12-31T23:59:59-12:00")), 200, "submitted_at"),
    ("submitted_at 0001-01-01T00:00:00+14:00", "signed",
     ("POST", "/api/v1/batches", batch_body(submitted_at="0001-01-01T00:00:00+14:00")), 200, "submitted_at"),
    ("an officer over 30 characters", "signed", ("POST", "/api/v1/batches", batch_body(officer="1" * 31)), 200,
     "officer"),
    ("receipts issued_at 10**20", "signed", ("POST", "/api/v1/receipts-issued", receipts_body(issued_at=10 ** 20)),
     400, "issued_at"),
    ("a receipt counter over 40", "signed", ("POST", "/api/v1/receipts-issued", receipts_body(counter="9" * 41)),
     400, "counter"),
    ("receipts nested 100,000 deep", "signed", ("POST", "/api/v1/receipts-issued", deep(100_000)), 400, "not JSON"),
    ("a follow-up id of 2**70", "admin", ("POST", f"/unit/{UNIT}/followup/{2 ** 70}", {"status": "selesai"}), 404,
     "tidak ada"),
    ("a QR token with a number for its kiosk", "anon",
     ("GET", "/q/" + v1_token(b'{"c":"2","k":123,"n":"abc","s":"kk","t":1790000000}'), None), 400,
     "tidak terbaca"),
    ("a QR token with an infinite time", "anon",
     ("GET", "/q/" + v1_token(b'{"c":"2","k":"%s","n":"abc","s":"kk","t":Infinity}' % str(uuid.uuid4()).encode()),
      None), 400, "tidak terbaca"),
    ("a QR token nested 100,000 deep", "anon", ("GET", "/q/" + v1_token(deep(100_000)), None), 400,
     "tidak terbaca"),
    ("period 0001-T1 on the dashboard", "admin", ("GET", f"/unit/{UNIT}?period=0001-T1", None), 400, "0001-T1"),
    ("period 0001-T1 in an export", "admin", ("GET", f"/unit/{UNIT}/export.csv?period=0001-T1", None), 400,
     "0001-T1"),
    ("period 9999-T4 in an export", "admin", ("GET", f"/unit/{UNIT}/export.xlsx?period=9999-T4", None), 400,
     "9999-T4"),
]


@pytest.fixture
def admin(app, engine):
    auth.create_user(engine, "admin", "Admin", PASSWORD, "admin", [])
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    assert client.post("/login", data={"csrf_token": hidden(page, "csrf_token"), "username": "admin",
                                       "password": PASSWORD}).status_code == 302
    return client


def send(kind, request, kiosk, client, admin):
    method, path, body = request
    if kind == "signed":
        return kiosk.client.open(path, method=method, data=body, headers=kiosk.headers(body))
    if kind == "admin":
        page = admin.get(f"/unit/{UNIT}").get_data(as_text=True)
        data = {**body, "csrf_token": hidden(page, "csrf_token")} if isinstance(body, dict) else body
        return admin.open(path, method=method, data=data)
    return client.open(path, method=method, data=body, content_type="application/json")


@pytest.mark.parametrize("name, kind, request_, status, message", CASES, ids=[c[0] for c in CASES])
def test_hostile_input_gets_a_clear_4xx_and_changes_nothing(engine, client, kiosk, admin, name, kind, request_,
                                                           status, message):
    before = snapshot(engine)
    response = send(kind, request_, kiosk, client, admin)
    text = response.get_data(as_text=True)
    assert response.status_code == status, text[:500]
    if status == 200:  # a batch: the one response is refused as invalid, with its reason
        (result,) = response.get_json()["results"]
        assert result["status"] == "invalid" and message in result["reason"], result
    else:
        assert message in text, text[:500]
    changed = set(changed_tables(before, snapshot(engine))) - {"kiosks", "audit_log", "sessions"}
    if status == 200:
        # the refusal itself is recorded, as for any invalid response, and so is the install that sent it
        changed -= {"batches", "ingest_outcomes", "kiosk_installs"}
    assert not changed, f"{name} changed {changed}"


# -- the signed API under extreme values (hypothesis) ----------------------------------------------------------

ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()), max_size=60)  # surrogates and NUL too
HUGE = st.sampled_from([2 ** 31, 2 ** 63, 2 ** 70, -2 ** 70, 10 ** 30, 10 ** 100])
EXTREME = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), HUGE, st.floats(allow_nan=False, allow_infinity=False),
              ANY_TEXT),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(ANY_TEXT, inner, max_size=3), max_leaves=8)
FIELDS = ["id", "seq", "unit", "service", "counter", "officer", "channel", "questionnaire_version", "answers",
          "profile", "comment", "started_at", "submitted_at", "duration_ms", "suspect", "suspect_reason"]


def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def rows(engine, table) -> int:
    with engine.connect() as conn:
        return conn.execute(select(func.count()).select_from(table)).scalar()


def stored_ids(engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.execute(select(schema.responses.c.id)).scalars())


def json_body(value) -> bytes:
    """JSON as a kiosk could send it: ASCII, a lone surrogate as its escape, NaN as NaN."""
    return json.dumps(value, allow_nan=True).encode()


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(st.lists(st.tuples(st.sampled_from(FIELDS), EXTREME | HUGE | st.just(nested(5000))), min_size=1, max_size=4),
       st.integers(1, 3), st.booleans())
def test_the_signed_batch_api_never_5xx_and_stores_exactly_the_accepted(engine, kiosk, changes, copies, raw_nesting):
    responses = []
    for i in range(copies):
        response = wire_response(seq=10_000 + i)
        for field, value in changes:
            response[field] = value
        responses.append(response)
    body = json_body({"protocol": wire.PROTOCOL, "batch_id": str(uuid.uuid4()), "responses": responses})
    if raw_nesting:
        body = body.replace(b'"responses": [', b'"responses": [' + nested(3000).encode() + b", ", 1)
    before = stored_ids(engine)
    response = kiosk.push(None, body=body)
    assert response.status_code < 500, response.data[:300]
    after = stored_ids(engine)
    if response.status_code != 200:
        assert after == before, "a refused batch stored something"
        return
    accepted = {r["id"] for r in response.get_json()["results"] if r["status"] == "accepted"}
    assert after - before == accepted, "the ack and the database disagree"


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                  HealthCheck.too_slow])
@given(st.sampled_from(["nonce", "counter", "service", "issued_at"]), EXTREME | HUGE)
@example("counter", "0")  # well-formed, yet no counter of the unit: refused alone, by name
def test_the_signed_receipts_api_never_5xx_and_stores_all_or_nothing(engine, kiosk, field, value):
    good = {"nonce": uuid.uuid4().hex[:16], "counter": "2", "service": "kk", "issued_at": 1_790_000_000}
    body = json_body({"receipts": [good, {**good, "nonce": uuid.uuid4().hex[:16], field: value}]})
    before = rows(engine, schema.receipts_issued)
    response = kiosk.client.post("/api/v1/receipts-issued", data=body, headers=kiosk.headers(body))
    assert response.status_code in (200, 400), response.data[:300]
    if response.status_code == 400:
        assert rows(engine, schema.receipts_issued) == before, "a refused report stored something"
        return
    # Well-formed but naming a counter or service the unit lacks (e.g. counter "0"): that receipt alone is
    # refused, by name; the good one is stored.
    answer = response.get_json()
    refused = {r["nonce"] for r in answer["refused"]}
    assert refused <= {good["nonce"], body_nonce(body)} and good["nonce"] not in refused
    assert rows(engine, schema.receipts_issued) - before == 2 - len(refused) == answer["stored"]


def body_nonce(body: bytes) -> str:
    """The nonce of the second (hostile) receipt of a report."""
    return json.loads(body)["receipts"][1]["nonce"]


def test_a_body_past_the_limit_is_refused_with_a_clear_page_or_json(instance):
    from tests.helpers import create_collector
    app = create_collector({"TESTING": True, "COLLECTOR_MAX_BODY_BYTES": 2048}, instance_path=instance)
    client = app.test_client()
    page = client.post("/login", data={"username": "admin", "password": "x" * 4096})
    assert page.status_code == 413 and "Data yang dikirim terlalu besar (lebih dari 2 KB)" in page.get_data(as_text=True)
    api = client.post("/api/v1/enroll", data=b" " * 4096, content_type="application/json")
    assert api.status_code == 413 and api.get_json()["error"] == "body_too_large"
    app.extensions["skm_engine"].dispose()


# -- text no database can keep, typed in a dashboard form ------------------------------------------------------

FOLLOWUP = {"unsur": "waktu", "action": "Tambah petugas loket", "person": "Kepala Seksi Pelayanan",
            "deadline": "2026-12-31", "status": "rencana"}


@pytest.mark.parametrize("field, value, character", [("action", "Tambah\x00petugas", "U+0000"),
                                                      ("person", "Kepala\x07Seksi", "U+0007")])
def test_a_follow_up_with_text_no_database_can_keep_is_refused_with_the_character_named(engine, admin, field, value,
                                                                                        character):
    page = admin.get(f"/unit/{UNIT}").get_data(as_text=True)
    answer = admin.post(f"/unit/{UNIT}/followup", data={**FOLLOWUP, field: value,
                                                        "csrf_token": hidden(page, "csrf_token")},
                        follow_redirects=True)
    assert answer.status_code == 200
    assert f"karakter yang tidak dapat disimpan ({character})" in answer.get_data(as_text=True)
    assert rows(engine, schema.followups) == 0
    page = admin.get(f"/unit/{UNIT}").get_data(as_text=True)  # the same plan, typed cleanly, is kept
    admin.post(f"/unit/{UNIT}/followup", data={**FOLLOWUP, "csrf_token": hidden(page, "csrf_token")})
    assert rows(engine, schema.followups) == 1


def test_a_sign_in_name_with_a_nul_is_refused_and_counts_nothing(engine, app):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    before = snapshot(engine)
    answer = client.post("/login", data={"csrf_token": hidden(page, "csrf_token"), "username": "ad\x00min",
                                         "password": PASSWORD})
    assert answer.status_code == 400
    assert "karakter yang tidak dapat disimpan (U+0000)" in answer.get_data(as_text=True)
    assert not set(changed_tables(before, snapshot(engine))) - {"audit_log"}
