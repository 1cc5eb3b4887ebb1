"""Taps as a citizen really makes them on the counter tablet: touch events on a touch-enabled context, double
taps at the intervals people make them, a citizen who stops half-way, one who changes the language.

Each test checks the form's state or the kiosk's SQLite store, never only what a screen says.
"""
from __future__ import annotations

import pytest

from skm import CODES
from tests.browser.test_kiosk_survey import CYCLING, answer, answers_of, current, expect, expect_step, one_response

pytestmark = pytest.mark.browser

PORTRAIT = {"viewport": {"width": 800, "height": 1280}, "has_touch": True}
LANDSCAPE = {"viewport": {"width": 1280, "height": 800}, "has_touch": True}
SETTLE_MS = 1000  # longer than the input guard plus auto-advance: whatever a tap did has happened by then


def centre(page, locator) -> tuple[float, float]:
    box = locator.bounding_box()
    assert box, f"{locator} is not on screen"
    return box["x"] + box["width"] / 2, box["y"] + box["height"] / 2


def tap(page, locator) -> None:
    """One finger tap on ``locator``'s centre, once it can take one (a trial click waits for that)."""
    locator.click(trial=True)
    page.touchscreen.tap(*centre(page, locator))


def double_tap(page, locator, gap_ms: int) -> None:
    """Two taps on the same spot ``gap_ms`` apart, whatever the screen shows by the second one."""
    locator.click(trial=True)
    x, y = centre(page, locator)
    page.touchscreen.tap(x, y)
    page.wait_for_timeout(gap_ms)
    page.touchscreen.tap(x, y)


def checked_answers(page) -> dict[str, int]:
    return {name.removeprefix("answers."): int(value) for name, value in page.locator(
        "input[name^='answers.']:checked").evaluate_all("rs => rs.map(r => [r.name, r.value])")}


def face(page, code: str, score: int):
    return current(page).locator(f"label[for={code}-{score}]")


# -- 1. the input guard ------------------------------------------------------------------------------------

@pytest.mark.parametrize("viewport", [PORTRAIT, LANDSCAPE], ids=["800x1280", "1280x800"])
def test_a_double_tap_on_start_answers_nothing(kiosk, new_page, viewport):
    page = new_page(**viewport)
    for gap in (80, 150, 300):
        page.goto(f"{kiosk.url}/k/1")
        double_tap(page, page.get_by_role("link", name="Mulai survei"), gap)
        page.wait_for_url(f"{kiosk.url}/k/1/survey")
        page.wait_for_timeout(SETTLE_MS)
        expect_step(page, CODES[0])
        assert checked_answers(page) == {}, f"a second tap {gap} ms after the first answered a question"
    assert kiosk.rows("responses") == []


def test_a_double_tap_on_a_face_answers_exactly_one_question(kiosk, new_page):
    page = new_page(**PORTRAIT)
    for gap in (200, 350, 600):
        page.goto(f"{kiosk.url}/k/1/survey")
        expect_step(page, "persyaratan")
        double_tap(page, face(page, "persyaratan", 3), gap)
        page.wait_for_timeout(SETTLE_MS)
        expect_step(page, "prosedur")
        assert checked_answers(page) == {"persyaratan": 3}, f"taps {gap} ms apart"
