"""Ballot stuffing through the general link ``/s/<unit>`` (issue 14, finding 2): what one client scripting
answers gets (stored, flagged suspect, out of the index) and what genuine citizens get (counted)."""
import random
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest

from collector import rollups, store
from skm import CODES, PROFILE
from skm.periods import containing
from tests.helpers import create_collector, full_answers, hidden, seed_collector

UNIT = "dumai-mpp"
URL = f"/s/{UNIT}"
ZONE = ZoneInfo("Asia/Jakarta")
START = datetime(2025, 2, 3, 8, 0, tzinfo=ZONE)  # a Monday morning
PERIOD = containing("triwulan", date(2025, 2, 3))


class Clock:
    """The collector's clock in these tests: time passes when the test says so."""

    def __init__(self, start: datetime):
        self.now = start.timestamp()

    def __call__(self) -> float:
        return self.now

    def wait(self, seconds: float) -> None:
        self.now += seconds

    def set(self, moment: datetime) -> None:
        self.now = moment.timestamp()


@pytest.fixture
def app(tmp_path):
    app = create_collector({"TESTING": True}, instance_path=seed_collector(tmp_path / "collector"))
    app.extensions["skm_clock"] = Clock(START)
    return app


@pytest.fixture
def clock(app):
    return app.extensions["skm_clock"]


@pytest.fixture
def engine(app):
    return app.extensions["skm_engine"]


def open_page(client) -> dict:
    """GET the link's page: the form fields a browser would send back."""
    page = client.get(URL).get_data(as_text=True)
    return {"csrf_token": hidden(page, "csrf_token"), "ticket": hidden(page, "ticket"), "service": "nib"}


def send(client, page: dict, answers: dict):
    response = client.post(URL, data={**page, **answers})
    assert response.status_code == 200 and "Terima kasih!" in response.get_data(as_text=True)
    return response


def link_rows(engine) -> list[dict]:
    return [r for r in store.raw_responses(engine, [UNIT], PERIOD.start, PERIOD.end) if r["channel"] == "link"]


def genuine_answers(rng: random.Random) -> dict:
    """What citizens give: mostly 3 and 4, some 2, now and then a profile and a comment."""
    answers = {f"answers.{c}": str(rng.choices((1, 2, 3, 4), (2, 10, 55, 33))[0]) for c in CODES}
    if rng.random() < 0.5:
        answers.update({f"profile.{f.name}": rng.choice(f.values) for f in PROFILE})
    if rng.random() < 0.2:
        answers["comment"] = rng.choice(("Antri lama", "Petugas ramah", "Ruang tunggu panas"))
    return answers


def answer_genuinely(app, clock, rng: random.Random, days: int = 5, per_day: int = 24) -> None:
    """Citizens over ``days`` office days, each on their own phone, at random times between 08:00 and 15:00,
    taking 40 s to 3 min; a few come back on a later day with the same phone."""
    phones = [app.test_client() for _ in range(days * per_day)]
    for day in range(days):
        moments = sorted(rng.uniform(0, 7 * 3600) for _ in range(per_day))
        for i, moment in enumerate(moments):
            phone = phones[day * per_day + i] if rng.random() > 0.1 or day == 0 else phones[i]
            clock.set(START.replace(day=START.day + day))
            clock.wait(moment)
            page = open_page(phone)
            clock.wait(rng.uniform(40, 180))
            send(phone, page, genuine_answers(rng))


def index_now(engine) -> tuple:
    result = rollups.rollup(engine, [UNIT], PERIOD)
    return result.respondents, result.result.konversi, tuple(result.result.unsur)


def test_genuine_link_answers_from_many_phones_over_days_are_not_flagged(app, clock, engine):
    answer_genuinely(app, clock, random.Random(14))
    rows = link_rows(engine)
    assert len(rows) == 120 and [r for r in rows if r["suspect"]] == []
    assert rollups.rollup(engine, [UNIT], PERIOD).respondents == 120


def test_200_scripted_answers_from_one_client_are_stored_flagged_and_leave_the_index_unchanged(app, clock, engine):
    """The audit's script: one client fetches 200 page tickets in a row, waits past the least time, then
    posts all-1 answers in 14 seconds."""
    answer_genuinely(app, clock, random.Random(2))
    before = index_now(engine)
    aggregates_before = store.all_aggregates(engine)
    clock.set(START.replace(day=10, hour=9))
    script = app.test_client()
    pages = [open_page(script) for _ in range(200)]
    clock.wait(60)
    for page in pages:
        clock.wait(0.07)
        send(script, page, full_answers(1))
    stuffed = [r for r in link_rows(engine) if r["local_day"] == date(2025, 2, 10)]
    assert len(stuffed) == 200 and all(r["suspect"] for r in stuffed)
    assert {r["suspect_reason"].split(":")[0] for r in stuffed} == {"burst", "device"}
    assert index_now(engine) == before
    assert rollups.rollup(engine, [UNIT], PERIOD).suspect == 200
    trusted = [a for a in store.aggregates(engine) if not a["suspect"]]
    assert trusted == [a for a in aggregates_before[0] if not a["suspect"]]
    incremental = store.all_aggregates(engine)
    store.rebuild_aggregates(engine)
    assert store.all_aggregates(engine) == incremental  # flagging later moved the aggregates exactly


def test_a_script_clearing_its_cookies_for_each_answer_is_flagged_as_a_burst(app, clock, engine):
    clock.set(START.replace(hour=10))
    pages = [(client, open_page(client)) for client in (app.test_client() for _ in range(60))]
    clock.wait(60)
    for client, page in pages:
        clock.wait(1)
        send(client, page, {**full_answers(1), "answers.biaya": "2"} if len(link_rows(engine)) % 2 else full_answers(1))
    rows = link_rows(engine)
    assert len(rows) == 60 and all(r["suspect_reason"].startswith("burst:") for r in rows)
    assert rollups.rollup(engine, [UNIT], PERIOD).respondents == 0


def test_near_identical_means_within_the_distance_setting_and_a_burst_needs_its_count(app, clock, engine):
    """Nine answers (count 10 by default) of scattered scores within the window are no burst."""
    clock.set(START.replace(hour=10))
    rng = random.Random(5)
    for _ in range(30):
        client = app.test_client()
        page = open_page(client)
        clock.wait(30)
        send(client, page, {f"answers.{c}": str(rng.randint(1, 4)) for c in CODES})
    assert [r for r in link_rows(engine) if r["suspect"]] == []
    for _ in range(9):  # nine the same: one short of a burst
        client = app.test_client()
        page = open_page(client)
        clock.wait(30)
        send(client, page, full_answers(2))
    assert [r for r in link_rows(engine) if r["suspect"]] == []
    client = app.test_client()
    page = open_page(client)
    clock.wait(30)
    send(client, page, {**full_answers(2), "answers.sarana": "3"})  # one point off: near-identical
    assert len([r for r in link_rows(engine) if r["suspect"]]) == 10


def test_one_phone_answering_a_unit_more_than_the_daily_limit_is_flagged_from_then_on(app, clock, engine):
    phone = app.test_client()
    for hour in range(8, 14):  # slowly: once an hour, varied answers, no burst
        clock.set(START.replace(hour=hour))
        page = open_page(phone)
        clock.wait(60)
        send(phone, page, full_answers(1 + hour % 4))
    reasons = [r["suspect_reason"] for r in sorted(link_rows(engine), key=lambda r: r["submitted_at"])]
    assert reasons == [None, None, None, "device:4/day", "device:5/day", "device:6/day"]
    clock.set(START.replace(day=4, hour=8))  # the next day the phone counts afresh
    page = open_page(phone)
    clock.wait(60)
    send(phone, page, full_answers(3))
    assert sorted(link_rows(engine), key=lambda r: r["submitted_at"])[-1]["suspect_reason"] is None


def test_a_ticket_counts_for_the_browser_it_was_given_to_and_takes_one_answer(app, clock, engine):
    issued_to, other = app.test_client(), app.test_client()
    page = open_page(issued_to)
    other_page = open_page(other)
    clock.wait(60)
    send(other, {**other_page, "ticket": page["ticket"]}, full_answers(3))
    [row] = link_rows(engine)
    assert row["suspect_reason"] == "ticket_device"
    again = other.post(URL, data={**other_page, "ticket": page["ticket"], **full_answers(4)})
    assert "Sudah dinilai" in again.get_data(as_text=True) and len(link_rows(engine)) == 1


def test_a_forged_device_cookie_gets_a_new_device(app, clock, engine):
    phone = app.test_client()
    phone.set_cookie("skm_device", "forged")
    page = open_page(phone)
    assert phone.get_cookie("skm_device").value != "forged"
    clock.wait(60)
    send(phone, page, full_answers(3))
    assert [r["suspect_reason"] for r in link_rows(engine)] == [None]


@pytest.mark.parametrize("extra, seconds, reason", [
    ({}, 17, "too_fast:17.0s<18s"),  # nine answers: 18 s at 2 s each
    ({}, 19, None),
    ({**{f"profile.{f.name}": f.values[0] for f in PROFILE}, "comment": "Bagus"}, 27, "too_fast:27.0s<28s"),
    ({**{f"profile.{f.name}": f.values[0] for f in PROFILE}, "comment": "Bagus"}, 29, None),
])
def test_the_least_time_grows_with_the_questions_answered(app, clock, engine, extra, seconds, reason):
    phone = app.test_client()
    page = open_page(phone)
    clock.wait(seconds)
    send(phone, page, {**full_answers(3), **extra})
    assert [r["suspect_reason"] for r in link_rows(engine)] == [reason]
