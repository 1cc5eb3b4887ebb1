"""The weekly digest e-mail to each kepala unit with an e-mail address: per unit, this week's konversi (the last
7 local days) against the week before, the weakest unsur, new and rising comment themes (tagged with the app's
lexicon, by their labels), open alerts and follow-ups due; the PDF report attached when a maker is given
(``pdf_maker``: the one place the report's maker is plugged in)."""
from __future__ import annotations

import html
import logging
from datetime import date, datetime, timedelta, timezone
from email.message import EmailMessage
from typing import Any, Callable, Mapping, NamedTuple
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from flask import Flask, g

from skm import UNSUR, IndexOptions, themes
from skm.periods import Period, containing, format_day

from . import alerts, rollups, store
from .themes import counts
from .mail import SmtpSettings, message, send_all

log = logging.getLogger(__name__)

PdfMaker = Callable[[Mapping[str, Any], Period], bytes]  # (unit, period) -> the PDF report's bytes
NAMES = {u.code: u.name["id"] for u in UNSUR}


def pdf_maker(app: Flask) -> PdfMaker | None:
    """The maker of the unit's Laporan Hasil SKM (the dashboard's ``report.pdf``, from the same print view)
    that ``digest send`` attaches; None where WeasyPrint cannot load Pango (said in the log: the digest then
    goes without it)."""
    from . import pdf
    missing = pdf.available()
    if missing is not None:
        log.warning("digest without the PDF report: %s", missing)
        return None

    def make(unit: Mapping[str, Any], period: Period) -> bytes:
        from .dashboard import report_html
        base = app.config.get("COLLECTOR_DASHBOARD_URL") or "http://localhost/"
        with app.test_request_context("/", base_url=base):
            g.user = None
            return pdf.render(report_html(dict(unit), period), base, str(app.static_folder))
    return make


class ThemeChange(NamedTuple):
    code: str
    name: str  # the lexicon's Indonesian label
    now: int
    before: int

    @property
    def new(self) -> bool:
        return self.before == 0


def week_of(engine: Engine, unit: str, start: date) -> tuple[int, Any]:
    rows = store.aggregate_totals(engine, [unit], start, start + timedelta(days=7), columns=store.INDEX_COLUMNS)
    row = rows[0] if rows else None
    return (row["responses"] if row else 0), rollups.index_of(row, IndexOptions())


def themes_change(engine: Engine, lexicon: themes.Lexicon, unit: str, this_start: date,
                  last_start: date) -> list[ThemeChange]:
    """The complaint themes and integrity signals new (none last week) or rising this week, counted from the
    trusted comments as the unit page counts them; the most risen first. Praise is left out."""
    def week(start: date) -> dict[str, int]:
        return counts(lexicon, (r["comment"] for r in store.period_comments(engine, [unit], start,
                                                                           start + timedelta(days=7))))[1]
    now, before = week(this_start), week(last_start)
    labels = {**lexicon.themes, **lexicon.signals}
    return sorted((ThemeChange(code, labels[code].name("id"), now[code], before[code]) for code in labels
                   if code != themes.PRAISE and now[code] > before[code]),
                  key=lambda c: (c.before - c.now, c.name))


def unit_digest(engine: Engine, lexicon: themes.Lexicon, unit: Mapping[str, Any], today: date) -> dict:
    this_start = today - timedelta(days=6)
    last_start = this_start - timedelta(days=7)
    n_now, index_now = week_of(engine, unit["code"], this_start)
    n_before, index_before = week_of(engine, unit["code"], last_start)
    weakest = index_now.ranking[0] if index_now else None
    return {
        "unit": unit, "start": this_start, "end": today, "n": n_now, "n_before": n_before,
        "konversi": index_now.konversi if index_now else None,
        "konversi_before": index_before.konversi if index_before else None,
        "weakest": (NAMES[weakest.code], weakest.nrr) if weakest else None,
        "themes": themes_change(engine, lexicon, unit["code"], this_start, last_start),
        "alerts": store.alerts_of(engine, [unit["code"]], unhandled_only=True, limit=20),
        "due": store.followups_due(engine, [unit["code"]], today + timedelta(days=7)),
    }


def _figure(value) -> str:
    return "-" if value is None else str(value).replace(".", ",")


def _nrr(value) -> str:
    return _figure(round(float(value), 3)) if value is not None else "-"


def _weeks(p: Mapping[str, Any]) -> str:
    return f"{format_day(p['start'])} s.d. {format_day(p['end'])}"


def _theme(c: ThemeChange) -> str:
    return (f"{c.name}: {c.now} komentar (baru; minggu lalu 0)" if c.new
            else f"{c.name}: {c.now} komentar (minggu lalu {c.before})")


def _due(f: Mapping[str, Any]) -> str:
    return (f"{format_day(date.fromisoformat(str(f['deadline'])))}, {NAMES.get(f['unsur'], f['unsur'])}: "
            f"{f['action']} ({f['person']})")


def _alert(a: Mapping[str, Any], lexicon: themes.Lexicon) -> str:
    return f"#{a['id']} {alerts.KIND_TITLES[a['kind']]}: {alerts.summary(a, NAMES, lexicon)}"


def digest_text(parts: list[dict], lexicon: themes.Lexicon) -> str:
    lines = ["Ringkasan mingguan Survei Kepuasan Masyarakat", ""]
    for p in parts:
        lines += [f"== {p['unit']['name']} ({_weeks(p)}) ==",
                  f"Konversi minggu ini: {_figure(p['konversi'])} dari {p['n']} responden; "
                  f"minggu lalu: {_figure(p['konversi_before'])} dari {p['n_before']} responden."]
        if p["weakest"]:
            lines.append(f"Unsur terlemah: {p['weakest'][0]} (NRR {_nrr(p['weakest'][1])}).")
        lines.append("Tema komentar baru dan naik:" if p["themes"] else "Tema komentar baru dan naik: tidak ada.")
        lines += [f"  - {_theme(c)}" for c in p["themes"]]
        lines.append(f"Peringatan terbuka: {len(p['alerts'])}")
        lines += [f"  - {_alert(a, lexicon)}" for a in p["alerts"]]
        lines.append(f"Tindak lanjut jatuh tempo (7 hari ke depan atau lewat): {len(p['due'])}")
        lines += [f"  - {_due(f)}" for f in p["due"]]
        lines.append("")
    return "\n".join(lines)


def digest_html(parts: list[dict], lexicon: themes.Lexicon) -> str:
    e = html.escape

    def items(texts: list[str]) -> str:
        return "<ul>" + "".join(f"<li>{e(t)}</li>" for t in texts) + "</ul>" if texts else ""

    out = ["<h1>Ringkasan mingguan Survei Kepuasan Masyarakat</h1>"]
    for p in parts:
        out.append(f"<h2>{e(p['unit']['name'])} ({e(_weeks(p))})</h2><table>"
                   f"<tr><th>Konversi minggu ini</th><td>{_figure(p['konversi'])} ({p['n']} responden)</td></tr>"
                   f"<tr><th>Minggu lalu</th><td>{_figure(p['konversi_before'])} ({p['n_before']} responden)</td></tr>"
                   + (f"<tr><th>Unsur terlemah</th><td>{e(p['weakest'][0])} (NRR {_nrr(p['weakest'][1])})</td></tr>"
                      if p["weakest"] else "")
                   + "</table>")
        out.append("<h3>Tema komentar baru dan naik</h3>"
                   + (items([_theme(c) for c in p["themes"]]) or "<p>Tidak ada.</p>"))
        out.append(f"<h3>Peringatan terbuka: {len(p['alerts'])}</h3>"
                   + items([_alert(a, lexicon) for a in p["alerts"]]))
        out.append(f"<h3>Tindak lanjut jatuh tempo: {len(p['due'])}</h3>" + items([_due(f) for f in p["due"]]))
    return "".join(out)


def build_digests(engine: Engine, lexicon: themes.Lexicon, sender: str, now: datetime | None = None,
                  pdf: PdfMaker | None = None) -> list[tuple[dict, EmailMessage]]:
    """(user, e-mail) for each enabled kepala unit with an address and at least one unit; ``lexicon`` (the
    app's) tags the comment themes; ``pdf`` (see ``pdf_maker``) attaches each unit's report of the triwulan so far."""
    now = now or datetime.now(timezone.utc)
    result = []
    for user in store.list_users(engine):
        if user["role"] != "kepala_unit" or user["disabled"] or not user.get("email") or not user["units"]:
            continue
        parts = []
        for code in user["units"]:
            unit = store.get_unit(engine, code)
            parts.append(unit_digest(engine, lexicon, unit, now.astimezone(ZoneInfo(unit["timezone"])).date()))
        mail = message(user["email"], f"[SKM] Ringkasan mingguan {format_day(parts[0]['end'])}",
                       digest_text(parts, lexicon), digest_html(parts, lexicon), sender=sender)
        if pdf is not None:  # the report of the triwulan so far (marked SEMENTARA while it runs)
            for p in parts:
                period = containing("triwulan", p["end"])
                mail.add_attachment(pdf(p["unit"], period), maintype="application", subtype="pdf",
                                    filename=f"skm-{p['unit']['code']}-{period.key()}.pdf")
        result.append((user, mail))
    return result


def send_digests(engine: Engine, smtp: SmtpSettings, lexicon: themes.Lexicon, now: datetime | None = None,
                 pdf: PdfMaker | None = None) -> tuple[int, int]:
    """Build and send every digest, each recorded in the mail log; returns (sent, failed)."""
    built = build_digests(engine, lexicon, smtp.sender, now, pdf)
    ids = [store.log_mail(engine, "digest", user["email"], str(mail["Subject"])) for user, mail in built]
    if not smtp.configured:
        return 0, 0
    from .mail import MailError
    try:
        results = send_all(smtp, [mail for _user, mail in built])
    except MailError as exc:
        results = [str(exc)] * len(built)
    for mail_id, (_user, mail), error in zip(ids, built, results):
        store.mark_mail(engine, mail_id, str(mail["Subject"]), error)
    failed = sum(1 for e in results if e)
    log.info("digest: %d sent, %d failed", len(results) - failed, failed)
    return len(results) - failed, failed
