"""A citizen with a receipt, on a phone-sized screen: open the QR code's URL, answer, see the thanks; a
second visit is told, kindly, that the receipt was already used."""
import pytest

from collector import store as cstore
from kiosk import receipts
from kiosk import store as kstore
from kiosk import sync
from tests.helpers import CollectorServer, collector_engine, init_kiosk, seed_collector

pytestmark = pytest.mark.browser
PHONE = {"viewport": {"width": 360, "height": 740}, "is_mobile": True, "has_touch": True, "device_scale_factor": 2}


def test_scan_answer_thanks_then_refused(new_page, tmp_path):
    instance = seed_collector(tmp_path / "collector")
    engine = collector_engine(instance)
    _id, code = cstore.add_kiosk(engine, "dumai-disdukcapil")
    kiosk_instance = init_kiosk(tmp_path / "kiosk")
    with CollectorServer(instance) as collector:
        db = kstore.connect(str(kiosk_instance / "kiosk.db"))
        sync.enroll(db, collector.url, code)
        issued = receipts.issue(db, "2", "kk", None, 7)  # what the slip's QR code holds
        db.conn.close()

        phone = new_page(**PHONE)
        sizes = []
        phone.on("response", lambda r: sizes.append(len(r.body())) if r.ok else None)
        phone.goto(issued.url)
        assert sum(sizes) < 100 * 1024  # light enough for a slow 3G connection
        assert phone.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
        for question in range(9):
            phone.locator("fieldset.question").nth(question).locator("label.face-option").nth(2).tap()
        phone.locator("label[for=jenis_kelamin-1]").tap()
        phone.fill("#comment", "Cepat, terima kasih")
        with phone.expect_navigation():
            phone.locator("#submit").tap()
        assert "Terima kasih!" in phone.inner_text("h1")

        again = new_page(**PHONE)  # the same QR, later, on another phone
        again.goto(issued.url)
        assert "Sudah dinilai" in again.inner_text("h1")
        assert again.locator("form").count() == 0

    [row] = [r for r in cstore.raw_responses(engine, ["dumai-disdukcapil"], *bounds())]
    assert (row["channel"], row["counter"], row["service"], row["waktu"], row["jenis_kelamin"], row["comment"]) == \
        ("qr", "2", "kk", 3, "L", "Cepat, terima kasih")
    engine.dispose()


def bounds():
    from datetime import date, timedelta
    return date.today() - timedelta(days=2), date.today() + timedelta(days=2)


# -- the phone page: first screen, errors beside their question, a double tap, bytes on the wire ----------------

SERIOUS = ("serious", "critical")


@pytest.fixture
def phone_receipts(tmp_path):
    """A collector process and a kiosk enrolled at it; ``issue()`` prints one more receipt's URL."""
    instance = seed_collector(tmp_path / "collector")
    engine = collector_engine(instance)
    _id, code = cstore.add_kiosk(engine, "dumai-disdukcapil")
    db = kstore.connect(str(init_kiosk(tmp_path / "kiosk") / "kiosk.db"))
    with CollectorServer(instance) as collector:
        sync.enroll(db, collector.url, code)
        collector.issue = lambda: receipts.issue(db, "2", "kk", None, 7)
        collector.engine = engine
        yield collector
    db.conn.close()
    engine.dispose()


def axe_problems(page, screen: str) -> list[str]:
    from axe_playwright_python.sync_playwright import Axe
    violations = Axe().run(page).response["violations"]
    return [f"{screen}: {v['id']} ({v['impact']}) {v['help']}: {[n['target'] for n in v['nodes']]}"
            for v in violations if v["impact"] in SERIOUS]


def in_viewport(page, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    return box is not None and box["y"] >= 0 and box["y"] + box["height"] <= PHONE["viewport"]["height"]


@pytest.mark.parametrize("lang", ["id", "en"])
def test_the_first_questions_faces_are_on_the_first_screen(new_page, phone_receipts, lang):
    phone = new_page(**PHONE)
    phone.goto(f"{phone_receipts.url}/lang/{lang}?next=/q/{phone_receipts.issue().token}")
    assert phone.locator("fieldset.question").first.locator("label.face-option").count() == 4
    assert in_viewport(phone, "fieldset.question >> nth=0 >> .faces")
    assert phone.evaluate("window.scrollY") == 0 and phone.evaluate("document.documentElement.scrollWidth") <= 360


@pytest.mark.parametrize("lang, message", [("id", "jawaban wajib diisi"), ("en", "an answer is required")])
def test_a_missing_answer_is_told_beside_its_question_with_the_focus_there(new_page, phone_receipts, lang, message):
    phone = new_page(**PHONE)
    url = phone_receipts.issue().url
    phone.goto(f"{phone_receipts.url}/lang/{lang}?next={url.split(phone_receipts.url)[1]}")
    questions = phone.locator("fieldset.question")
    for question in range(9):
        if question != 2:  # the third question, waktu, is left out
            questions.nth(question).locator("label.face-option").nth(3).tap()
    with phone.expect_navigation():
        phone.locator("#submit").tap()
    beside = phone.locator("#f-answers\\.waktu .field-error")
    assert beside.inner_text() == message and phone.locator(".field-error").count() == 1
    assert phone.evaluate("document.activeElement.id") == "f-answers.waktu"
    assert in_viewport(phone, "#f-answers\\.waktu .field-error")
    assert phone.locator("input[name='answers.sarana'][value='4']").is_checked()  # the answers given are kept
    problems = axe_problems(phone, f"error page ({lang})")
    questions.nth(2).locator("label.face-option").nth(1).tap()
    with phone.expect_navigation():
        phone.locator("#submit").tap()
    assert phone.inner_text("h1") == ("Terima kasih!" if lang == "id" else "Thank you!")
    [row] = cstore.raw_responses(phone_receipts.engine, ["dumai-disdukcapil"], *bounds())
    assert (row["waktu"], row["sarana"]) == (2, 4)
    assert not problems, "\n".join(problems)


def test_a_double_tap_on_kirim_shows_the_thanks_and_stores_one_row(new_page, phone_receipts):
    phone = new_page(**PHONE)
    phone.goto(phone_receipts.issue().url)
    sent, stored_first = [], []

    def slow_network(route):
        """The first Kirim reaches the real server (which stores the answer) but its answer is held back,
        as on a slow connection: the citizen sees nothing happen and taps again."""
        sent.append(route.request.post_data)
        if len(sent) == 1:
            stored_first.append(route.fetch().status)
            return
        route.continue_()

    phone.route("**/q/*", lambda route: slow_network(route) if route.request.method == "POST" else route.continue_())
    for question in range(9):
        phone.locator("fieldset.question").nth(question).locator("label.face-option").nth(1).tap()
    kirim = phone.locator("#submit")
    kirim.scroll_into_view_if_needed()
    box = kirim.bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    phone.touchscreen.tap(x, y)
    while not stored_first:
        phone.wait_for_timeout(20)
    assert stored_first == [200]
    assert len(list(cstore.raw_responses(phone_receipts.engine, ["dumai-disdukcapil"], *bounds()))) == 1
    phone.touchscreen.tap(x, y)  # the page is still the form: the first answer has not come back
    phone.locator("h1", has_text="Terima kasih!").or_(phone.locator("h1", has_text="Sudah dinilai")).wait_for()
    assert phone.inner_text("h1") == "Terima kasih!"
    assert len(sent) == 2 and sent[0] == sent[1]  # the same page sent twice, same ticket, same answers
    rows = list(cstore.raw_responses(phone_receipts.engine, ["dumai-disdukcapil"], *bounds()))
    assert [r["kompetensi"] for r in rows] == [2]


def test_the_first_visit_costs_at_most_15_kb_on_the_wire(new_page, phone_receipts):
    phone = new_page(**PHONE)  # a fresh context: nothing cached
    phone.goto(phone_receipts.issue().url)
    phone.wait_for_load_state("load")
    entries = phone.evaluate("""() => [...performance.getEntriesByType('navigation'),
                                       ...performance.getEntriesByType('resource')]
                                      .map(e => [e.name, e.transferSize, e.decodedBodySize])""")
    on_wire, decoded = sum(e[1] for e in entries), sum(e[2] for e in entries)
    assert {e[0].split("#")[0].rsplit("/", 1)[1] for e in entries[1:]} >= {"kiosk.css", "phone.css", "faces.svg"}
    assert all(e[1] > 0 for e in entries)  # every one really came over the network
    print(f"first visit: {on_wire} bytes on the wire, {decoded} decoded")
    assert on_wire <= 15 * 1024 < decoded, (on_wire, decoded, entries)


def test_a_receipt_code_typed_on_the_units_page_opens_its_survey(new_page, phone_receipts):
    issued = phone_receipts.issue()
    assert sync.sync_once(kstore.connect(str(phone_receipts.instance.parent / "kiosk" / "kiosk.db"))).ok
    phone = new_page(**PHONE)
    phone.goto(f"{phone_receipts.url}/s/dumai-disdukcapil")
    phone.locator("summary").tap()
    phone.fill("#code", "ZZZZ-ZZZZ")
    with phone.expect_navigation():
        phone.get_by_role("button", name="Buka survei struk").tap()
    assert "tidak kami kenal" in phone.inner_text("#err-code")
    assert phone.evaluate("document.activeElement.id") == "code"
    problems = axe_problems(phone, "code box with an error")
    phone.fill("#code", issued.code.lower().replace("-", " "))
    with phone.expect_navigation():
        phone.get_by_role("button", name="Buka survei struk").tap()
    assert phone.url == issued.url and "Loket 2" in phone.inner_text("p.lead")
    assert not problems, "\n".join(problems)
