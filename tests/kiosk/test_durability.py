"""Power cuts while citizens submit: a confirmed rating is never lost and never stored twice.

A real kiosk server process (``skm kiosk run``) takes a continuous stream of submissions from a few
tablets and is killed with SIGKILL at random moments, then restarted, many times. A tablet that loses
the connection tries again later: sometimes with the same ticket (the page resends the same form), and
otherwise it starts a new survey, as the next citizen would. Every response whose confirmation (the 303
to the thank-you screen, or the JSON "saved") reached a tablet must be in the database, once.
"""
from __future__ import annotations

import http.client
import json
import os
import random
import sqlite3
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections import Counter
from dataclasses import dataclass, field
from http.cookiejar import CookieJar

import pytest
from itsdangerous import URLSafeSerializer

from skm import CODES
from tests.helpers import KioskServer, hidden, init_kiosk

pytestmark = pytest.mark.slow

CYCLES = 20  # kill/restart cycles (fewer only if a slow machine runs out of WALL_BUDGET)
MIN_KILLS = 15
TABLETS = 4  # client threads submitting continuously
MIN_KILLS_MID_STREAM = 12  # kills that cut a submission in flight, after others were confirmed
MIN_CONFIRMED = 300
MIN_RESENDS_CONFIRMED = 5
WALL_BUDGET = 75.0  # seconds; a hard stop for every loop below
REQUEST_TIMEOUT = 10.0


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """The 303 itself is the confirmation: following it would mix up the thank-you page with the save."""

    def http_error_302(self, req, fp, code, msg, headers):
        return fp

    http_error_301 = http_error_303 = http_error_307 = http_error_308 = http_error_302


class ConnectionLost(Exception):
    def __init__(self, in_flight: bool, error: BaseException):
        super().__init__(repr(error))
        self.in_flight = in_flight  # False: refused, the server was down and nothing was sent


@dataclass
class Shared:
    lock: threading.Lock = field(default_factory=threading.Lock)
    generation: int = 0  # which server lifetime is current
    stop: threading.Event = field(default_factory=threading.Event)
    drain: threading.Event = field(default_factory=threading.Event)
    confirmed: dict[str, int] = field(default_factory=dict)  # id -> score sent
    confirmations: int = 0  # including confirmed resends of an id already confirmed
    attempted: set[str] = field(default_factory=set)  # every id a tablet ever posted
    resends_confirmed: int = 0
    confirmed_by_generation: Counter = field(default_factory=Counter)
    cut_by_generation: Counter = field(default_factory=Counter)  # POSTs in flight when the server died
    refused: int = 0
    unexpected: list[str] = field(default_factory=list)


class Tablet:
    """One counter tablet: its own cookies (session and CSRF token), survives server restarts."""

    def __init__(self, url: str, shared: Shared, rnd: random.Random, ticket_id):
        self.url = url
        self.shared = shared
        self.rnd = rnd
        self.ticket_id = ticket_id
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), _NoRedirect)
        self.pending: dict | None = None  # a posted form whose outcome is unknown

    def request(self, path: str, data: dict | None = None, as_json: bool = False):
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        headers = {"Accept": "application/json"} if as_json else {}
        try:
            with self.opener.open(urllib.request.Request(self.url + path, body, headers),
                                  timeout=REQUEST_TIMEOUT) as response:
                return response.status, response.headers, response.read()
        except urllib.error.HTTPError as exc:  # a real answer from the server, not a lost connection
            return exc.code, exc.headers, exc.read()
        except urllib.error.URLError as exc:
            reason = exc.reason
            raise ConnectionLost(not isinstance(reason, ConnectionRefusedError), exc) from exc
        except (OSError, http.client.HTTPException) as exc:
            raise ConnectionLost(True, exc) from exc

    def new_survey(self) -> dict | None:
        status, _headers, body = self.request("/k/1/survey")
        if status != 200:
            self.unexpected(f"GET survey answered {status}")
            return None
        html = body.decode()
        ticket = hidden(html, "ticket")
        score = self.rnd.randint(1, 4)
        form = {"csrf_token": hidden(html, "csrf_token"), "ticket": ticket,
                **{f"answers.{code}": str(score) for code in CODES}}
        if self.rnd.random() < 0.3:
            form["comment"] = f"uji daya tahan {self.rnd.randint(0, 10**6)}"
        return {"form": form, "id": self.ticket_id(ticket), "score": score, "json": self.rnd.random() < 0.5,
                "resend": False}

    def submit(self, survey: dict) -> None:
        shared = self.shared
        with shared.lock:
            shared.attempted.add(survey["id"])
            generation = shared.generation
        try:
            status, headers, body = self.request("/k/1/survey", survey["form"], as_json=survey["json"])
        except ConnectionLost as lost:
            with shared.lock:
                if lost.in_flight:
                    shared.cut_by_generation[generation] += 1
                else:
                    shared.refused += 1
            if not lost.in_flight:
                self.pending = survey  # nothing was sent: the page tries the same form again
            elif self.rnd.random() < 0.6:
                self.pending = {**survey, "resend": True}  # maybe stored already: the page resends it
            else:
                self.pending = None  # the citizen walks away; the next one starts a new survey
            return
        self.pending = None
        if survey["json"]:
            ok = status == 200 and json.loads(body) == {"status": "saved", "id": survey["id"],
                                                        "thanks_url": "/k/1/thanks"}
        else:
            ok = status == 303 and headers.get("Location", "").endswith("/k/1/thanks")
        if not ok:
            self.unexpected(f"POST answered {status} {headers.get('Location')} {body[:200]!r}")
            return
        with shared.lock:
            shared.confirmed[survey["id"]] = survey["score"]
            shared.confirmations += 1
            shared.confirmed_by_generation[generation] += 1
            shared.resends_confirmed += survey["resend"]

    def unexpected(self, what: str) -> None:
        with self.shared.lock:
            self.shared.unexpected.append(what)

    def run(self, deadline: float, max_steps: int = 20_000) -> None:
        for _ in range(max_steps):
            if self.shared.stop.is_set() or time.monotonic() > deadline:
                return
            if self.shared.drain.is_set() and self.pending is None:
                return
            try:
                survey = self.pending or self.new_survey()
            except ConnectionLost:
                time.sleep(self.rnd.uniform(0.01, 0.05))
                continue
            if survey is None:
                time.sleep(0.05)
                continue
            self.submit(survey)
            if self.pending is not None:
                time.sleep(self.rnd.uniform(0.01, 0.1))  # a tablet retries a moment later


def test_confirmed_responses_survive_sigkill(tmp_path):
    seed = int(os.environ.get("SKM_DURABILITY_SEED", random.randrange(2**32)))
    # The seed fixes every random choice (kill moments, resend or walk away, scores); thread timing varies.
    print(f"durability seed {seed} (rerun with SKM_DURABILITY_SEED={seed})")
    rnd = random.Random(seed)
    instance = init_kiosk(tmp_path / "instance")
    server = KioskServer(instance, {"MIN_SURVEY_SECONDS": 0})
    secret = None

    def ticket_id(ticket: str) -> str:
        return URLSafeSerializer(secret, salt="kiosk-survey-ticket").loads(ticket)["id"]

    shared = Shared()
    deadline = time.monotonic() + WALL_BUDGET
    server.start()
    secret = (instance / "secret_key").read_text().strip()  # the key that signs the tickets
    tablets = [Tablet(server.url, shared, random.Random(rnd.random()), ticket_id) for _ in range(TABLETS)]
    threads = [threading.Thread(target=t.run, args=(deadline,), daemon=True) for t in tablets]
    kills = 0
    try:
        for thread in threads:
            thread.start()
        for _cycle in range(CYCLES):
            if time.monotonic() > deadline - 10:
                break
            time.sleep(rnd.uniform(0.2, 1.0))  # let the stream run, then cut the power at a random moment
            server.kill()
            kills += 1
            time.sleep(rnd.uniform(0.0, 0.3))  # tablets meet a dead server for a while
            with shared.lock:
                shared.generation += 1
            server.start()
        # Power back for good: tablets resend what they still hold, then stop.
        shared.drain.set()
        for thread in threads:
            thread.join(max(0.1, deadline - time.monotonic()))
        assert not any(t.is_alive() for t in threads), "tablets did not finish in time"
    finally:
        shared.stop.set()
        for thread in threads:
            thread.join(5)
        server.stop()

    kills_mid_stream = sum(1 for g in range(kills)
                           if shared.cut_by_generation[g] and shared.confirmed_by_generation[g])
    print(f"kills {kills}, mid-stream {kills_mid_stream}, confirmed {len(shared.confirmed)} ids "
          f"({shared.confirmations} confirmations, {shared.resends_confirmed} resends), "
          f"cut in flight {sum(shared.cut_by_generation.values())}, refused {shared.refused}, "
          f"attempted {len(shared.attempted)}")
    assert shared.unexpected == []
    assert kills >= MIN_KILLS
    assert kills_mid_stream >= MIN_KILLS_MID_STREAM
    assert len(shared.confirmed) >= MIN_CONFIRMED
    assert shared.resends_confirmed >= MIN_RESENDS_CONFIRMED

    conn = sqlite3.connect(instance / "kiosk.db")
    try:
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        rows = conn.execute(f"SELECT id, seq, {', '.join(CODES)} FROM responses").fetchall()
    finally:
        conn.close()
    ids = [row[0] for row in rows]
    seqs = [row[1] for row in rows]
    assert len(ids) == len(set(ids)), "an id stored twice"
    assert len(seqs) == len(set(seqs)), "a seq used twice"
    assert all(isinstance(s, int) and s > 0 for s in seqs)
    stored = {row[0]: row[2:] for row in rows}
    lost = set(shared.confirmed) - set(stored)
    assert not lost, f"{len(lost)} confirmed responses lost, e.g. {sorted(lost)[:3]}"
    assert set(stored) <= shared.attempted, "a row no tablet ever sent"
    for response_id, score in shared.confirmed.items():
        assert stored[response_id] == (score,) * len(CODES), response_id
