"""Who may open and change what on the collector, checked for every route of the app's URL map.

The rules are read from ``app.url_map`` at test time, so a route added later is checked too: it must be on
the explicit public allow-list below, be a signed API route, or require a signed-in user; a unit page or
export must refuse a kepala unit of another unit; a POST must carry a CSRF token.
"""
from __future__ import annotations

import re
import time
import uuid
from datetime import date
from urllib.parse import parse_qs, quote, urlsplit
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from collector import auth, demo, schema, store
from skm import wire
from tests.helpers import copy_collector, create_collector, full_answers, hidden

PASSWORD = demo.DEMO_PASSWORD
OWN, OTHER = "dumai-disdukcapil", "dumai-mpp"
KEPALA, PIMPINAN, ADMIN = f"kepala-{OWN}", "sekda", "admin"
ALL_UNITS = {u.code for u in demo.UNITS}
OTHER_NAME = next(u.name for u in demo.UNITS if u.code == OTHER)

# Public by design: endpoint -> the statuses an anonymous visitor gets (with the form data of FORMS and a
# CSRF token for a POST). Anything not listed here and not a signed API route must require a sign-in.
PUBLIC = {
    "static": {200},  # the stylesheet
    "status": {200},  # health check for the operator's monitoring
    "healthz": {200},  # liveness for a monitor: says nothing but "ok"
    "readyz": {200},  # readiness for a monitor or load balancer: database and schema, no data
    "auth.login": {200},  # GET: the form (the POST is tried below with a valid account and signs in: 302)
    "auth.logout": {302},  # nothing to end: back to the sign-in page
    "public.results": {200},  # the regulation's transparency principle
    "public.switch_language": {302},
    "qr.receipt_survey": {200},  # a citizen's phone, from the QR code on a receipt: the form, then thanks
    "qr.link_survey": {200},  # the unit's general survey link (poster): the form, then thanks
    "qr.poster": {200},  # the A4 poster with the survey and results QR codes
    "qr.receipt_by_code": {303},  # a receipt's short code typed on the unit's page: on to that receipt's survey
    "api.clock": {200},  # unsigned by design: a kiosk corrects its clock before it can sign
    "api.enroll_kiosk": {400},  # unsigned by design: the one-time code is the credential (none sent here)
}
ADMIN_ONLY = {"dashboard.audit_log"}
IGNORED_METHODS = {"HEAD", "OPTIONS"}


def public_survey_form(client, path: str) -> dict:
    """A complete answer to the public survey at ``path``, with the page's ticket (as a phone would send)."""
    page = client.get(path).get_data(as_text=True)
    return {"ticket": hidden(page, "ticket"), "service": hidden(page, "service"), **full_answers(3)}


RECEIPT_NONCE = "0123456789ab"  # the receipt each demo kiosk reported (demo_instance), whose code a citizen types


def report_a_receipt_per_unit(engine) -> None:
    """Each unit's demo kiosk reports one compact receipt, as its sync does after printing a slip."""
    for unit in demo.UNITS:
        counter, _name, services = unit.counters[0]
        store.store_receipts_issued(engine, demo_kiosk(engine, unit.code), [
            {"nonce": RECEIPT_NONCE, "counter": counter, "service": services[0][0], "issued_at": int(time.time()) // 60 * 60}],
            ZoneInfo("Asia/Jakarta"))


def typed_receipt_code(client, path: str) -> dict:
    """The short code of the receipt the unit's demo kiosk reported, as a citizen types it from the slip."""
    kiosk = demo_kiosk(client.application.extensions["skm_engine"], path.split("/")[2])
    return {"code": wire.grouped_code(wire.receipt_code(kiosk["secret"], RECEIPT_NONCE))}


# Valid form data for each POST endpoint (or a function of the client and path making it), so that only the
# missing right (or token) can make it fail.
FORMS = {
    "qr.receipt_survey": public_survey_form,
    "qr.link_survey": public_survey_form,
    "qr.receipt_by_code": typed_receipt_code,
    "auth.login": {"username": ADMIN, "password": PASSWORD},
    "auth.logout": {},
    "dashboard.set_population": {"recipients": "1234"},
    "dashboard.add_followup": {"unsur": "waktu", "action": "Tambah petugas loket pada jam sibuk",
                               "person": "Kepala Seksi Pelayanan", "deadline": "2026-12-31", "status": "rencana"},
    "dashboard.set_followup_status": {"status": "berjalan"},
    "dashboard.add_officer_note": {"note": "Sistem antrian mati dua hari"},
    "dashboard.add_publication": {"published_on": "2026-10-15", "medium": "situs",
                                  "place": "https://disdukcapil.dumaikota.go.id/skm"},
    "dashboard.delete_publication": {},
    "dashboard.set_signatory": {"head_name": "Dra. Siti Aminah, M.Si.", "head_nip": "197003121995032001",
                                "report_place": "Dumai"},
    "dashboard.set_alert_rules": {"konversi-enabled": "1", "konversi-threshold": "80", "konversi-count": "20",
                                  "integritas-enabled": "1"},
    "dashboard.acknowledge_alert": {"note": "Petugas loket ditambah"},
}


# -- set-up ---------------------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def demo_instance(tmp_path_factory):
    """The Kota Dumai demo (small), built once; each test works on its own copy."""
    path = tmp_path_factory.mktemp("demo") / "collector"
    app = create_collector({"TESTING": True}, instance_path=path)
    engine = app.extensions["skm_engine"]
    demo.build(engine, months=2, scale=0.05)
    report_a_receipt_per_unit(engine)
    for unit in demo.UNITS:  # a publication of each unit, for the delete route
        store.add_publication(engine, unit.code, "2026-T3", date(2026, 10, 15), "papan", "Lobi kantor", "admin")
    for unit in demo.UNITS:  # an open alert of each unit, for the acknowledge route
        store.sync_episodes(engine, unit.code, "konversi", {"unit": {"konversi": "70.00", "responses": 40,
                                                                     "floor": "76.61", "mutu": "C"}}, [])
    engine.dispose()  # the last connection closes: the WAL is checkpointed into collector.db
    return path


@pytest.fixture
def app(demo_instance, tmp_path):
    instance = tmp_path / "collector"
    copy_collector(demo_instance, instance)
    app = create_collector({"TESTING": True}, instance_path=instance)
    # TESTING does not turn Flask-WTF's CSRF check off; only WTF_CSRF_ENABLED = False would.
    assert app.config["TESTING"] and app.config["WTF_CSRF_ENABLED"] and app.config["WTF_CSRF_CHECK_DEFAULT"]
    yield app
    app.extensions["skm_engine"].dispose()


@pytest.fixture
def engine(app):
    return app.extensions["skm_engine"]


def snapshot(engine) -> dict[str, list[str]]:
    """Every row of every table, to show that a refused request changed nothing at all."""
    with engine.connect() as conn:
        return {table.name: sorted(repr(tuple(row)) for row in conn.execute(select(table)))
                for table in schema.tables(engine.dialect.name)}


def changed_tables(before: dict, after: dict) -> list[str]:
    return [name for name in before if before[name] != after.get(name)]


def followup_id(engine, unit: str) -> int:
    with engine.connect() as conn:
        found = conn.execute(select(schema.followups.c.id).where(schema.followups.c.unit == unit)
                             .order_by(schema.followups.c.id)).scalar()
    assert found is not None, f"the demo made no follow-up for {unit}"
    return found


def routes(app):
    """(rule, method) for every route and method of the app, but HEAD and OPTIONS."""
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - IGNORED_METHODS):
            yield rule, method


def demo_kiosk(engine, unit: str) -> dict:
    with engine.connect() as conn:
        kiosk = conn.execute(select(schema.kiosks).where((schema.kiosks.c.unit == unit)
                                                         & schema.kiosks.c.secret.is_not(None))).first()
    assert kiosk is not None, f"the demo enrolled no kiosk for {unit}"
    return dict(kiosk._mapping)


def receipt_token(engine, unit: str) -> str:
    """A fresh receipt token, as the unit's demo kiosk prints it in a QR code."""
    kiosk = demo_kiosk(engine, unit)
    counter, _name, services = next(u for u in demo.UNITS if u.code == unit).counters[0]
    receipt = wire.Receipt(kiosk["id"], counter, services[0][0], int(time.time()), uuid.uuid4().hex[:16])
    return wire.make_receipt_token(kiosk["secret"], receipt)


def officer_of(unit: str) -> str:
    """The NIP of the unit's first demo officer."""
    index = next(i for i, u in enumerate(demo.UNITS) if u.code == unit)
    return demo.demo_officers(index, demo.UNITS[index])[0][0]


def url(app, rule, unit: str = OWN, followup: int | None = None) -> str:
    """The rule's URL with each argument filled in."""
    values = {}
    for arg in rule.arguments:
        if arg == "unit":
            values[arg] = unit
        elif arg == "token":
            values[arg] = receipt_token(app.extensions["skm_engine"], unit)
        elif arg == "followup_id":
            values[arg] = followup if followup is not None else followup_id(app.extensions["skm_engine"], unit)
        elif arg == "nip":
            values[arg] = officer_of(unit)
        elif arg == "lang":
            values[arg] = "en"
        elif arg == "filename":
            values[arg] = "collector.css"
        elif arg == "alert_id":
            values[arg] = alert_of(app.extensions["skm_engine"], unit)
        elif arg == "publication_id":
            values[arg] = store.publications(app.extensions["skm_engine"], unit, "2026-T3")[0]["id"]
        else:
            pytest.fail(f"route {rule.rule} has an argument {arg!r} this test cannot fill in: add it to url()")
    return app.url_map.bind("localhost").build(rule.endpoint, values)


def alert_of(engine, unit: str) -> int:
    """The id of an alert of the unit (the demo instance opens one per unit)."""
    found = store.alerts_of(engine, [unit], limit=1)
    assert found, f"no alert of {unit}"
    return found[0]["id"]


def csrf_token(client) -> str:
    """A valid CSRF token for the client's current session (the sign-in page always carries one)."""
    html = client.get("/login").get_data(as_text=True)
    for tag in re.findall(r"<input\b[^>]*>", html):
        if 'name="csrf_token"' in tag:
            return re.search(r'\bvalue="([^"]*)"', tag).group(1)
    raise AssertionError("no csrf_token on the sign-in page")


def login(app, username: str):
    client = app.test_client()
    response = client.post("/login", data={"username": username, "password": PASSWORD,
                                           "csrf_token": csrf_token(client)})
    assert response.status_code == 302, (username, response.status_code, response.get_data(as_text=True)[:500])
    return client


def call(client, rule, method: str, path: str, token: str | None):
    if method == "GET":
        return client.get(path)
    form = FORMS.get(rule.endpoint, {})
    data = dict(form(client, path) if callable(form) else form)
    if token is not None:
        data["csrf_token"] = token
    return client.open(path, method=method, data=data)


def is_login_redirect(response, path: str) -> bool:
    if response.status_code != 302:
        return False
    location = urlsplit(response.headers["Location"])
    nxt = parse_qs(location.query).get("next", [""])[0]
    return location.path == "/login" and nxt == path and not location.netloc


def report(problems: list[str]) -> str:
    return "\n".join(problems)


# -- the allow-list and sign-in ---------------------------------------------------------------------------------

def test_allow_list_is_current(app):
    endpoints = {rule.endpoint for rule in app.url_map.iter_rules()}
    assert set(PUBLIC) <= endpoints, f"stale allow-list entries: {set(PUBLIC) - endpoints}"
    assert not {e for e in PUBLIC if e.startswith("dashboard.")}, "a dashboard route may never be public"
    assert {r.endpoint for r in app.url_map.iter_rules() if "unit" in r.arguments} - {"public.results"}, \
        "no unit routes found: the URL map is not what this test expects"
    assert set(FORMS) >= {rule.endpoint for rule, method in routes(app)
                          if method == "POST" and not rule.endpoint.startswith("api.")}, \
        "a new POST route: add valid form data for it to FORMS"


def test_anonymous_gets_public_pages_and_is_sent_to_login_everywhere_else(app, engine):
    client = app.test_client()
    problems = []
    checked = 0
    for rule, method in routes(app):
        if rule.endpoint == "auth.login" and method == "POST":
            continue  # signs in: tried in test_login_post_signs_in
        path = url(app, rule, unit=OTHER)
        # a valid token for each POST (the logout clears the session), so only the sign-in rule can refuse
        token = csrf_token(client) if method == "POST" else None
        before = snapshot(engine)
        response = call(client, rule, method, path, token)
        checked += 1
        where = f"anonymous {method} {path} ({rule.endpoint})"
        if rule.endpoint in PUBLIC:
            if response.status_code not in PUBLIC[rule.endpoint]:
                problems.append(f"{where}: {response.status_code}, expected {sorted(PUBLIC[rule.endpoint])}")
        elif rule.endpoint.startswith("api."):
            body = response.get_json(silent=True)
            if response.status_code != 401 or not body or body.get("error") != "missing_auth":
                problems.append(f"{where}: {response.status_code} {response.get_data(as_text=True)[:120]!r}, "
                                f"expected 401 JSON missing_auth (a signed API route)")
        elif not is_login_redirect(response, path):
            problems.append(f"{where}: {response.status_code} {response.headers.get('Location')!r}, expected a "
                            f"redirect to /login?next={path} (add it to PUBLIC only if it is public by design)")
        if rule.endpoint not in PUBLIC and changed_tables(before, snapshot(engine)):
            problems.append(f"{where} changed {changed_tables(before, snapshot(engine))}")
    assert checked >= 18, checked
    assert not problems, report(problems)


def test_public_pages_are_as_designed(app):
    client = app.test_client()
    page = client.get(f"/publik/{OTHER}")
    assert page.status_code == 200 and page.mimetype == "text/html"
    assert OTHER_NAME in page.get_data(as_text=True)
    assert client.get("/publik/no-such-unit").status_code == 404
    assert client.get("/status").get_json()["service"] == "skm-collector"
    assert client.get("/static/collector.css").mimetype == "text/css"
    assert client.get("/api/v1/time").get_json()["server_time"]
    switched = client.get("/lang/en?next=/publik/" + OTHER)
    assert switched.status_code == 302 and switched.headers["Location"] == f"/publik/{OTHER}"


def test_login_post_signs_in(app):
    client = app.test_client()
    response = client.post("/login?next=/unit/" + OWN, data={**FORMS["auth.login"], "csrf_token": csrf_token(client)})
    assert response.status_code == 302 and response.headers["Location"] == f"/unit/{OWN}"
    assert client.get("/").status_code == 200


@pytest.mark.parametrize("target", ["//evil.example/", "/\\evil.example/", "/\t/evil.example/", "/\n/evil.example/",
                                    "/\r\n/evil.example/", "https://evil.example/", " //evil.example/"])
def test_next_never_leads_off_site(app, target):
    """Browsers drop tabs and newlines and read a backslash as a slash: each of these would be //evil.example."""
    client = app.test_client()
    response = client.post("/login?next=" + quote(target), data={**FORMS["auth.login"],
                                                                  "csrf_token": csrf_token(client)})
    assert response.status_code == 302 and response.headers["Location"] == "/", response.headers.get("Location")
    switched = client.get("/lang/en?next=" + quote(target))
    assert switched.status_code == 302 and switched.headers["Location"] == "/", switched.headers.get("Location")


# -- a kepala unit and another unit -------------------------------------------------------------------------------

def test_kepala_unit_gets_nothing_of_another_unit(app, engine):
    client = login(app, KEPALA)
    token = csrf_token(client)
    other_followup = followup_id(engine, OTHER)
    before = snapshot(engine)
    problems, checked = [], 0
    for rule, method in routes(app):
        if not {"unit", "nip", "alert_id"} & set(rule.arguments) or rule.endpoint in PUBLIC:
            continue
        path = url(app, rule, unit=OTHER, followup=other_followup)
        response = call(client, rule, method, path, token)  # with a valid token: only the access rule refuses
        checked += 1
        if response.status_code not in (403, 404):
            problems.append(f"{KEPALA} {method} {path}: {response.status_code}, expected 403 or 404")
        elif OTHER_NAME in response.get_data(as_text=True):
            problems.append(f"{KEPALA} {method} {path}: the refusal names the other unit")
    assert checked >= 7, checked
    assert not problems, report(problems)
    assert not changed_tables(before, snapshot(engine)), "a refused request changed the database"


def test_kepala_unit_opens_own_unit_pages(app):
    client = login(app, KEPALA)
    problems, checked = [], 0
    for rule, method in routes(app):
        if method != "GET" or not rule.endpoint.startswith("dashboard."):
            continue
        path = url(app, rule, unit=OWN)
        response = client.get(path)
        checked += 1
        expected = (403,) if rule.endpoint in ADMIN_ONLY else (200, 302)
        if response.status_code not in expected:
            problems.append(f"{KEPALA} GET {path}: {response.status_code}, expected {expected}")
    assert checked >= 6, checked
    assert not problems, report(problems)
    assert client.get("/unit/no-such-unit").status_code == 404


def test_kepala_unit_cannot_move_another_units_followup_through_own_unit(app, engine):
    client = login(app, KEPALA)
    before = snapshot(engine)
    response = client.post(f"/unit/{OWN}/followup/{followup_id(engine, OTHER)}",
                           data={**FORMS["dashboard.set_followup_status"], "csrf_token": csrf_token(client)})
    assert response.status_code == 400
    assert not changed_tables(before, snapshot(engine))


def overview_units(client) -> tuple[set[str], set[str]]:
    html = client.get("/").get_data(as_text=True)
    return set(re.findall(r'<tr data-unit="([^"]+)"', html)), set(re.findall(r'data-level="([^"]+)"', html))


def test_overview_lists_only_the_units_one_may_see(app):
    units, pooled = overview_units(login(app, KEPALA))
    assert units == {OWN}
    assert not pooled, "a kepala unit sees no pooled OPD or pemda figures"
    for username in (PIMPINAN, ADMIN):
        units, pooled = overview_units(login(app, username))
        assert units == ALL_UNITS, username
        assert pooled == {"opd", "pemda"}, username


# -- pimpinan reads, admin edits -------------------------------------------------------------------------------

def edit_routes(app):
    return [(rule, method) for rule, method in routes(app)
            if method == "POST" and rule.endpoint.startswith("dashboard.") and "unit" in rule.arguments]


def test_pimpinan_sees_every_unit_but_cannot_edit(app, engine):
    client = login(app, PIMPINAN)
    problems = []
    for rule, method in routes(app):
        if method != "GET" or not rule.endpoint.startswith("dashboard."):
            continue
        for unit in sorted(ALL_UNITS) if "unit" in rule.arguments else [OWN]:
            path = url(app, rule, unit=unit)
            status = client.get(path).status_code
            expected = 403 if rule.endpoint in ADMIN_ONLY else 200
            if status != expected:
                problems.append(f"{PIMPINAN} GET {path}: {status}, expected {expected}")
    token = csrf_token(client)
    before = snapshot(engine)
    edits = edit_routes(app)
    assert len(edits) >= 3
    for rule, method in edits:
        for unit in sorted(ALL_UNITS):
            path = url(app, rule, unit=unit)
            status = call(client, rule, method, path, token).status_code
            if status != 403:
                problems.append(f"{PIMPINAN} {method} {path}: {status}, expected 403")
    assert not problems, report(problems)
    assert not changed_tables(before, snapshot(engine)), "a refused edit changed the database"


@pytest.mark.parametrize("username, unit", [(ADMIN, OTHER), (KEPALA, OWN)])
def test_admin_and_own_kepala_unit_can_edit(app, engine, username, unit):
    client = login(app, username)
    token = csrf_token(client)
    for rule, method in edit_routes(app):
        before = snapshot(engine)
        path = url(app, rule, unit=unit)
        response = call(client, rule, method, path, token)
        assert response.status_code == 302, (username, method, path, response.status_code)
        assert urlsplit(response.headers["Location"]).path == f"/unit/{unit}"
        changed = changed_tables(before, snapshot(engine))
        assert set(changed) & {"populations", "followups", "units", "alert_rules", "publications"}, (path, changed)
    if username == ADMIN:
        assert client.get("/audit").status_code == 200


# -- CSRF ----------------------------------------------------------------------------------------------------------

def test_every_post_outside_the_api_needs_a_csrf_token(app, engine):
    """Signed in as admin, who may do everything (or as a citizen, for the public survey): a POST without a
    token, or with a forged one, is refused with 400 and changes nothing; the same POST with the token then
    goes through, so the token was the cause."""
    posts = [(rule, method) for rule, method in routes(app)
             if method == "POST" and not rule.endpoint.startswith("api.")]
    assert len(posts) >= 5, posts
    problems = []
    for rule, method in posts:
        signed_in = rule.endpoint not in PUBLIC or rule.endpoint == "auth.logout"
        client = login(app, ADMIN) if signed_in else app.test_client()
        path = url(app, rule, unit=OTHER)
        token = csrf_token(client)
        before = snapshot(engine)
        for label, sent in (("without a token", None), ("with a forged token", token[:-4] + "AAAA"),
                            ("with an empty token", "")):
            response = call(client, rule, method, path, sent)
            if response.status_code != 400:
                problems.append(f"{method} {path} {label}: {response.status_code}, expected 400")
        changed = changed_tables(before, snapshot(engine))
        if changed:
            problems.append(f"{method} {path} without a valid token changed {changed}")
        if signed_in and client.get("/").status_code != 200:
            problems.append(f"{method} {path} without a valid token ended the session")
        control = call(client, rule, method, path, token)
        if control.status_code == 400:
            problems.append(f"{method} {path} with a valid token: 400 too, so the test data is wrong")
    assert not problems, report(problems)


def test_api_is_exempt_from_csrf_but_signed(app):
    client = app.test_client()
    response = client.post("/api/v1/batches", data=b"{}", headers={"Content-Type": "application/json"})
    assert response.status_code == 401 and response.get_json()["error"] == "missing_auth"


# -- a petugas sees their own feedback and nothing else ---------------------------------------------------------

def test_petugas_sees_only_their_own_feedback(app, engine):
    client = login(app, f"petugas-{OWN}")
    token = csrf_token(client)
    own = officer_of(OWN)
    before = snapshot(engine)
    problems, checked = [], 0
    for rule, method in routes(app):
        if not rule.endpoint.startswith("dashboard."):
            continue
        for unit in (OWN, OTHER):
            path = url(app, rule, unit=unit)
            if method == "GET" and rule.endpoint == "dashboard.overview":
                response = client.get(path)
                if response.status_code != 302 or not response.headers["Location"].endswith(f"/officer/{own}"):
                    problems.append(f"GET {path}: {response.status_code}, expected a redirect to their own page")
                continue
            mine = "nip" in rule.arguments and unit == OWN
            response = call(client, rule, method, path, token)
            checked += 1
            if mine and method == "GET" and response.status_code != 200:
                problems.append(f"{method} {path}: {response.status_code}, expected 200 (their own)")
            elif not mine and response.status_code not in (403, 404):
                problems.append(f"{method} {path}: {response.status_code}, expected 403 or 404")
    assert checked >= 10, checked
    assert not problems, report(problems)
    changed = changed_tables(before, snapshot(engine))
    assert set(changed) <= {"audit_log", "officer_notes"}, changed  # their views are audited; a note is theirs


# -- server-side sessions -----------------------------------------------------------------------------------

def signed_in_pages(app):
    """Every GET page that needs a sign-in, with its URL (exports included)."""
    for rule, method in routes(app):
        if method == "GET" and rule.endpoint not in PUBLIC and not rule.endpoint.startswith("api."):
            yield url(app, rule)


def replay(app, cookie: str):
    """A new browser carrying a captured session cookie."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief


def refused_pages(app, cookie: str) -> list[str]:
    thief = replay(app, cookie)
    return [path for path in signed_in_pages(app) if not is_login_redirect(thief.get(path), path)]


def test_a_cookie_captured_before_logout_is_refused_on_every_page(app, engine):
    client = login(app, KEPALA)
    captured = client.get_cookie("session").value
    assert replay(app, captured).get(f"/unit/{OWN}/export.csv").status_code == 200  # the cookie works, before
    client.post("/logout", data={"csrf_token": csrf_token(client)})
    pages = list(signed_in_pages(app))
    assert f"/unit/{OWN}/export.csv" in pages and len(pages) >= 10
    assert refused_pages(app, captured) == []
    assert [e["action"] for e in store.audit_entries(engine, 2)][0] == "logout"


def test_a_password_change_ends_every_session_of_the_account(app, engine):
    client = login(app, KEPALA)
    captured = client.get_cookie("session").value
    auth.change_password(engine, KEPALA, "kata-sandi-baru-panjang")
    assert refused_pages(app, captured) == []
    assert is_login_redirect(client.get("/"), "/")


def test_disabling_an_account_ends_its_sessions_and_its_sign_in(app, engine):
    client = login(app, KEPALA)
    auth.disable_user(engine, KEPALA)
    assert is_login_redirect(client.get(f"/unit/{OWN}/export.csv"), f"/unit/{OWN}/export.csv")
    again = app.test_client()
    refused = again.post("/login", data={"username": KEPALA, "password": PASSWORD, "csrf_token": csrf_token(again)})
    assert refused.status_code == 400 and "Nama pengguna atau kata sandi salah." in refused.get_data(as_text=True)


def test_a_session_idle_at_the_collector_ends_whatever_the_cookie_says(app, engine):
    client = login(app, KEPALA)
    with engine.begin() as conn:
        conn.execute(schema.sessions.update().values(last_seen_at="2020-01-01T00:00:00.000+00:00"))
    assert is_login_redirect(client.get(f"/unit/{OWN}"), f"/unit/{OWN}")
    with engine.connect() as conn:
        assert conn.execute(select(schema.sessions.c.ended_why)).scalars().all() == ["idle"]


# -- response headers -------------------------------------------------------------------------------------------

# Public pages a browser or proxy may keep caching as it did: the public results, the citizen's survey pages
# and the poster, the language switch, static files. Every other answer (dashboard pages, exports, the API,
# sign-in) is Cache-Control: no-store.
CACHEABLE = {"static", "public.results", "public.switch_language", "qr.receipt_survey", "qr.link_survey",
             "qr.receipt_by_code", "qr.poster"}


def header_problems(where: str, response, cacheable: bool) -> list[str]:
    problems = []
    if response.headers.get("X-Content-Type-Options") != "nosniff":
        problems.append(f"{where} ({response.mimetype}): no X-Content-Type-Options: nosniff")
    no_store = "no-store" in response.headers.get("Cache-Control", "")
    if no_store == cacheable:
        problems.append(f"{where} ({response.mimetype}): Cache-Control {response.headers.get('Cache-Control')!r}, "
                        f"expected {'no no-store (a public page)' if cacheable else 'no-store'}")
    return problems


def test_every_response_has_nosniff_and_every_non_public_one_no_store(app, engine):
    """Every route of the URL map, as admin (who may open everything) or, for a public page and the API, as
    anyone: the exports, the JSON and the dashboard pages too."""
    assert CACHEABLE <= {rule.endpoint for rule in app.url_map.iter_rules()}, "stale CACHEABLE entries"
    admin, anyone = login(app, ADMIN), app.test_client()
    problems, mimetypes = [], set()
    for rule, method in routes(app):
        if rule.endpoint in ("auth.logout", "auth.login") and method == "POST":
            continue  # would end or restart the admin's session; the sign-in page itself is checked
        client = anyone if rule.endpoint in PUBLIC or rule.endpoint.startswith("api.") else admin
        path = url(app, rule, unit=OWN)
        response = call(client, rule, method, path, csrf_token(client) if method == "POST" else None)
        if client is admin and response.status_code >= 400:
            problems.append(f"admin {method} {path}: {response.status_code}, so its real answer was not checked")
        mimetypes.add(response.mimetype)
        problems += header_problems(f"{method} {path}", response, rule.endpoint in CACHEABLE)
    problems += header_problems("GET /no-such-page", anyone.get("/no-such-page"), cacheable=False)
    assert {"text/csv", "application/json", "text/html", "text/css",
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"} <= mimetypes, mimetypes
    assert not problems, report(problems)
