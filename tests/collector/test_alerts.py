"""Alert rules on aggregates built through the real ingest API: each rule opens one episode while its
condition holds, however often it is evaluated, and clears when it stops; e-mails are queued to the right
accounts; acknowledging takes a note and is audited; inspektorat sees integrity reports only."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest

from collector import alerts, auth, store
from skm import CODES, themes
from tests.helpers import create_collector, hidden, wire_response

UNIT = "dumai-disdukcapil"
OFFICE = alerts.OfficeHours()
LEXICON = themes.default_lexicon()


@pytest.fixture
def app(instance):
    """Every batch evaluates the rules at once: these tests read a rule's outcome after each push
    (``test_rules_after_ingest_run_at_most_once_per_interval`` covers the default interval)."""
    return create_collector({"TESTING": True, "COLLECTOR_ALERTS_AFTER_INGEST_SECONDS": 0}, instance_path=instance)


def stamp(when: datetime) -> dict:
    return {"started_at": (when - timedelta(seconds=30)).isoformat(), "submitted_at": when.isoformat()}


def push(kiosk, when: datetime, n: int, score: int = 3, seq: list = [0], **changes) -> None:  # noqa: B006
    responses = []
    for _ in range(n):
        seq[0] += 1
        responses.append(wire_response(seq=seq[0], score=score, **stamp(when), **changes))
    for start in range(0, len(responses), 400):
        reply = kiosk.push(responses[start:start + 400])
        assert reply.status_code == 200, reply.data
        assert set(kiosk.statuses(reply).values()) == {"accepted"}


def episodes(engine, kind: str) -> list[dict]:
    return [a for a in store.alerts_of(engine, [UNIT], [kind], limit=100)]


def people(engine):
    auth.create_user(engine, "kepala", "Kepala", "kata-sandi-panjang", "kepala_unit", [UNIT],
                     email="kepala@dumai.example")
    auth.create_user(engine, "kepala-lain", "Lain", "kata-sandi-panjang", "kepala_unit", ["dumai-mpp"],
                     email="lain@dumai.example")
    auth.create_user(engine, "pimpinan", "Pimpinan", "kata-sandi-panjang", "pimpinan", [], email="pim@dumai.example")
    auth.create_user(engine, "inspektur", "Inspektur", "kata-sandi-panjang", "inspektorat", [],
                     email="insp@dumai.example")


def sign_in(client, username: str) -> None:
    token = hidden(client.get("/login").get_data(as_text=True), "csrf_token")
    reply = client.post("/login", data={"csrf_token": token, "username": username, "password": "kata-sandi-panjang"})
    assert reply.status_code == 302


def queued_to(engine, alert_id: int) -> list[str]:
    return sorted(m["recipient"] for m in store.mail_log(engine) if m["alert_id"] == alert_id)


def test_konversi_below_the_floor_opens_once_and_clears(kiosk, engine):
    people(engine)
    now = datetime.now(timezone.utc)
    push(kiosk, now - timedelta(hours=3), 29, score=2)
    assert episodes(engine, "konversi") == []  # 29 responses: fewer than the 30 the rule needs
    push(kiosk, now - timedelta(hours=3), 1, score=2)
    [opened] = episodes(engine, "konversi")
    assert opened["detail"] == {"konversi": "50.00", "responses": 30, "floor": "76.61", "mutu": "D"}
    for _ in range(3):
        assert [a["kind"] for a in alerts.run(engine, OFFICE, LEXICON).opened] == []
    push(kiosk, now - timedelta(hours=3), 30, score=2)
    assert len(episodes(engine, "konversi")) == 1 and episodes(engine, "konversi")[0]["cleared_at"] is None
    assert queued_to(engine, opened["id"]) == ["kepala@dumai.example"]  # the unit's head only

    push(kiosk, now - timedelta(hours=3), 300, score=4)  # (60 x 2 + 300 x 4) / 360 x 25 = 91.67
    [cleared] = episodes(engine, "konversi")
    assert cleared["id"] == opened["id"] and cleared["cleared_at"] is not None
    actions = [e["action"] for e in store.audit_entries(engine) if e["target"] == UNIT]
    assert "alert_opened" in actions and "alert_cleared" in actions

    push(kiosk, now - timedelta(hours=2), 900, score=1)  # a new episode after the first cleared
    assert [a["cleared_at"] is None for a in episodes(engine, "konversi")] == [True, False]


def test_an_unsur_dropping_against_the_four_weeks_before(kiosk, engine):
    now = datetime.now(timezone.utc)
    push(kiosk, now - timedelta(days=12), 20, score=4)
    waktu_low = {c: 4 for c in CODES} | {"waktu": 2}
    push(kiosk, now - timedelta(hours=2), 19, answers=waktu_low)
    assert episodes(engine, "nrr_turun") == []  # 19 respondents this week: fewer than 20
    push(kiosk, now - timedelta(hours=2), 1, answers=waktu_low)
    [opened] = episodes(engine, "nrr_turun")
    assert opened["subject"] == "waktu"
    assert opened["detail"] == {"unsur": "waktu", "nrr": "2.000", "nrr_before": "4.000", "drop": "2.000", "n": 20,
                                "n_before": 20}
    alerts.run(engine, OFFICE, LEXICON)
    push(kiosk, now - timedelta(hours=2), 110, score=4)  # (40 + 440) / 130 = 3.692: down 0.308, still held
    assert len(episodes(engine, "nrr_turun")) == 1 and episodes(engine, "nrr_turun")[0]["cleared_at"] is None
    push(kiosk, now - timedelta(hours=2), 10, score=4)  # (40 + 480) / 140 = 3.714: down 0.286 < 0.30
    [cleared] = episodes(engine, "nrr_turun")
    assert cleared["cleared_at"] is not None


def test_low_ratings_at_one_counter_within_an_hour(kiosk, engine):
    now = datetime.now(timezone.utc)
    push(kiosk, now - timedelta(minutes=20), 2, score=1)
    push(kiosk, now - timedelta(minutes=20), 5, score=1, counter="1")  # another counter
    low_two = {c: 2 for c in CODES}
    low_two["sarana"] = 3  # total 19: averages above 2, not a low rating
    push(kiosk, now - timedelta(minutes=10), 3, answers=low_two)
    assert [a["subject"] for a in episodes(engine, "nilai_rendah")] == ["1"]
    push(kiosk, now - timedelta(minutes=5), 1, score=2)
    assert sorted(a["subject"] for a in episodes(engine, "nilai_rendah")) == ["1", "2"]
    alerts.run(engine, OFFICE, LEXICON, now)
    assert len(episodes(engine, "nilai_rendah")) == 2
    alerts.run(engine, OFFICE, LEXICON, now + timedelta(hours=1))  # the hour has passed
    assert all(a["cleared_at"] for a in episodes(engine, "nilai_rendah"))


def test_a_kiosk_silent_for_office_hours(kiosk, engine):
    monday = datetime.now(timezone.utc) + timedelta(days=7)
    monday = (monday - timedelta(days=monday.weekday())).replace(hour=3, minute=30)  # 10:30 WIB
    assert alerts.run(engine, OFFICE, LEXICON, monday - timedelta(days=7, hours=2)).opened == ()  # before it was enrolled
    [opened] = alerts.run(engine, OFFICE, LEXICON, monday).opened
    assert opened["kind"] == "kios_diam" and opened["subject"] == kiosk.kiosk_id
    assert opened["detail"]["why"] == "sync"  # enrolled, never in contact since: its sync is not running
    assert alerts.run(engine, OFFICE, LEXICON, monday + timedelta(hours=1)).opened == ()
    push(kiosk, datetime.now(timezone.utc) - timedelta(minutes=1), 1)
    assert alerts.run(engine, OFFICE, LEXICON, datetime.now(timezone.utc)).cleared >= 1
    assert episodes(engine, "kios_diam")[0]["cleared_at"] is not None
    friday_close, zone = datetime(2026, 11, 27, 9, 0, tzinfo=timezone.utc), alerts.ZoneInfo("Asia/Jakarta")
    assert OFFICE.hours_between(friday_close, datetime(2026, 11, 30, 1, 0, tzinfo=timezone.utc), zone) == 0.0
    assert OFFICE.hours_between(friday_close, datetime(2026, 11, 30, 2, 30, tzinfo=timezone.utc), zone) == 1.5


def test_an_integrity_report_goes_to_pimpinan_and_inspektorat_masked(kiosk, engine, client):
    people(engine)
    store.save_officer(engine, "198001012005011001", "Budi Petugas", UNIT, "x")
    now = datetime.now(timezone.utc)
    push(kiosk, now - timedelta(minutes=3), 1, comment="Petugas minta uang rokok, telp saya 081234567890",
         officer="198001012005011001")
    push(kiosk, now - timedelta(minutes=3), 1, comment="Pelayanan cepat, tidak ada pungutan")
    [report] = episodes(engine, "integritas")
    assert (report["detail"]["signals"], report["detail"]["words"]) == (["pungli"], ["minta uang"])
    assert report["detail"]["comment"] == "Petugas minta uang rokok, telp saya [telepon disamarkan]"
    assert (report["unit"], report["detail"]["counter"], report["detail"]["counter_name"]) == (UNIT, "2", "Loket 2 - Kartu Keluarga")
    assert report["detail"]["submitted_at"].startswith((now - timedelta(minutes=3)).isoformat()[:16])
    assert "198001012005011001" not in str(report) and "Budi" not in str(report)  # never the officer on duty
    assert queued_to(engine, report["id"]) == ["insp@dumai.example", "kepala@dumai.example", "pim@dumai.example"]
    alerts.run(engine, OFFICE, LEXICON)
    assert len(episodes(engine, "integritas")) == 1  # one episode per response, never again

    sign_in(client, "inspektur")
    assert client.get("/").headers["Location"].endswith("/alerts")
    assert client.get(f"/unit/{UNIT}").status_code == 404  # no unit page, nothing personal
    page = client.get("/alerts").get_data(as_text=True)
    assert "[telepon disamarkan]" in page and "Budi" not in page and "(Pungutan liar)" in page
    push(kiosk, now - timedelta(minutes=1), 30, score=1)  # a konversi alert: not the inspektorat's
    assert "Konversi 7 hari" not in client.get("/alerts").get_data(as_text=True)
    token = hidden(page, "csrf_token")
    empty = client.post(f"/alerts/{report['id']}/ack", data={"csrf_token": token, "note": " "})
    assert empty.status_code == 302 and store.get_alert(engine, report["id"])["acknowledged_at"] is None
    done = client.post(f"/alerts/{report['id']}/ack", data={"csrf_token": token, "note": "Diperiksa, petugas dibina"})
    assert done.status_code == 302
    acked = store.get_alert(engine, report["id"])
    assert (acked["acknowledged_by"], acked["ack_note"]) == ("inspektur", "Diperiksa, petugas dibina")
    assert acked["cleared_at"] is not None  # a report ends when acknowledged
    [konversi] = episodes(engine, "konversi")
    assert client.post(f"/alerts/{konversi['id']}/ack", data={"csrf_token": token, "note": "x"}).status_code == 404
    assert any(e["action"] == "alert_acknowledged" and e["username"] == "inspektur"
               for e in store.audit_entries(engine))


def test_a_kepala_unit_sets_the_rules_with_checked_values(kiosk, engine, client):
    people(engine)
    sign_in(client, "kepala")
    token = hidden(client.get(f"/unit/{UNIT}").get_data(as_text=True), "csrf_token")
    form = {"csrf_token": token, "konversi-enabled": "1", "konversi-threshold": "88,31", "konversi-count": "5",
            "nrr_turun-enabled": "1", "nilai_rendah-enabled": "1", "kios_diam-threshold": "3"}
    bad = client.post(f"/unit/{UNIT}/alert-rules", data={**form, "konversi-threshold": "101"}, follow_redirects=True)
    assert "Konversi 7 hari di bawah batas, batas harus dari 25 sampai 100" in bad.get_data(as_text=True)
    assert store.saved_rules(engine, UNIT) == {}
    assert client.post(f"/unit/{UNIT}/alert-rules", data=form).status_code == 302
    rules = alerts.rules_of(engine, UNIT)
    assert (rules["konversi"].threshold, rules["konversi"].min_count) == (alerts.Decimal("88.31"), 5)
    assert not rules["kios_diam"].enabled and not rules["integritas"].enabled
    push(kiosk, datetime.now(timezone.utc) - timedelta(hours=1), 5, score=3)  # 75.00 < 88.31, 5 responses
    assert len(episodes(engine, "konversi")) == 1
    assert client.post("/unit/dumai-mpp/alert-rules", data=form).status_code == 404  # not their unit


@pytest.mark.parametrize("email", ["no-at-sign", "a@b", "x@y.z\nBcc: all@evil.example", "a b@c.d"])
def test_an_account_email_must_be_one_address(engine, email):
    with pytest.raises(auth.UserError, match="not an e-mail address"):
        auth.create_user(engine, "x", "X", "kata-sandi-panjang", "pimpinan", [], email=email)


def test_the_unit_page_shows_whether_a_done_follow_up_worked(kiosk, engine, client):
    """A follow-up on waktu done 10 days ago: 20 respondents before (waktu 2), 20 after (waktu 4)."""
    people(engine)
    now = datetime.now(timezone.utc)
    done = (now - timedelta(days=10)).astimezone(alerts.ZoneInfo("Asia/Jakarta")).date()
    from collector.reports import default_period
    period = default_period("Asia/Jakarta").key()
    store.add_followup(engine, UNIT, period, "waktu", "Tambah loket antrean", "Ani", None, "selesai", "kepala",
                       "terlemah", done)
    push(kiosk, now - timedelta(days=14), 10, answers={c: 3 for c in CODES} | {"waktu": 2})
    push(kiosk, now - timedelta(days=13), 10, answers={c: 3 for c in CODES} | {"waktu": 3})
    push(kiosk, now - timedelta(days=10), 50, score=1)  # the done day counts on neither side
    push(kiosk, now - timedelta(days=3), 20, answers={c: 3 for c in CODES} | {"waktu": 4})
    sign_in(client, "kepala")
    page = client.get(f"/unit/{UNIT}?period={period}").get_data(as_text=True)
    row = page[page.index('data-followup="'):]
    row = row[:row.index("</tr>")]
    assert "2,500 (20)" in row and "4,000 (20)" in row and "Naik, lebih besar dari kebetulan." in row


def test_an_integrity_report_names_an_officer_only_where_the_comment_does(kiosk, engine):
    store.save_officer(engine, "198001012005011001", "Budi Petugas", UNIT, "x")
    store.save_officer(engine, "198502022010012002", "Sari Jaga", UNIT, "x")
    push(kiosk, datetime.now(timezone.utc) - timedelta(minutes=2), 1, officer="198502022010012002",
         comment="Pak Budi minta uang pelicin biar cepat")
    [report] = episodes(engine, "integritas")
    assert report["detail"]["comment"] == "Pak Budi minta uang pelicin biar cepat"  # the citizen's own words
    assert "Sari" not in str(report) and "198502022010012002" not in str(report)  # not the officer on duty
    assert "suap" in report["detail"]["signals"]


@pytest.mark.parametrize("comment, signal", [
    ("Ada pungli di loket", "pungli"),
    ("Diminta uang rokok oleh petugas", "pungli"),
    ("Harus kasih uang pelicin", "suap"),
    ("Banyak calo di depan kantor", "calo"),
    ("Disuruh bayar lebih biar cepat", "suap"),
])
def test_the_five_phrases_of_the_issue_raise_an_integrity_alert(kiosk, engine, comment, signal):
    push(kiosk, datetime.now(timezone.utc) - timedelta(minutes=2), 1, comment=comment)
    [report] = episodes(engine, "integritas")
    assert signal in report["detail"]["signals"]


ADMIN_LEXICON = """[integritas.uang_sirih]
label = "Uang sirih"
label_en = "Betel money"
tema = "biaya"
tanda = ["uang sirih"]
"""


def test_the_admins_lexicon_raises_integrity_alerts_after_ingest_and_in_alerts_run(instance, tmp_path):
    from click.testing import CliRunner

    from skm.cli import main
    from tests.collector.conftest import KioskClient
    from tests.helpers import create_collector
    comment = "Di loket ada uang sirih untuk petugas"
    assert themes.default_lexicon().tag(comment).integrity == ()  # not a signal of the shipped lexicon
    lexicon_file = tmp_path / "tema.toml"
    lexicon_file.write_text(ADMIN_LEXICON, encoding="utf-8")
    config = instance / "collector.cfg"
    config.write_text((config.read_text() if config.exists() else "")
                      + f"\nCOLLECTOR_THEMES_FILE = {str(lexicon_file)!r}\n", encoding="utf-8")
    app = create_collector({"TESTING": True}, instance_path=instance)
    engine, client = app.extensions["skm_engine"], app.test_client()
    people(engine)
    kiosk_id, code = store.add_kiosk(engine, UNIT, "Tablet")
    enrolled = client.post("/api/v1/enroll", json={"code": code}).json
    kiosk = KioskClient(client, enrolled["kiosk_id"], enrolled["secret"])

    push(kiosk, datetime.now(timezone.utc) - timedelta(minutes=2), 1, comment=comment)
    [report] = episodes(engine, "integritas")  # raised by the ingest API's after-ingest evaluation
    assert (report["detail"]["signals"], report["detail"]["words"]) == (["uang_sirih"], ["uang sirih"])
    assert queued_to(engine, report["id"]) == ["insp@dumai.example", "kepala@dumai.example", "pim@dumai.example"]
    sign_in(client, "pimpinan")
    assert "(Uang sirih)" in client.get("/alerts").get_data(as_text=True)  # the admin's label, not its code

    rules = alerts.rules_of(engine, UNIT)
    alerts.save_rule(engine, UNIT, alerts.Rule("integritas", False, None, None), "kepala")
    push(kiosk, datetime.now(timezone.utc) - timedelta(minutes=1), 1, comment="Loket 3 juga ada uang sirih")
    assert len(episodes(engine, "integritas")) == 1  # the rule was off during that ingest
    alerts.save_rule(engine, UNIT, rules["integritas"], "kepala")
    result = CliRunner().invoke(main, ["collector", "--instance", str(instance), "alerts", "run", "--no-mail"])
    assert result.exit_code == 0, result.output
    assert "alerts: 1 opened" in result.output  # the scheduled run reads the same admin lexicon
    assert [a["detail"]["signals"] for a in episodes(engine, "integritas")] == [["uang_sirih"], ["uang_sirih"]]


def test_rules_after_ingest_run_at_most_once_per_interval(instance):
    """With the interval (COLLECTOR_ALERTS_AFTER_INGEST_SECONDS), a batch right after an evaluated one leaves
    the aggregate rules to the next evaluation (the schedule's here), yet its integrity report opens at once."""
    from tests.collector.conftest import KioskClient

    app = create_collector({"TESTING": True, "COLLECTOR_ALERTS_AFTER_INGEST_SECONDS": 3600}, instance_path=instance)
    engine, client = app.extensions["skm_engine"], app.test_client()
    people(engine)
    kiosk_id, code = store.add_kiosk(engine, UNIT, "Tablet")
    enrolled = client.post("/api/v1/enroll", json={"code": code}).json
    kiosk = KioskClient(client, enrolled["kiosk_id"], enrolled["secret"])
    now = datetime.now(timezone.utc)
    push(kiosk, now - timedelta(hours=3), 5, score=4)  # the first batch: evaluated
    push(kiosk, now - timedelta(hours=3), 30, score=1)  # konversi far below the floor, within the interval
    assert episodes(engine, "konversi") == []
    push(kiosk, now - timedelta(minutes=3), 1, score=1, comment="Petugas minta uang rokok supaya cepat")
    [report] = episodes(engine, "integritas")  # integrity reports never wait
    assert report["detail"]["signals"] == ["pungli"] and episodes(engine, "konversi") == []
    [opened] = alerts.run(engine, OFFICE, LEXICON).opened  # the schedule takes in what the interval left
    assert opened["kind"] == "konversi" and [a["id"] for a in episodes(engine, "konversi")] == [opened["id"]]
