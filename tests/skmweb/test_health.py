"""/healthz and /readyz of both apps: up, ready, and not ready with the reason; the collector's check
reads no response."""
import os

import pytest
from sqlalchemy import event

import collector
import kiosk
from kiosk import store as kstore
from tests.helpers import BACKEND, init_kiosk, seed_collector


def test_kiosk_health_and_readiness(tmp_path):
    app = kiosk.create_app({"TESTING": True}, instance_path=init_kiosk(tmp_path / "k"))
    client = app.test_client()
    assert (client.get("/healthz").status_code, client.get("/healthz").json) == (200, {"status": "ok"})
    assert (client.get("/readyz").status_code, client.get("/readyz").json) == (200, {"status": "ready"})
    db = kstore.connect(app.config["KIOSK_DATABASE"])
    with kstore.transaction(db):
        db.conn.execute("DELETE FROM _migrations WHERE name = 'm003_officers'")  # a file of an older version
    db.conn.close()
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json == {"status": "not_ready", "problem": "schema not at head: restart the kiosk to migrate"}


def test_kiosk_not_ready_when_its_database_cannot_be_opened(tmp_path, caplog):
    instance = init_kiosk(tmp_path / "k")
    app = kiosk.create_app({"TESTING": True}, instance_path=instance)
    assert app.test_client().get("/readyz").status_code == 200  # its connection is open, and kept
    (instance / "kiosk.db").rename(tmp_path / "elsewhere.db")  # the disk was unmounted, the file moved away
    answer = app.test_client().get("/readyz")
    assert answer.status_code == 503 and answer.json["problem"] == "database unreachable: OperationalError"
    [logged] = [r for r in caplog.records if r.getMessage() == "readiness check failed"]
    assert logged.exc_info and "unable to open database file" in str(logged.exc_info[1])  # with its traceback
    assert logged.request_id == answer.headers["X-Request-Id"]
    assert app.test_client().get("/healthz").status_code == 200


def test_collector_health_and_readiness_read_no_response(tmp_path):
    app = collector.create_app({"TESTING": True}, instance_path=seed_collector(tmp_path / "c"))
    engine = app.extensions["skm_engine"]
    statements = []
    event.listen(engine, "before_cursor_execute", lambda conn, cursor, sql, *a: statements.append(sql))
    client = app.test_client()
    assert client.get("/healthz").json == {"status": "ok"}
    answer = client.get("/readyz")
    assert (answer.status_code, answer.json) == (200, {"status": "ready"})
    assert statements and not any("responses" in sql or "aggregates" in sql for sql in statements), statements
    with engine.begin() as conn:  # as if a release's revision had not been applied yet
        conn.exec_driver_sql("UPDATE alembic_version SET version_num = 'm007_monthly_aggregates'")
    answer = client.get("/readyz")
    assert answer.status_code == 503
    assert answer.json == {"status": "not_ready", "problem": "schema not at head: run skm collector migrate"}


@pytest.mark.skipif(BACKEND != "sqlite", reason="removes the SQLite file")
def test_collector_not_ready_when_its_database_is_gone(tmp_path):
    instance = seed_collector(tmp_path / "c")
    app = collector.create_app({"TESTING": True}, instance_path=instance)
    app.extensions["skm_engine"].dispose()
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(instance / f"collector.db{suffix}"):
            os.remove(instance / f"collector.db{suffix}")
    answer = app.test_client().get("/readyz")
    assert answer.status_code == 503 and answer.json["problem"] == "schema not at head: run skm collector migrate"
