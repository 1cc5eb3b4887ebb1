"""The unit heads' dashboard. The access rule is declared once for the blueprint (``auth.require_login``):
a signed-in user, and for every URL naming a unit, a user who may see it."""
from __future__ import annotations

from flask import (Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request,
                   stream_with_context, url_for)
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, StringField, TextAreaField
from wtforms.validators import AnyOf, InputRequired, Length, NumberRange, Optional

from skm import UNSUR, InvalidOption
from skm.periods import Period, parse
from skmweb import select_locale

from . import auth, reports, rollups, store

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


def unit_or_404(code: str) -> dict:
    try:
        return store.get_unit(engine(), code)
    except store.NotFound:
        abort(404)


class PopulationForm(FlaskForm):
    recipients = IntegerField("recipients", validators=[InputRequired(), NumberRange(min=0, max=100_000_000)])


class FollowupForm(FlaskForm):
    unsur = StringField("unsur", validators=[InputRequired(), AnyOf([u.code for u in UNSUR])])
    action = TextAreaField("action", validators=[InputRequired(), Length(max=1000)])
    person = StringField("person", validators=[InputRequired(), Length(max=200)])
    deadline = DateField("deadline", validators=[Optional()])
    status = StringField("status", validators=[InputRequired(), AnyOf(STATUSES)])


class StatusForm(FlaskForm):
    status = StringField("status", validators=[InputRequired(), AnyOf(STATUSES)])


@bp.get("/")
def overview():
    user = g.user
    units = auth.visible_units(user)
    period = period_arg()
    return render_template("collector/overview.html", user=user, period=period,
                           **reports.overview(engine(), units, period))


@bp.get("/unit/<unit>")
def unit_page(unit: str):
    data = unit_or_404(unit)
    period = period_arg(data["timezone"])
    page = reports.unit_page(engine(), data, period, select_locale())
    return render_template("collector/unit.html", user=g.user, editable=auth.can_edit(g.user, unit),
                           population_form=PopulationForm(recipients=page["population"]),
                           followup_form=FollowupForm(), status_form=StatusForm(), statuses=STATUSES, **page)


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
        flash(_("Rencana tindak lanjut belum lengkap: isi kegiatan dan penanggung jawab."), "error")
    return redirect(url_for("dashboard.unit_page", unit=unit, period=period.key()) + "#rtl")


@bp.post("/unit/<unit>/followup/<int:followup_id>")
def set_followup_status(unit: str, followup_id: int):
    require_edit(unit)
    period = period_arg(unit_or_404(unit)["timezone"])
    form = StatusForm()
    if not form.validate_on_submit() or not store.set_followup_status(engine(), unit, followup_id, form.status.data,
                                                                      g.user["username"]):
        abort(400)
    return redirect(url_for("dashboard.unit_page", unit=unit, period=period.key()) + "#rtl")


def audited_export(unit: str, kind: str, period: Period) -> None:
    store.audit(engine(), "export", g.user["username"], target=unit, detail=f"{kind} {period.key()}",
                ip=auth.client_ip())


@bp.get("/unit/<unit>/export.csv")
def export_csv(unit: str):
    unit_or_404(unit)
    period = period_arg(unit_or_404(unit)["timezone"])
    audited_export(unit, "csv", period)
    response = Response(stream_with_context(reports.csv_lines(engine(), unit, period)), mimetype="text/csv")
    response.headers["Content-Disposition"] = f'attachment; filename="skm-{unit}-{period.key()}.csv"'
    return response


@bp.get("/unit/<unit>/export.xlsx")
def export_xlsx(unit: str):
    data = unit_or_404(unit)
    period = period_arg(data["timezone"])
    audited_export(unit, "xlsx", period)
    content = reports.xlsx_bytes(engine(), data, period, select_locale())
    response = Response(content, mimetype="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    response.headers["Content-Disposition"] = f'attachment; filename="skm-{unit}-{period.key()}.xlsx"'
    return response


@bp.get("/unit/<unit>/report")
def report(unit: str):
    data = unit_or_404(unit)
    period = period_arg(data["timezone"])
    audited_export(unit, "report", period)
    page = reports.unit_page(engine(), data, period, select_locale())
    return render_template("collector/report.html", user=g.user, **page)


@bp.get("/audit")
def audit_log():
    if g.user["role"] != "admin":
        abort(403)
    return render_template("collector/audit.html", user=g.user,
                           entries=store.audit_entries(engine(), action=request.args.get("action") or None))
