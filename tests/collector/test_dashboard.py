"""The dashboard's figures equal skm's computation on the raw responses; pooling is by respondents;
accounts sign in, slow down, lock and time out as promised."""
import csv
import io
import re
from datetime import date

import pytest

from sqlalchemy import update

from collector import auth, demo, reports, rollups, schema, store
from skm import CODES, from_responses
from skm.periods import containing, parse
from tests.helpers import create_collector, hidden, labelled_rows, recomputed_workbook

PASSWORD = demo.DEMO_PASSWORD


@pytest.fixture(scope="module")
def demo_app(tmp_path_factory):
    instance = tmp_path_factory.mktemp("demo")
    app = create_collector({"TESTING": True}, instance_path=instance)
    demo.build(app.extensions["skm_engine"], months=4, scale=0.15, end=date(2026, 11, 20))
    return app


@pytest.fixture
def engine(demo_app):
    return demo_app.extensions["skm_engine"]


def login(client, username, password=PASSWORD):
    html = client.get("/login").get_data(as_text=True)
    return client.post("/login", data={"csrf_token": hidden(html, "csrf_token"), "username": username,
                                       "password": password})


def raw_index(engine, units, period):
    """skm's own computation on the raw rows, suspect ones left out."""
    rows = [r for r in store.raw_responses(engine, units, period.start, period.end) if not r["suspect"]]
    return from_responses([{c: r[c] for c in CODES} for r in rows]), len(rows)


PERIODS = ["2026-11", "2026-T3", "2026-S2", "2026", "2026-09-15..2026-10-20"]


@pytest.mark.parametrize("text", PERIODS)
def test_rollup_equals_skm_on_raw_responses(engine, text):
    period = parse(text)
    for unit in ("dumai-disdukcapil", "rsud-dumai"):
        expected, n = raw_index(engine, [unit], period)
        got = rollups.rollup(engine, [unit], period)
        assert got.respondents == n and got.result == expected


def test_pooling_is_by_respondents_not_an_average_of_indices(engine):
    period = parse("2026-T4")
    dinkes = store.units_under(engine, "opd", "dinkes")
    assert dinkes == ["puskesmas-dumai-kota", "rsud-dumai"]
    expected, n = raw_index(engine, dinkes, period)
    pooled = rollups.rollup(engine, dinkes, period)
    assert pooled.result == expected and pooled.respondents == n
    parts = [rollups.rollup(engine, [u], period).result.ikm for u in dinkes]
    assert pooled.result.ikm != sum(parts) / 2  # the sizes differ, so the average would be wrong
    city = store.units_under(engine, "pemda", "dumai")
    assert len(city) == 5 and rollups.rollup(engine, city, period).result == raw_index(engine, city, period)[0]


def test_breakdowns_and_trend_equal_raw(engine):
    period = parse("2026-T4")
    for service, n, result in rollups.breakdown(engine, ["dumai-disdukcapil"], period, "service"):
        rows = [r for r in store.raw_responses(engine, ["dumai-disdukcapil"], period.start, period.end)
                if r["service"] == service and not r["suspect"]]
        assert n == len(rows)
        if result:
            assert result == from_responses([{c: r[c] for c in CODES} for r in rows])
    for month, n, result in rollups.trend(engine, ["dumai-mpp"], date(2026, 11, 20), months=4):
        expected, count = raw_index(engine, ["dumai-mpp"], month)
        assert n == count and result == expected


def shown_konversi(page: str) -> str:
    return re.search(r'class="big konversi">([^<]+)<', page).group(1)


def test_every_page_and_export_shows_the_same_index(demo_app, engine):
    client = demo_app.test_client()
    login(client, "kepala-dumai-disdukcapil")
    period = parse("2026-T4")
    expected, n = raw_index(engine, ["dumai-disdukcapil"], period)
    text = str(expected.konversi).replace(".", ",")
    page = client.get("/unit/dumai-disdukcapil?period=2026-T4").get_data(as_text=True)
    assert shown_konversi(page) == text and f'<span class="big">{n}</span>' in page
    overview = client.get("/?period=2026-T4").get_data(as_text=True)
    assert f'<td class="konversi">{text}</td>' in overview
    report = client.get("/unit/dumai-disdukcapil/report?period=2026-T4").get_data(as_text=True)
    assert f"<td>{text}</td>" in report
    sheet = recomputed_workbook(client.get("/unit/dumai-disdukcapil/export.xlsx?period=2026-T4").data)["Pengolahan"]
    values = {label: row[1] for label, row in labelled_rows(sheet).items()}
    assert values["Nilai konversi (IKM x 25)"] == float(expected.konversi)
    assert values["Mutu pelayanan"] == expected.mutu and values["Jumlah responden"] == n
    numbered = [row for row in sheet[5:] if isinstance(row[0], int)]
    assert [row[0] for row in numbered] == list(range(1, n + 1))
    exported = list(csv.DictReader(io.StringIO(client.get(
        "/unit/dumai-disdukcapil/export.csv?period=2026-T4").get_data(as_text=True))))
    assert len([r for r in exported if r["suspect"] in ("False", "0")]) == n
    public = demo_app.test_client().get("/publik/dumai-disdukcapil").get_data(as_text=True)
    current = containing("triwulan", reports.today_in("Asia/Jakarta"))
    assert current.label("id") in public and "NIK" not in public


def test_comments_are_masked(demo_app, engine):
    client = demo_app.test_client()
    login(client, "sekda")
    pages = "".join(client.get(f"/unit/{u}?period=2026").get_data(as_text=True) for u in
                    ("dumai-disdukcapil", "dumai-mpp", "rsud-dumai", "puskesmas-dumai-kota", "bapenda-samsat"))
    assert "1472012501900003" not in pages and "0812-7654-3210" not in pages
    exported = client.get("/unit/dumai-disdukcapil/export.csv?period=2026").get_data(as_text=True)
    assert "1472012501900003" not in exported and "0812-7654-3210" not in exported


def test_rebuild_equals_incremental_on_the_demo(engine):
    before = store.all_aggregates(engine)
    store.rebuild_aggregates(engine)
    assert store.all_aggregates(engine) == before


def test_population_entered_gives_sample_adequacy_and_followups_are_kept(demo_app, engine):
    client = demo_app.test_client()
    login(client, "kepala-dumai-mpp")
    page = client.get("/unit/dumai-mpp?period=2026-11").get_data(as_text=True)
    token = hidden(page, "csrf_token")
    assert client.post("/unit/dumai-mpp/population?period=2026-11", data={"csrf_token": token,
                                                                         "recipients": "5000"}).status_code == 302
    page = client.get("/unit/dumai-mpp?period=2026-11").get_data(as_text=True)
    assert "minimal 357 dari 5000 penerima layanan" in page
    client.post("/unit/dumai-mpp/followup?period=2026-11", data={
        "csrf_token": token, "unsur": "prosedur", "action": "Sederhanakan alur perizinan", "person": "Kabid Pelayanan",
        "deadline": "2026-12-31", "status": "rencana"})
    assert [f["action"] for f in store.followups(engine, "dumai-mpp", "2026-11")] == ["Sederhanakan alur perizinan"]
    bad = client.post("/unit/dumai-mpp/population?period=2026-11", data={"csrf_token": token, "recipients": "-3"})
    assert bad.status_code == 302 and store.population(engine, "dumai-mpp", "2026-11") == 5000


def test_login_rotates_the_session_and_audits(demo_app, engine):
    client = demo_app.test_client()
    client.get("/lang/en")  # something in the session before
    with client.session_transaction() as s:
        s["planted"] = "by someone else"
    assert login(client, "sekda").status_code == 302
    with client.session_transaction() as s:
        assert "planted" not in s and s["user"] == "sekda" and len(s["sid"]) == 32
    actions = [e["action"] for e in store.audit_entries(engine, 5)]
    assert actions[0] == "login"
    client.get("/unit/rsud-dumai/export.csv?period=2026-11")
    entry = store.audit_entries(engine, 1)[0]
    assert (entry["action"], entry["target"], entry["detail"]) == ("export", "rsud-dumai", "csv 2026-11")


def test_failed_logins_slow_then_lock(tmp_path):
    app = create_collector({"TESTING": True}, instance_path=tmp_path)
    engine = app.extensions["skm_engine"]
    store.save_pemda(engine, "p", "P")
    store.save_opd(engine, "o", "p", "O")
    store.save_unit(engine, "u", "o", "U")
    auth.create_user(engine, "ani", "Ani", "kata-sandi-panjang", "kepala_unit", ["u"])
    client = app.test_client()
    for _ in range(auth.SLOW_AFTER):
        assert "salah" in login(client, "ani", "keliru").get_data(as_text=True)
    slowed = login(client, "ani", "kata-sandi-panjang")  # even the right password must wait now
    assert slowed.status_code == 400 and "Coba lagi dalam" in slowed.get_data(as_text=True)
    for _ in range(auth.LOCK_AFTER - auth.SLOW_AFTER):
        with engine.begin() as conn:  # let the wait pass
            conn.execute(update(schema.login_throttle).values(next_attempt_at=None))
        login(client, "ani", "keliru")
    assert store.login_failures(engine, "ani") == auth.LOCK_AFTER
    assert "Coba lagi dalam" in login(client, "ani", "kata-sandi-panjang").get_data(as_text=True)
    failures = [e for e in store.audit_entries(engine) if e["action"] == "login_failed"]
    assert len(failures) == auth.LOCK_AFTER


def test_unknown_user_gets_the_same_answer(demo_app):
    client = demo_app.test_client()
    assert login(client, "nobody", "x").get_data(as_text=True).count("Nama pengguna atau kata sandi salah.") == 1


def test_idle_session_ends(demo_app):
    client = demo_app.test_client()
    login(client, "sekda")
    with client.session_transaction() as s:
        s["seen"] -= demo_app.config["COLLECTOR_IDLE_MINUTES"] * 60 + 1
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].startswith("/login")


def test_logout(demo_app):
    client = demo_app.test_client()
    login(client, "sekda")
    page = client.get("/").get_data(as_text=True)
    assert client.post("/logout", data={"csrf_token": hidden(page, "csrf_token")}).status_code == 302
    assert client.get("/").status_code == 302


def test_security_headers_and_secure_cookies_over_https(demo_app):
    client = demo_app.test_client()
    response = client.get("/login", base_url="https://skm.example")
    assert "unsafe-inline" not in response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["Strict-Transport-Security"]
    cookie = response.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" in cookie
    plain = client.get("/login")
    assert "Secure" not in plain.headers.get("Set-Cookie", "")


def test_user_cli(tmp_path):
    from click.testing import CliRunner
    from skm.cli import main
    from tests.helpers import seed_collector
    seed_collector(tmp_path)
    run = lambda *a: CliRunner().invoke(main, ["collector", "--instance", str(tmp_path), *a])  # noqa: E731
    added = run("user", "add", "budi", "--name", "Budi", "--role", "kepala_unit", "--unit", "dumai-mpp",
                "--password", "panjang-sekali")
    assert added.exit_code == 0, added.output
    assert "budi  Budi  kepala_unit  dumai-mpp" in run("user", "list").output
    assert "10 characters" in run("user", "add", "x", "--name", "X", "--role", "admin", "--password", "short").output
    assert "needs at least one --unit" in run("user", "add", "y", "--name", "Y", "--role", "kepala_unit",
                                              "--password", "panjang-sekali").output
    assert "unit 'nowhere' does not exist" in run("user", "add", "z", "--name", "Z", "--role", "kepala_unit",
                                                  "--unit", "nowhere", "--password", "panjang-sekali").output
    assert "rebuilt from 0 responses" in run("rebuild-aggregates").output


def test_overview_pools_by_respondents_in_a_fixed_number_of_queries(engine):
    from sqlalchemy import event
    period = parse("2026-T4")
    units = store.all_units(engine)
    statements = []

    def count(*_args):
        statements.append(1)

    event.listen(engine, "before_cursor_execute", count)
    try:
        one = len(statements), reports.overview(engine, units[:1], period), len(statements)
        everything = reports.overview(engine, units, period)
        queries_all = len(statements) - one[2]
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert queries_all == one[2] - one[0]  # five units cost what one does
    dinkes = next(p for p in everything["pooled"] if p["code"] == "dinkes")
    expected, n = raw_index(engine, store.units_under(engine, "opd", "dinkes"), period)
    assert dinkes["rollup"].result == expected and dinkes["rollup"].respondents == n
    city = next(p for p in everything["pooled"] if p["level"] == "pemda")
    assert city["rollup"].result == raw_index(engine, [u["code"] for u in units], period)[0]
    for summary in everything["summaries"]:
        assert summary.rollup.result == raw_index(engine, [summary.unit["code"]], period)[0]


def test_scored_comments_filter_equals_the_raw_rows(engine):
    """The comment filter of the unit page against the raw responses: by an unsur's score, and by the nine's
    average rounded half-up; a page at a time, newest first, nothing lost between pages."""
    period = parse("2026")
    raw = [r for r in store.raw_responses(engine, ["dumai-disdukcapil"], period.start, period.end) if r["comment"]]
    assert raw
    everything = store.scored_comments(engine, ["dumai-disdukcapil"], period.start, period.end, limit=10_000)
    assert len(everything) == len(raw)
    for score in (1, 2, 3, 4):
        by_unsur = store.scored_comments(engine, ["dumai-disdukcapil"], period.start, period.end, unsur="waktu",
                                         score=score, limit=10_000)
        assert len(by_unsur) == sum(1 for r in raw if r["waktu"] == score)
        assert all(c["waktu"] == score for c in by_unsur)
        by_average = store.scored_comments(engine, ["dumai-disdukcapil"], period.start, period.end, score=score,
                                           limit=10_000)
        expected = [r for r in raw if int((2 * sum(r[c] for c in CODES) + 9) // 18) == score]
        assert len(by_average) == len(expected), score
    pages = [store.scored_comments(engine, ["dumai-disdukcapil"], period.start, period.end, limit=7, offset=o)
             for o in range(0, len(raw) + 7, 7)]
    assert [c for page in pages for c in page] == everything


def test_period_spellings_redirect_and_a_bad_one_is_shown_inline(demo_app):
    client = demo_app.test_client()
    login(client, "kepala-dumai-disdukcapil")
    moved = client.get("/unit/dumai-disdukcapil?period=TW3+2026&tanpa_tautan=1")
    assert moved.status_code == 302
    assert moved.headers["Location"] == "/unit/dumai-disdukcapil?tanpa_tautan=1&period=2026-T3"
    picked = client.get("/?kind=semester&year=2026&semester=2&month=1")
    assert picked.status_code == 302 and picked.headers["Location"] == "/?period=2026-S2"
    bad = client.get("/unit/dumai-disdukcapil?period=Triwulan+Lima")
    page = bad.get_data(as_text=True)
    assert bad.status_code == 400 and 'id="period-error"' in page and "&#39;Triwulan Lima&#39; tidak dikenal" in page
    assert 'class="headline"' in page and 'value="Triwulan Lima"' in page
    assert client.get("/unit/dumai-disdukcapil/export.csv?period=Triwulan+Lima").status_code == 400
    default = client.get("/").get_data(as_text=True)
    assert reports.default_period().label("id") in default
    assert reports.default_period() == containing("triwulan", reports.today_in("Asia/Jakarta")).previous()
