"""The kiosk's kept-open connections (one per server thread) and the group commit of concurrent submits."""
from __future__ import annotations

import os
import threading
import time

import pytest

from kiosk import db as kiosk_db
from kiosk import store
from skm import CODES


def response(i: int) -> dict:
    return {"id": f"r{i}", "counter": "1", "service": "ktp-el", "submitted_at": f"2026-01-01T10:00:{i:02d}+07:00",
            **{code: 3 for code in CODES}}


def test_a_thread_keeps_its_connection_across_requests(app):
    seen: dict[str, list[int]] = {"main": [], "other": []}
    for _ in range(3):
        with app.app_context():
            seen["main"].append(id(kiosk_db.get_db()))

    def other():
        for _ in range(2):
            with app.app_context():
                seen["other"].append(id(kiosk_db.get_db()))

    thread = threading.Thread(target=other)
    thread.start()
    thread.join()
    assert len(set(seen["main"])) == 1 and len(set(seen["other"])) == 1
    assert seen["main"][0] != seen["other"][0]


def test_a_request_that_fails_midway_leaves_no_transaction_open(app):
    with app.app_context():
        db = kiosk_db.get_db()
        db.conn.execute("BEGIN IMMEDIATE")
        db.conn.execute("INSERT INTO tablets (id, counter, unsent, last_seen) VALUES ('t-half-1', '1', 0, 'x')")
    assert not db.conn.in_transaction  # the teardown rolled it back; the next request starts clean
    assert db.conn.execute("SELECT COUNT(*) FROM tablets").fetchone()[0] == 0


@pytest.mark.skipif(not hasattr(os, "fork"), reason="fork is POSIX only")
def test_a_forked_child_opens_its_own_connection(app):
    with app.app_context():
        parent = kiosk_db.get_db()
        parent_id = id(parent)
    read, write = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: a new connection, which works, and the inherited one is left alone
        try:
            with app.app_context():
                child = kiosk_db.get_db()
                ok = id(child) != parent_id and child.conn.execute("SELECT COUNT(*) FROM counters").fetchone()[0] > 0
            os.write(write, b"ok" if ok else b"no")
        finally:
            os._exit(0)
    os.close(write)
    os.waitpid(pid, 0)
    assert os.read(read, 2) == b"ok"
    os.close(read)
    with app.app_context():
        assert kiosk_db.get_db() is parent  # the parent's own is untouched


def test_concurrent_writes_share_one_commit_and_a_failing_one_leaves_the_others(tmp_path):
    path = str(tmp_path / "k.db")
    setup = store.connect(path)
    store.migrate(setup)
    group = store.group_commit(setup)
    outcomes: dict[int, object] = {}

    def writer(i: int) -> None:
        db = store.connect(path)
        try:
            def work(tx):
                if i == 3:
                    tx.conn.execute("INSERT INTO tablets (id, counter, unsent, last_seen) VALUES ('half-1', '1', 0, 'x')")
                    raise ValueError("this write fails")
                return store._insert_response(tx, response(i), lambda _tx, _row: None)
            outcomes[i] = group.run(db, work)
        except ValueError as exc:
            outcomes[i] = exc
        finally:
            db.conn.close()

    # Hold the file's write lock so that the first writer's group waits and the others queue behind it.
    setup.skm_write_lock.acquire()
    threads = [threading.Thread(target=writer, args=(i,)) for i in range(6)]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + 10
    while len(group.queue) < 5 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert len(group.queue) == 5  # one leads (waiting on the lock), five wait for the next group
    setup.skm_write_lock.release()
    for thread in threads:
        thread.join(10)
    assert isinstance(outcomes[3], ValueError)
    assert all(outcomes[i] == (None, True) for i in (0, 1, 2, 4, 5))
    stored = setup.conn.execute("SELECT id, seq FROM responses ORDER BY seq").fetchall()
    assert sorted(r[0] for r in stored) == ["r0", "r1", "r2", "r4", "r5"]
    assert setup.conn.execute("SELECT COUNT(*) FROM tablets").fetchone()[0] == 0  # nothing of the failed one
    assert [r[1] for r in stored] == [1, 2, 3, 4, 5]
    setup.conn.close()


def test_record_response_from_many_threads_stores_each_once(tmp_path):
    path = str(tmp_path / "k.db")
    setup = store.connect(path)
    store.migrate(setup)
    results: list[tuple[dict, bool]] = []

    def writer(i: int) -> None:
        db = store.connect(path)
        try:
            for _attempt in range(2):  # the second is a resend of the same survey
                results.append(store.record_response(db, response(i), lambda _tx, _row: None))
        finally:
            db.conn.close()

    threads = [threading.Thread(target=writer, args=(i,)) for i in range(12)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(new for _row, new in results) == [False] * 12 + [True] * 12
    assert all(row["sync_state"] == "pending" for row, _new in results)
    seqs = [r[0] for r in setup.conn.execute("SELECT seq FROM responses ORDER BY seq")]
    assert seqs == list(range(1, 13))
    setup.conn.close()
