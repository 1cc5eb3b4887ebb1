"""Enrollment claims its one-time code atomically: many kiosks presenting one code at the same moment,
through a real collector process, and exactly one of them gets a secret (SQLite and PostgreSQL)."""
import json
import threading
import urllib.error
import urllib.request

from collector import store
from tests.helpers import CollectorServer, collector_engine, seed_collector

ATTEMPTS = 20


def post_enroll(url: str, code: str) -> tuple[int, dict]:
    request = urllib.request.Request(url + "/api/v1/enroll", data=json.dumps({"code": code}).encode(),
                                     headers={"Content-Type": "application/json"}, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=30) as answer:
            return answer.status, json.loads(answer.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read())


def test_twenty_concurrent_enrollments_with_one_code_give_one_secret(tmp_path):
    instance = seed_collector(tmp_path / "collector")
    engine = collector_engine(instance)
    kiosk_id, code = store.add_kiosk(engine, "dumai-disdukcapil")
    answers: list[tuple[int, dict]] = []
    start = threading.Barrier(ATTEMPTS)

    def attempt():
        start.wait()
        answers.append(post_enroll(server.url, code))

    with CollectorServer(instance) as server:
        threads = [threading.Thread(target=attempt) for _ in range(ATTEMPTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
    winners = [data for status, data in answers if status == 200]
    refusals = [data for status, data in answers if status != 200]
    assert len(winners) == 1, [data.get("secret") for data in winners]
    assert {(r["error"], r["message"]) for r in refusals} == {
        ("enroll_code_unknown", "this enrollment code is unknown or was already used")}
    assert store.get_kiosk(engine, kiosk_id)["secret"] == winners[0]["secret"]
    engine.dispose()


def test_one_code_raced_by_twenty_store_calls_is_claimed_once_each_round(tmp_path):
    """The same race without HTTP in between, round after round, so the window between reading the code
    and clearing it is hit when it exists."""
    instance = seed_collector(tmp_path / "collector")
    engine = collector_engine(instance)
    for _round in range(10):
        kiosk_id, code = store.add_kiosk(engine, "dumai-disdukcapil")
        secrets, refusals = [], []
        start = threading.Barrier(ATTEMPTS)

        def attempt(start=start, code=code, secrets=secrets, refusals=refusals):  # this round's, bound now
            start.wait()
            try:
                secrets.append(store.enroll(engine, code)["secret"])
            except store.Refused as refusal:
                refusals.append(refusal.code)

        threads = [threading.Thread(target=attempt) for _ in range(ATTEMPTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        assert len(secrets) == 1 and refusals == ["enroll_code_unknown"] * (ATTEMPTS - 1)
        assert store.get_kiosk(engine, kiosk_id)["secret"] == secrets[0]
    engine.dispose()
