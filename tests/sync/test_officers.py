"""Officer feedback end to end: check-in at the kiosk, attribution by who was on duty when the survey
started, sync, and what the officer, their kepala unit and pimpinan may see."""
import io
from datetime import date

import openpyxl
import pytest
from werkzeug.security import check_password_hash, generate_password_hash

from collector import auth, store as cstore
from kiosk import create_app as create_kiosk
from kiosk import store as kstore
from kiosk import sync
from tests.helpers import (CollectorServer, collector_engine, create_collector, full_answers, hidden, init_kiosk,
                           seed_collector)

ANI, BUDI = "198501012010011001", "198702022011012002"


@pytest.fixture
def office(tmp_path):
    """A collector process with two officers, and an enrolled kiosk that has pulled them."""
    instance = seed_collector(tmp_path / "collector")
    engine = collector_engine(instance)
    cstore.save_officer(engine, ANI, "Ani Lubis", "dumai-disdukcapil", generate_password_hash("1111"))
    cstore.save_officer(engine, BUDI, "Budi Siregar", "dumai-disdukcapil", generate_password_hash("2222"))
    cstore.save_officer(engine, "199001012015011003", "Citra MPP", "dumai-mpp", generate_password_hash("3333"))
    server = CollectorServer(instance).start()
    _id, code = cstore.add_kiosk(engine, "dumai-disdukcapil")
    kiosk_instance = init_kiosk(tmp_path / "kiosk")
    db = kstore.connect(str(kiosk_instance / "kiosk.db"))
    sync.enroll(db, server.url, code)
    kiosk = create_kiosk({"TESTING": True, "KIOSK_MIN_SURVEY_SECONDS": 0}, instance_path=kiosk_instance)
    staff = kiosk.test_client()
    page = staff.get("/staff/login").get_data(as_text=True)
    staff.post("/staff/login", data={"csrf_token": hidden(page, "csrf_token"), "pin": "4321"})
    yield {"engine": engine, "server": server, "db": db, "kiosk": kiosk, "staff": staff, "instance": instance}
    db.conn.close()
    server.stop()
    engine.dispose()


def check_in(office, nip, counter, pin):
    page = office["staff"].get("/staff/").get_data(as_text=True)
    return office["staff"].post("/staff/checkin", data={"csrf_token": hidden(page, "csrf_token"), "nip": nip,
                                                        "counter": counter, "pin": pin})


def start(client, counter="2"):
    page = client.get(f"/k/{counter}/survey").get_data(as_text=True)
    assert ANI not in page and "Ani Lubis" not in page  # citizens never see who served them
    return {"csrf_token": hidden(page, "csrf_token"), "ticket": hidden(page, "ticket")}


def finish(client, form, counter="2", score=3, comment=""):
    extra = {"service": "kk"} if counter == "2" else {}
    extra = {**extra, "comment": comment} if comment else extra
    assert client.post(f"/k/{counter}/survey", data={**form, **full_answers(score), **extra}).status_code == 303


def officer_of_rows(db):
    return [r[0] for r in db.conn.execute("SELECT officer FROM responses ORDER BY seq")]


def test_attribution_follows_who_was_on_duty_when_the_survey_started(office):
    db, citizen = office["db"], office["kiosk"].test_client()
    assert [o["nip"] for o in kstore.officers(db)] == [ANI, BUDI]  # pulled from the collector at enrollment
    finish(citizen, start(citizen))  # nobody checked in yet
    assert check_in(office, ANI, "2", "1111").status_code == 302
    finish(citizen, start(citizen))  # Ani on duty
    begun = start(citizen)  # a citizen starts while Ani is on duty ...
    check_in(office, BUDI, "2", "2222")  # ... the shift changes to Budi mid-survey ...
    finish(citizen, begun)  # ... the survey still belongs to Ani
    finish(citizen, start(citizen))  # Budi's now
    finish(citizen, start(citizen, "1"), counter="1")  # a counter nobody checked in to
    shift = kstore.open_shifts(db, "0000")[0]
    office["staff"].post(f"/staff/checkout/{shift['id']}", data={
        "csrf_token": hidden(office["staff"].get("/staff/").get_data(as_text=True), "csrf_token")})
    finish(citizen, start(citizen))  # after check-out
    assert officer_of_rows(db) == [None, ANI, ANI, BUDI, None, None]


def test_a_wrong_pin_starts_no_shift(office):
    response = check_in(office, ANI, "2", "9999")
    assert response.status_code == 302 and "checkin_error" in response.headers["Location"]
    assert kstore.open_shifts(office["db"], "0000") == []
    assert "NIP, loket, atau PIN petugas salah." in office["staff"].get(response.headers["Location"]).get_data(
        as_text=True)


def test_yesterdays_shift_is_not_on_duty(office):
    db = office["db"]
    kstore.check_in(db, ANI, "2", "2020-01-01T08:00:00.000+07:00")
    citizen = office["kiosk"].test_client()
    finish(citizen, start(citizen))
    assert officer_of_rows(db) == [None]


def login(app, username, password="kata-sandi-demo"):
    client = app.test_client()
    page = client.get("/login").get_data(as_text=True)
    client.post("/login", data={"csrf_token": hidden(page, "csrf_token"), "username": username, "password": password})
    return client


def test_synced_responses_become_officer_feedback_with_the_minimum(office):
    db, citizen = office["db"], office["kiosk"].test_client()
    check_in(office, ANI, "2", "1111")
    for i in range(5):
        finish(citizen, start(citizen), score=2 + i % 3, comment="Antrian lama" if i == 0 else "")
    assert sync.sync_once(db).ok
    engine = office["engine"]
    auth.create_user(engine, "ani", "Ani Lubis", "kata-sandi-demo", "petugas", [], officer=ANI)
    auth.create_user(engine, "budi", "Budi Siregar", "kata-sandi-demo", "petugas", [], officer=BUDI)
    auth.create_user(engine, "kepala", "Kepala", "kata-sandi-demo", "kepala_unit", ["dumai-disdukcapil"])
    auth.create_user(engine, "kepala-mpp", "Kepala MPP", "kata-sandi-demo", "kepala_unit", ["dumai-mpp"])
    auth.create_user(engine, "sekda", "Sekda", "kata-sandi-demo", "pimpinan", [])
    period = f"{date.today().year}"
    few = create_collector({"TESTING": True}, instance_path=office["instance"])  # minimum 30: not enough
    ani = login(few, "ani")
    assert ani.get("/").headers["Location"] == f"/officer/{ANI}"
    page = ani.get(f"/officer/{ANI}?period={period}").get_data(as_text=True)
    assert "Data belum cukup: 5 responden, minimal 30" in page and 'class="officer-konversi"' not in page
    workbook = openpyxl.load_workbook(io.BytesIO(ani.get(f"/officer/{ANI}/export.xlsx?period={period}").data))
    assert any("Data belum cukup" in str(r[0]) for r in workbook.active.iter_rows(values_only=True))
    assert "Data belum cukup" in ani.get(f"/officer/{ANI}/report?period={period}").get_data(as_text=True)
    # A petugas sees only themselves; no unit page, no other officer.
    assert ani.get(f"/officer/{BUDI}").status_code == 404
    assert ani.get("/unit/dumai-disdukcapil").status_code == 404
    assert ani.get("/unit/dumai-disdukcapil/officers").status_code == 404
    enough = create_collector({"TESTING": True, "COLLECTOR_OFFICER_MIN_RESPONSES": 5}, instance_path=office["instance"])
    ani = login(enough, "ani")
    page = ani.get(f"/officer/{ANI}?period={period}").get_data(as_text=True)
    assert '<td class="officer-respondents">5</td>' in page and 'class="officer-konversi"' in page
    comment = page.split('id="comments"')[1].split("</ul>")[0]  # with its scores, unsur by name, service too
    assert "Antrian lama" in comment and "Rata-rata <strong>2,0</strong>" in comment and "Waktu 2" in comment
    assert "Kartu Keluarga" in comment
    konversi = page.split('class="officer-konversi">')[1].split("<")[0]
    trend = page.split("Tren 12 bulan")[1]
    assert f"<td>5</td>\n    <td>{konversi}</td>" in trend  # this month's trend row: the same five responses
    # A context note travels with the view and the export.
    token = hidden(page, "csrf_token")
    ani.post(f"/officer/{ANI}/note?period={period}", data={"csrf_token": token, "note": "Server antrian mati"})
    assert "Server antrian mati" in ani.get(f"/officer/{ANI}?period={period}").get_data(as_text=True)
    rows = list(openpyxl.load_workbook(io.BytesIO(ani.get(
        f"/officer/{ANI}/export.xlsx?period={period}").data)).active.iter_rows(values_only=True))
    assert any(r[1] == "Server antrian mati" for r in rows)
    [exported] = [r[1] for r in rows if r[0] == "Nilai konversi"]
    assert exported == float(konversi.replace(",", "."))
    # Budi cannot write on Ani's page; the kepala unit sees what Ani sees, the other unit's kepala nothing.
    budi = login(enough, "budi")
    assert budi.post(f"/officer/{ANI}/note", data={"csrf_token": token, "note": "x"}).status_code in (400, 404)
    kepala = login(enough, "kepala")
    assert konversi in kepala.get(f"/officer/{ANI}?period={period}").get_data(as_text=True)
    assert login(enough, "kepala-mpp").get(f"/officer/{ANI}").status_code == 404
    # Every view of an officer's data is in the audit log.
    views = [e for e in cstore.audit_entries(office["engine"]) if e["action"] == "view_officer"]
    assert {e["username"] for e in views} >= {"ani", "kepala"} and all(e["target"] == ANI for e in views)


def test_no_leaderboard_unless_the_unit_turns_it_on_for_pimpinan(office):
    engine = office["engine"]
    auth.create_user(engine, "sekda", "Sekda", "kata-sandi-demo", "pimpinan", [])
    auth.create_user(engine, "kepala", "Kepala", "kata-sandi-demo", "kepala_unit", ["dumai-disdukcapil"])
    app = create_collector({"TESTING": True, "COLLECTOR_OFFICER_MIN_RESPONSES": 1}, instance_path=office["instance"])
    sekda = login(app, "sekda")
    page = sekda.get("/unit/dumai-disdukcapil/officers").get_data(as_text=True)
    assert "Urut nama; tidak ada peringkat" in page and "<th scope=\"col\">#</th>" not in page
    cstore.set_officer_ranking(engine, "dumai-disdukcapil", True)
    page = sekda.get("/unit/dumai-disdukcapil/officers").get_data(as_text=True)
    assert "hanya untuk pimpinan" in page and "<th scope=\"col\">#</th>" in page
    kepala_page = login(app, "kepala").get("/unit/dumai-disdukcapil/officers").get_data(as_text=True)
    assert "<th scope=\"col\">#</th>" not in kepala_page  # ranking is for pimpinan only
    entries = [e for e in cstore.audit_entries(engine) if e["action"] == "view_officers"]
    assert any(e["detail"].endswith("ranked") and e["username"] == "sekda" for e in entries)


# -- officer PINs on the kiosk's disk (docs/security.md, "Officer PINs") --------------------------------------

def kiosk_files(office) -> bytes:
    """What a copy of the kiosk's database holds: the file and its write-ahead log (not the instance's key)."""
    path = office["kiosk"].config["KIOSK_DATABASE"]
    return b"".join(open(p, "rb").read() for p in (path, path + "-wal") if __import__("os").path.exists(p))


def test_the_kiosk_database_holds_no_pin_hash_and_check_in_works_offline(office):
    collector_hash = cstore.get_officer(office["engine"], ANI)["pin_hash"]
    digest = collector_hash.rsplit("$", 1)[1]
    assert digest.encode() not in kiosk_files(office)  # the crackable hash never reaches the kiosk's disk
    stored = [v for row in office["db"].conn.execute("SELECT * FROM officers") for v in row if isinstance(v, str)]
    assert stored and not any(check_password_hash(v, pin) for v in stored for pin in ("1111", "2222")
                              if v.startswith(("scrypt:", "pbkdf2:")))
    office["server"].stop()  # the collector out of reach: check-in is verified on the kiosk alone
    response = check_in(office, ANI, "2", "1111")
    assert response.status_code == 302 and "checkin_error" not in response.headers["Location"]
    assert [s["nip"] for s in kstore.open_shifts(office["db"], "0000")] == [ANI]


def test_wrong_check_in_pins_pause_that_officer(office):
    attempts = office["kiosk"].config["KIOSK_STAFF_PIN_ATTEMPTS"]
    for _ in range(attempts):
        assert "checkin_error=1" in check_in(office, ANI, "2", "9999").headers["Location"]
    paused = check_in(office, ANI, "2", "1111")  # even the right PIN waits now
    assert "checkin_error=paused" in paused.headers["Location"]
    assert "Terlalu banyak PIN salah untuk petugas ini" in office["staff"].get(paused.headers["Location"]).get_data(
        as_text=True)
    assert "checkin_error" not in check_in(office, BUDI, "2", "2222").headers["Location"]  # others are not paused
    assert [s["nip"] for s in kstore.open_shifts(office["db"], "0000")] == [BUDI]


def test_hashes_kept_by_an_older_kiosk_are_sealed_at_start(tmp_path):
    instance = init_kiosk(tmp_path / "kiosk")
    db = kstore.connect(str(instance / "kiosk.db"))
    raw = generate_password_hash("1111")
    db.conn.execute("INSERT INTO officers (nip, name, pin_hash) VALUES (?, 'Ani', ?)", (ANI, raw))
    create_kiosk({"TESTING": True}, instance_path=instance)  # the start after an upgrade
    assert db.conn.execute("SELECT pin_hash FROM officers").fetchall() == [(None,)]
    from kiosk import officer_pins
    [officer] = kstore.officers(db)
    assert officer_pins.verify(officer["pin_verifier"], "1111", officer_pins.key_for(db))
    assert not officer_pins.verify(officer["pin_verifier"], "1112", officer_pins.key_for(db))
    db.conn.close()
