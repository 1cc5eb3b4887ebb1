"""The office PC goes down; the counter tablet keeps working (static/sw.js, the outbox in static/kiosk.js).

Real Chromium with touch taps, a real kiosk server process killed (SIGKILL, as a power cut) and started
again on the same port and SQLite file. "The thank-you screen was shown" is never taken as proof: each
test reads the kiosk's store.
"""
from __future__ import annotations

import json
from datetime import datetime

import pytest

from skm import CODES
from tests.browser.test_kiosk_survey import CYCLING, answer, answers_of, axe_problems, expect, expect_step, one_response

pytestmark = pytest.mark.browser

TABLET = {"has_touch": True}
OTHER_SCORES = {code: 4 - i % 4 for i, code in enumerate(CODES)}   # 4, 3, 2, 1, 4, ...
OUTBOX = "skm-pending-v1"
DELIVERY_SECONDS = 25  # the outbox's backoff is capped at 15 s between attempts


def tablet_keeps_counter(page, kiosk, counter: str) -> None:
    """Open the counter's welcome screen online and wait until the service worker controls the page and
    keeps the pages this counter needs offline (polled: ``wait_for_function`` does not await a promise)."""
    page.goto(f"{kiosk.url}/k/{counter}")
    for _ in range(100):
        if page.evaluate("""async (counter) => {
            if (!navigator.serviceWorker.controller) { return false; }
            const kept = await Promise.all([`/k/${counter}`, `/k/${counter}/survey/offline`,
                                            `/k/${counter}/thanks/offline`].map(u => caches.match(u)));
            return kept.every(Boolean);
        }""", counter):
            return
        page.wait_for_timeout(100)
    raise AssertionError("the service worker did not keep the counter's pages")


def tap_survey(page, scores: dict[str, int]) -> None:
    """A citizen at counter 1 (one service): Mulai survei, nine faces, the profile skipped, Kirim."""
    page.get_by_role("link", name="Mulai survei").tap()
    for code, score in scores.items():
        expect_step(page, code)
        page.locator("fieldset.step.current").get_by_text(answer(code, score), exact=True).tap()
    expect_step(page, "profile")
    page.locator("fieldset.step.current").get_by_role("button", name="Lanjut").tap()
    expect_step(page, "comment")
    page.locator("fieldset.step.current").get_by_role("button", name="Kirim").tap()


def expect_offline_thanks(page, kiosk) -> None:
    page.wait_for_url(f"{kiosk.url}/k/1/thanks/offline")
    expect(page.get_by_role("heading", level=1)).to_have_text("Terima kasih!")
    expect(page.locator("p.lead")).to_contain_text("disimpan di tablet ini")


def outbox(page) -> dict:
    return json.loads(page.evaluate("key => localStorage.getItem(key) || '{}'", OUTBOX))


def wait_outbox_empty(page) -> None:
    page.wait_for_function("key => Object.keys(JSON.parse(localStorage.getItem(key) || '{}')).length === 0",
                           arg=OUTBOX, timeout=DELIVERY_SECONDS * 1000)


def test_office_pc_down_survey_on_the_tablet_is_stored_once_when_it_is_back(kiosk_factory, new_page):
    kiosk = kiosk_factory(THANKS_SECONDS=60)
    page = new_page(**TABLET)
    tablet_keeps_counter(page, kiosk, "1")
    kiosk.kill()

    page.reload()  # the welcome screen from the tablet's copy
    tap_survey(page, CYCLING)
    expect_offline_thanks(page, kiosk)
    problems = axe_problems(page, "offline thank-you")
    assert not problems, "accessibility violations:\n" + "\n".join(problems)

    page.reload()  # the answers wait on the tablet across a reload
    expect_offline_thanks(page, kiosk)
    [held] = outbox(page).values()
    assert kiosk.rows("responses") == []

    back_at = datetime.now().astimezone()
    kiosk.start()
    wait_outbox_empty(page)
    row = one_response(kiosk)
    assert answers_of(row) == CYCLING and row["counter"] == "1" and row["service"] == "ktp-el"
    assert dict(held["fields"])["ticket"].split(":")[1] == row["id"]  # the tablet's offline ticket is the id
    started, submitted = (datetime.fromisoformat(row[k]) for k in ("started_at", "submitted_at"))
    assert started < submitted < back_at, "the citizen's times, not the delivery's"
    assert row["duration_ms"] == round((submitted - started).total_seconds() * 1000)


def test_the_next_citizen_starts_offline_and_every_resend_from_two_tabs_stores_each_survey_once(
        kiosk_factory, new_page):
    kiosk = kiosk_factory(THANKS_SECONDS=1)
    page = new_page(**TABLET)
    tablet_keeps_counter(page, kiosk, "1")
    kiosk.kill()

    page.reload()
    tap_survey(page, CYCLING)
    expect_offline_thanks(page, kiosk)
    page.wait_for_url(f"{kiosk.url}/k/1")  # back to the welcome screen by itself, still offline
    tap_survey(page, OTHER_SCORES)
    expect_offline_thanks(page, kiosk)
    held = outbox(page)
    assert len(held) == 2, held  # two citizens, two tickets minted on the tablet

    second_tab = page.context.new_page()
    second_tab.goto(f"{kiosk.url}/k/1")  # from the copy as well: both tabs flush the same outbox
    kiosk.start()
    wait_outbox_empty(page)
    rows = kiosk.wait_rows("responses", 2)
    assert sorted((answers_of(r) for r in rows), key=str) == sorted([CYCLING, OTHER_SCORES], key=str)

    # The acks were lost: the same answers are sent again, from both tabs at once. Still one row each.
    page.evaluate("([key, held]) => localStorage.setItem(key, JSON.stringify(held))", [OUTBOX, held])
    page.reload()
    second_tab.reload()
    wait_outbox_empty(page)
    for tab in (page, second_tab):
        tab.wait_for_load_state("networkidle")  # no delivery left in flight
    assert sorted(r["id"] for r in kiosk.rows("responses")) == sorted(r["id"] for r in rows)


def sign_in_staff(page, kiosk) -> None:
    page.goto(f"{kiosk.url}/staff/")
    page.get_by_label("PIN staf").fill("4321")
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{kiosk.url}/staff/")


def tablet_rows(staff) -> list[list[str]]:
    staff.reload()
    return staff.locator("#tablets tbody tr").evaluate_all(
        "rows => rows.map(r => Array.from(r.cells, c => c.textContent.trim()))")


def wait_tablet_rows(staff, done) -> list[list[str]]:
    """The staff page's tablet rows once ``done(rows)`` (a heartbeat lands a moment after a page loads)."""
    for _ in range(40):
        rows = tablet_rows(staff)
        if done(rows):
            break
        staff.wait_for_timeout(250)
    return rows


def test_staff_page_lists_a_tablet_holding_answers_and_a_restarted_browser_delivers_them(kiosk_factory, new_page):
    kiosk = kiosk_factory(HEARTBEAT_SECONDS=1, THANKS_SECONDS=60)
    # The tablet's Wi-Fi drops the survey's posts (the kiosk itself stays up, so the staff page can be read).
    tablet = new_page(service_workers="block", **TABLET)
    tablet.context.route("**/k/1/survey", lambda route: route.abort() if route.request.method == "POST"
                         else route.continue_())
    tablet.goto(f"{kiosk.url}/k/1")
    tap_survey(tablet, CYCLING)
    expect_offline_thanks(tablet, kiosk)
    tablet_id = tablet.evaluate("localStorage.getItem('skm-tablet-id')")
    assert kiosk.rows("responses") == []

    staff = new_page()
    sign_in_staff(staff, kiosk)
    rows = wait_tablet_rows(staff, lambda rows: rows[0][0] == tablet_id[:8])
    assert [r[:3] for r in rows] == [[tablet_id[:8], "1", "1"]], rows

    # The browser is closed and opened again (its storage kept), now with a working network.
    state = tablet.context.storage_state()
    tablet.context.close()
    restarted = new_page(storage_state=state, **TABLET)
    reopened_at = datetime.now().astimezone()
    restarted.goto(f"{kiosk.url}/k/1")
    wait_outbox_empty(restarted)
    row = one_response(kiosk)
    assert answers_of(row) == CYCLING
    assert datetime.fromisoformat(row["submitted_at"]) < reopened_at, "the citizen's time, not the delivery's"
    all_sent = [["Semua tablet sudah mengirim jawabannya."]]
    assert wait_tablet_rows(staff, lambda rows: rows == all_sent) == all_sent
