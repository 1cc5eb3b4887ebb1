"""What the dashboard, the printable report, the exports and the public page show: assembled here from
rollups, so every one of them shows the same numbers."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Iterator
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from sqlalchemy import Engine

from skm import CODES, PROFILE, UNSUR, IndexOptions, IndexResult
from skm.index import round_half_up
from skm.masking import mask_personal_data
from skm.periods import Period, containing

from . import rollups, store
from .exports import append_row, text_row

def today_in(zone_name: str) -> date:
    return datetime.now(ZoneInfo(zone_name)).date()


def default_period(zone_name: str = "Asia/Jakarta") -> Period:
    """Units report per triwulan: the current one."""
    return containing("triwulan", today_in(zone_name))


@dataclass(frozen=True)
class UnitSummary:
    unit: dict
    rollup: rollups.Rollup
    previous: IndexResult | None
    adequacy: Any
    population_source: str | None

    @property
    def change(self):
        return rollups.change(self.rollup.result, self.previous)


def unit_summary(engine: Engine, unit: dict, period: Period, options: IndexOptions = IndexOptions(),
                 leave_out: tuple[str, ...] = (), sections: rollups.Sections | None = None) -> UnitSummary:
    """The unit's index, change and sample adequacy; from ``sections`` when the caller has read them."""
    if sections is None:
        sections = rollups.sections(engine, [unit["code"]], period, options, leave_out)
    sample, source = rollups.sample_adequacy(unit, period, sections.current.respondents,
                                             store.population(engine, unit["code"], period.key()))
    return UnitSummary(unit, sections.current, sections.previous, sample, source)


def overview(engine: Engine, units: list[dict], period: Period, leave_out: tuple[str, ...] = ()) -> dict:
    """Per unit, and pooled per OPD and pemda (by respondents, never averaged), for the units given. A fixed
    number of queries, however many units a province has. ``leave_out``: channels not counted."""
    codes = [u["code"] for u in units]
    current, previous, link_share = rollups.by_unit_sections(engine, codes, period, leave_out=leave_out)
    entered = store.populations(engine, codes, period.key())
    summaries = []
    for u in units:
        sample, source = rollups.sample_adequacy(u, period, current[u["code"]].respondents, entered.get(u["code"]))
        summaries.append(UnitSummary(u, current[u["code"]], previous[u["code"]].result, sample, source))
    pooled = []
    for level, key, name_key in (("opd", "opd", "opd_name"), ("pemda", "pemda", "pemda_name")):
        groups: dict[str, list[dict]] = {}
        for u in units:
            groups.setdefault(u[key], []).append(u)
        for code, members in groups.items():
            now = rollups.pool([current[m["code"]] for m in members])
            before = rollups.pool([previous[m["code"]] for m in members]).result
            pooled.append({"level": level, "code": code, "name": members[0][name_key], "units": len(members),
                           "rollup": now, "change": rollups.change(now.result, before)})
    return {"summaries": summaries, "pooled": pooled, "link_share": link_share,
            "leave_out": leave_out}


def unit_page(engine: Engine, unit: dict, period: Period, lang: str = "id", leave_out: tuple[str, ...] = ()) -> dict:
    """Every figure of the unit page and its printed report; ``leave_out``: channels not counted in any."""
    codes = [unit["code"]]
    sections = rollups.sections(engine, codes, period, leave_out=leave_out)  # one read for the period's figures
    summary = unit_summary(engine, unit, period, leave_out=leave_out, sections=sections)
    services, counters = store.service_names(engine, unit["code"]), store.counter_names(engine, unit["code"])
    return {
        "unit": unit, "period": period, "summary": summary,
        "trend": rollups.trend(engine, codes, min(period.last_day, today_in(unit["timezone"])), leave_out=leave_out),
        "by_service": [(services.get(k, k), n, r) for k, n, r in sections.by["service"]],
        "by_counter": [(counters.get(k, k), n, r) for k, n, r in sections.by["counter"]],
        "by_channel": sections.by["channel"],
        "profile": summary.rollup.profile() if summary.rollup.respondents else {},
        "grid": rollups.weekday_hour(engine, codes, period, leave_out),
        "comments": [{**c, "comment": mask_personal_data(c["comment"])} for c in
                     store.comments(engine, codes, period.start, period.end, limit=30, leave_out=leave_out)],
        "link_share": sections.share, "leave_out": leave_out,
        "followups": store.followups(engine, unit["code"], period.key()),
        "qr_issued": store.receipts_issued_count(engine, codes, period.start, period.end),
        "qr_answered": store.receipts_answered_count(engine, codes, period.start, period.end),
        "population": store.population(engine, unit["code"], period.key()),
    }


def public_page(engine: Engine, unit: dict, periods: int = 4) -> list[tuple[Period, rollups.Rollup]]:
    """The last ``periods`` triwulan of a unit, newest first: nothing personal, only the figures."""
    current = containing("triwulan", today_in(unit["timezone"]))
    result = []
    for _ in range(periods):
        result.append((current, rollups.rollup(engine, [unit["code"]], current)))
        current = current.previous()
    return result


# -- exports ------------------------------------------------------------------------------------------------

CSV_COLUMNS = ("id", "submitted_at", "unit", "service", "counter", "officer", "channel", *CODES,
               *(f.name for f in PROFILE), "comment", "duration_ms", "suspect", "suspect_reason", "kiosk_id", "seq",
               "received_at")


CSV_SEPARATORS = {"comma": ",", "semicolon": ";"}  # ';' for Excel set to Indonesian, where ',' is the decimal mark
BOM = "\ufeff"  # tells Excel the file is UTF-8


def csv_lines(engine: Engine, unit: str, period: Period, separator: str = "comma",
              leave_out: tuple[str, ...] = ()) -> Iterator[str]:
    """The raw responses of a unit and period as CSV, streamed, after a UTF-8 BOM; comments masked;
    ``leave_out``: channels not written. Every number in it is an integer (scores, durations, seq), so the
    ';' variant needs no decimal comma."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, delimiter=CSV_SEPARATORS[separator])
    buffer.write(BOM)
    writer.writerow(CSV_COLUMNS)
    yield buffer.getvalue()
    for row in store.raw_responses(engine, [unit], period.start, period.end, leave_out):
        buffer.seek(0)
        buffer.truncate()
        row["comment"] = mask_personal_data(row["comment"])
        writer.writerow(text_row(row.get(c) for c in CSV_COLUMNS))
        yield buffer.getvalue()


LEFT_OUT_NOTE = {"id": "Tanpa jawaban dari tautan umum", "en": "Without answers from the general link"}


def xlsx_bytes(engine: Engine, unit: dict, period: Period, lang: str = "id", leave_out: tuple[str, ...] = ()) -> bytes:
    """The workbook Indonesian SKM reports use: per-respondent U1..U9, then the per-unsur total, NRR, NRR
    tertimbang, IKM, konversi, mutu and kinerja; then the profile tables and the follow-up plan."""
    summary = unit_summary(engine, unit, period, leave_out=leave_out)
    result = summary.rollup.result
    wb = Workbook()
    ws = wb.active
    ws.title = "Pengolahan"
    bold = Font(bold=True)
    append_row(ws, [f"Pengolahan Data Survei Kepuasan Masyarakat - {unit['name']}"])
    append_row(ws, [f"Periode: {period.label(lang)}", f"Konvensi: {result.options.describe(lang) if result else '-'}",
                    *([LEFT_OUT_NOTE[lang]] if leave_out else [])])
    append_row(ws, [])
    header = ["No", "Tanggal", "Layanan", "Loket", "Kanal", *[f"U{u.order}" for u in UNSUR]]
    append_row(ws, header)
    for cell in ws[ws.max_row]:
        cell.font = bold
    number = 0
    for row in store.raw_responses(engine, [unit["code"]], period.start, period.end, leave_out):
        if row["suspect"]:
            continue  # the index leaves suspect responses out; so does its worksheet
        number += 1
        append_row(ws, [number, str(row["local_day"]), row["service"], row["counter"], row["channel"],
                   *[row[u.code] for u in UNSUR]])
    append_row(ws, [])
    if result is not None:
        by_code = {u.code: u for u in result.unsur}
        lines = [
            ("Jumlah nilai per unsur", lambda u: int(u.total)),
            ("Jumlah responden per unsur", lambda u: u.count),
            ("NRR per unsur", lambda u: float(round_half_up(u.nrr, 4))),
            ("NRR tertimbang per unsur", lambda u: float(round_half_up(u.weighted, 4))),
            ("Mutu per unsur", lambda u: u.mutu),
        ]
        for label, of_unsur in lines:
            append_row(ws, [label, "", "", "", "", *[of_unsur(by_code[u.code]) for u in UNSUR]])
            ws.cell(ws.max_row, 1).font = bold
        append_row(ws, [])
        for label, value in (("IKM", float(result.ikm_display(4))),
                             ("Nilai konversi (IKM x 25)", float(result.konversi)),
                             ("Mutu pelayanan", result.mutu), ("Kinerja unit pelayanan", result.kinerja(lang)),
                             ("Jumlah responden", result.respondents),
                             ("Responden ditandai mencurigakan (tidak dihitung)", summary.rollup.suspect)):
            append_row(ws, [label, value])
            ws.cell(ws.max_row, 1).font = bold
        append_row(ws, ["Unsur prioritas tindak lanjut", ", ".join(
            f"U{by_code[c].order} {next(u.name[lang] for u in UNSUR if u.code == c)}" for c in result.priorities)])
    else:
        append_row(ws, ["Belum ada data lengkap untuk periode ini"])
    ws.column_dimensions["A"].width = 34
    profile = wb.create_sheet("Profil responden")
    for field in PROFILE:
        append_row(profile, [field.label[lang]])
        profile.cell(profile.max_row, 1).font = bold
        counts = dict(summary.rollup.profile().get(field.name, []))
        for choice, choice_label in field.choices:
            append_row(profile, [choice_label[lang], counts.get(choice, 0)])
        append_row(profile, [{"id": "Tidak menjawab", "en": "Not answered"}[lang], counts.get(None, 0)])
        append_row(profile, [])
    profile.column_dimensions["A"].width = 30
    plan = wb.create_sheet("Rencana tindak lanjut")
    append_row(plan, ["Unsur", "Kegiatan", "Penanggung jawab", "Batas waktu", "Status"])
    for f in store.followups(engine, unit["code"], period.key()):
        append_row(plan, [f["unsur"], f["action"], f["person"], str(f["deadline"] or ""), f["status"]])
    for sheet in wb.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                cell.alignment = Alignment(wrap_text=False)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def officer_xlsx(unit: dict, view: dict, lang: str = "id") -> bytes:
    """The officer's figures for the performance dialogue: own and unit figures, comments, context notes."""
    from .officers import INFLUENCED
    wb = Workbook()
    ws = wb.active
    ws.title = "Umpan balik"
    bold = Font(bold=True)
    officer, own, period = view["officer"], view["own"], view["period"]
    append_row(ws, [f"Umpan balik layanan - {officer['name']} (NIP {officer['nip']})"])
    ws.cell(1, 1).font = bold
    append_row(ws, [f"Unit: {unit['name']}", f"Periode: {period.label(lang)}"])
    append_row(ws, [])
    append_row(ws, ["", "Petugas", "Rentang 95%", "Unit"])
    unit_result = view["unit_result"]
    append_row(ws, ["Responden", own.respondents, "", view["unit_respondents"]])
    if own.enough:
        append_row(ws, ["Nilai konversi", float(own.result.konversi),
                   f"{own.konversi_range.low} - {own.konversi_range.high}",
                   float(unit_result.konversi) if unit_result else None])
        for code in INFLUENCED:
            append_row(ws, [f"NRR {code}", float(round_half_up(own.result.by_code(code).nrr, 2)),
                       f"{own.unsur_ranges[code].low} - {own.unsur_ranges[code].high}",
                       float(round_half_up(unit_result.by_code(code).nrr, 2)) if unit_result else None])
    else:
        append_row(ws, [f"Data belum cukup: {own.respondents} dari minimal {view['minimum']} responden"])
    append_row(ws, [])
    append_row(ws, ["Catatan konteks"])
    ws.cell(ws.max_row, 1).font = bold
    for note in view["notes"]:
        append_row(ws, [note["created_at"][:10], note["note"]])
    append_row(ws, [])
    append_row(ws, ["Komentar warga (data pribadi disamarkan)"])
    ws.cell(ws.max_row, 1).font = bold
    for c in view["comments"]:
        append_row(ws, [c["submitted_at"][:16], mask_personal_data(c["comment"])])
    ws.column_dimensions["A"].width = 28
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
