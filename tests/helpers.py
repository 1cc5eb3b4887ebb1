"""Test helpers shared by the kiosk, sync and browser tests: real server processes and form parsing."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEMO_OFFICE = ROOT / "samples" / "kiosk-dumai.toml"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def init_kiosk(instance: Path, pin: str = "4321", office: Path = DEMO_OFFICE) -> Path:
    """A configured kiosk instance folder, made through the real CLI code path."""
    from click.testing import CliRunner
    from skm.cli import main
    result = CliRunner().invoke(main, ["kiosk", "--instance", str(instance), "init", str(office), "--pin", pin])
    assert result.exit_code == 0, result.output
    return instance


class AppServer:
    """``skm kiosk run`` or ``skm collector run`` in its own process, on a free loopback port.

    Settings go through the environment (``SKM_KIOSK_<NAME>`` or ``SKM_COLLECTOR_<NAME>``). ``start`` again
    after ``kill`` restarts it on the same port and instance.
    """
    kind = "kiosk"

    def __init__(self, instance: Path, settings: dict[str, object] | None = None, port: int | None = None,
                 threads: int = 4):
        self.instance = Path(instance)
        self.threads = threads  # tests keep 4; a bench runs the command's default to measure a deployment
        self.instance.mkdir(parents=True, exist_ok=True)
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        for key, value in (settings or {}).items():
            self.env[f"SKM_{self.kind.upper()}_{key}"] = str(value)
        if self.kind == "collector" and BACKEND == "postgresql":
            self.env["SKM_COLLECTOR_DATABASE_URL"] = postgres_url_for(self.instance)
        self.process: subprocess.Popen | None = None
        self.migrated = False
        self.log = self.instance / "server.log"

    def start(self, timeout: float = 20) -> "AppServer":
        with open(self.log, "ab") as log:  # the child keeps its own handle
            if self.kind == "collector" and not self.migrated:  # the deploy step, once: a restart is no deploy
                self.migrated = True
                subprocess.run([sys.executable, "-m", "skm.cli", "collector", "--instance", str(self.instance),
                                "migrate"], env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, check=True)
            self.process = subprocess.Popen(
                [sys.executable, "-m", "skm.cli", self.kind, "--instance", str(self.instance), "run",
                 "--host", "127.0.0.1", "--port", str(self.port), "--threads", str(self.threads)],
                env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.kind} server exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=1):
                    return self
            except urllib.error.HTTPError:
                return self  # any HTTP answer means it is serving
            except OSError:
                time.sleep(0.05)
        raise RuntimeError(f"{self.kind} server did not start in time")

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, as a power cut would."""
        if self.process and self.process.poll() is None:
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()

    def __enter__(self) -> "AppServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


class KioskServer(AppServer):
    kind = "kiosk"


class CollectorServer(AppServer):
    kind = "collector"


def hidden(html: str, name: str) -> str:
    """The value of the form field ``name`` (attributes in any order)."""
    for tag in re.findall(r"<input\b[^>]*>", html):
        if re.search(rf'\bname="{re.escape(name)}"', tag):
            value = re.search(r'\bvalue="([^"]*)"', tag)
            return html_unescape(value.group(1)) if value else ""
    raise AssertionError(f"no field {name}")


def html_unescape(text: str) -> str:
    import html
    return html.unescape(text)


def full_answers(score: int = 3) -> dict[str, str]:
    from skm import CODES
    return {f"answers.{code}": str(score) for code in CODES}


def migrate_collector(instance: Path) -> Path:
    """``skm collector migrate`` on a collector instance, through the real CLI (the deploy step before any
    collector app or command)."""
    from click.testing import CliRunner
    from skm.cli import main
    result = CliRunner().invoke(main, ["collector", "--instance", str(instance), "migrate"])
    assert result.exit_code == 0, result.output
    return instance


def create_collector(config: dict | None = None, instance_path: Path | None = None):
    """A collector app on a migrated database, as a deployment starts one: migrate, then ``create_app``."""
    from collector import create_app, migrate_database
    migrate_database(config, instance_path)
    return create_app(config, instance_path=instance_path)


def seed_collector(instance: Path, org_csv: Path = ROOT / "samples" / "org-dumai.csv") -> Path:
    """A migrated collector instance with the Dumai organisation tree, through the real CLI."""
    from click.testing import CliRunner
    from skm.cli import main
    migrate_collector(instance)
    result = CliRunner().invoke(main, ["collector", "--instance", str(instance), "org", "import", str(org_csv)])
    assert result.exit_code == 0, result.output
    return instance


def wire_response(seq: int = 1, score: int = 3, counter: str = "2", service: str = "kk", **changes) -> dict:
    """A valid response in the wire shape, for the Dumai Disdukcapil unit."""
    import uuid
    from skm import CODES, QUESTIONNAIRE_VERSION
    response = {
        "id": str(uuid.uuid4()), "seq": seq, "unit": "dumai-disdukcapil", "service": service, "counter": counter,
        "officer": None, "channel": "kiosk", "questionnaire_version": QUESTIONNAIRE_VERSION,
        "answers": dict.fromkeys(CODES, score), "profile": {}, "comment": None,
        "started_at": "2026-11-28T09:14:02.120+07:00", "submitted_at": "2026-11-28T09:14:31.877+07:00",
        "duration_ms": 29757, "suspect": False, "suspect_reason": None,
    }
    response.update(changes)
    return response


# -- the PostgreSQL pass of the collector tests -------------------------------------------------------------

BACKEND = os.environ.get("SKM_TEST_BACKEND", "sqlite")
POSTGRES_ADMIN_URL = os.environ.get("SKM_TEST_POSTGRES_URL", "")
CREATED_DATABASES: list[str] = []


def postgres_url_for(instance) -> str:
    """A database of its own for each collector instance folder, on the test cluster (made when first asked)."""
    import hashlib
    import psycopg
    name = "skm_" + hashlib.sha1(str(Path(instance).resolve()).encode()).hexdigest()[:24]
    admin = POSTGRES_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is None:
            conn.execute(f'CREATE DATABASE "{name}"')
            CREATED_DATABASES.append(name)
    return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + "/" + name


def drop_created_databases() -> None:
    import psycopg
    admin = POSTGRES_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(admin, autocommit=True) as conn:
        for name in CREATED_DATABASES:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    CREATED_DATABASES.clear()


def copy_collector(source: Path, target: Path) -> Path:
    """A copy of a collector instance, its database included (SQLite: the folder; PostgreSQL: a new
    database made from the source's as a template). Dispose the source's engines first."""
    import shutil
    shutil.copytree(source, target)
    if BACKEND == "postgresql":
        import psycopg
        old = postgres_url_for(source).rsplit("/", 1)[1]
        new = postgres_url_for(target).rsplit("/", 1)[1]  # made empty: replace it by the copy
        admin = POSTGRES_ADMIN_URL.replace("postgresql+psycopg://", "postgresql://")
        with psycopg.connect(admin, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE "{new}" WITH (FORCE)')
            # A template may have no other session: close the pooled ones the source's app left open.
            conn.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s "
                         "AND pid <> pg_backend_pid()", (old,))
            conn.execute(f'CREATE DATABASE "{new}" TEMPLATE "{old}"')
    return target


def collector_engine(instance: Path):
    """An engine on a collector instance's database, whichever backend the tests run on."""
    from collector import store
    url = postgres_url_for(instance) if BACKEND == "postgresql" else f"sqlite:///{Path(instance)}/collector.db"
    return store.make_engine(url)


def at_once(workers: list, attempt, tries_each: int, timeout: float = 180):
    """Run ``attempt(worker, number, i)`` ``tries_each`` times from every worker, each in its own thread,
    all released together by a barrier (as concurrent guessers would); returns a Counter of the results."""
    import threading
    from collections import Counter
    counts: Counter = Counter()
    lock, start = threading.Lock(), threading.Barrier(len(workers))

    def run(worker, number: int) -> None:
        start.wait()
        for i in range(tries_each):
            result = attempt(worker, number, i)
            with lock:
                counts[result] += 1

    threads = [threading.Thread(target=run, args=(w, n)) for n, w in enumerate(workers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    return counts


# -- workbooks as a spreadsheet shows them ------------------------------------------------------------------

def recomputed_workbook(content: bytes) -> dict[str, list[tuple]]:
    """Each sheet of an XLSX as its rows of values after a spreadsheet recomputes it: every formula cell
    holds what the ``formulas`` engine (an Excel formula evaluator from PyPI, none of our code) computes
    from the cells it refers to; other cells hold what openpyxl reads."""
    import io
    import tempfile

    import formulas
    import openpyxl
    book = openpyxl.load_workbook(io.BytesIO(content))
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "book.xlsx"
        path.write_bytes(content)
        solution = formulas.ExcelModel().loads(str(path)).finish().calculate()
    computed = {key.split("]", 1)[1].upper(): ranges.value for key, ranges in solution.items() if "]" in key}

    def shown(sheet, cell):
        if cell.data_type != "f":
            return cell.value
        value = computed[f"{sheet.title.upper()}'!{cell.coordinate}"][0][0]
        return value.item() if hasattr(value, "item") else value  # a numpy scalar as a Python number

    return {sheet.title: [tuple(shown(sheet, cell) for cell in row) for row in sheet.iter_rows()]
            for sheet in book.worksheets}


def labelled_rows(rows: list[tuple]) -> dict:
    """The rows of a sheet by their first cell, where it is a text (a label)."""
    return {row[0]: row for row in rows if row and isinstance(row[0], str)}
