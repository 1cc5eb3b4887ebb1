"""How many taps a brisk citizen needs at the counter, counted by driving real Chromium with touch events.

The citizen (counter "1": one service, so no service step) taps "Mulai survei", one face on each of the nine
questions (each moves on by itself), "Lanjut" to skip the profile, and "Kirim"; every tap waits until the
screen takes taps (the input guard) and lands on the control's centre. The figure is the number of taps
until the thank-you screen, checked against the stored row. Baseline: the fewest the questionnaire allows,
one tap per required answer plus the start and the submit taps.
"""
from __future__ import annotations

import os
import sqlite3
import tempfile
from pathlib import Path

from skm import CODES
from tests.helpers import KioskServer, init_kiosk

CHROMIUM = Path(os.environ.get("SKM_CHROMIUM", "/usr/bin/chromium"))
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


def brisk_citizen(page, url: str) -> int:
    taps = 0

    def tap(locator) -> None:
        nonlocal taps
        locator.click(trial=True)  # waits until the control takes a tap
        box = locator.bounding_box()
        page.touchscreen.tap(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
        taps += 1

    def step(name: str):
        return page.locator(f'fieldset.step.current[data-step="{name}"]')

    page.goto(f"{url}/k/1")
    tap(page.get_by_role("link", name="Mulai survei"))
    for code in CODES:
        tap(step(code).locator(f"label[for={code}-3]"))
    tap(step("profile").get_by_role("button", name="Lanjut"))
    tap(step("comment").get_by_role("button", name="Kirim"))
    page.wait_for_url(f"{url}/k/1/thanks")
    return taps


def run() -> dict:
    if not CHROMIUM.exists():
        print(f"skipped: Chromium not found at {CHROMIUM}")
        return {}
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        print("skipped: the playwright package is not installed")
        return {}
    with tempfile.TemporaryDirectory() as tmp:
        instance = init_kiosk(Path(tmp) / "kiosk")
        with KioskServer(instance, {"MIN_SURVEY_SECONDS": 0, "SYNC_ENABLED": False}) as kiosk, \
                sync_playwright() as p:
            browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=ARGS)
            page = browser.new_context(viewport={"width": 1280, "height": 800}, has_touch=True).new_page()
            taps = brisk_citizen(page, kiosk.url)
            browser.close()
        conn = sqlite3.connect(instance / "kiosk.db")
        [[stored]] = conn.execute("SELECT count(*) FROM responses").fetchall()
        conn.close()
    assert stored == 1, f"the brisk citizen's survey was not stored once ({stored} rows)"
    minimum = len(CODES) + 2
    return {"kiosk_taps_to_finish": {"value": taps, "unit": "taps", "baseline": minimum, "ratio": taps / minimum,
                                     "baseline_is": f"{len(CODES)} required answers + start + submit"}}
