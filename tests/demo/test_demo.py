"""The demo builder, run as `make demo` runs it, into a temp folder: every unit's dashboard has data, the
kiosk's outbox is empty after a sync, and the indices equal skm's computation on the raw responses."""
import subprocess
from datetime import datetime
from zoneinfo import ZoneInfo
import sys

import pytest

from collector import demo, store
from kiosk import create_app as create_kiosk
from kiosk import store as kstore
from skm import CODES, from_responses
from skm.periods import containing
from tests.helpers import ROOT, create_collector, free_port, full_answers, hidden

pytestmark = [pytest.mark.slow, pytest.mark.xdist_group("demo")]  # one worker builds the demo once


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    folder = tmp_path_factory.mktemp("demo")
    command = [sys.executable, str(ROOT / "scripts" / "demo.py"), "--dir", str(folder), "--build-only",
               "--months", "3", "--scale", "0.1", "--collector-port", str(free_port())]
    result = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr
    again = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600)  # twice works
    assert again.returncode == 0 and "reusing" in again.stdout, again.stdout + again.stderr
    return folder


def test_every_unit_dashboard_shows_data_equal_to_skm(built):
    app = create_collector({"TESTING": True}, instance_path=built / "collector")
    engine = app.extensions["skm_engine"]
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"csrf_token": hidden(page, "csrf_token"), "username": "admin",
                                "password": demo.DEMO_PASSWORD})
    period = containing("month", datetime.now(ZoneInfo("Asia/Jakarta")).date()).previous()
    for unit in demo.UNITS:
        rows = [r for r in store.raw_responses(engine, [unit.code], period.start, period.end) if not r["suspect"]]
        assert rows, unit.code
        expected = from_responses([{c: r[c] for c in CODES} for r in rows])
        html = client.get(f"/unit/{unit.code}?period={period.key()}").get_data(as_text=True)
        assert f'class="big konversi">{str(expected.konversi).replace(".", ",")}<' in html, unit.code
        assert f'<span class="big">{len(rows)}</span>' in html


def test_the_demo_kiosk_syncs_to_an_empty_backlog(built):
    from click.testing import CliRunner
    from skm.cli import main
    kiosk_folder = built / "kiosk"
    client = create_kiosk({"TESTING": True, "KIOSK_MIN_SURVEY_SECONDS": 0}, instance_path=kiosk_folder).test_client()
    for counter in ("1", "5"):
        page = client.get(f"/k/{counter}/survey").get_data(as_text=True)
        client.post(f"/k/{counter}/survey", data={"csrf_token": hidden(page, "csrf_token"),
                                                  "ticket": hidden(page, "ticket"), **full_answers(4)})
    # the collector is not running now: start it as the demo does and sync
    from tests.helpers import CollectorServer
    with CollectorServer(built / "collector") as server:
        db = kstore.connect(str(kiosk_folder / "kiosk.db"))
        kstore.set_settings(db, collector_url=server.url)
        assert kstore.outbox_backlog(db) == 2
        result = CliRunner().invoke(main, ["kiosk", "--instance", str(kiosk_folder), "sync"])
        assert result.exit_code == 0, result.output
        assert kstore.outbox_backlog(db) == 0
        db.conn.close()
