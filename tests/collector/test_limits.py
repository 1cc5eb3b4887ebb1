"""One bad row never blocks an outbox: every limit of the wire format fits the columns it lands in, a value
at its limit is stored, one past it is answered ``invalid`` with its reason while the rest of the batch is
stored, and a response the database refuses anyway is answered ``invalid`` too. Runs on SQLite and, in the
PostgreSQL pass, on PostgreSQL, whose column types are strict."""
import json
import uuid

import pytest
from sqlalchemy import Integer, String, Text

from collector import schema, store
from skm import PROFILE, limits, wire
from tests.helpers import wire_response

# Where each value of a wire response is stored, and the limit the wire check applies to it.
WIRE_COLUMNS = {
    "unit": (limits.CODE_LENGTH, ["responses.unit", "daily_aggregates.unit", "monthly_aggregates.unit",
                                  "hourly_aggregates.unit", "officer_daily.unit"]),
    "service": (limits.CODE_LENGTH, ["responses.service", "daily_aggregates.service", "services.code"]),
    "counter": (limits.CODE_LENGTH, ["responses.counter", "daily_aggregates.counter", "counters.code"]),
    "officer": (limits.OFFICER_LENGTH, ["responses.officer", "officer_daily.officer", "officers.nip"]),
    "suspect_reason": (limits.SUSPECT_REASON_LENGTH, ["responses.suspect_reason"]),
    "started_at": (limits.TIMESTAMP_LENGTH, ["responses.started_at"]),
    "submitted_at": (limits.TIMESTAMP_LENGTH, ["responses.submitted_at"]),
    "profile": (limits.PROFILE_VALUE_LENGTH, [f"responses.{f.name}" for f in PROFILE]),
    "receipt nonce": (limits.NONCE_LENGTH, ["receipts_issued.nonce", "used_receipts.nonce"]),
    "receipt counter": (limits.CODE_LENGTH, ["receipts_issued.counter"]),
}
WIRE_NUMBERS = {"seq": (limits.SEQ_MAX, "responses.seq"), "duration_ms": (limits.DURATION_MS_MAX, "responses.duration_ms")}


def column(dotted: str):
    table, name = dotted.split(".")
    return schema.metadata.tables[table].c[name]


@pytest.mark.parametrize("field", sorted(WIRE_COLUMNS))
def test_every_text_limit_fits_the_columns_it_lands_in(field):
    limit, columns = WIRE_COLUMNS[field]
    for dotted in columns:
        kind = column(dotted).type
        assert isinstance(kind, String), dotted
        assert not isinstance(kind, Text) and kind.length is not None and limit <= kind.length, (dotted, limit)


@pytest.mark.parametrize("field", sorted(WIRE_NUMBERS))
def test_every_number_limit_fits_a_four_byte_integer(field):
    limit, dotted = WIRE_NUMBERS[field]
    assert type(column(dotted).type) is Integer and limit <= limits.INTEGER_MAX  # PostgreSQL's INTEGER


def test_profile_choices_fit_their_column():
    assert max(len(v) for f in PROFILE for v in f.values) <= limits.PROFILE_VALUE_LENGTH


LONG_COUNTER, LONG_SERVICE, LONG_OFFICER = "c" * limits.CODE_LENGTH, "s" * limits.CODE_LENGTH, "9" * limits.OFFICER_LENGTH


@pytest.fixture
def long_codes(engine):
    """A counter and a service whose codes are exactly at the limit."""
    store.save_counter(engine, "dumai-disdukcapil", LONG_COUNTER, "Loket panjang", [(LONG_SERVICE, "Layanan panjang")])
    store.save_officer(engine, LONG_OFFICER, "Petugas dengan NIP terpanjang", "dumai-disdukcapil", "scrypt:1:1:1$a$b")


AT_THE_LIMIT = [
    ("counter and service", dict(counter=LONG_COUNTER, service=LONG_SERVICE)),
    ("officer", dict(officer=LONG_OFFICER)),
    ("seq", dict(seq=limits.SEQ_MAX)),
    ("duration", dict(duration_ms=limits.DURATION_MS_MAX)),
    ("suspect reason", dict(suspect=True, suspect_reason="r" * limits.SUSPECT_REASON_LENGTH)),
    ("comment", dict(comment="k" * limits.COMMENT_LENGTH)),
    ("comment with new lines", dict(comment="antri lama\r\nparkir sempit\ttoilet kotor")),
    ("first year", dict(submitted_at=f"{limits.FIRST_YEAR}-01-01T00:00:00+07:00")),
    ("last year", dict(submitted_at=f"{limits.LAST_YEAR}-12-31T23:59:59+07:00")),
]

PAST_THE_LIMIT = [
    ("counter", dict(counter=LONG_COUNTER + "c"), "counter: must be text of 1 to 40 characters"),
    ("service", dict(service=LONG_SERVICE + "s"), "service: must be text of 1 to 40 characters"),
    ("officer", dict(officer=LONG_OFFICER + "9"), "officer: must be text of 1 to 30 characters"),
    ("officer of 100", dict(officer="9" * 100), "officer: must be text of 1 to 30 characters"),
    ("seq", dict(seq=limits.SEQ_MAX + 1), "must be a whole number from 1 to 2147483647"),
    ("seq 2**70", dict(seq=2 ** 70), "must be a whole number from 1 to 2147483647"),
    ("duration", dict(duration_ms=limits.DURATION_MS_MAX + 1), "duration_ms: duration"),
    ("duration 10**30", dict(duration_ms=10 ** 30), "duration_ms: duration"),
    ("suspect reason", dict(suspect=True, suspect_reason="r" * 201), "suspect_reason: must be text of 1 to 200"),
    ("comment", dict(comment="k" * (limits.COMMENT_LENGTH + 1)), "comment too long"),
    ("NUL in the comment", dict(comment="antri\x00lama"), "comment: contains a character that cannot be stored (U+0000)"),
    ("lone surrogate", dict(comment="antri\ud800lama"), "comment: contains a character that cannot be stored (U+D800)"),
    ("bell in the comment", dict(comment="antri\x07"), "(U+0007)"),
    ("NUL in the officer", dict(officer="19\x0080"), "officer: contains a character that cannot be stored"),
    ("year 9999 west", dict(submitted_at="9999-12-31T23:59:59-12:00"), "submitted_at: time '9999-12-31T23:59:59-12:00' is outside"),
    ("year 1 east", dict(submitted_at="0001-01-01T00:00:00+14:00"), "submitted_at: time '0001-01-01T00:00:00+14:00' is outside"),
    ("started in year 1", dict(started_at="0001-01-01T00:00:00+14:00"), "started_at: time"),
]


def push_escaped(kiosk, responses):
    """A batch as JSON with every non-ASCII character escaped, as a kiosk's encoder may send it: this is how a
    lone surrogate (not encodable as UTF-8) travels."""
    body = json.dumps({"protocol": wire.PROTOCOL, "batch_id": str(uuid.uuid4()), "responses": responses},
                      sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()
    return kiosk.push(None, body=body)


@pytest.mark.parametrize("case, change", AT_THE_LIMIT, ids=[c[0] for c in AT_THE_LIMIT])
def test_a_value_at_its_limit_is_stored(kiosk, engine, long_codes, case, change):
    response = wire_response(seq=change.get("seq", 7), **{k: v for k, v in change.items() if k != "seq"})
    ack = push_escaped(kiosk, [response])
    assert ack.status_code == 200, ack.json
    assert kiosk.statuses(ack) == {response["id"]: "accepted"}, ack.json
    assert store.response_count(engine) == 1
    assert sum(a["responses"] for a in store.aggregates(engine)) == 1
    if "officer" in change:
        assert [o["officer"] for o in store.officer_aggregates(engine)] == [LONG_OFFICER]


@pytest.mark.parametrize("case, change, reason", PAST_THE_LIMIT, ids=[c[0] for c in PAST_THE_LIMIT])
def test_a_value_past_its_limit_is_invalid_and_the_rest_of_the_batch_is_stored(kiosk, engine, long_codes, case,
                                                                               change, reason):
    good = [wire_response(seq=i) for i in (1, 2, 3)]
    bad = {**wire_response(seq=4), **change}
    ack = push_escaped(kiosk, [good[0], bad, *good[1:]])
    assert ack.status_code == 200, ack.json
    results = {r["id"]: r for r in ack.json["results"]}
    assert results[bad["id"]]["status"] == "invalid" and reason in results[bad["id"]]["reason"], results[bad["id"]]
    assert [results[g["id"]]["status"] for g in good] == ["accepted"] * 3
    assert store.response_count(engine) == 3
    assert sum(a["responses"] for a in store.aggregates(engine)) == 3


def test_a_response_the_database_refuses_is_invalid_and_the_rest_of_the_batch_is_stored(kiosk, engine, monkeypatch):
    """Should a limit ever run ahead of its column (here the seq limit raised past any integer column), the
    database's refusal of that one response is answered ``invalid`` with its reason; the others are stored
    with their aggregates, and a resend of the batch gives the same answer."""
    monkeypatch.setattr(limits, "SEQ_MAX", 2 ** 80)
    good = [wire_response(seq=i, score=1 + i % 4) for i in (1, 2, 3)]
    bad = wire_response(seq=2 ** 70)
    batch = [good[0], bad, *good[1:]]
    ack = push_escaped(kiosk, batch)
    assert ack.status_code == 200, ack.json
    results = {r["id"]: r for r in ack.json["results"]}
    assert results[bad["id"]]["status"] == "invalid"
    assert results[bad["id"]]["reason"].startswith("the collector's database cannot store it: ")
    assert [results[g["id"]]["status"] for g in good] == ["accepted"] * 3
    assert sorted(store.response_ids(engine)) == sorted(g["id"] for g in good)
    assert sum(a["responses"] for a in store.aggregates(engine)) == 3
    again = push_escaped(kiosk, batch)
    assert kiosk.statuses(again) == {**{g["id"]: "duplicate" for g in good}, bad["id"]: "invalid"}
    assert store.response_count(engine) == 3
    incremental = store.aggregates(engine)
    store.rebuild_aggregates(engine)
    assert store.aggregates(engine) == incremental
