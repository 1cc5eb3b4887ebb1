"""The deploy step on the real servers: `skm collector migrate` once (also twice at the same time), then any
number of collector processes; before it, every process refuses with the command to run and changes nothing."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest
from sqlalchemy import inspect, text

from collector import migrations
from tests.helpers import BACKEND, ROOT, collector_engine, free_port, postgres_url_for

GUNICORN = Path(sys.executable).with_name("gunicorn")


def environment(instance: Path) -> dict:
    env = {**os.environ, "SKM_COLLECTOR_INSTANCE": str(instance), "PYTHONUNBUFFERED": "1"}
    if BACKEND == "postgresql":
        env["SKM_COLLECTOR_DATABASE_URL"] = postgres_url_for(instance)
    return env


def migrate_process(instance: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "skm.cli", "collector", "migrate"], env=environment(instance),
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)  # logs on stderr


def test_two_migrates_at_once_both_succeed_and_the_schema_is_made_once(tmp_path):
    both = [migrate_process(tmp_path) for _ in range(2)]
    outputs = [p.communicate(timeout=120)[0] for p in both]  # what the command says, without the log lines
    assert [p.returncode for p in both] == [0, 0], outputs
    assert sorted(o.split(":")[0] for o in outputs) == [
        f"schema up to date at {migrations.head()}", f"schema upgraded from an empty database to {migrations.head()}"]
    engine = collector_engine(tmp_path)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version_num FROM alembic_version")).scalars().all() == [migrations.head()]
    assert migrations.differences(engine) == []
    engine.dispose()


def gunicorn(instance: Path, port: int, log: Path) -> subprocess.Popen:
    """Four workers, as docs/deployment.md recommends."""
    with open(log, "ab") as out:
        return subprocess.Popen([str(GUNICORN), "--workers", "4", "--threads", "2", "--bind", f"127.0.0.1:{port}",
                                 "collector:create_app()"], env=environment(instance), cwd=ROOT, stdout=out,
                                stderr=subprocess.STDOUT)


def workers(master: int) -> list[int]:
    return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


@pytest.mark.postgres
@pytest.mark.slow
def test_four_gunicorn_workers_refuse_before_migrate_and_serve_after(tmp_path):
    """On the backend of the pass: PostgreSQL in the PostgreSQL pass, as docs/deployment.md deploys it."""
    refused = gunicorn(tmp_path, free_port(), tmp_path / "before.log")
    assert refused.wait(timeout=120) != 0  # no worker boots: gunicorn stops
    assert "has no schema yet: run `skm collector migrate` first" in (tmp_path / "before.log").read_text()
    engine = collector_engine(tmp_path)
    assert inspect(engine).get_table_names() == []  # none of them changed the schema

    assert migrate_process(tmp_path).wait(timeout=120) == 0
    port, log = free_port(), tmp_path / "after.log"
    server = gunicorn(tmp_path, port, log)
    try:
        answers = []
        deadline = time.monotonic() + 60
        while len(answers) < 40 and time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/status", timeout=5) as reply:
                    answers.append(reply.status)
            except OSError:
                time.sleep(0.1)
        assert answers == [200] * 40
        assert len(workers(server.pid)) == 4 and server.poll() is None  # all four booted and still serve
        assert "Worker failed to boot" not in log.read_text()
    finally:
        server.terminate()
        server.wait(timeout=30)
    engine.dispose()
