"""Several collector processes on one database, many kiosks' batches sent to random processes, some to
two at the same moment: every response is stored exactly once and the aggregates equal a rebuild.
On PostgreSQL (the PostgreSQL pass of `make test`) this is unique keys and ON CONFLICT at work; on
SQLite, write transactions that take the lock up front."""
import json
import random
from datetime import datetime, timezone
import threading
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from collector import store
from skm import wire
from tests.helpers import CollectorServer, collector_engine, seed_collector, wire_response

pytestmark = pytest.mark.postgres

KIOSKS, PER_KIOSK, BATCH, PROCESSES = 6, 200, 40, 3


def send(url: str, kiosk: dict, body: bytes) -> dict:
    timestamp = datetime.now(timezone.utc).isoformat()
    request = urllib.request.Request(url + "/api/v1/batches", data=body, method="POST", headers={
        "Content-Type": "application/json", "X-SKM-Kiosk": kiosk["id"], "X-SKM-Timestamp": timestamp,
        "X-SKM-Signature": wire.sign(kiosk["secret"], "request", kiosk["id"], timestamp, body)})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def test_same_batches_at_several_processes_are_stored_once(tmp_path):
    seed = random.randrange(2 ** 32)
    print(f"seed {seed}")
    rnd = random.Random(seed)
    instance = seed_collector(tmp_path / "collector")
    engine = collector_engine(instance)
    kiosks = []
    for _ in range(KIOSKS):
        _id, code = store.add_kiosk(engine, "dumai-disdukcapil")
        kiosks.append(store.enroll(engine, code))
    servers = [CollectorServer(instance, {"CLOCK_SKEW_SECONDS": 600}).start()]
    servers += [CollectorServer(instance, {"CLOCK_SKEW_SECONDS": 600}).start() for _ in range(PROCESSES - 1)]
    try:
        jobs, sent_ids = [], set()
        for kiosk in kiosks:
            responses = [wire_response(seq=i + 1, score=rnd.randint(1, 4), counter=rnd.choice(["1", "2"]),
                                       suspect=rnd.random() < 0.05) for i in range(PER_KIOSK)]
            for r in responses:
                r["service"] = "ktp-el" if r["counter"] == "1" else "kk"
                sent_ids.add(r["id"])
            for i in range(0, PER_KIOSK, BATCH):
                body = wire.canonical({"batch_id": str(uuid.uuid4()), "responses": responses[i:i + BATCH]})
                targets = rnd.sample(servers, 2 if rnd.random() < 0.4 else 1)  # some batches twice at once
                jobs += [(server.url, kiosk, body) for server in targets]
        rnd.shuffle(jobs)
        statuses: dict[str, list[str]] = {}
        lock = threading.Lock()

        def run(job):
            ack = send(*job)
            with lock:
                for result in ack["results"]:
                    statuses.setdefault(result["id"], []).append(result["status"])

        with ThreadPoolExecutor(max_workers=12) as pool:
            list(pool.map(run, jobs))
        twice = sum(1 for s in statuses.values() if len(s) > 1)
        print(f"{len(jobs)} requests, {len(sent_ids)} responses, {twice} sent twice, {PROCESSES} processes")
        assert twice > 0
        assert all(s.count("accepted") == 1 and set(s) <= {"accepted", "duplicate"} for s in statuses.values())
        assert sorted(store.response_ids(engine)) == sorted(sent_ids)
        assert store.conflict_count(engine) == 0
        incremental = store.all_aggregates(engine)
        assert sum(a["responses"] for a in incremental[0]) == len(sent_ids)
        store.rebuild_aggregates(engine)
        assert store.all_aggregates(engine) == incremental
    finally:
        for server in servers:
            server.stop()
        engine.dispose()
