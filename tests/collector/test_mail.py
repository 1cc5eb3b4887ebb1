"""E-mail through a real SMTP server: aiosmtpd run as its own process (a Maildir handler), the messages read
back from its Maildir. ``skm collector alerts run`` sends the queued alert e-mails; a failed server leaves
them queued with the error; the weekly digest carries text, HTML and the PDF attachment."""
from __future__ import annotations

import mailbox
import os
import socket
import subprocess
import sys
import time
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo
from email import message_from_bytes, policy

import pytest
from click.testing import CliRunner

from collector import auth, digest, pdf, store
from skm import CODES
from collector.mail import SmtpSettings
from skm.cli import main
from skm.periods import containing
from skm.themes import default_lexicon
from tests.helpers import free_port

UNIT = "dumai-disdukcapil"


@pytest.fixture
def smtp_server(tmp_path):
    """(port, Maildir) of an aiosmtpd process that keeps every message it gets."""
    port, maildir = free_port(), tmp_path / "maildir"
    process = subprocess.Popen([sys.executable, "-m", "aiosmtpd", "-n", "-l", f"127.0.0.1:{port}",
                                "-c", "aiosmtpd.handlers.Mailbox", str(maildir)],
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 30
    while True:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            break
        except OSError:
            assert process.poll() is None and time.monotonic() < deadline, process.stdout.read() if process.stdout else ""
            time.sleep(0.1)
    yield port, maildir
    process.terminate()
    process.wait(timeout=10)


def received(maildir) -> list:
    return sorted((message_from_bytes(m.as_bytes(), policy=policy.default) for m in mailbox.Maildir(str(maildir))),
                  key=lambda m: str(m["To"]))


def smtp(port: int) -> SmtpSettings:
    return SmtpSettings("127.0.0.1", port, None, "never-shown", False, 10, "skm@dumai.example")


def test_alert_emails_are_sent_by_the_scheduled_run_and_read_back(kiosk, engine, instance, smtp_server):
    port, maildir = smtp_server
    auth.create_user(engine, "kepala", "Kepala", "kata-sandi-panjang", "kepala_unit", [UNIT],
                     email="kepala@dumai.example")
    auth.create_user(engine, "inspektur", "Inspektur", "kata-sandi-panjang", "inspektorat", [],
                     email="insp@dumai.example")
    from tests.collector.test_alerts import push
    push(kiosk, datetime.now(timezone.utc) - timedelta(minutes=5), 1, comment="Ada calo di loket, minta 200rb")
    assert [m["sent_at"] for m in store.mail_log(engine)] == [None, None]  # queued by the ingest, not sent in it

    closed = free_port()  # nothing listens there: the run fails, the e-mails stay queued with the error
    (instance / "collector.cfg").write_text(f'COLLECTOR_SMTP_HOST = "127.0.0.1"\nCOLLECTOR_SMTP_PORT = {closed}\n'
                                            f'COLLECTOR_SMTP_PASSWORD = "rahasia-smtp"\n'
                                            f'COLLECTOR_DASHBOARD_URL = "https://skm.dumai.example"\n')
    failed = CliRunner().invoke(main, ["collector", "--instance", str(instance), "alerts", "run"])
    assert failed.exit_code == 1 and "2 e-mails not sent" in failed.output and "rahasia-smtp" not in failed.output
    assert all(m["sent_at"] is None and "not reachable" in m["error"] for m in store.mail_log(engine))

    (instance / "collector.cfg").write_text(f'COLLECTOR_SMTP_HOST = "127.0.0.1"\nCOLLECTOR_SMTP_PORT = {port}\n'
                                            f'COLLECTOR_DASHBOARD_URL = "https://skm.dumai.example"\n')
    result = CliRunner().invoke(main, ["collector", "--instance", str(instance), "alerts", "run"])
    assert result.exit_code == 0, result.output
    assert "e-mail: 2 sent, 0 failed" in result.output
    assert CliRunner().invoke(main, ["collector", "--instance", str(instance), "alerts", "run"]).output.endswith(
        "e-mail: 0 sent, 0 failed\n")  # sent once
    messages = received(maildir)
    assert [str(m["To"]) for m in messages] == ["insp@dumai.example", "kepala@dumai.example"]
    for m in messages:
        assert str(m["Subject"]) == "[SKM] Laporan integritas (pungli/calo) - Dinas Kependudukan dan Pencatatan " \
                                    "Sipil Kota Dumai"
        body = m.get_content()
        assert '"Ada calo di loket, minta 200rb"' in body and "https://skm.dumai.example/alerts#alert-1" in body
    assert all(m["sent_at"] and m["attempts"] == 2 for m in store.mail_log(engine))


def test_the_weekly_digest_has_text_html_and_the_pdf(kiosk, engine, smtp_server):
    port, maildir = smtp_server
    auth.create_user(engine, "kepala", "Kepala", "kata-sandi-panjang", "kepala_unit", [UNIT],
                     email="kepala@dumai.example")
    auth.create_user(engine, "tanpa-surel", "Tanpa", "kata-sandi-panjang", "kepala_unit", [UNIT])
    from tests.collector.test_alerts import push
    now = datetime.now(timezone.utc)
    push(kiosk, now - timedelta(days=9), 10, score=3)
    push(kiosk, now - timedelta(hours=2), 10, score=4)
    store.add_followup(engine, UNIT, "2026-q4", "waktu", "Tambah loket", "Ani", now.date(), "rencana", "kepala")
    made = []

    def pdf(unit, period):
        made.append((unit["code"], period.key()))
        return b"%PDF-1.4 test"

    assert digest.send_digests(engine, smtp(port), default_lexicon(), pdf=pdf) == (1, 0)
    [message] = received(maildir)
    running = containing("triwulan", datetime.now(ZoneInfo("Asia/Jakarta")).date())  # the triwulan so far
    assert str(message["To"]) == "kepala@dumai.example" and made == [(UNIT, running.key())]
    text = message.get_body(("plain",)).get_content()
    assert "Konversi minggu ini: 100,00 dari 10 responden; minggu lalu: 75,00 dari 10 responden." in text
    assert "Tambah loket (Ani)" in text and "Peringatan terbuka: 0" in text
    assert "<h1>Ringkasan mingguan" in message.get_body(("html",)).get_content()
    [attachment] = list(message.iter_attachments())
    assert attachment.get_filename() == f"skm-{UNIT}-{running.key()}.pdf"
    assert attachment.get_content() == b"%PDF-1.4 test"
    assert [m["kind"] for m in store.mail_log(engine) if m["sent_at"]] == ["digest"]


def test_digest_send_tags_themes_with_the_admins_lexicon_and_names_them(kiosk, engine, instance, smtp_server,
                                                                        tmp_path):
    """`skm collector digest send`: the themes new and rising this week by their labels, from the app's
    lexicon (an admin's word for waiting and an admin's integrity signal), the weakest unsur by its name."""
    from tests.collector.test_alerts import push
    port, maildir = smtp_server
    lexicon = tmp_path / "tema.toml"
    lexicon.write_text('[tema.waktu_tunggu]\nkeluhan = ["ngaret"]\n\n[integritas.uang_sirih]\nlabel = "Uang sirih"\n'
                       'label_en = "Betel money"\ntanda = ["uang sirih"]\n', encoding="utf-8")
    (instance / "collector.cfg").write_text(f'COLLECTOR_SMTP_HOST = "127.0.0.1"\nCOLLECTOR_SMTP_PORT = {port}\n'
                                            f'COLLECTOR_THEMES_FILE = {str(lexicon)!r}\n')
    auth.create_user(engine, "kepala", "Kepala", "kata-sandi-panjang", "kepala_unit", [UNIT],
                     email="kepala@dumai.example")
    now = datetime.now(timezone.utc)
    push(kiosk, now - timedelta(days=9), 1, comment="Pelayanannya ngaret")
    push(kiosk, now - timedelta(hours=3), 2, comment="Petugas ngaret terus")
    push(kiosk, now - timedelta(hours=3), 1, comment="Di loket ada uang sirih untuk petugas",
         answers={**{c: 4 for c in CODES}, "biaya": 1})
    push(kiosk, now - timedelta(hours=2), 1, comment="Petugas minta uang rokok")  # an open integrity report
    result = CliRunner().invoke(main, ["collector", "--instance", str(instance), "digest", "send"])
    assert result.exit_code == 0 and "digest: 1 sent, 0 failed" in result.output, result.output
    [mail] = received(maildir)
    text = mail.get_body(("plain",)).get_content()
    assert "Tema komentar baru dan naik:\n" in text
    assert "  - Waktu tunggu / antrean: 2 komentar (minggu lalu 1)" in text
    assert "  - Uang sirih: 1 komentar (baru; minggu lalu 0)" in text
    assert "waktu_tunggu" not in text and "uang_sirih" not in text  # labels, never codes
    assert "Unsur terlemah: Biaya/Tarif (NRR " in text
    assert "Peringatan terbuka: 1\n  - #1 Laporan integritas (pungli/calo): Komentar (Pungutan liar) di Loket 2 - " \
           "Kartu Keluarga, " in text and ': "Petugas minta uang rokok"' in text
    html_body = mail.get_body(("html",)).get_content()
    assert "<li>Uang sirih: 1 komentar (baru; minggu lalu 0)</li>" in html_body
    # The Laporan Hasil SKM of the triwulan so far, made by the same print view as the dashboard's report.pdf.
    if pdf.available() is not None and os.environ.get("SKM_REQUIRE_ALL") != "1":
        pytest.skip(f"WeasyPrint cannot load ({pdf.available()}): the digest goes without its PDF")
    [attachment] = list(mail.iter_attachments())
    running = containing("triwulan", datetime.now(ZoneInfo("Asia/Jakarta")).date())
    assert attachment.get_content_type() == "application/pdf"
    assert attachment.get_filename() == f"skm-{UNIT}-{running.key()}.pdf"
    assert attachment.get_content().startswith(b"%PDF-")
