"""Password guessing against a real collector server (``skm collector run``, several waitress threads): 16
guessers at once are held to the documented rule (auth.SLOW_AFTER failures, then each attempt must wait;
LOCK_AFTER in all per lock window), and a name that does not exist gets the very same answers.

Every answer is either "checked" (the password was compared: "Nama pengguna atau kata sandi salah.") or
"refused" (a wait: no password compared); the test counts both.
"""
from __future__ import annotations

import re
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from http.cookiejar import CookieJar

from collector import auth
from tests.helpers import CollectorServer, at_once, create_collector, hidden

GUESSERS = 16
GUESSES_EACH = 2
CHECKED, REFUSED = "Nama pengguna atau kata sandi salah.", "Terlalu banyak percobaan gagal."


class Guesser:
    def __init__(self, url: str):
        self.url = url
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))
        with self.opener.open(url + "/login", timeout=30) as page:
            self.token = hidden(page.read().decode(), "csrf_token")

    def sign_in(self, username: str, password: str) -> tuple[int, str]:
        data = urllib.parse.urlencode({"csrf_token": self.token, "username": username, "password": password})
        try:
            with self.opener.open(urllib.request.Request(self.url + "/login", data.encode()), timeout=60) as answer:
                return answer.status, answer.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.read().decode()


def outcome(status: int, html: str) -> str:
    if status == 400 and REFUSED in html:
        return "refused"
    if status == 400 and CHECKED in html:
        return "checked"
    return f"other: {status} {html[:200]}"


def guess_at_once(url: str, username: str) -> Counter:
    return at_once([Guesser(url) for _ in range(GUESSERS)],
                   lambda g, n, i: outcome(*g.sign_in(username, f"tebakan-{n}-{i}")), GUESSES_EACH)


def collector_with_account(instance):
    app = create_collector({"TESTING": True}, instance_path=instance)
    engine = app.extensions["skm_engine"]
    auth.create_user(engine, "ani", "Ani", "kata-sandi-panjang", "pimpinan", [])
    engine.dispose()
    return instance


def test_sixteen_concurrent_guessers_get_the_documented_number_of_passwords_checked(tmp_path):
    instance = collector_with_account(tmp_path / "collector")
    with CollectorServer(instance) as server:
        known = guess_at_once(server.url, "ani")
        unknown = guess_at_once(server.url, "tidak-ada")
    expected = {"checked": auth.SLOW_AFTER, "refused": GUESSERS * GUESSES_EACH - auth.SLOW_AFTER}
    assert known == expected
    assert unknown == expected  # a name that does not exist is answered the same way


def without_token(html: str) -> str:
    return re.sub(r'name="csrf_token"[^>]*value="[^"]*"|value="[^"]*"[^>]*name="csrf_token"', "", html)


def comparable(html: str, username: str) -> str:
    """The page without what must differ: the CSRF token, the name typed (shown back in its field), the
    seconds of a wait."""
    return re.sub(r"\d+ detik", "N detik", without_token(html).replace(f'value="{username}"', 'value="NAME"'))


def test_known_and_unknown_names_get_the_same_page(tmp_path):
    instance = collector_with_account(tmp_path / "collector")
    with CollectorServer(instance) as server:
        pages = {}
        for username in ("ani", "tidak-ada"):
            guesser = Guesser(server.url)
            pages[username] = [guesser.sign_in(username, "salah-sekali") for _ in range(auth.SLOW_AFTER + 1)]
    for (known_status, known), (unknown_status, unknown) in zip(pages["ani"], pages["tidak-ada"]):
        assert known_status == unknown_status == 400
        assert comparable(known, "ani") == comparable(unknown, "tidak-ada")
    assert REFUSED in pages["tidak-ada"][-1][1]
