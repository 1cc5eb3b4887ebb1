"""PIN guessing against a real kiosk server (``skm kiosk run``, several waitress threads): 16 guessers at
once are held to the documented limit, KIOSK_STAFF_PIN_ATTEMPTS (5) wrong PINs, then a minute's pause.

Every answer is either "checked" (the PIN was compared: "PIN salah.") or "refused" (the pause: no PIN was
compared); the test counts both.
"""
from __future__ import annotations

import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from http.cookiejar import CookieJar

from tests.helpers import KioskServer, at_once, hidden, init_kiosk

GUESSERS = 16
GUESSES_EACH = 3
CHECKED, REFUSED = "PIN salah.", "Terlalu banyak PIN salah"


class Guesser:
    """One browser: its own session and CSRF token."""

    def __init__(self, url: str):
        self.url = url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        with self.opener.open(url + "/staff/login", timeout=30) as page:
            self.token = hidden(page.read().decode(), "csrf_token")

    def post(self, path: str, form: dict) -> str:
        data = urllib.parse.urlencode({"csrf_token": self.token, **form}).encode()
        try:
            with self.opener.open(urllib.request.Request(self.url + path, data), timeout=30) as answer:
                return answer.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.read().decode()


def outcome(html: str) -> str:
    if REFUSED in html:
        return "refused"
    if CHECKED in html:
        return "checked"
    return "other: " + html[:200]


def run_guessers(guessers: list[Guesser], attempt) -> Counter:
    return at_once(guessers, attempt, GUESSES_EACH, timeout=120)


def test_sixteen_concurrent_staff_pin_guessers_get_five_pins_checked(tmp_path):
    instance = init_kiosk(tmp_path / "kiosk", pin="4321")
    with KioskServer(instance, {"SYNC_ENABLED": False}) as server:
        guessers = [Guesser(server.url) for _ in range(GUESSERS)]
        counts = run_guessers(guessers, lambda g, n, i: outcome(g.post("/staff/login", {"pin": f"{n:02d}{i:02d}"})))
    assert counts == {"checked": 5, "refused": GUESSERS * GUESSES_EACH - 5}
