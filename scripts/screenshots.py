"""`make screenshots`: pictures of the running demo for the README, taken with Playwright and Debian's
Chromium, so they never go stale. Starts `scripts/demo.py` (reusing .demo when built), drives the real
pages, writes docs/screenshots/*.png, and stops the demo."""
from __future__ import annotations

import os

import signal
import subprocess
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent))
from demo import wait_for  # noqa: E402  (scripts/ is not a package)

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "screenshots"
KIOSK, COLLECTOR = 8380, 8381
CHROMIUM = os.environ.get("SKM_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]


def shoot(kiosk: str, collector: str) -> list[Path]:
    OUT.mkdir(parents=True, exist_ok=True)
    made = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=ARGS)
        tablet = browser.new_page(viewport={"width": 1024, "height": 768})

        def save(page, name, full=False):
            path = OUT / f"{name}.png"
            page.screenshot(path=str(path), full_page=full)
            made.append(path)

        tablet.goto(f"{kiosk}/k/2")
        save(tablet, "kiosk-welcome")
        tablet.click("text=Mulai survei")
        tablet.click("label[for=service-kk]")
        tablet.wait_for_timeout(500)
        save(tablet, "kiosk-question")
        tablet.goto(f"{kiosk}/k/1/thanks")
        save(tablet, "kiosk-thanks")

        tablet.goto(f"{kiosk}/staff/login")
        tablet.fill("#pin", "1234")
        tablet.click("button[type=submit]")
        tablet.goto(f"{kiosk}/staff/qr")
        tablet.click("form.qr-form:nth-of-type(2) button[type=submit]")
        tablet.wait_for_selector(".slip-qr svg")
        slip_url = tablet.inner_text(".slip-url")
        tablet.set_viewport_size({"width": 420, "height": 760})
        save(tablet, "qr-slip")

        phone = browser.new_page(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True)
        phone.goto(slip_url)
        save(phone, "phone-survey")

        desk = browser.new_page(viewport={"width": 1280, "height": 900})
        desk.goto(f"{collector}/login")
        desk.fill("#username", "sekda")
        desk.fill("#password", "demo-skm-2026")
        desk.click("button[type=submit]")
        save(desk, "dashboard-overview", full=True)
        desk.goto(f"{collector}/unit/dumai-disdukcapil")
        save(desk, "dashboard-unit")
        browser.close()
    return made


def main() -> None:
    env = {**os.environ, "DEMO_PORT": str(KIOSK), "DEMO_COLLECTOR_PORT": str(COLLECTOR)}
    demo = subprocess.Popen([sys.executable, str(ROOT / "scripts" / "demo.py")], cwd=ROOT, env=env,
                            start_new_session=True)
    try:
        wait_for(f"http://127.0.0.1:{COLLECTOR}/status", 600)
        wait_for(f"http://127.0.0.1:{KIOSK}/", 600)
        for path in shoot(f"http://127.0.0.1:{KIOSK}", f"http://127.0.0.1:{COLLECTOR}"):
            print(f"wrote {path.relative_to(ROOT)}")
    finally:
        os.killpg(demo.pid, signal.SIGINT)
        demo.wait(30)


if __name__ == "__main__":
    main()
