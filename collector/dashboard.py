"""The unit heads' dashboard. The access rule is declared once for the blueprint (``auth.require_login``):
a signed-in user, and for every URL naming a unit, a user who may see it."""
from __future__ import annotations

from flask import (Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request,
                   stream_with_context, url_for)
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional

from skm import UNSUR, InvalidOption, limits
from skm.periods import Period, parse
from skmweb import select_locale
from skmweb.forms import StorableText, unstorable_message
from skmweb.clocks import skew_text

from . import auth, officers, pdf, reports, store

bp = Blueprint("dashboard", __name__)
bp.before_request(auth.require_login)

STATUSES = ("rencana", "berjalan", "selesai")


def engine():
    return current_app.extensions["skm_engine"]


def period_arg(zone: str = "Asia/Jakarta") -> Period:
    text = request.args.get("period")
    if not text:
        return reports.default_period(zone)
    try:
        return parse(text)
    except InvalidOption as exc:
        abort(400, exc.render(select_locale())[0])


LEAVE_OUT_LINK = "tanpa_tautan"  # ?tanpa_tautan=1: every figure and export of the view without the general link


def leave_out_arg() -> tuple[str, ...]:
    """The channels this view leaves out: the general link (``/s/<unit>``) when the URL says so."""
    return ("link",) if request.args.get(LEAVE_OUT_LINK) == "1" else ()


def view_args(period: Period) -> dict:
    """What a link to another page of this view keeps: the period, and whether the general link is left out."""
    return {"period": period.key(), **({LEAVE_OUT_LINK: "1"} if leave_out_arg() else {})}


def export_name(unit: str, period: Period, extension: str) -> str:
    return f"skm-{unit}-{period.key()}{'-tanpa-tautan' if leave_out_arg() else ''}.{extension}"


def unit_or_404(code: str) -> dict:
    try:
        return store.get_unit(engine(), code)
    except store.NotFound:
        abort(404)


class PopulationForm(FlaskForm):
    recipients = IntegerField("recipients", validators=[InputRequired(), NumberRange(min=0, max=100_000_000)])


class FollowupForm(FlaskForm):
    unsur = StringField("unsur", validators=[InputRequired(), AnyOf([u.code for u in UNSUR])])
    action = TextAreaField("action", validators=[InputRequired(), Length(max=1000), StorableText()])
    person = StringField("person", validators=[InputRequired(), Length(max=200), StorableText()])
    deadline = DateField("deadline", validators=[Optional()])
    status = StringField("status", validators=[InputRequired(), AnyOf(STATUSES)])


class StatusForm(FlaskForm):
    status = StringField("status", validators=[InputRequired(), AnyOf(STATUSES)])


@bp.get("/")
def overview():
    user = g.user
    if user["role"] == "petugas":
        return redirect(url_for("dashboard.officer_page", nip=user["officer"]))
    units = auth.visible_units(user)
    period = period_arg()
    return render_template("collector/overview.html", user=user, period=period, view_args=view_args(period),
                           **reports.overview(engine(), units, period, leave_out_arg()))


@bp.get("/unit/<unit>")
def unit_page(unit: str):
    data = unit_or_404(unit)
    period = period_arg(data["timezone"])
    page = reports.unit_page(engine(), data, period, select_locale(), leave_out_arg())
    return render_template("collector/unit.html", user=g.user, editable=auth.can_edit(g.user, unit),
                           view_args=view_args(period),
                           kiosk_warnings=kiosk_warnings(unit),
                           population_form=PopulationForm(recipients=page["population"]),
                           followup_form=FollowupForm(), status_form=StatusForm(), statuses=STATUSES,
                           signatory_form=SignatoryForm(head_name=data["head_name"], head_nip=data["head_nip"],
                                                        report_place=data["report_place"]), **page)


def kiosk_warnings(unit: str) -> list[str]:
    """What the unit's staff should fix at its kiosks: more than one copy syncing under one id, a clock
    off by more than COLLECTOR_CLOCK_WARN_SECONDS."""
    beyond = current_app.config["COLLECTOR_CLOCK_WARN_SECONDS"] * 1000
    copies = [_("Kios %(kiosk)s dikirimi data oleh %(n)d salinan sekaligus (kios yang disalin?). Admin dapat "
                "mencabut salinannya: skm collector kiosk revoke %(id)s --install SALINAN", kiosk=k["name"],
                n=sum(1 for i in k["installs"] if not i["revoked_at"]), id=k["id"])
              for k in store.copied_kiosks(engine(), unit)]
    return copies + [_("Jam kios %(kiosk)s %(skew)s dari jam server (diukur %(at)s UTC). Jawabannya tetap dicatat pada "
              "waktu yang dikoreksi; perbaiki jam komputer kios.", kiosk=k["name"], skew=skew_text(k["clock_skew_ms"]),
              at=k["clock_measured_at"][:16].replace("T", " "))
            for k in store.skewed_kiosks(engine(), unit, beyond)]


def require_edit(unit: str) -> None:
    if not auth.can_edit(g.user, unit):
        abort(403)


@bp.post("/unit/<unit>/population")
def set_population(unit: str):
    require_edit(unit)
    period = period_arg(unit_or_404(unit)["timezone"])
    form = PopulationForm()
    if form.validate_on_submit():
        store.set_population(engine(), unit, period.key(), form.recipients.data, g.user["username"])
        flash(_("Jumlah penerima layanan disimpan."))
    else:
        flash(_("Jumlah penerima layanan harus bilangan bulat 0 atau lebih."), "error")
    return redirect(url_for("dashboard.unit_page", unit=unit, period=period.key()))


@bp.post("/unit/<unit>/followup")
def add_followup(unit: str):
    require_edit(unit)
    period = period_arg(unit_or_404(unit)["timezone"])
    form = FollowupForm()
    if form.validate_on_submit():
        store.add_followup(engine(), unit, period.key(), form.unsur.data, form.action.data.strip(),
                           form.person.data.strip(), form.deadline.data, form.status.data, g.user["username"])
        flash(_("Rencana tindak lanjut ditambahkan."))
    else:
        flash(unstorable_message(form) or _("Rencana tindak lanjut belum lengkap: isi kegiatan dan penanggung jawab."),
              "error")
    return redirect(url_for("dashboard.unit_page", unit=unit, period=period.key()) + "#rtl")


@bp.post(f"/unit/<unit>/followup/<int(max={limits.INTEGER_MAX}):followup_id>")
def set_followup_status(unit: str, followup_id: int):
    require_edit(unit)
    period = period_arg(unit_or_404(unit)["timezone"])
    form = StatusForm()
    if not form.validate_on_submit() or not store.set_followup_status(engine(), unit, followup_id, form.status.data,
                                                                      g.user["username"]):
        abort(400)
    return redirect(url_for("dashboard.unit_page", unit=unit, period=period.key()) + "#rtl")


def audited_export(unit: str, kind: str, period: Period) -> None:
    store.audit(engine(), "export", g.user["username"], target=unit,
                detail=f"{kind} {period.key()}{' without link' if leave_out_arg() else ''}", ip=auth.client_ip())


XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def download(content, mimetype: str, filename: str) -> Response:
    response = Response(content, mimetype=mimetype)
    response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@bp.get("/unit/<unit>/export.csv")
def export_csv(unit: str):
    period = period_arg(unit_or_404(unit)["timezone"])
    separator = request.args.get("sep", "comma")
    if separator not in reports.CSV_SEPARATORS:
        abort(400, _("Pemisah CSV %(value)s tidak dikenal; pilihan: %(choices)s", value=repr(separator),
                     choices=", ".join(reports.CSV_SEPARATORS)))
    audited_export(unit, "csv", period)
    return download(stream_with_context(reports.csv_lines(engine(), unit, period, separator, leave_out_arg())),
                    "text/csv", export_name(unit, period, "csv"))


@bp.get("/unit/<unit>/export.xlsx")
def export_xlsx(unit: str):
    data = unit_or_404(unit)
    period = period_arg(data["timezone"])
    audited_export(unit, "xlsx", period)
    return download(reports.xlsx_bytes(engine(), data, period, select_locale(), leave_out_arg()), XLSX,
                    export_name(unit, period, "xlsx"))


def report_html(data: dict, period: Period) -> str:
    """The Laporan Hasil SKM: the print view, and the HTML its PDF is laid out from."""
    page = reports.report_page(engine(), data, period, select_locale(), leave_out_arg(),
                               public_url=url_for("public.results", unit=data["code"], _external=True))
    return render_template("collector/report.html", user=g.user, view_args=view_args(period), **page)


@bp.get("/unit/<unit>/report")
def report(unit: str):
    data = unit_or_404(unit)
    period = period_arg(data["timezone"])
    audited_export(unit, "report", period)
    return report_html(data, period)


@bp.get("/unit/<unit>/report.pdf")
def report_pdf(unit: str):
    data = unit_or_404(unit)
    period = period_arg(data["timezone"])
    missing = pdf.available()
    if missing is not None:
        current_app.logger.error("PDF report not made: %s", missing)
        abort(503, _("PDF laporan tidak dapat dibuat di server ini karena pustaka Pango belum terpasang. Admin "
                     "dapat memasangnya dengan: %(command)s. Laporan cetak tetap dapat dibuka dan dicetak dari "
                     "peramban.", command=pdf.INSTALL_HINT))
    audited_export(unit, "pdf", period)
    document = pdf.render(report_html(data, period), request.host_url, str(current_app.static_folder))
    return download(document, "application/pdf", export_name(unit, period, "pdf"))


class SignatoryForm(FlaskForm):
    head_name = StringField("head_name", validators=[InputRequired(), Length(max=200), StorableText()])
    head_nip = StringField("head_nip", validators=[InputRequired(), Length(max=40)])
    report_place = StringField("report_place", validators=[InputRequired(), Length(max=100), StorableText()])


@bp.post("/unit/<unit>/signatory")
def set_signatory(unit: str):
    require_edit(unit)
    period = period_arg(unit_or_404(unit)["timezone"])
    form = SignatoryForm()
    nip = (form.head_nip.data or "").replace(" ", "")
    if not form.validate_on_submit():
        flash(unstorable_message(form) or _("Blok tanda tangan belum lengkap: isi nama, NIP dan tempat."), "error")
    elif not store.NIP.match(nip):
        flash(_("NIP harus 18 angka; yang diisi: %(nip)s", nip=form.head_nip.data), "error")
    else:
        store.set_signatory(engine(), unit, form.head_name.data, nip, form.report_place.data)
        store.audit(engine(), "set_signatory", g.user["username"], target=unit, ip=auth.client_ip())
        flash(_("Blok tanda tangan laporan disimpan."))
    return redirect(url_for("dashboard.unit_page", unit=unit, period=period.key()) + "#ttd")


@bp.get("/audit")
def audit_log():
    if g.user["role"] != "admin":
        abort(403)
    return render_template("collector/audit.html", user=g.user,
                           entries=store.audit_entries(engine(), action=request.args.get("action") or None))


# -- officer feedback ------------------------------------------------------------------------------------------

class NoteForm(FlaskForm):
    note = TextAreaField("note", validators=[InputRequired(), Length(max=500), StorableText()])


def minimum() -> int:
    return int(current_app.config["COLLECTOR_OFFICER_MIN_RESPONSES"])


def officer_context(nip: str) -> tuple[dict, dict, Period, dict]:
    officer = g.officer
    unit = unit_or_404(officer["unit"])
    period = period_arg(unit["timezone"])
    store.audit(engine(), "view_officer", g.user["username"], target=nip, detail=f"{request.path} {period.key()}",
                ip=auth.client_ip())
    return officer, unit, period, officers.officer_view(engine(), officer, period, minimum())


@bp.get("/officer/<nip>")
def officer_page(nip: str):
    officer, unit, period, view = officer_context(nip)
    can_note = g.user["role"] == "admin" or g.user.get("officer") == nip
    return render_template("collector/officer.html", user=g.user, unit=unit, note_form=NoteForm(), can_note=can_note,
                           **view)


@bp.post("/officer/<nip>/note")
def add_officer_note(nip: str):
    if not (g.user["role"] == "admin" or g.user.get("officer") == nip):
        abort(403)
    period = period_arg(unit_or_404(g.officer["unit"])["timezone"])
    form = NoteForm()
    if form.validate_on_submit():
        store.add_officer_note(engine(), nip, period.key(), form.note.data.strip(), g.user["username"])
        flash(_("Catatan konteks disimpan."))
    else:
        flash(unstorable_message(form) or _("Catatan kosong atau lebih dari 500 karakter."), "error")
    return redirect(url_for("dashboard.officer_page", nip=nip, period=period.key()))


@bp.get("/officer/<nip>/report")
def officer_report(nip: str):
    officer, unit, period, view = officer_context(nip)
    return render_template("collector/officer_report.html", user=g.user, unit=unit, **view)


@bp.get("/officer/<nip>/export.xlsx")
def officer_export(nip: str):
    officer, unit, period, view = officer_context(nip)
    return download(reports.officer_xlsx(unit, view, select_locale()), XLSX, f"skm-petugas-{nip}-{period.key()}.xlsx")


@bp.get("/unit/<unit>/officers")
def unit_officers(unit: str):
    data = unit_or_404(unit)
    period = period_arg(data["timezone"])
    rows = officers.unit_officers_view(engine(), unit, period, minimum())
    ranking = bool(data["officer_ranking"]) and g.user["role"] == "pimpinan"
    store.audit(engine(), "view_officers", g.user["username"], target=unit,
                detail=f"{period.key()}{' ranked' if ranking else ''}", ip=auth.client_ip())
    return render_template("collector/unit_officers.html", user=g.user, unit=data, period=period, minimum=minimum(),
                           rows=officers.ranked(rows) if ranking else rows, ranking=ranking)
