"""Packaging: the built wheel carries the templates, static files, translations and schema revisions, and
installed alone in a fresh virtual environment it serves every page of both apps, through its own ``skm``
command and as real server processes."""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
import urllib.request
import zipfile
from pathlib import Path

import pytest

from tests.helpers import DEMO_OFFICE, ROOT, free_port

# One worker builds the wheel once: two builds of the same checkout at once race in its build/ folder.
pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("wheel")]

SHIPPED = ["skmweb/templates/page.html", "skmweb/templates/kiosk/survey.html", "skmweb/templates/survey/questionnaire.html",
           "skmweb/templates/collector/unit.html", "skmweb/static/kiosk.js", "skmweb/static/sw.js",
           "skmweb/static/kiosk.css", "skmweb/static/faces.svg", "skmweb/translations/en/LC_MESSAGES/messages.mo",
           "collector/migrations/env.py", "collector/migrations/script.py.mako",
           "collector/migrations/versions/m001_initial.py", "skm/data/themes.toml",
           "skmweb/templates/collector/_themes.html"]


@pytest.fixture(scope="module")
def installed(tmp_path_factory):
    """A wheel built from this checkout, installed with its dependencies in a new virtual environment."""
    work = tmp_path_factory.mktemp("wheel")
    # Built from a copy: setuptools works in the source's build/ folder, which another build of the same
    # checkout (a second test run, a developer's own) would share and break.
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(
        ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis", ".mypy_cache",
        ".ruff_cache", "instance", ".demo"))
    run([sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(work / "dist"), str(source)])
    wheel = next((work / "dist").glob("skm_kiosk-*.whl"))
    run([sys.executable, "-m", "venv", str(work / "env")])
    run([str(work / "env" / "bin" / "python"), "-m", "pip", "install", "--quiet", str(wheel)])
    return wheel, work


def run(command: list[str]) -> None:
    """One step of building and installing, with its output in the failure and a bound on its time."""
    try:
        result = subprocess.run(command, capture_output=True, text=True, timeout=300)
    except subprocess.TimeoutExpired as late:
        pytest.fail(f"{command[:4]} ran over {late.timeout} s: {late.stdout}{late.stderr}")
    assert result.returncode == 0, f"{command[:4]}: {result.stdout}{result.stderr}"


def test_the_wheel_carries_every_file_the_apps_read(installed):
    wheel, _work = installed
    names = set(zipfile.ZipFile(wheel).namelist())
    assert [name for name in SHIPPED if name not in names] == []
    templates = {p.relative_to(ROOT).as_posix() for p in (ROOT / "skmweb" / "templates").rglob("*.html")}
    assert templates - names == set()
    assert not any(name.startswith(("tests/", "bench/", "scripts/")) for name in names)


def skm(work: Path, *args: str) -> str:
    result = subprocess.run([str(work / "env" / "bin" / "skm"), *args], cwd=work, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


@pytest.fixture(scope="module")
def instances(installed):
    """A kiosk and a collector with demo data, made by the installed ``skm`` command."""
    _wheel, work = installed
    skm(work, "kiosk", "--instance", "kiosk", "init", str(DEMO_OFFICE), "--pin", "4321")
    skm(work, "collector", "--instance", "collector", "migrate")
    skm(work, "collector", "--instance", "collector", "demo", "--months", "2", "--scale", "0.05")
    return work


def test_installed_alone_it_serves_every_page_of_both_apps(instances):
    work = instances
    from collector.demo import DEMO_PASSWORD
    result = subprocess.run([str(work / "env" / "bin" / "python"), str(ROOT / "tests" / "packaging" / "walk_pages.py"),
                             "kiosk", "collector", DEMO_PASSWORD], cwd=work, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr
    report = json.loads(result.stdout.strip().splitlines()[-1])
    assert report["problems"] == []
    served = report["served"]
    ok = {path for path, status in served.items() if status == 200}
    assert {"kiosk /k/1", "kiosk /k/1/survey", "kiosk /staff/", "kiosk /static/kiosk.js", "kiosk /sw.js",
            "collector (admin) /", "collector (signed out) /login"} <= ok, sorted(served.items())
    assert len(ok) >= 40, sorted(served.items())


def wait_until_up(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def test_the_installed_command_runs_real_servers(instances):
    work = instances
    for kind, path in (("kiosk", "/k/1"), ("collector", "/login")):
        port = free_port()
        server = subprocess.Popen([str(work / "env" / "bin" / "skm"), kind, "--instance", kind, "run", "--host",
                                   "127.0.0.1", "--port", str(port)], cwd=work, stdout=subprocess.DEVNULL,
                                  stderr=subprocess.DEVNULL)
        try:
            wait_until_up(f"http://127.0.0.1:{port}{path}")
            for page in (path, "/static/faces.svg"):
                with urllib.request.urlopen(f"http://127.0.0.1:{port}{page}", timeout=10) as answer:
                    assert answer.status == 200 and answer.read()
        finally:
            server.terminate()
            server.wait(timeout=10)
