"""The kiosk as a citizen meets it: real Chromium, real server process, real taps on the visible labels.

Every test reads the kiosk's SQLite store afterwards, so "the thank-you screen was shown" is never taken as
proof that the rating was stored.
"""
from __future__ import annotations

import json
from urllib.parse import parse_qsl, urlsplit

import pytest

from skm import CODES
from skm.questionnaire import UNSUR_BY_CODE

pytestmark = pytest.mark.browser

# A different score on each question, so a rating stored under the wrong unsur cannot go unnoticed.
CYCLING = {code: i % 4 + 1 for i, code in enumerate(CODES)}   # 1, 2, 3, 4, 1, 2, 3, 4, 1
PROFILE_TAPS = {"Jenis kelamin": "Perempuan", "Usia": "30-39 tahun", "Pendidikan terakhir": "S1",
                "Pekerjaan utama": "Wirausaha"}
PROFILE_STORED = {"jenis_kelamin": "P", "usia": "30-39", "pendidikan": "S1", "pekerjaan": "Wirausaha"}
COMMENT = "Antrean tertib, petugas ramah. Mohon kursi tunggu ditambah."
SERIOUS = ("serious", "critical")
MAX_SCREEN_BYTES = 100 * 1024


def expect(target):
    from playwright.sync_api import expect as _expect
    return _expect(target)


# -- a citizen's taps -------------------------------------------------------------------------------------

def current(page):
    return page.locator("fieldset.step.current")


def expect_step(page, name: str) -> None:
    """Wait until ``name`` is the step shown (an in-page wait: steps follow each other quickly)."""
    from playwright.sync_api import TimeoutError
    try:
        page.locator(f'fieldset.step.current[data-step="{name}"]').wait_for(timeout=5000)
    except TimeoutError:
        shown = page.locator("fieldset.step.current").evaluate_all("steps => steps.map(s => s.dataset.step)")
        raise AssertionError(f"expected step {name!r} on screen, found {shown} at {page.url}") from None


def answer(code: str, score: int, lang: str = "id") -> str:
    return UNSUR_BY_CODE[code].answer(score, lang)


def start_survey(page, kiosk, counter: str) -> None:
    page.goto(f"{kiosk.url}/k/{counter}")
    page.get_by_role("link", name="Mulai survei").click()
    page.wait_for_url(f"{kiosk.url}/k/{counter}/survey")


def tap_service(page, name: str) -> None:
    expect_step(page, "service")
    current(page).get_by_text(name, exact=True).click()
    expect_step(page, CODES[0])  # a tap on a choice moves on by itself


def tap_answers(page, scores: dict[str, int]) -> None:
    """Tap the face of each score, question after question; each tap moves on to the next question."""
    for code, score in scores.items():
        expect_step(page, code)
        current(page).get_by_text(answer(code, score), exact=True).click()


def tap_profile(page, taps: dict[str, str]) -> None:
    expect_step(page, "profile")
    for group, choice in taps.items():
        current(page).get_by_role("group", name=group).get_by_text(choice, exact=True).click()
    expect_step(page, "profile")  # optional choices never move on by themselves
    current(page).get_by_role("button", name="Lanjut").click()
    expect_step(page, "comment")


def tap_whole_survey(page, kiosk, counter: str = "1", scores=None) -> None:
    """From the welcome screen to the comment step (counter "1" has a single service: no service step)."""
    start_survey(page, kiosk, counter)
    tap_answers(page, scores or CYCLING)
    tap_profile(page, {})


def submit(page, kiosk, counter: str) -> None:
    current(page).get_by_role("button", name="Kirim").click()
    page.wait_for_url(f"{kiosk.url}/k/{counter}/thanks")
    expect(page.get_by_role("heading", level=1)).to_have_text("Terima kasih!")


def answers_of(row: dict) -> dict[str, int]:
    return {code: row[code] for code in CODES}


def one_response(kiosk) -> dict:
    rows = kiosk.rows("responses")
    assert len(rows) == 1, f"expected exactly one stored response, found {len(rows)}: {rows}"
    return rows[0]


# -- 1. the whole survey by taps ---------------------------------------------------------------------------

def test_full_survey_by_taps_stores_exactly_what_was_tapped(kiosk_factory, page):
    kiosk = kiosk_factory(THANKS_SECONDS=2)
    start_survey(page, kiosk, "2")
    tap_service(page, "Surat Pindah")
    tap_answers(page, CYCLING)
    tap_profile(page, PROFILE_TAPS)
    page.locator("#comment").fill(COMMENT)
    submit(page, kiosk, "2")

    row = one_response(kiosk)
    assert answers_of(row) == CYCLING
    assert (row["counter"], row["service"], row["channel"]) == ("2", "pindah", "kiosk")
    assert {name: row[name] for name in PROFILE_STORED} == PROFILE_STORED
    assert row["comment"] == COMMENT
    assert row["suspect"] == 0 and row["sync_state"] == "pending"
    assert kiosk.rows("abandonments") == []

    # The thank-you screen goes back to the welcome screen by itself, with nothing left waiting to be sent.
    page.wait_for_url(f"{kiosk.url}/k/2")
    expect(page.get_by_role("link", name="Mulai survei")).to_be_visible()
    assert json.loads(page.evaluate("localStorage.getItem('skm-pending-v1') || '{}'")) == {}
    assert len(kiosk.rows("responses")) == 1


# -- 2. idle mid-survey ------------------------------------------------------------------------------------

def test_idle_mid_survey_returns_to_welcome_and_counts_an_abandonment(kiosk_factory, page):
    kiosk = kiosk_factory(IDLE_SECONDS=2, IDLE_WARNING_SECONDS=2)
    start_survey(page, kiosk, "2")
    tap_service(page, "Kartu Keluarga")
    tap_answers(page, {"persyaratan": 4, "prosedur": 3, "waktu": 2})
    expect_step(page, "biaya")

    # Nobody taps: first the kiosk asks whether the citizen is still there, then it goes back to the start.
    expect(page.get_by_role("dialog", name="Masih mengisi?")).to_be_visible()
    page.wait_for_url(f"{kiosk.url}/k/2")
    expect(page.get_by_role("link", name="Mulai survei")).to_be_visible()

    abandoned = kiosk.wait_rows("abandonments", 1)
    assert len(abandoned) == 1, abandoned
    row = abandoned[0]
    # Steps: service (0), persyaratan (1), prosedur (2), waktu (3), biaya (4).
    assert (row["counter"], row["service"], row["reached"], row["step"]) == ("2", "kk", "biaya", 4)
    assert kiosk.rows("responses") == []

    # The next citizen starts from an empty form.
    page.get_by_role("link", name="Mulai survei").click()
    expect_step(page, "service")
    assert page.locator("input[type=radio]:checked:not([value=''])").count() == 0


# -- 3. language -------------------------------------------------------------------------------------------

def test_language_switch_to_english_and_back(kiosk, page):
    page.goto(f"{kiosk.url}/k/2")
    expect(page.get_by_role("link", name="Mulai survei")).to_be_visible()
    page.locator("header .lang").click()

    page.wait_for_url(f"{kiosk.url}/k/2")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    page.get_by_role("link", name="Start the survey").click()
    page.wait_for_url(f"{kiosk.url}/k/2/survey")
    expect(current(page).locator("legend")).to_have_text("Which service did you receive today?")
    current(page).get_by_text("Kartu Keluarga", exact=True).click()
    persyaratan = UNSUR_BY_CODE["persyaratan"]
    expect(current(page).locator(".question-text")).to_have_text(persyaratan.question["en"])
    for score in (1, 2, 3, 4):
        expect(current(page).locator(f"label[for=persyaratan-{score}]")).to_have_text(answer("persyaratan", score, "en"))

    # Back to Bahasa Indonesia from the survey page: the same question comes back, the service kept.
    expect(page.locator("header .lang")).to_have_text("Bahasa Indonesia")
    page.locator("header .lang").click()
    page.wait_for_url(f"{kiosk.url}/k/2/survey")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(current(page).locator(".question-text")).to_have_text(persyaratan.question["id"])
    expect(page.locator("#service-kk")).to_be_checked()
    page.goto(f"{kiosk.url}/k/2")
    expect(page.get_by_role("link", name="Mulai survei")).to_be_visible()
    expect(page.locator("header .lang")).to_have_text("English")


# -- 4. a page left open past the CSRF lifetime ------------------------------------------------------------

def test_survey_submitted_after_its_csrf_token_expired_is_stored_without_an_error(kiosk_factory, page):
    kiosk = kiosk_factory(CSRF_SECONDS=1)
    posts = []
    page.on("response", lambda r: posts.append(r.status) if r.request.method == "POST" else None)
    tap_whole_survey(page, kiosk, "1")
    page.wait_for_timeout(2100)  # token timestamps are whole seconds: 2.1 s later the token is 2 s old or more

    # The token the page was rendered with has really expired by now (this stores nothing).
    stale = page.request.post(f"{kiosk.url}/k/1/survey", headers={"Accept": "application/json"}, form={
        "csrf_token": page.locator("input[name=csrf_token]").input_value(),
        "ticket": page.locator("input[name=ticket]").input_value(), "service": "ktp-el",
        **{f"answers.{code}": "1" for code in CODES}})
    assert stale.status == 400 and stale.json()["status"] == "csrf", stale.text()
    assert kiosk.rows("responses") == []

    submit(page, kiosk, "1")
    assert posts == [200], f"the citizen's submission needed retries: {posts}"
    assert answers_of(one_response(kiosk)) == CYCLING


# -- 5. double submit and resends --------------------------------------------------------------------------

def test_double_tap_and_resends_store_one_response(kiosk_factory, page):
    kiosk = kiosk_factory(THANKS_SECONDS=60)  # the thank-you screen stays while it is reloaded
    sent = []
    page.on("request", lambda r: sent.append(r.post_data) if r.method == "POST" and r.url.endswith("/k/1/survey")
            else None)
    tap_whole_survey(page, kiosk, "1")
    current(page).get_by_role("button", name="Kirim").dblclick()
    page.wait_for_url(f"{kiosk.url}/k/1/thanks")
    row = one_response(kiosk)
    assert answers_of(row) == CYCLING
    assert len(sent) == 1, f"a double tap sent the answers {len(sent)} times"

    # The same answers sent again, twice at once (a resend after a lost reply): still one row.
    both = page.evaluate("""async ({url, body}) => {
        const token = (await (await fetch('/csrf')).json()).csrf_token;
        const form = new URLSearchParams(body); form.set('csrf_token', token);
        const send = () => fetch(url, {method: 'POST', body: form, headers: {Accept: 'application/json'}})
            .then(async r => [r.status, await r.json()]);
        return Promise.all([send(), send()]);
    }""", {"url": f"{kiosk.url}/k/1/survey", "body": sent[0]})
    assert [(status, body["status"], body["id"]) for status, body in both] == [(200, "saved", row["id"])] * 2

    # And once more as a plain form post, the way a browser without script resends.
    form = dict(parse_qsl(sent[0], keep_blank_values=True))
    form["csrf_token"] = page.request.get(f"{kiosk.url}/csrf").json()["csrf_token"]
    resent = page.request.post(f"{kiosk.url}/k/1/survey", form=form, max_redirects=0,
                               headers={"Accept": "text/html,application/xhtml+xml"})
    assert resent.status == 303 and resent.headers["location"].endswith("/k/1/thanks")

    # Reloading the thank-you screen or going back never reaches the filled form again.
    page.reload()
    expect(page.get_by_role("heading", level=1)).to_have_text("Terima kasih!")
    page.go_back()
    assert page.url == f"{kiosk.url}/k/1"
    assert one_response(kiosk) == row


# -- 6. without JavaScript ---------------------------------------------------------------------------------

def fill_long_form(page, scores: dict[str, int]) -> None:
    for code, score in scores.items():
        page.locator(f'fieldset.step[data-step="{code}"]').get_by_text(answer(code, score), exact=True).click()


def test_without_javascript_the_survey_is_one_long_form_that_submits(kiosk, new_page):
    page = new_page(java_script_enabled=False)
    start_survey(page, kiosk, "2")
    steps = page.locator("fieldset.step")
    expect(steps).to_have_count(1 + len(CODES) + 2)
    for i in range(steps.count()):
        expect(steps.nth(i)).to_be_visible()
    expect(page.get_by_role("button", name="Lanjut")).to_have_count(0)  # script-only buttons stay hidden

    page.locator('fieldset[data-step="service"]').get_by_text("Kartu Keluarga", exact=True).click()
    fill_long_form(page, CYCLING)
    page.get_by_role("group", name="Jenis kelamin").get_by_text("Laki-laki", exact=True).click()
    page.locator("#comment").fill(COMMENT)
    page.get_by_role("button", name="Kirim").click()
    page.wait_for_url(f"{kiosk.url}/k/2/thanks")
    expect(page.get_by_role("heading", level=1)).to_have_text("Terima kasih!")

    row = one_response(kiosk)
    assert answers_of(row) == CYCLING
    assert (row["service"], row["jenis_kelamin"], row["usia"], row["comment"]) == ("kk", "L", None, COMMENT)


def test_without_javascript_an_unanswered_question_is_shown_and_the_answers_kept(kiosk_factory, new_page):
    kiosk = kiosk_factory(THANKS_SECONDS=1)
    page = new_page(java_script_enabled=False)
    start_survey(page, kiosk, "1")
    partial = {code: score for code, score in CYCLING.items() if code != "sarana"}
    fill_long_form(page, partial)
    page.locator("#comment").fill(COMMENT)

    # The form is novalidate (a browser's bubble on a hidden radio helps nobody): the kiosk says which
    # question is missing, beside it, and moves the focus there.
    page.get_by_role("button", name="Kirim").click()
    page.wait_for_url(f"{kiosk.url}/k/1/survey")
    assert page.evaluate("document.activeElement.id") == "f-answers.sarana"
    summary = page.locator(".error-summary")
    expect(summary).to_be_visible()
    expect(summary.get_by_role("link")).to_have_count(1)
    expect(summary.get_by_role("link")).to_have_attribute("href", "#f-answers.sarana")
    expect(page.locator('fieldset[data-step="sarana"] .field-error')).to_be_visible()
    assert kiosk.rows("responses") == []
    for code, score in partial.items():
        expect(page.locator(f"#{code}-{score}")).to_be_checked()
    expect(page.locator("#comment")).to_have_value(COMMENT)

    fill_long_form(page, {"sarana": CYCLING["sarana"]})
    page.get_by_role("button", name="Kirim").click()
    page.wait_for_url(f"{kiosk.url}/k/1/thanks")
    row = one_response(kiosk)
    assert answers_of(row) == CYCLING and row["comment"] == COMMENT

    # Without script the thank-you screen still returns to the welcome screen by itself.
    page.wait_for_url(f"{kiosk.url}/k/1")


def test_without_javascript_an_expired_csrf_token_keeps_the_answers_for_one_more_tap(kiosk_factory, new_page):
    kiosk = kiosk_factory(CSRF_SECONDS=2)
    page = new_page(java_script_enabled=False)
    start_survey(page, kiosk, "1")
    fill_long_form(page, CYCLING)
    page.locator("#comment").fill(COMMENT)
    page.wait_for_timeout(3000)  # token timestamps are whole seconds: 3 s later the token is 3 s old or more
    page.get_by_role("button", name="Kirim").click()

    page.wait_for_url(f"{kiosk.url}/k/1/survey")
    expect(page.locator(".notice")).to_contain_text("Tekan Kirim sekali lagi")
    assert kiosk.rows("responses") == []
    for code, score in CYCLING.items():
        expect(page.locator(f"#{code}-{score}")).to_be_checked()
    page.get_by_role("button", name="Kirim").click()
    page.wait_for_url(f"{kiosk.url}/k/1/thanks")
    row = one_response(kiosk)
    assert answers_of(row) == CYCLING and row["comment"] == COMMENT


# -- 7. accessibility --------------------------------------------------------------------------------------

def axe_problems(page, screen: str) -> list[str]:
    """The serious and critical axe violations on the page, readably, one entry per violation."""
    from axe_playwright_python.sync_playwright import Axe
    results = Axe().run(page)
    found = []
    for v in results.response["violations"]:
        if v["impact"] in SERIOUS:
            nodes = "\n".join(f"      {', '.join(map(str, n['target']))}: {n.get('failureSummary', '')}"
                              for n in v["nodes"])
            found.append(f"{screen}: {v['id']} ({v['impact']}) {v['help']}\n    {v['helpUrl']}\n{nodes}")
    return found


def test_every_screen_has_no_serious_accessibility_violation(kiosk_factory, new_page):
    kiosk = kiosk_factory(THANKS_SECONDS=60)
    page = new_page()
    problems: list[str] = []

    page.goto(f"{kiosk.url}/")
    problems += axe_problems(page, "counter list")
    page.goto(f"{kiosk.url}/k/2")
    problems += axe_problems(page, "welcome")
    page.get_by_role("link", name="Mulai survei").click()
    expect_step(page, "service")
    problems += axe_problems(page, "service step")
    tap_service(page, "Kartu Keluarga")
    problems += axe_problems(page, "question step")
    tap_answers(page, CYCLING)
    expect_step(page, "profile")
    problems += axe_problems(page, "profile step")
    tap_profile(page, PROFILE_TAPS)
    problems += axe_problems(page, "comment step")
    submit(page, kiosk, "2")
    problems += axe_problems(page, "thank-you")

    page.goto(f"{kiosk.url}/staff/")
    page.wait_for_url(f"{kiosk.url}/staff/login**")
    problems += axe_problems(page, "staff login")
    page.get_by_label("PIN staf").fill("4321")
    page.get_by_role("button", name="Masuk").click()
    page.wait_for_url(f"{kiosk.url}/staff/")
    expect(page.get_by_role("table", name="Survei hari ini per loket")).to_be_visible()
    problems += axe_problems(page, "staff page")

    page.goto(f"{kiosk.url}/k/99")
    problems += axe_problems(page, "error page")

    # The long form a browser without script shows (axe itself needs script, so kiosk.js is left out).
    plain = new_page()
    plain.route("**/kiosk.js", lambda route: route.fulfill(body="", content_type="text/javascript"))
    plain.goto(f"{kiosk.url}/k/2/survey")
    problems += axe_problems(plain, "survey without script")

    assert not problems, "accessibility violations:\n" + "\n".join(problems)


# -- 8. transfer size and no third-party hosts -------------------------------------------------------------

def screen_bytes(new_page, url: str) -> tuple[int, list[str], list[str]]:
    """Bytes of every response a cold load of ``url`` received (fresh context: nothing cached), the
    responses, and the URLs of requests that went to a host other than the kiosk."""
    page = new_page()
    responses, elsewhere = [], []
    page.on("response", lambda r: responses.append(r))
    page.on("request", lambda r: elsewhere.append(r.url) if urlsplit(r.url).hostname != "127.0.0.1" else None)
    page.goto(url, wait_until="networkidle")
    total, seen = 0, []
    for r in responses:
        if 300 <= r.status < 400:
            continue  # a redirect has no body
        size = len(r.body())
        total += size
        seen.append(f"{r.status} {r.url} {size} B")
    return total, seen, elsewhere


def test_each_screen_is_small_and_everything_comes_from_the_kiosk(kiosk, new_page):
    # Every page of every test is also watched for requests to other hosts (see conftest.watch).
    for path in ("/k/2", "/k/2/survey", "/k/2/thanks"):
        total, seen, elsewhere = screen_bytes(new_page, kiosk.url + path)
        assert len(seen) >= 3, seen  # the page, its stylesheet and its script at least
        assert total < MAX_SCREEN_BYTES, f"{path} transferred {total} bytes:\n" + "\n".join(seen)
        assert not elsewhere, f"{path} made requests to other hosts: {elsewhere}"


# -- 9. keyboard only --------------------------------------------------------------------------------------

def tab_to(page, selector: str, limit: int = 40) -> None:
    """Press Tab until the focused element matches ``selector``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("s => !!document.activeElement && document.activeElement.matches(s)", selector):
            return
    focused = page.evaluate("() => document.activeElement && document.activeElement.outerHTML.slice(0, 120)")
    raise AssertionError(f"{limit} presses of Tab never reached {selector}; focus is on {focused}")


def focus_ring(page, label_selector: str) -> tuple[str, str]:
    style = page.locator(label_selector).evaluate("l => [getComputedStyle(l).outlineStyle, getComputedStyle(l).outlineWidth]")
    return tuple(style)


def test_the_survey_can_be_completed_with_the_keyboard_only(kiosk, page):
    page.goto(f"{kiosk.url}/k/2")
    tab_to(page, "a.start")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{kiosk.url}/k/2/survey")

    # The service: Tab into the choices (the focus is visible), an arrow key picks the second one.
    expect_step(page, "service")
    tab_to(page, "fieldset.current input[name=service]")
    assert focus_ring(page, "label[for=service-kk]") == ("solid", "4px")
    page.keyboard.press("ArrowDown")
    expect(page.locator("#service-pindah")).to_be_checked()
    page.wait_for_timeout(600)
    expect_step(page, "service")  # choosing with keys never jumps ahead on its own
    tab_to(page, "fieldset.current [data-next]")
    page.keyboard.press("Enter")

    # Each question: Space takes the first face, arrows move to the wanted score, Lanjut by Enter or Space.
    for i, (code, score) in enumerate(CYCLING.items()):
        expect_step(page, code)
        tab_to(page, f"fieldset.current input[name='answers.{code}']")
        page.keyboard.press("Space")
        for _ in range(score - 1):
            page.keyboard.press("ArrowRight")
        expect(page.locator(f"#{code}-{score}")).to_be_checked()
        tab_to(page, "fieldset.current [data-next]")
        page.keyboard.press("Enter" if i % 2 else "Space")

    expect_step(page, "profile")
    tab_to(page, "fieldset.current input[name='profile.jenis_kelamin']")
    page.keyboard.press("ArrowRight")  # from "Tidak ingin menjawab" to "Laki-laki"
    tab_to(page, "fieldset.current [data-next]")
    page.keyboard.press("Enter")

    expect_step(page, "comment")
    tab_to(page, "#comment")
    page.keyboard.type(COMMENT)
    tab_to(page, "#submit")
    page.keyboard.press("Enter")
    page.wait_for_url(f"{kiosk.url}/k/2/thanks")

    row = one_response(kiosk)
    assert answers_of(row) == CYCLING
    assert (row["service"], row["jenis_kelamin"], row["comment"]) == ("pindah", "L", COMMENT)
