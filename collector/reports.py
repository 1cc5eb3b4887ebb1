"""What the dashboard, the printable report, the exports and the public page show: assembled here from
rollups, so every one of them shows the same numbers."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from fractions import Fraction
from typing import Any, Iterator
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Alignment, Font
from openpyxl.utils import get_column_letter
from sqlalchemy import Engine

from skm import CODES, PROFILE, UNSUR, IndexOptions, IndexResult
from skm.index import nrr_mutu, round_half_up
from skm.masking import mask_personal_data
from skm.periods import Period, containing, format_day, is_provisional, last_complete
from skm.questionnaire import KINERJA, UNSUR_BY_CODE

from . import names, rollups, store
from .exports import (COUNT_FORMAT, DATETIME_FORMAT, KONVERSI_FORMAT, NRR_FORMAT, append_row, as_text, format_dates,
                      local_time, put_formula, set_formats, text_row)


def today_in(zone_name: str) -> date:
    return datetime.now(ZoneInfo(zone_name)).date()


def default_period(zone_name: str = "Asia/Jakarta") -> Period:
    """Units report per triwulan: the last complete one (the running one is provisional, "sementara")."""
    return last_complete("triwulan", today_in(zone_name))


def provisional(period: Period, zone_name: str = "Asia/Jakarta") -> bool:
    """Whether ``period`` is still running (or yet to come) in the unit's time zone: its figures are
    "sementara"."""
    return is_provisional(period, today_in(zone_name))


@dataclass(frozen=True)
class CommentFilter:
    """Which comments the unit page lists: by an unsur's score (or the average's, with no unsur), a page."""
    unsur: str | None = None
    score: int | None = None
    page: int = 1
    per_page: int = 20  # COLLECTOR_COMMENTS_PER_PAGE


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


def scored_comments(engine: Engine, units: list[str], period: Period, chosen: CommentFilter,
                    leave_out: tuple[str, ...] = ()) -> tuple[list[dict], bool]:
    """One page of the period's comments (masked), each with its nine ``scores`` and their ``average``;
    and whether a further page exists."""
    found = store.scored_comments(engine, units, period.start, period.end, unsur=chosen.unsur, score=chosen.score,
                                  limit=chosen.per_page + 1, offset=(chosen.page - 1) * chosen.per_page,
                                  leave_out=leave_out)
    shown = [{**c, "comment": mask_personal_data(c["comment"]), "scores": {code: c[code] for code in CODES},
              "average": sum(c[code] for code in CODES) / len(CODES)} for c in found[:chosen.per_page]]
    return shown, len(found) > chosen.per_page


def unit_page(engine: Engine, unit: dict, period: Period, lang: str = "id", leave_out: tuple[str, ...] = (),
              comment_filter: CommentFilter = CommentFilter()) -> dict:
    """Every figure of the unit page and its printed report; ``leave_out``: channels not counted in any.
    Services, counters and channels are given by their names (``names``)."""
    codes = [unit["code"]]
    sections = rollups.sections(engine, codes, period, leave_out=leave_out)  # one read for the period's figures
    summary = unit_summary(engine, unit, period, leave_out=leave_out, sections=sections)
    named = names.of_unit(engine, unit["code"])
    comments, more_comments = scored_comments(engine, codes, period, comment_filter, leave_out)
    return {
        "unit": unit, "period": period, "summary": summary, "names": named,
        "provisional": provisional(period, unit["timezone"]),
        "trend": rollups.trend(engine, codes, min(period.last_day, today_in(unit["timezone"])), leave_out=leave_out),
        "by_service": [(named.service(k), n, r) for k, n, r in sections.by["service"]],
        "by_counter": [(named.counter(k), n, r) for k, n, r in sections.by["counter"]],
        "by_channel": [(named.channel(k, lang), n, r) for k, n, r in sections.by["channel"]],
        "profile": summary.rollup.profile() if summary.rollup.respondents else {},
        "grid": rollups.weekday_hour(engine, codes, period, leave_out),
        "comments": comments, "more_comments": more_comments, "comment_filter": comment_filter,
        "link_share": sections.share, "leave_out": leave_out,
        "followups": store.followups(engine, unit["code"], period.key()),
        "qr_issued": store.receipts_issued_count(engine, codes, period.start, period.end),
        "qr_answered": store.receipts_answered_count(engine, codes, period.start, period.end),
        "population": store.population(engine, unit["code"], period.key()),
    }


COMMENT_EXAMPLES = 2  # masked comments quoted per score band in the report


def comment_summary(engine: Engine, unit: str, period: Period, leave_out: tuple[str, ...] = ()) -> dict:
    """What citizens wrote in a period, as the report summarises it: the trusted comments counted per band of
    the commenter's own mean score (graded as an NRR is: A..D), with the newest few of each band, masked."""
    bands: dict[str, dict] = {m: {"mutu": m, "kinerja": KINERJA[m], "count": 0, "examples": []}
                              for m in ("A", "B", "C", "D")}
    total = 0
    for row in store.period_comments(engine, [unit], period.start, period.end, leave_out):
        scores = [row[c] for c in CODES if row[c] is not None]
        if not scores:
            continue
        band = bands[nrr_mutu(Fraction(sum(scores), len(scores)))]
        band["count"] += 1
        total += 1
        masked = mask_personal_data(row["comment"])
        if len(band["examples"]) < COMMENT_EXAMPLES and masked not in (e["comment"] for e in band["examples"]):
            band["examples"].append({"submitted_at": row["submitted_at"], "comment": masked})
    return {"total": total, "bands": [bands[m] for m in ("D", "C", "B", "A")]}


def report_page(engine: Engine, unit: dict, period: Period, lang: str = "id", leave_out: tuple[str, ...] = (),
                public_url: str | None = None) -> dict:
    """Every figure of the Laporan Hasil SKM (the print view and its PDF): the unit page's figures, and the
    method, the change per unsur against the previous period, the comments' summary, the previous period's
    plan, the publication record and the signature block."""
    page = unit_page(engine, unit, period, lang, leave_out)
    today = today_in(unit["timezone"])
    summary = page["summary"]
    result, before = summary.rollup.result, summary.previous
    per_unsur_change = []
    if result is not None:
        for u in result.unsur:
            earlier = before.by_code(u.code).nrr if before is not None else None
            per_unsur_change.append((u, earlier, None if earlier is None else u.nrr - earlier))
    published = [p.key() for p, _r, _running in public_page(engine, unit)]
    org = next((u for u in store.all_units(engine) if u["code"] == unit["code"]), unit)
    return {**page, "opd_name": org.get("opd_name"), "pemda_name": org.get("pemda_name"),
            "report_trend": page["trend"][-12:],
            "provisional": is_provisional(period, today), "today": today, "today_text": format_day(today, lang),
            "period_days": (format_day(period.start, lang), format_day(period.last_day, lang)),
            "per_unsur_change": per_unsur_change,
            "weakest": result.ranking[0] if result is not None else None,
            "comment_summary": comment_summary(engine, unit["code"], period, leave_out),
            "previous_followups": store.followups(engine, unit["code"], period.previous().key()),
            "public_url": public_url, "published": period.key() in published, "published_periods": published,
            "publications": store.publications(engine, unit["code"], period.key()),
            "signatory": {"name": unit.get("head_name"), "nip": unit.get("head_nip"),
                          "place": unit.get("report_place")}}


def public_page(engine: Engine, unit: dict, periods: int = 4) -> list[tuple[Period, rollups.Rollup, bool]]:
    """The running triwulan of a unit (provisional: the third of each triple) and the last ``periods``
    complete ones, newest first: nothing personal, only the figures."""
    current = containing("triwulan", today_in(unit["timezone"]))
    result = []
    for _ in range(periods + 1):
        figures = rollups.rollup(engine, [unit["code"]], current)
        result.append((current, figures, provisional(current, unit["timezone"])))
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
CHANNEL_LABELS = {"kiosk": {"id": "Kios di loket", "en": "Counter kiosk"},
                  "qr": {"id": "QR pada struk", "en": "QR on the receipt"},
                  "link": {"id": "Tautan umum", "en": "General link"}}
PROVISIONAL = {"id": "SEMENTARA", "en": "PROVISIONAL"}
PROVISIONAL_NOTE = {"id": "Data sementara: periode ini masih berjalan (sampai {last}); angkanya masih dapat berubah.",
                    "en": "Provisional: this period is still running (until {last}); its figures may still change."}


def channel_label(channel: str, lang: str = "id") -> str:
    """A channel's name for a reader; a channel this version does not know keeps its code."""
    return CHANNEL_LABELS.get(channel, {}).get(lang, channel)


def is_running(unit: dict, period: Period) -> bool:
    """True while the period has not ended in the unit's time zone: its figures are provisional."""
    return is_provisional(period, today_in(unit["timezone"]))


FIRST_DATA_ROW = 6  # rows 1-3 title, period and note; 4 the unsur names; 5 the column labels (frozen above 6)
FIRST_UNSUR_COLUMN = 6  # F: after No, Waktu, Layanan, Loket, Kanal


def xlsx_bytes(engine: Engine, unit: dict, period: Period, lang: str = "id", leave_out: tuple[str, ...] = (),
               options: IndexOptions = IndexOptions()) -> bytes:
    """The workbook Indonesian SKM reports use: per-respondent U1..U9, then the per-unsur total, NRR, NRR
    tertimbang, IKM, konversi, mutu and kinerja, each a formula over the cells above it, so an auditor's
    spreadsheet recomputes the index from the respondents; then the profile tables and the follow-up plan.
    Services, counters, channels and unsur by their names; times as date-time cells in the unit's zone. A
    period still running is marked SEMENTARA in the title."""
    summary = unit_summary(engine, unit, period, options, leave_out)
    result = summary.rollup.result
    running = is_running(unit, period)
    wb = Workbook()
    wb.calculation.fullCalcOnLoad = True  # Excel recomputes every formula when it opens the file
    ws = wb.active
    ws.title = "Pengolahan"
    bold = Font(bold=True)
    title = f"Pengolahan Data Survei Kepuasan Masyarakat - {unit['name']}"
    append_row(ws, [f"{title} ({PROVISIONAL[lang]})" if running else title])
    ws.cell(1, 1).font = Font(bold=True, size=13)
    append_row(ws, [f"Periode: {period.label(lang)}" + (f" ({PROVISIONAL[lang].lower()})" if running else ""),
                    f"Konvensi: {result.options.describe(lang) if result else '-'}",
                    *([LEFT_OUT_NOTE[lang]] if leave_out else [])])
    append_row(ws, [PROVISIONAL_NOTE[lang].format(last=format_day(period.last_day, lang))] if running else [])
    if running:
        ws.cell(3, 1).font = bold
    append_row(ws, ["", "", "", "", "", *[u.name[lang] for u in UNSUR]])
    for cell in ws[4]:
        cell.alignment = Alignment(wrap_text=True, vertical="bottom")
    ws.row_dimensions[4].height = 45
    append_row(ws, ["No", f"Waktu ({unit['timezone']})", "Layanan", "Loket", "Kanal", *[f"U{u.order}" for u in UNSUR]])
    for cell in ws[5]:
        cell.font = bold
    ws.freeze_panes = f"A{FIRST_DATA_ROW}"  # a string: asking openpyxl for the cell would create it
    assert ws.max_row == FIRST_DATA_ROW - 1
    services, counters = store.service_names(engine, unit["code"]), store.counter_names(engine, unit["code"])
    number = 0
    for row in store.raw_responses(engine, [unit["code"]], period.start, period.end, leave_out):
        if row["suspect"]:
            continue  # the index leaves suspect responses out; so does its worksheet
        number += 1
        append_row(ws, [number, local_time(row["submitted_at"], unit["timezone"]),
                        services.get(row["service"], row["service"]), counters.get(row["counter"], row["counter"]),
                        channel_label(row["channel"], lang), *[row[u.code] for u in UNSUR]])
        ws.cell(ws.max_row, 2).number_format = DATETIME_FORMAT
    append_row(ws, [])
    if result is not None and number:
        pengolahan(ws, result, FIRST_DATA_ROW, FIRST_DATA_ROW + number - 1, summary.rollup.suspect, lang)
    else:
        append_row(ws, ["Belum ada data lengkap untuk periode ini"])
    ws.print_title_rows = f"{FIRST_DATA_ROW - 1}:{FIRST_DATA_ROW - 1}"  # the column labels on every printed page
    ws.column_dimensions["A"].width = 46
    ws.column_dimensions["B"].width = 17
    ws.column_dimensions["C"].width = 28
    ws.column_dimensions["D"].width = 16
    ws.column_dimensions["E"].width = 14
    profile = wb.create_sheet("Profil responden")
    for field in PROFILE:
        append_row(profile, [field.label[lang]])
        profile.cell(profile.max_row, 1).font = bold
        counts = dict(summary.rollup.profile().get(field.name, []))
        for choice, choice_label in field.choices:
            append_row(profile, [choice_label[lang], counts.get(choice, 0)])
            profile.cell(profile.max_row, 2).number_format = COUNT_FORMAT
        append_row(profile, [{"id": "Tidak menjawab", "en": "Not answered"}[lang], counts.get(None, 0)])
        profile.cell(profile.max_row, 2).number_format = COUNT_FORMAT
        append_row(profile, [])
    profile.column_dimensions["A"].width = 30
    plan = wb.create_sheet("Rencana tindak lanjut")
    append_row(plan, ["Unsur", "Kegiatan", "Penanggung jawab", "Batas waktu", "Status"])
    for cell in plan[1]:
        cell.font = bold
    plan.freeze_panes = "A2"
    for f in store.followups(engine, unit["code"], period.key()):
        known = UNSUR_BY_CODE.get(f["unsur"])
        append_row(plan, [f"U{known.order} {known.name[lang]}" if known else f["unsur"], f["action"], f["person"],
                          f["deadline"], f["status"]])
        format_dates(plan, plan.max_row)
    plan.column_dimensions["A"].width = 30
    plan.column_dimensions["B"].width = 50
    plan.column_dimensions["C"].width = 24
    plan.column_dimensions["D"].width = 12
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def pengolahan(ws, result: IndexResult, first: int, last: int, suspect: int, lang: str) -> None:
    """The per-unsur and index rows under the respondents (rows ``first``..``last``), as formulas: what
    the dashboard computes in fractions, a spreadsheet recomputes to the places shown. The weight is 1/n
    as a formula (not 0,111) unless the result's convention prints another; a convention that rounds each
    weighted NRR rounds it in the formula too. The grade table under them is what the mutu look up."""
    bold = Font(bold=True)
    profile = result.profile
    weight = profile.weights[result.options.weight]
    weight_cell = f"=1/{weight.denominator}" if result.options.weight == "exact" else float(weight)
    columns = [get_column_letter(FIRST_UNSUR_COLUMN + i) for i in range(len(UNSUR))]
    start = last + 2  # a blank row under the respondents
    rows = {name: start + i for i, name in enumerate(("total", "count", "nrr", "weight", "weighted", "mutu", "rank"))}
    grades_top = rows["rank"] + 12  # the grade table, below the index rows
    grades = list(reversed(profile.grades))  # LOOKUP wants the floors ascending
    floors = f"$B${grades_top + 1}:$B${grades_top + len(grades)}"
    mutus = f"$C${grades_top + 1}:$C${grades_top + len(grades)}"
    kinerja = f"$D${grades_top + 1}:$D${grades_top + len(grades)}"
    labels = {"total": "Jumlah nilai per unsur", "count": "Jumlah responden per unsur", "nrr": "NRR per unsur",
              "weight": "Bobot per unsur", "weighted": "NRR tertimbang per unsur", "mutu": "Mutu per unsur",
              "rank": "Peringkat (1 = NRR terendah)"}
    for name, row in rows.items():
        ws.cell(row, 1, labels[name]).font = bold
    nrr_range = f"${columns[0]}${rows['nrr']}:${columns[-1]}${rows['nrr']}"
    rounding = result.options.round_weighted
    for c, column in enumerate(columns, start=FIRST_UNSUR_COLUMN):
        data = f"{column}{first}:{column}{last}"
        nrr = f"{column}{rows['nrr']}"
        weighted = f"{nrr}*{column}{rows['weight']}"
        put_formula(ws, rows["total"], c, f"=SUM({data})", COUNT_FORMAT)
        put_formula(ws, rows["count"], c, f"=COUNT({data})", COUNT_FORMAT)
        put_formula(ws, rows["nrr"], c, f"={column}{rows['total']}/{column}{rows['count']}", NRR_FORMAT)
        if isinstance(weight_cell, str):
            put_formula(ws, rows["weight"], c, weight_cell, NRR_FORMAT)
        else:
            ws.cell(rows["weight"], c, weight_cell).number_format = "0.000"
        put_formula(ws, rows["weighted"], c, f"=ROUND({weighted},{rounding})" if rounding else f"={weighted}",
                    NRR_FORMAT)
        put_formula(ws, rows["mutu"], c, f"=LOOKUP(ROUND({nrr}*25,2),{floors},{mutus})")
        put_formula(ws, rows["rank"], c, f"=RANK({nrr},{nrr_range},1)")
    index_top = rows["rank"] + 2
    ikm, konversi = f"B{index_top}", f"B{index_top + 1}"
    weighted_range = f"{columns[0]}{rows['weighted']}:{columns[-1]}{rows['weighted']}"
    for offset, (label, formula, number_format) in enumerate((
            ("IKM", f"=SUM({weighted_range})", NRR_FORMAT),
            ("Nilai konversi (IKM x 25)", f"=ROUND({ikm}*25,2)", KONVERSI_FORMAT),
            ("Mutu pelayanan", f"=LOOKUP({konversi},{floors},{mutus})", None),
            ("Kinerja unit pelayanan", f"=LOOKUP({konversi},{floors},{kinerja})", None),
            ("Jumlah responden", f"=COUNT(A{first}:A{last})", COUNT_FORMAT))):
        ws.cell(index_top + offset, 1, label).font = bold
        put_formula(ws, index_top + offset, 2, formula, number_format)
    by_code = {u.code: u for u in result.unsur}
    ws.cell(index_top + 5, 1, "Responden ditandai mencurigakan (tidak dihitung)").font = bold
    ws.cell(index_top + 5, 2, suspect).number_format = COUNT_FORMAT
    ws.cell(index_top + 6, 1, "Unsur prioritas tindak lanjut").font = bold
    ws.cell(index_top + 6, 2, as_text(", ".join(f"U{by_code[c].order} {result.unsur_name(c, lang)}"
                                                for c in result.priorities)))
    ws.cell(grades_top - 1, 1, f"Interval mutu ({profile.title})").font = bold
    for i, header in enumerate(("", "Nilai konversi dari", "Mutu", "Kinerja", "NRR dari (konversi / 25)")):
        ws.cell(grades_top, 1 + i, header).font = bold
    for i, grade in enumerate(grades, start=grades_top + 1):
        ws.cell(i, 1, f"Interval mutu {grade.mutu}")
        ws.cell(i, 2, float(grade.floor)).number_format = KONVERSI_FORMAT
        ws.cell(i, 3, grade.mutu)
        ws.cell(i, 4, grade.kinerja[lang])
        put_formula(ws, i, 5, f"=B{i}/25", NRR_FORMAT)


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
    for cell in ws[4]:
        cell.font = bold
    ws.freeze_panes = "A5"
    unit_result = view["unit_result"]
    append_row(ws, ["Responden", own.respondents, "", view["unit_respondents"]])
    set_formats(ws, ws.max_row, {2: COUNT_FORMAT, 4: COUNT_FORMAT})
    if own.enough:
        append_row(ws, ["Nilai konversi", float(own.result.konversi),
                   f"{own.konversi_range.low} - {own.konversi_range.high}",
                   float(unit_result.konversi) if unit_result else None])
        set_formats(ws, ws.max_row, {2: KONVERSI_FORMAT, 4: KONVERSI_FORMAT})
        for code in INFLUENCED:
            append_row(ws, [f"NRR U{UNSUR_BY_CODE[code].order} {UNSUR_BY_CODE[code].name[lang]}",
                       float(round_half_up(own.result.by_code(code).nrr, 2)),
                       f"{own.unsur_ranges[code].low} - {own.unsur_ranges[code].high}",
                       float(round_half_up(unit_result.by_code(code).nrr, 2)) if unit_result else None])
            set_formats(ws, ws.max_row, {2: KONVERSI_FORMAT, 4: KONVERSI_FORMAT})
    else:
        append_row(ws, [f"Data belum cukup: {own.respondents} dari minimal {view['minimum']} responden"])
    append_row(ws, [])
    append_row(ws, ["Catatan konteks"])
    ws.cell(ws.max_row, 1).font = bold
    for note in view["notes"]:
        append_row(ws, [local_time(note["created_at"], unit["timezone"]), note["note"]])
        format_dates(ws, ws.max_row)
    append_row(ws, [])
    append_row(ws, [f"Komentar warga (data pribadi disamarkan; waktu {unit['timezone']})"])
    ws.cell(ws.max_row, 1).font = bold
    for c in view["comments"]:
        append_row(ws, [local_time(c["submitted_at"], unit["timezone"]), mask_personal_data(c["comment"])])
        format_dates(ws, ws.max_row)
    ws.column_dimensions["A"].width = 28
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()
