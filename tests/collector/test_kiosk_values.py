"""Values a kiosk signs are checked against its unit at the collector: receipt reports, receipt tokens and
the officer on a response name only the unit's counters, services and officers."""
import json
import time

from werkzeug.security import generate_password_hash

from collector import schema, store
from skm import wire
from tests.collector.conftest import KioskClient  # noqa: F401 - the fixtures below use it
from tests.helpers import wire_response

OFFICER = "198701012010011001"


def report_receipts(kiosk, receipts):
    body = wire.canonical({"receipts": receipts})
    return kiosk.client.post("/api/v1/receipts-issued", data=body, headers=kiosk.headers(body))


def receipt(nonce, counter="2", service="kk"):
    return {"nonce": nonce, "counter": counter, "service": service, "issued_at": int(time.time())}


def stored_receipts(engine):
    with engine.connect() as conn:
        return {row.nonce: row.counter for row in conn.execute(schema.receipts_issued.select())}


def test_receipts_with_codes_the_unit_lacks_are_refused_each_with_its_reason(kiosk, engine):
    got = report_receipts(kiosk, [receipt("a1"), receipt("b2", counter="C" * 40), receipt("c3", service="sim"),
                                  receipt("d4", counter="9")])
    assert got.status_code == 200
    data = got.json
    assert data["nonces"] == ["a1", "b2", "c3", "d4"] and data["stored"] == 1
    assert {r["nonce"]: r["reason"] for r in data["refused"]} == {
        "b2": f"counter: counter {'C' * 40!r} is not registered for this unit",
        "c3": "service: service 'sim' is not registered for this unit",
        "d4": "counter: counter '9' is not registered for this unit"}
    assert stored_receipts(engine) == {"a1": "2"}


def test_a_receipt_report_with_a_code_past_its_limit_is_refused_whole(kiosk, engine):
    """The audit's 5,000-character counter: past the column's limit the report is malformed, refused with the
    field named, and nothing of it is stored."""
    got = report_receipts(kiosk, [receipt("a1"), receipt("b2", counter="C" * 5000)])
    assert got.status_code == 400 and "receipts[1].counter" in got.json["message"]
    assert stored_receipts(engine) == {}


def test_a_receipt_token_naming_an_unregistered_code_is_refused(client, engine, kiosk):
    enrolled = store.get_kiosk(engine, kiosk.kiosk_id)
    for counter, service in (("9", "kk"), ("2", "sim"), ("2" * 40, "kk")):
        token = wire.make_compact_receipt_token(enrolled["secret"], wire.compact_receipt(
            enrolled["id"], counter, service, time.time(), b"\1\2\3\4\5\6"))
        page = client.get(f"/q/{token}")
        assert page.status_code == 403 and "Kode QR tidak sah" in page.get_data(as_text=True), (counter, service)
    valid = wire.make_compact_receipt_token(enrolled["secret"], wire.compact_receipt(
        enrolled["id"], "2", "kk", time.time(), b"\1\2\3\4\5\6"))
    assert client.get(f"/q/{valid}").status_code == 200


def test_an_officer_the_unit_does_not_have_makes_the_response_invalid_and_the_rest_is_stored(kiosk, engine):
    store.save_officer(engine, OFFICER, "Ani Lubis", "dumai-disdukcapil", generate_password_hash("1111"))
    store.save_officer(engine, "199001012015011003", "Citra MPP", "dumai-mpp", generate_password_hash("3333"))
    known, absent = wire_response(1, officer=OFFICER), wire_response(2)
    stranger, other_unit = wire_response(3, officer="x" * 30), wire_response(4, officer="199001012015011003")
    got = kiosk.push([known, absent, stranger, other_unit])
    results = {r["id"]: (r["status"], r["reason"]) for r in json.loads(got.data)["results"]}
    assert results == {
        known["id"]: ("accepted", None), absent["id"]: ("accepted", None),
        stranger["id"]: ("invalid", f"officer: officer {'x' * 30!r} is not an officer of this unit"),
        other_unit["id"]: ("invalid", "officer: officer '199001012015011003' is not an officer of this unit")}
    assert set(store.response_ids(engine)) == {known["id"], absent["id"]}
