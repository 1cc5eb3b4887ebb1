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


def tap_to_the_end(page, scores: dict[str, int], lanjut: str = "Lanjut", kirim: str = "Kirim") -> None:
    """Tap the face of each score, skip the profile and send, as a brisk citizen does."""
    for code, score in scores.items():
        expect_step(page, code)
        tap(page, face(page, code, score))
    expect_step(page, "profile")
    tap(page, current(page).get_by_role("button", name=lanjut))
    expect_step(page, "comment")
    tap(page, current(page).get_by_role("button", name=kirim))


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


def test_a_brisk_citizen_finishes_in_twelve_taps(kiosk, new_page):
    page = new_page(**LANDSCAPE)
    taps = 0

    def count_tap(locator) -> None:
        nonlocal taps
        tap(page, locator)
        taps += 1

    page.goto(f"{kiosk.url}/k/1")
    count_tap(page.get_by_role("link", name="Mulai survei"))
    page.wait_for_url(f"{kiosk.url}/k/1/survey")
    for code, score in CYCLING.items():
        expect_step(page, code)
        count_tap(face(page, code, score))
    expect_step(page, "profile")
    count_tap(current(page).get_by_role("button", name="Lanjut"))
    expect_step(page, "comment")
    count_tap(current(page).get_by_role("button", name="Kirim"))
    page.wait_for_url(f"{kiosk.url}/k/1/thanks")
    assert taps <= 12, taps
    assert answers_of(one_response(kiosk)) == CYCLING


def test_tapping_the_chosen_face_again_after_kembali_moves_on(kiosk, new_page):
    page = new_page(**LANDSCAPE)
    page.goto(f"{kiosk.url}/k/1/survey")
    tap(page, face(page, "persyaratan", 2))
    expect_step(page, "prosedur")
    tap(page, current(page).get_by_role("button", name="Kembali"))
    expect_step(page, "persyaratan")
    tap(page, face(page, "persyaratan", 2))
    expect_step(page, "prosedur")
    assert checked_answers(page) == {"persyaratan": 2}


# -- 2. language per citizen -------------------------------------------------------------------------------

def switch_language(page, to: str) -> None:
    """Tap the header's language button and wait for the page in that language."""
    page.locator("header .lang").click()
    expect(page.locator("html")).to_have_attribute("lang", to)


def test_the_next_citizen_gets_bahasa_indonesia_after_the_thank_you(kiosk_factory, new_page):
    kiosk = kiosk_factory(THANKS_SECONDS=1)
    page = new_page(**LANDSCAPE)
    page.goto(f"{kiosk.url}/k/1")
    switch_language(page, "en")
    tap(page, page.get_by_role("link", name="Start the survey"))
    tap_to_the_end(page, CYCLING, "Next", "Send")
    page.wait_for_url(f"{kiosk.url}/k/1/thanks")
    expect(page.get_by_role("heading", level=1)).to_have_text("Thank you!")
    page.wait_for_url(f"{kiosk.url}/k/1")
    expect(page.locator("html")).to_have_attribute("lang", "id")
    expect(page.get_by_role("link", name="Mulai survei")).to_be_visible()


def test_the_next_citizen_gets_bahasa_indonesia_after_an_idle_return(kiosk_factory, new_page):
    kiosk = kiosk_factory(IDLE_SECONDS=1, IDLE_WARNING_SECONDS=1)
    page = new_page(**LANDSCAPE)
    page.goto(f"{kiosk.url}/k/1")
    switch_language(page, "en")
    tap(page, page.get_by_role("link", name="Start the survey"))
    expect_step(page, "persyaratan")
    page.wait_for_url(f"{kiosk.url}/k/1", timeout=10_000)
    expect(page.locator("html")).to_have_attribute("lang", "id")
    assert len(kiosk.wait_rows("abandonments", 1)) == 1


def test_the_next_citizen_gets_bahasa_indonesia_when_the_last_one_switched_and_walked_away(kiosk_factory, new_page):
    kiosk = kiosk_factory(IDLE_SECONDS=1)
    page = new_page(**LANDSCAPE)
    page.goto(f"{kiosk.url}/k/1")
    switch_language(page, "en")
    expect(page.get_by_role("link", name="Start the survey")).to_be_visible()
    expect(page.locator("html")).to_have_attribute("lang", "id", timeout=10_000)
    expect(page.get_by_role("link", name="Mulai survei")).to_be_visible()
    page.wait_for_timeout(1500)  # in its own language the welcome screen stays put
    assert page.url == f"{kiosk.url}/k/1"
    expect(page.get_by_role("link", name="Mulai survei")).to_be_visible()


def test_a_language_switch_mid_survey_keeps_the_answers_and_the_step(kiosk, new_page):
    page = new_page(**LANDSCAPE)
    page.goto(f"{kiosk.url}/k/2/survey")
    tap(page, current(page).get_by_text("Kartu Keluarga", exact=True))
    first = dict(list(CYCLING.items())[:3])
    for code, score in first.items():
        expect_step(page, code)
        tap(page, face(page, code, score))
    expect_step(page, "biaya")
    switch_language(page, "en")
    expect_step(page, "biaya")
    assert checked_answers(page) == first
    expect(page.locator("#service-kk")).to_be_checked()
    assert kiosk.rows("responses") == []

    switch_language(page, "id")
    expect_step(page, "biaya")
    tap_to_the_end(page, dict(list(CYCLING.items())[3:]))
    page.wait_for_url(f"{kiosk.url}/k/2/thanks")
    row = one_response(kiosk)
    assert answers_of(row) == CYCLING and row["service"] == "kk"


def test_without_javascript_a_language_switch_keeps_the_answers(kiosk, new_page):
    page = new_page(java_script_enabled=False)
    page.goto(f"{kiosk.url}/k/1/survey")
    first = dict(list(CYCLING.items())[:4])
    for code, score in first.items():
        page.locator(f"label[for={code}-{score}]").click()
    page.locator("#comment").fill("Ruang tunggu nyaman")
    with page.expect_navigation():
        page.locator("header .lang").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert checked_answers(page) == first
    expect(page.locator("#comment")).to_have_value("Ruang tunggu nyaman")
    assert kiosk.rows("responses") == []


def test_on_the_phone_a_language_switch_keeps_the_answers(new_page, tmp_path):
    from collector import store as cstore
    from tests.browser.test_qr_phone import PHONE, bounds
    from tests.helpers import CollectorServer, collector_engine, seed_collector
    instance = seed_collector(tmp_path / "collector")
    engine = collector_engine(instance)
    with CollectorServer(instance, {"MIN_SURVEY_SECONDS": 0}) as collector:
        phone = new_page(**PHONE)
        phone.goto(f"{collector.url}/s/dumai-disdukcapil")
        phone.locator("fieldset[data-step=service] label.option").first.tap()
        first = dict(list(CYCLING.items())[:5])
        for code, score in first.items():
            phone.locator(f"label[for={code}-{score}]").tap()
        with phone.expect_navigation():
            phone.locator("header .lang").tap()
        expect(phone.locator("html")).to_have_attribute("lang", "en")
        assert checked_answers(phone) == first
        assert list(cstore.raw_responses(engine, ["dumai-disdukcapil"], *bounds())) == []
        for code, score in list(CYCLING.items())[5:]:
            phone.locator(f"label[for={code}-{score}]").tap()
        with phone.expect_navigation():
            phone.locator("#submit").tap()
        expect(phone.locator("h1")).to_have_text("Thank you!")
    [row] = list(cstore.raw_responses(engine, ["dumai-disdukcapil"], *bounds()))
    assert answers_of(row) == CYCLING
    engine.dispose()


# -- 3. idle and Batal -------------------------------------------------------------------------------------

def test_the_idle_overlay_counts_down_and_a_tap_continues_with_the_answers_kept(kiosk_factory, new_page):
    kiosk = kiosk_factory(IDLE_SECONDS=2, IDLE_WARNING_SECONDS=3)
    page = new_page(**LANDSCAPE)
    page.goto(f"{kiosk.url}/k/1/survey")
    tap(page, face(page, "persyaratan", 4))
    expect_step(page, "prosedur")
    overlay = page.get_by_role("dialog", name="Masih mengisi?")
    expect(overlay).to_be_visible()
    count = overlay.locator("[data-countdown]")
    expect(count).to_have_text("3")
    expect(count).to_have_text("2")  # it counts down
    tap(page, overlay)
    expect(overlay).to_be_hidden()
    expect_step(page, "prosedur")
    assert checked_answers(page) == {"persyaratan": 4}
    assert kiosk.rows("abandonments") == []

    # Left alone again: the overlay, then the start, the answers discarded and the survey counted abandoned.
    expect(overlay).to_be_visible()
    page.wait_for_url(f"{kiosk.url}/k/1")
    [row] = kiosk.wait_rows("abandonments", 1)
    assert (row["reached"], row["step"]) == ("prosedur", 1)
    assert kiosk.rows("responses") == []


def test_batal_asks_once_then_abandons_as_idle_does(kiosk, new_page):
    page = new_page(**LANDSCAPE)
    page.goto(f"{kiosk.url}/k/1/survey")
    tap(page, face(page, "persyaratan", 1))
    expect_step(page, "prosedur")
    confirm = page.get_by_role("dialog", name="Batalkan survei?")
    double_tap(page, current(page).get_by_role("button", name="Batal"), 150)
    expect(confirm).to_be_visible()
    page.wait_for_timeout(SETTLE_MS)
    assert page.url == f"{kiosk.url}/k/1/survey" and kiosk.rows("abandonments") == []

    tap(page, confirm.get_by_role("button", name="Tidak, lanjutkan"))
    expect(confirm).to_be_hidden()
    expect_step(page, "prosedur")
    assert checked_answers(page) == {"persyaratan": 1}

    tap(page, current(page).get_by_role("button", name="Batal"))
    tap(page, confirm.get_by_role("button", name="Ya, batalkan"))
    page.wait_for_url(f"{kiosk.url}/k/1")
    [row] = kiosk.wait_rows("abandonments", 1)
    assert (row["reached"], row["step"]) == ("prosedur", 1)
    assert kiosk.rows("responses") == []


# -- 4. layout ---------------------------------------------------------------------------------------------

LAYOUTS = [(600, 960), (960, 600), (800, 1280), (1280, 800), (1024, 768)]


def layout_problems(page, size: tuple[int, int]) -> list[str]:
    """What is wrong with the current question step at ``size``: controls cut off, scrolling, faces out of
    one row or out of scale order, tiles of unequal height, Kembali and Lanjut not aligned."""
    page.set_viewport_size({"width": size[0], "height": size[1]})
    m = page.evaluate("""() => {
        const step = document.querySelector('fieldset.step.current');
        const box = el => { const r = el.getBoundingClientRect(); return [r.left, r.top, r.right, r.bottom]; };
        const shown = [...step.querySelectorAll('label.option, button')].filter(el => el.offsetParent !== null);
        return {step: step.dataset.step, controls: shown.map(el => [el.textContent.trim(), box(el)]),
                faces: [1, 2, 3, 4].map(s => box(step.querySelector(`label.s${s}`))),
                back: step.querySelector('[data-back]') && box(step.querySelector('[data-back]')),
                next: box(step.querySelector('[data-next]')),
                scroll: [document.documentElement.scrollWidth, document.documentElement.scrollHeight]};
    }""")
    where = f"{size[0]}x{size[1]} {m['step']}"
    problems = [f"{where}: {name!r} cut off at {b}" for name, b in m["controls"]
                if b[0] < 0 or b[1] < 0 or b[2] > size[0] + 0.5 or b[3] > size[1] + 0.5]
    if m["scroll"][0] > size[0] or m["scroll"][1] > size[1]:
        problems.append(f"{where}: the page scrolls ({m['scroll']})")
    tops = [round(b[1]) for b in m["faces"]]
    lefts = [b[0] for b in m["faces"]]
    heights = [round(b[3] - b[1]) for b in m["faces"]]
    if len(set(tops)) != 1 or lefts != sorted(lefts):
        problems.append(f"{where}: faces not in one row in scale order: tops {tops}, lefts {lefts}")
    if len(set(heights)) != 1:
        problems.append(f"{where}: face tiles of unequal height {heights}")
    if m["back"] and round(m["back"][1]) != round(m["next"][1]):
        problems.append(f"{where}: Kembali at {m['back'][1]}, Lanjut at {m['next'][1]}")
    return problems


def test_every_question_fits_every_tablet_screen(kiosk, new_page):
    page = new_page(viewport={"width": 1024, "height": 768}, has_touch=True)
    page.goto(f"{kiosk.url}/k/2/survey")
    tap(page, current(page).get_by_text("Kartu Keluarga", exact=True))
    problems = []
    for code, score in CYCLING.items():
        expect_step(page, code)
        for size in LAYOUTS:
            problems += layout_problems(page, size)
        page.set_viewport_size({"width": 1024, "height": 768})
        tap(page, face(page, code, score))
    # The profile step may scroll, but never sideways.
    expect_step(page, "profile")
    for width, height in LAYOUTS:
        page.set_viewport_size({"width": width, "height": height})
        if page.evaluate("document.documentElement.scrollWidth") > width:
            problems.append(f"{width}x{height} profile: scrolls sideways")
    assert not problems, "\n".join(problems)


# -- 5. Dengarkan ------------------------------------------------------------------------------------------

FAKE_SPEECH = """
(() => {
  const voices = %s;
  window.spoken = [];
  const synth = {
    getVoices: () => voices.map(lang => ({lang, name: 'fake ' + lang})),
    speak: u => window.spoken.push({text: u.text, lang: u.lang, voice: u.voice && u.voice.lang}),
    cancel: () => {}, addEventListener: () => {},
  };
  Object.defineProperty(window, 'speechSynthesis', {value: synth, configurable: true});
  window.SpeechSynthesisUtterance = function (text) { this.text = text; this.lang = ''; this.voice = null; };
})();
"""


def speaking_page(new_page, voices: list[str]):
    """A page whose speech synthesis (a stand-in for the browser's) has ``voices`` and records what it is given."""
    import json
    page = new_page(**LANDSCAPE)
    page.add_init_script(FAKE_SPEECH % json.dumps(voices))
    return page


def test_dengarkan_reads_the_question_and_answers_in_the_screens_language(kiosk, new_page):
    page = speaking_page(new_page, ["en-US", "id-ID"])
    page.goto(f"{kiosk.url}/k/1/survey")
    listen = current(page).get_by_role("button", name="Dengarkan")
    tap(page, listen)
    [said] = page.evaluate("window.spoken")
    assert said["lang"] == "id-ID" and said["voice"] == "id-ID"
    from skm.questionnaire import UNSUR_BY_CODE
    assert said["text"] == ". ".join([UNSUR_BY_CODE["persyaratan"].question["id"]] + [
        f"{s} dari 4: {answer('persyaratan', s)}" for s in (1, 2, 3, 4)])
    for s in (1, 2, 3, 4):  # the same words are each face's accessible name
        expect(current(page).get_by_role("radio", name=f"{s} dari 4: {answer('persyaratan', s)}")).to_have_count(1)

    switch_language(page, "en")
    tap(page, current(page).get_by_role("button", name="Listen"))
    said = page.evaluate("window.spoken")[-1]
    assert said["lang"] == "en-US" and said["text"].endswith(f"4 of 4: {answer('persyaratan', 4, 'en')}")


def test_dengarkan_is_hidden_without_a_voice_for_the_language(kiosk, new_page):
    page = speaking_page(new_page, ["en-US"])
    page.goto(f"{kiosk.url}/k/1/survey")
    expect_step(page, "persyaratan")
    expect(current(page).locator("[data-listen]")).to_be_hidden()
    switch_language(page, "en")
    expect(current(page).get_by_role("button", name="Listen")).to_be_visible()


# -- 6. accessibility of the new screens --------------------------------------------------------------------

def test_the_overlay_and_the_batal_confirm_have_no_serious_accessibility_violation(kiosk_factory, new_page):
    from tests.browser.test_kiosk_survey import axe_problems
    kiosk = kiosk_factory(IDLE_SECONDS=2, IDLE_WARNING_SECONDS=30)
    page = speaking_page(new_page, ["id-ID"])
    page.goto(f"{kiosk.url}/k/1/survey")
    expect(current(page).get_by_role("button", name="Dengarkan")).to_be_visible()
    problems = axe_problems(page, "question with Dengarkan and Batal")
    tap(page, current(page).get_by_role("button", name="Batal"))
    expect(page.get_by_role("dialog", name="Batalkan survei?")).to_be_visible()
    problems += axe_problems(page, "Batal confirm")
    tap(page, page.get_by_role("button", name="Tidak, lanjutkan"))
    expect(page.get_by_role("dialog", name="Masih mengisi?")).to_be_visible()
    problems += axe_problems(page, "idle overlay")
    assert not problems, "accessibility violations:\n" + "\n".join(problems)
