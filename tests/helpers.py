"""Test helpers shared by the kiosk, sync and browser tests: real server processes and form parsing."""
from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
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


class KioskServer:
    """``skm kiosk run`` in its own process, on a free loopback port. Settings through SKM_KIOSK_* env."""

    def __init__(self, instance: Path, settings: dict[str, object] | None = None):
        self.instance = instance
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        for key, value in (settings or {}).items():
            self.env[f"SKM_KIOSK_{key}"] = str(value)
        self.process: subprocess.Popen | None = None
        self.log = instance / "server.log"

    def start(self, timeout: float = 20) -> "KioskServer":
        log = open(self.log, "ab")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "skm.cli", "kiosk", "--instance", str(self.instance), "run",
             "--host", "127.0.0.1", "--port", str(self.port), "--threads", "4"],
            env=self.env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"kiosk server exited: {self.log.read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(self.url + "/", timeout=1):
                    return self
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("kiosk server did not start in time")

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

    def __enter__(self) -> "KioskServer":
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


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
