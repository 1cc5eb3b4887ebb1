"""Hostile input the audit sent (issue 14, finding 7): each gets a 4xx with a clear message, never a 500, and
changes nothing in the database. On SQLite and, in the PostgreSQL pass, on PostgreSQL."""
import base64
import json
import uuid

import pytest

from collector import auth
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
        changed -= {"batches", "ingest_outcomes"}  # the refusal itself is recorded, as for any invalid response
    assert not changed, f"{name} changed {changed}"
