"""The weekly digest e-mail to each kepala unit with an e-mail address: per unit, this week's konversi (the last
7 local days) against the week before, the weakest unsur, new and rising comment themes (when the tagger
``skm.themes.tag`` is there), open alerts and follow-ups due; the PDF report attached when a maker is given."""
from __future__ import annotations

import html
import logging
from datetime import date, datetime, timedelta, timezone
from email.message import EmailMessage
from typing import Any, Callable, Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from skm import UNSUR, IndexOptions
from skm.periods import Period

from . import alerts, rollups, store
from .mail import SmtpSettings, message, send_all

log = logging.getLogger(__name__)

PdfMaker = Callable[[Mapping[str, Any], Period], bytes]  # (unit, period) -> the PDF report's bytes
NAMES = {u.code: u.name["id"] for u in UNSUR}


def week_of(engine: Engine, unit: str, start: date) -> tuple[int, Any]:
    rows = store.aggregate_totals(engine, [unit], start, start + timedelta(days=7), columns=store.INDEX_COLUMNS)
    row = rows[0] if rows else None
    return (row["responses"] if row else 0), rollups.index_of(row, IndexOptions())


def themes_change(engine: Engine, unit: str, this_start: date, last_start: date) -> list[tuple[str, int, int]]:
    """(theme, this week's comments, last week's) for themes new or rising this week."""
    from skm.themes import tag
    counts: dict[str, list[int]] = {}
    for side, start in ((0, this_start), (1, last_start)):
        for row in store.comments(engine, [unit], start, start + timedelta(days=7), limit=5000):
            for theme in tag(row["comment"]).themes:
                counts.setdefault(theme, [0, 0])[side] += 1
    return sorted(((t, now, before) for t, (now, before) in counts.items() if now > before),
                  key=lambda item: (item[2] - item[1], item[0]))


def unit_digest(engine: Engine, unit: Mapping[str, Any], today: date) -> dict:
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
        "themes": themes_change(engine, unit["code"], this_start, last_start),
        "alerts": store.alerts_of(engine, [unit["code"]], open_only=True, limit=20),
        "due": store.followups_due(engine, [unit["code"]], today + timedelta(days=7)),
    }


def _figure(value) -> str:
    return "-" if value is None else str(value).replace(".", ",")


def digest_text(parts: list[dict]) -> str:
    lines = ["Ringkasan mingguan Survei Kepuasan Masyarakat", ""]
    for p in parts:
        lines += [f"== {p['unit']['name']} ({p['start']} s.d. {p['end']}) ==",
                  f"Konversi minggu ini: {_figure(p['konversi'])} dari {p['n']} responden; "
                  f"minggu lalu: {_figure(p['konversi_before'])} dari {p['n_before']} responden."]
        if p["weakest"]:
            lines.append(f"Unsur terlemah: {p['weakest'][0]} (NRR {_figure(round(float(p['weakest'][1]), 3))}).")
        if p["themes"]:
            lines.append("Tema baru dan naik: " + "; ".join(f"{t} {now} (minggu lalu {before})"
                                                            for t, now, before in p["themes"]))
        lines.append(f"Peringatan terbuka: {len(p['alerts'])}")
        lines += [f"  - #{a['id']} {alerts.KIND_TITLES[a['kind']]}: {alerts.summary(a, NAMES)}" for a in p["alerts"]]
        lines.append(f"Tindak lanjut jatuh tempo (7 hari ke depan atau lewat): {len(p['due'])}")
        lines += [f"  - {f['deadline']} {NAMES.get(f['unsur'], f['unsur'])}: {f['action']} ({f['person']})"
                  for f in p["due"]]
        lines.append("")
    return "\n".join(lines)


def digest_html(parts: list[dict]) -> str:
    e = html.escape
    out = ["<h1>Ringkasan mingguan Survei Kepuasan Masyarakat</h1>"]
    for p in parts:
        out.append(f"<h2>{e(p['unit']['name'])} ({p['start']} s.d. {p['end']})</h2><table>"
                   f"<tr><th>Konversi minggu ini</th><td>{_figure(p['konversi'])} ({p['n']} responden)</td></tr>"
                   f"<tr><th>Minggu lalu</th><td>{_figure(p['konversi_before'])} ({p['n_before']} responden)</td></tr>"
                   + (f"<tr><th>Unsur terlemah</th><td>{e(p['weakest'][0])}</td></tr>" if p["weakest"] else "")
                   + "</table>")
        if p["themes"]:
            out.append("<p>Tema baru dan naik: "
                       + "; ".join(f"{e(t)} {now} ({before})" for t, now, before in p["themes"]) + "</p>")
        out.append(f"<h3>Peringatan terbuka: {len(p['alerts'])}</h3><ul>"
                   + "".join(f"<li>#{a['id']} {e(alerts.summary(a, NAMES))}</li>" for a in p["alerts"]) + "</ul>")
        out.append(f"<h3>Tindak lanjut jatuh tempo: {len(p['due'])}</h3><ul>"
                   + "".join(f"<li>{f['deadline']} {e(NAMES.get(f['unsur'], f['unsur']))}: {e(f['action'])} "
                             f"({e(f['person'])})</li>" for f in p["due"]) + "</ul>")
    return "".join(out)


def build_digests(engine: Engine, sender: str, now: datetime | None = None,
                  pdf: PdfMaker | None = None) -> list[tuple[dict, EmailMessage]]:
    """(user, e-mail) for each enabled kepala unit with an address and at least one unit."""
    now = now or datetime.now(timezone.utc)
    result = []
    for user in store.list_users(engine):
        if user["role"] != "kepala_unit" or user["disabled"] or not user.get("email") or not user["units"]:
            continue
        parts = []
        for code in user["units"]:
            unit = store.get_unit(engine, code)
            parts.append(unit_digest(engine, unit, now.astimezone(ZoneInfo(unit["timezone"])).date()))
        mail = message(user["email"], f"[SKM] Ringkasan mingguan {parts[0]['end']}", digest_text(parts),
                       digest_html(parts), sender=sender)
        if pdf is not None:
            for p in parts:
                period = Period("range", p["start"], p["end"] + timedelta(days=1))
                mail.add_attachment(pdf(p["unit"], period), maintype="application", subtype="pdf",
                                    filename=f"skm-{p['unit']['code']}-{p['start']}.pdf")
        result.append((user, mail))
    return result


def send_digests(engine: Engine, smtp: SmtpSettings, now: datetime | None = None,
                 pdf: PdfMaker | None = None) -> tuple[int, int]:
    """Build and send every digest, each recorded in the mail log; returns (sent, failed)."""
    built = build_digests(engine, smtp.sender, now, pdf)
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
