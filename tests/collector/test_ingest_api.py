"""The sync API over the Flask test client: statuses, refusals, and that nothing is half-written."""
import json
import uuid
from datetime import timedelta

import pytest

from sqlalchemy import select

from collector import schema, store
from skm import CODES, index, wire
from tests.helpers import wire_response


def test_enrollment_code_works_once(client, engine):
    kiosk_id, code = store.add_kiosk(engine, "dumai-disdukcapil")
    first = client.post("/api/v1/enroll", json={"code": code.lower()})
    assert first.status_code == 200 and first.json["kiosk_id"] == kiosk_id and len(first.json["secret"]) == 64
    again = client.post("/api/v1/enroll", json={"code": code})
    assert again.status_code == 400 and again.json["error"] == "enroll_code_unknown"
    assert "server_time" in again.json and again.headers["X-SKM-Server-Time"]


def test_accepted_then_duplicate_then_conflict(kiosk, engine):
    responses = [wire_response(seq=i, score=1 + i % 4) for i in range(1, 4)]
    first = kiosk.push(responses)
    assert first.status_code == 200
    assert set(kiosk.statuses(first).values()) == {"accepted"}
    again = kiosk.push(responses)
    assert set(kiosk.statuses(again).values()) == {"duplicate"}
    changed = dict(responses[0], answers={**responses[0]["answers"], "waktu": 4})
    conflict = kiosk.push([changed])
    assert kiosk.statuses(conflict) == {changed["id"]: "conflict"}
    assert store.response_count(engine) == 3 and store.conflict_count(engine) == 1
    with engine.connect() as conn:  # the first content stays
        assert conn.execute(select(schema.responses.c.waktu).where(schema.responses.c.id == changed["id"])).scalar() == \
            responses[0]["answers"]["waktu"]


def test_ack_is_signed_and_names_the_batch(kiosk):
    batch_id = str(uuid.uuid4())
    response = kiosk.push([wire_response()], batch_id=batch_id)
    body = response.get_data()
    assert json.loads(body)["batch_id"] == batch_id
    assert wire.verify(kiosk.secret, "ack", kiosk.kiosk_id, response.headers["X-SKM-Server-Time"], body,
                       response.headers["X-SKM-Signature"])
    assert not wire.verify(kiosk.secret, "request", kiosk.kiosk_id, response.headers["X-SKM-Server-Time"], body,
                           response.headers["X-SKM-Signature"])


def test_aggregates_follow_ingest_and_equal_a_rebuild(kiosk, engine):
    responses = [wire_response(seq=i, score=1 + i % 4, counter=str(1 + i % 2), service=["ktp-el", "kk"][i % 2],
                               suspect=(i % 5 == 0)) for i in range(1, 40)]
    kiosk.push(responses[:20])
    kiosk.push(responses[15:])  # overlap: duplicates must not count twice
    incremental = store.aggregates(engine)
    assert sum(a["responses"] for a in incremental) == 39
    store.rebuild_aggregates(engine)
    assert store.aggregates(engine) == incremental
    sums = {code: sum(a[f"{code}_sum"] for a in incremental) for code in CODES}
    expected = index.aggregate(r["answers"] for r in responses)[0]
    assert all(sums[c] == expected[c].total for c in CODES)


def valid_batch(n=3):
    return [wire_response(seq=i) for i in range(1, n + 1)]


def raw(body):
    return body if isinstance(body, bytes) else wire.canonical(body)


BAD = [
    # (case, how to send, expected status, expected error code)
    ("bad signature", dict(secret="0" * 64), 401, "bad_signature"),
    ("unknown kiosk", dict(kiosk_id=str(uuid.uuid4())), 401, "unknown_kiosk"),
    ("stale timestamp", dict(skew=timedelta(minutes=10)), 401, "stale_timestamp"),
    ("future timestamp", dict(skew=timedelta(minutes=-10)), 401, "stale_timestamp"),
    ("malformed JSON", dict(body=b'{"batch_id": "x", "responses": ['), 400, "malformed_json"),
    ("not a batch", dict(body=b'{"responses": {}}'), 400, "malformed_batch"),
    ("batch id not a uuid", dict(body=raw({"batch_id": "1", "responses": []})), 400, "malformed_batch"),
    ("over the cap", dict(responses=[wire_response(seq=i) for i in range(1, 502)]), 413, "batch_too_large"),
]


@pytest.mark.parametrize("case, how, status, error", BAD, ids=[b[0] for b in BAD])
def test_refused_batches_store_nothing(kiosk, engine, case, how, status, error):
    how = dict(how)
    responses = how.pop("responses", valid_batch())
    response = kiosk.push(responses, **how)
    assert response.status_code == status, response.json
    assert response.json["error"] == error and response.json["message"] and response.json["server_time"]
    assert store.response_count(engine) == 0 and store.aggregates(engine) == []


def test_revoked_kiosk_is_refused_and_its_data_stays(kiosk, engine):
    kiosk.push(valid_batch(2))
    store.revoke_kiosk(engine, kiosk.kiosk_id)
    response = kiosk.push(valid_batch(1))
    assert response.status_code == 403 and response.json["error"] == "revoked"
    assert store.response_count(engine) == 2


def test_unsigned_request_is_refused(client):
    response = client.post("/api/v1/batches", json={"batch_id": str(uuid.uuid4()), "responses": []})
    assert response.status_code == 401 and response.json["error"] == "missing_auth"


INVALID = [
    ("unknown unsur", {"answers": {**dict.fromkeys(CODES, 3), "kebersihan": 4}}, "unknown unsur: 'kebersihan'"),
    ("score of 5", {"answers": {**dict.fromkeys(CODES, 3), "waktu": 5}}, "answers.waktu: score 5 is outside 1 to 4"),
    ("missing unsur", {"answers": {c: 3 for c in CODES if c != "sarana"}}, "answers.sarana: an answer is required"),
    ("other unit", {"unit": "dumai-mpp"}, "unit: unit 'dumai-mpp' is not this kiosk's unit"),
    ("unknown counter", {"counter": "99"}, "counter: counter '99' is not registered"),
    ("unknown service", {"service": "paspor"}, "service: service 'paspor' is not registered"),
    ("no offset", {"submitted_at": "2026-11-28T09:14:31"}, "submitted_at: time '2026-11-28T09:14:31' has no offset"),
    ("bad id", {"id": "42"}, "id: id '42' is not a UUID"),
    ("bad seq", {"seq": 0}, "seq: seq 0 must be a whole number from 1"),
    ("bad channel", {"channel": "sms"}, "channel: 'sms' is not valid"),
    ("unknown version", {"questionnaire_version": "2099"}, "unknown questionnaire version '2099'"),
    ("long comment", {"comment": "x" * 1001}, "comment too long"),
]


@pytest.mark.parametrize("case, change, reason", INVALID, ids=[i[0] for i in INVALID])
def test_an_invalid_response_is_reported_and_the_rest_of_the_batch_is_stored(kiosk, engine, case, change, reason):
    good = valid_batch(3)
    bad = {**wire_response(seq=4), **change}
    response = kiosk.push([good[0], bad, *good[1:]])
    assert response.status_code == 200
    results = {r["id"]: r for r in response.json["results"]}
    assert results[str(bad["id"])]["status"] == "invalid"
    assert reason in results[str(bad["id"])]["reason"]
    assert [results[g["id"]]["status"] for g in good] == ["accepted"] * 3
    assert store.response_count(engine) == 3
    assert sum(a["responses"] for a in store.aggregates(engine)) == 3


def test_same_response_twice_in_one_batch_is_stored_once(kiosk, engine):
    response = wire_response()
    ack = kiosk.push([response, response])
    assert kiosk.statuses(ack) == {response["id"]: "accepted"}
    assert store.response_count(engine) == 1


def test_local_day_is_in_the_units_time_zone(kiosk, engine):
    late = wire_response(submitted_at="2026-11-28T23:30:00+07:00")
    utc = wire_response(seq=2, submitted_at="2026-11-28T17:30:00+00:00")  # 00:30 WIB on the 29th
    kiosk.push([late, utc])
    days = sorted(str(a["day"]) for a in store.aggregates(engine))
    assert days == ["2026-11-28", "2026-11-29"]


def test_config_pull_is_signed_and_lists_counters(kiosk):
    body = b""
    response = kiosk.client.get("/api/v1/config", headers=kiosk.headers(body))
    assert response.status_code == 200
    assert response.json["unit"]["code"] == "dumai-disdukcapil"
    assert [c["code"] for c in response.json["counters"]] == ["1", "2", "3", "4", "5", "6"]
    assert [s["code"] for s in response.json["counters"][1]["services"]] == ["kk", "pindah"]
    assert wire.verify(kiosk.secret, "ack", kiosk.kiosk_id, response.headers["X-SKM-Server-Time"],
                       response.get_data(), response.headers["X-SKM-Signature"])


def test_seqs_already_stored_under_other_ids_are_reported_whether_they_run_on_or_not(kiosk, engine):
    """A copy of a kiosk sends seqs its original already stored under other ids: each batch's clashes are
    named (a run of seqs is read as one index range, scattered seqs one by one), a resend of the original's
    own responses and a first-time seq are none, and the batch's responses are stored all the same."""
    first = [wire_response(seq=n) for n in range(1, 6)]
    assert set(kiosk.statuses(kiosk.push(first, install="asli")).values()) == {"accepted"}
    run_on = [wire_response(seq=n) for n in (3, 4, 5, 6)]
    assert set(kiosk.statuses(kiosk.push(run_on, install="salinan")).values()) == {"accepted"}
    scattered = [wire_response(seq=1), wire_response(seq=900), wire_response(seq=5000)]
    assert set(kiosk.statuses(kiosk.push(scattered, install="salinan")).values()) == {"accepted"}
    resent = kiosk.statuses(kiosk.push(first[1:2] + [wire_response(seq=7000)], install="asli"))  # seq 2: its own
    assert sorted(resent.values()) == ["accepted", "duplicate"]
    copies = [e["detail"] for e in store.audit_entries(engine) if e["action"] == "kiosk_copy_suspected"]
    clashes = [d for d in copies if "already stored" in d]
    assert len(clashes) == 2, copies  # none for the resend: its seqs are stored under its own ids
    assert "install salinan" in clashes[0] and "sent seq 1 already stored" in clashes[0]  # newest first
    assert "sent seq 3, 4, 5 already stored" in clashes[1]
    assert any("a second install salinan" in d for d in copies)
    assert store.response_count(engine) == 5 + 4 + 3 + 1
    assert kiosk.statuses(kiosk.push(first[:1], install="asli")) == {first[0]["id"]: "duplicate"}
    assert "install asli" in store.audit_entries(engine, action="kiosk_copy_suspected")[0]["detail"]  # seq 1: the copy's too
