"""Alerts and comment themes in real Chromium against a real ``skm collector run`` process: responses pushed
over HTTP through the signed ingest API raise the alerts (the after-ingest evaluation); a kepala unit sees
them, acknowledges one with a note (it leaves the open list, the note shows in the history, the audit has
it) and opens a theme's comments, masked; an inspektorat account sees the integrity report and no unit page.

Chromium and Playwright missing skip these tests (from the ``browser`` fixture of ``conftest.py``), which
``SKM_REQUIRE_ALL=1`` turns into failures.
"""
from __future__ import annotations

import json
import urllib.request
import uuid
from datetime import datetime, timedelta, timezone
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import pytest

from collector import auth, store
from skm import wire
from skm.periods import containing
from tests.helpers import CollectorServer, create_collector, seed_collector, wire_response

pytestmark = pytest.mark.browser

UNIT = "dumai-disdukcapil"
PASSWORD = "kata-sandi-panjang"
PHONE = "081234567890"
NOTE = "Petugas tambahan di loket 2 mulai Senin"


def http_json(url: str, body: bytes, headers: dict) -> dict:
    request = urllib.request.Request(url, data=body, method="POST", headers={"Content-Type": "application/json",
                                                                              **headers})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read())


def push(url: str, kiosk: dict, responses: list[dict]) -> None:
    body = wire.canonical({"protocol": wire.PROTOCOL, "batch_id": str(uuid.uuid4()), "responses": responses})
    timestamp = datetime.now(timezone.utc).isoformat()
    reply = http_json(url + "/api/v1/batches", body, {
        "X-SKM-Kiosk": kiosk["kiosk_id"], "X-SKM-Timestamp": timestamp,
        "X-SKM-Signature": wire.sign(kiosk["secret"], "request", kiosk["kiosk_id"], timestamp, body)})
    assert {r["status"] for r in reply["results"]} == {"accepted"}, reply


@pytest.fixture(scope="module")
def collector(tmp_path_factory):
    """A collector process with a kepala unit and an inspektorat account; 30 low responses three hours ago
    (konversi 50,00: below the floor), three comments about waiting (one with a phone number) and one
    reporting a levy, all pushed over HTTP once the server runs."""
    instance = seed_collector(tmp_path_factory.mktemp("alerts") / "collector")
    app = create_collector(instance_path=instance)
    engine = app.extensions["skm_engine"]
    auth.create_user(engine, "kepala", "Kepala Dinas", PASSWORD, "kepala_unit", [UNIT], email="kepala@dumai.example")
    auth.create_user(engine, "inspektur", "Inspektur", PASSWORD, "inspektorat", [], email="insp@dumai.example")
    _kiosk_id, code = store.add_kiosk(engine, UNIT, "Tablet loket 2")
    server = CollectorServer(instance).start()
    try:
        kiosk = http_json(server.url + "/api/v1/enroll", json.dumps({"code": code}).encode(), {})
        when = datetime.now(timezone.utc) - timedelta(hours=3)
        stamp = {"started_at": (when - timedelta(seconds=40)).isoformat(), "submitted_at": when.isoformat()}
        comments = ["Antrean lama sekali, hampir 3 jam", "Antrinya lama, nomor saya " + PHONE,
                    "Nunggu lama banget di loket 2", "Petugas minta uang rokok supaya berkas cepat selesai"]
        responses = [wire_response(seq=n + 1, score=2, **stamp, comment=comments[n] if n < len(comments) else None)
                     for n in range(30)]
        push(server.url, kiosk, responses)
        yield server, engine
    finally:
        server.stop()
        engine.dispose()


def sign_in(page, url: str, username: str) -> str:
    page.goto(url + "/login")
    page.fill("#username", username)
    page.fill("#password", PASSWORD)
    with page.expect_navigation():
        page.click("form.login button[type=submit]")
    return urlsplit(page.url).path


def test_a_kepala_unit_acknowledges_an_alert_and_opens_a_themes_comments(collector, new_page):
    server, engine = collector
    page = new_page()
    assert sign_in(page, server.url, "kepala") == "/"
    overview = page.locator("#alerts")
    assert overview.locator("article[data-kind=konversi]").count() == 1
    assert "Konversi 7 hari terakhir 50,00 (mutu D), di bawah batas 76,61, dari 30 responden." in overview.locator(
        "article[data-kind=konversi]").inner_text()
    assert overview.locator("article[data-kind=integritas]").count() == 1

    page.click(f'tr[data-unit="{UNIT}"] a')
    assert urlsplit(page.url).path == f"/unit/{UNIT}"
    alert = page.locator("#alerts article[data-kind=konversi]")
    alert_id = int(alert.get_attribute("id").removeprefix("alert-"))
    alert.locator("textarea[name=note]").fill(NOTE)
    with page.expect_navigation():
        alert.locator("button[type=submit]").click()
    assert urlsplit(page.url).path == f"/unit/{UNIT}"
    assert page.locator(f"#alerts article#alert-{alert_id}").count() == 0  # no longer in the open list
    assert page.locator("#alerts article[data-kind=integritas]").count() == 1  # the other one still is
    page.click("#alert-history summary")
    row = page.locator(f'#alert-history tr[data-alert="{alert_id}"]')
    assert row.is_visible() and f"kepala: {NOTE}" in row.inner_text() and "masih berlangsung" in row.inner_text()
    assert any(e["action"] == "alert_acknowledged" and e["username"] == "kepala" and e["target"] == UNIT
               and f"#{alert_id}" in (e["detail"] or "") for e in store.audit_entries(engine))

    month = containing("month", datetime.now(ZoneInfo("Asia/Jakarta")).date()).key()
    page.fill("#period", month)
    with page.expect_navigation():
        page.click("form.period-text button[type=submit]")
    waiting = page.locator('#tema tr[data-theme="waktu_tunggu"]')
    assert waiting.locator("td").first.inner_text() == "3"
    with page.expect_navigation():
        waiting.locator("a").click()
    listed = page.locator("ul.theme-comments li")
    assert listed.count() == 3
    shown = listed.all_inner_texts()
    assert any("[telepon disamarkan]" in text for text in shown) and not any(PHONE in text for text in shown)
    assert page.locator("#tema-komentar").inner_text().startswith("Komentar bertema Waktu tunggu")


def test_an_inspektorat_account_sees_the_integrity_report_and_no_unit_page(collector, new_page):
    server, _engine = collector
    page = new_page()
    assert sign_in(page, server.url, "inspektur") == "/alerts"
    reports = page.locator("#alerts article")
    assert reports.count() == 1 and reports.first.get_attribute("data-kind") == "integritas"
    text = reports.first.inner_text()
    assert "uang rokok" in text and "Pungutan liar" in text and "Loket 2 - Kartu Keluarga" in text
    assert "Dinas Kependudukan dan Pencatatan Sipil Kota Dumai" in text
    assert page.goto(f"{server.url}/unit/{UNIT}").status == 404
