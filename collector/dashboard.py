"""The unit heads' dashboard. The access rule is declared once for the blueprint (``auth.require_login``):
a signed-in user, and for every URL naming a unit, a user who may see it."""
from __future__ import annotations

from flask import (Blueprint, Response, abort, current_app, flash, g, redirect, render_template, request,
                   stream_with_context, url_for)
from flask_babel import gettext as _
from flask_wtf import FlaskForm
from wtforms import DateField, IntegerField, StringField, TextAreaField
from wtforms.validators import AnyOf, DataRequired, InputRequired, Length, NumberRange, Optional

from skm import CODES, UNSUR, InvalidOption, limits
from skm.periods import Period, compose, parse
from skmweb import select_locale
from skmweb.forms import StorableText, unstorable_message
from skmweb.clocks import skew_text

from . import alerts, auth, followup_effect, names, officers, pdf, reports, store, themes

bp = Blueprint("dashboard", __name__)
bp.before_request(auth.require_login)

STATUSES = ("rencana", "berjalan", "selesai")
SOURCES = ("", "alert", "tema", "terlemah")


def engine():
    return current_app.extensions["skm_engine"]


PICKER_ARGS = ("kind", "year", "month", "triwulan", "semester", "start", "end")  # the period picker's controls
PICKER_PARTS = {"month": "month", "triwulan": "triwulan", "semester": "semester"}


def requested_period() -> str | None:
    """The period the request asks for as text: ``?period=`` as typed, or what the picker's controls
    (``?kind=triwulan&year=2026&triwulan=3``) compose; None for the default."""
    text = request.args.get("period", "").strip()
    if text:
        return text
    kind = request.args.get("kind", "").strip()
    if not kind:
        return None
    args = request.args
    return compose(kind, args.get("year", ""), args.get(PICKER_PARTS.get(kind, ""), ""), args.get("start", ""),
                   args.get("end", ""))


def period_arg(zone: str = "Asia/Jakarta", page: bool = False) -> Period:
    """The period of the request (the last complete triwulan by default). One that cannot be read stops an
    export or a form post with a 400 saying why; a ``page`` shows the default period instead, with the
    error beside the picker (``g.period_error``) and status 400, so the reader can correct it there."""
    text = requested_period()
    if text is None:
        return reports.default_period(zone)
    try:
        return parse(text)
    except InvalidOption as exc:
        message = exc.problems[0].message(select_locale())
        if not page:
            abort(400, message)
        g.period_error = {"value": text, "message": message}
        g.bad_input = True
        return reports.default_period(zone)


@bp.before_request
def canonical_period_url():
    """A page asked for by the picker's controls or by a spelling (``TW3 2026``) moves to its canonical URL
    (``?period=2026-T3``), so links, bookmarks and the audit log all name a period one way."""
    if request.method != "GET" or (requested := requested_period()) is None:
        return None
    try:
        key = parse(requested).key()
    except InvalidOption:
        return None  # the view says what is wrong, beside the picker
    if "kind" not in request.args and request.args.get("period") == key:
        return None
    kept = {name: value for name, value in request.args.items() if name not in (*PICKER_ARGS, "period", "hal")}
    return redirect(url_for(request.endpoint, **(request.view_args or {}), **kept, period=key))


@bp.after_request
def bad_input_status(response: Response) -> Response:
    """A page shown again with an inline error about its query (a period, a filter) answers 400."""
    if g.get("bad_input") and response.status_code == 200:
        response.status_code = 400
    return response


LEAVE_OUT_LINK = "tanpa_tautan"  # ?tanpa_tautan=1: every figure and export of the view without the general link


def leave_out_arg() -> tuple[str, ...]:
    """The channels this view leaves out: the general link (``/s/<unit>``) when the URL says so."""
    return ("link",) if request.args.get(LEAVE_OUT_LINK) == "1" else ()


def view_args(period: Period) -> dict:
    """What a link to another page of this view keeps: the period, and whether the general link is left out."""
    return {"period": period.key(), **({LEAVE_OUT_LINK: "1"} if leave_out_arg() else {})}


def export_name(unit: str, period: Period, extension: str, zone: str = "Asia/Jakarta") -> str:
    """``skm-<unit>-<period>[-sementara][-tanpa-tautan].<ext>``: a running period's file says it is provisional."""
    return (f"skm-{unit}-{period.key()}{'-sementara' if reports.provisional(period, zone) else ''}"
            f"{'-tanpa-tautan' if leave_out_arg() else ''}.{extension}")


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
    source = StringField("source", validators=[Optional(), AnyOf(SOURCES)])


class PublicationForm(FlaskForm):
    published_on = DateField("published_on", validators=[InputRequired()])
    medium = StringField("medium", validators=[InputRequired(), AnyOf(store.MEDIA)])
    place = StringField("place", filters=[lambda text: text.strip() if text else text],
                        validators=[DataRequired(), Length(max=500), StorableText()])


def medium_names() -> dict[str, str]:
    """The title of each medium a publication can be on, in the reader's language."""
    return {"papan": _("papan pengumuman"), "situs": _("situs web"), "medsos": _("media sosial"),
            "massa": _("media massa"), "lainnya": _("lainnya")}


class StatusForm(FlaskForm):
    status = StringField("status", validators=[InputRequired(), AnyOf(STATUSES)])


@bp.get("/")
def overview():
    user = g.user
    if user["role"] == "petugas":
        return redirect(url_for("dashboard.officer_page", nip=user["officer"]))
    if user["role"] == "inspektorat":
        return redirect(url_for("dashboard.alert_list"))
    units = auth.visible_units(user)
    period = period_arg(page=True)
    return render_template("collector/overview.html", user=user, period=period, view_args=view_args(period),
                           alert_panel=alert_panel(units), **reports.overview(engine(), units, period, leave_out_arg()))


@bp.get("/unit/<unit>")
def unit_page(unit: str):
    data = unit_or_404(unit)
    period = period_arg(data["timezone"], page=True)
    chosen, filter_errors = comment_filter_arg()
    page = reports.unit_page(engine(), data, period, select_locale(), leave_out_arg(), chosen)
    return render_template("collector/unit.html", user=g.user, editable=auth.can_edit(g.user, unit),
                           view_args=view_args(period), filter_errors=filter_errors,
                           theme_view=theme_view(unit, period),
                           kiosk_warnings=kiosk_warnings(unit),
                           population_form=PopulationForm(recipients=page["population"]),
                           followup_form=FollowupForm(), status_form=StatusForm(), statuses=STATUSES,
                           publication_form=PublicationForm(), medium_names=medium_names(),
                           publications=store.publications(engine(), unit, period.key()),
                           alert_panel=alert_panel([data], rules=auth.can_edit(g.user, unit)),
                           followup_effects=followup_effect.effects(engine(), page["followups"],
                                                                    reports.today_in(data["timezone"])),
                           signatory_form=SignatoryForm(head_name=data["head_name"], head_nip=data["head_nip"],
                                                        report_place=data["report_place"]), **page)


def comment_filter_arg() -> tuple[reports.CommentFilter, list[str]]:
    """The comment filter of the unit page (``?unsur=waktu&skor=1&hal=2``) and what was wrong with it; a
    value that cannot be read is left out of the filter and said so beside it."""
    args, errors = request.args, []
    unsur = args.get("unsur") or None
    if unsur is not None and unsur not in CODES:
        errors.append(_("Unsur %(value)s tidak dikenal; pilih salah satu dari daftar.", value=repr(unsur)))
        unsur = None
    score = None
    if args.get("skor"):
        if args["skor"] in ("1", "2", "3", "4"):
            score = int(args["skor"])
        else:
            errors.append(_("Nilai %(value)s tidak dikenal; pilih 1, 2, 3 atau 4.", value=repr(args["skor"])))
    page, per_page = 1, int(current_app.config["COLLECTOR_COMMENTS_PER_PAGE"])
    if args.get("hal"):
        if args["hal"].isdigit() and 1 <= int(args["hal"]) <= limits.INTEGER_MAX // per_page:
            page = int(args["hal"])
        else:
            errors.append(_("Halaman komentar %(value)s tidak ada; ditampilkan halaman 1.", value=repr(args["hal"])))
    if errors:
        g.bad_input = True
    return reports.CommentFilter(unsur, score, page, per_page), errors


def theme_view(unit: str, period: Period) -> dict:
    """The unit page's comment themes; ``?tema=CODE`` lists that theme's comments."""
    lexicon = current_app.extensions["skm_themes"]
    theme = request.args.get(themes.THEME_ARG) or None
    if theme is not None and theme not in lexicon.themes and theme not in lexicon.signals:
        abort(400, _("Tema %(value)s tidak dikenal; pilihan: %(choices)s", value=repr(theme)[:60],
                     choices=", ".join([*lexicon.themes, *lexicon.signals])))
    return themes.unit_section(engine(), lexicon, [unit], period, select_locale(), theme, leave_out_arg())


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
                           form.person.data.strip(), form.deadline.data, form.status.data, g.user["username"],
                           form.source.data or None, reports.today_in(unit_or_404(unit)["timezone"]))
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
    today = reports.today_in(unit_or_404(unit)["timezone"])
    if not form.validate_on_submit() or not store.set_followup_status(engine(), unit, followup_id, form.status.data,
                                                                      g.user["username"], today):
        abort(400)
    return redirect(url_for("dashboard.unit_page", unit=unit, period=period.key()) + "#rtl")


def publication_problem(form: PublicationForm, today) -> str | None:
    """What is wrong with a publication typed in, said for the field it is in; None when it can be stored."""
    if form.published_on.errors or form.published_on.data is None:
        return _("Tanggal publikasi belum diisi atau bukan tanggal yang sah.")
    if form.published_on.data > today:
        return _("Tanggal publikasi %(day)s belum lewat; catat publikasi yang sudah dilakukan.",
                 day=form.published_on.data.isoformat())
    if form.medium.errors:
        return _("Media publikasi tidak dikenal; pilih salah satu dari daftar.")
    if form.place.errors:
        return unstorable_message(form) or _("Isi tempat atau alamat publikasi (paling banyak 500 karakter).")
    return None


@bp.post("/unit/<unit>/publication")
def add_publication(unit: str):
    require_edit(unit)
    data = unit_or_404(unit)
    period = period_arg(data["timezone"])
    form = PublicationForm()
    today = reports.today_in(data["timezone"])
    valid = form.validate_on_submit()
    problem = publication_problem(form, today)
    if not valid and problem is None:
        abort(400)  # no valid CSRF token: the form was not sent from this page
    if problem is not None:
        flash(_("Publikasi tidak disimpan: %(why)s", why=problem), "error")
    else:
        store.add_publication(engine(), unit, period.key(), form.published_on.data, form.medium.data,
                              form.place.data.strip(), g.user["username"])
        store.audit(engine(), "add_publication", g.user["username"], target=unit,
                    detail=f"{period.key()} {form.medium.data} {form.published_on.data.isoformat()}",
                    ip=auth.client_ip())
        flash(_("Publikasi hasil dicatat."))
    return redirect(url_for("dashboard.unit_page", unit=unit, period=period.key()) + "#publikasi")


@bp.post(f"/unit/<unit>/publication/<int(max={limits.INTEGER_MAX}):publication_id>/delete")
def delete_publication(unit: str, publication_id: int):
    require_edit(unit)
    period = period_arg(unit_or_404(unit)["timezone"])
    if not FlaskForm().validate_on_submit():
        abort(400)
    gone = store.delete_publication(engine(), unit, publication_id)
    if gone is None:
        abort(404)
    store.audit(engine(), "delete_publication", g.user["username"], target=unit,
                detail=f"{gone['period']} {gone['medium']} {gone['published_on']}", ip=auth.client_ip())
    flash(_("Catatan publikasi dihapus."))
    return redirect(url_for("dashboard.unit_page", unit=unit, period=period.key()) + "#publikasi")


# -- alerts ------------------------------------------------------------------------------------------------------

class AckForm(FlaskForm):
    note = TextAreaField("note", validators=[DataRequired(), Length(max=1000), StorableText()])


def alert_scope(user: dict) -> tuple[list[str] | None, tuple[str, ...] | None]:
    """(units, kinds) of the alerts the user sees; None: all. Inspektorat: integrity reports of every unit."""
    if user["role"] in ("admin", "pimpinan"):
        return None, None
    if user["role"] == "inspektorat":
        return None, ("integritas",)
    if user["role"] == "kepala_unit":
        return list(user["units"]), None
    return [], None


def can_acknowledge(user: dict, alert: dict) -> bool:
    return auth.can_edit(user, alert["unit"]) or (alert["kind"] == "integritas"
                                                  and user["role"] in alerts.INTEGRITY_ROLES)


def alert_panel(units: list[dict] | None, rules: bool = False) -> dict:
    """What ``_alerts.html`` shows: the episodes not yet acknowledged, and recent history (acknowledged or
    over) the user may see, of ``units`` (None: every unit the user's scope has), and the unit's rules when
    editable. An acknowledged episode that still holds opens no new one until its condition clears."""
    scope_units, kinds = alert_scope(g.user)
    codes = None if units is None else [u["code"] for u in units]
    if scope_units is not None:
        codes = [c for c in (codes or scope_units) if c in scope_units]
    named, lexicon, lang = store.all_units(engine()), current_app.extensions["skm_themes"], select_locale()

    def shown(found: list[dict]) -> list[dict]:
        return [dict(a, signal_names=alerts.signal_names(lexicon, a["detail"].get("signals", ()), lang),
                     counter_text=alerts.counter_text(a["detail"], lang)) for a in alerts.with_units(found, named)]
    open_alerts = shown(store.alerts_of(engine(), codes, kinds, unhandled_only=True))
    history = shown([a for a in store.alerts_of(engine(), codes, kinds, limit=20)
                     if a["cleared_at"] or a["acknowledged_at"]])
    return {"open": [dict(a, can_ack=can_acknowledge(g.user, a)) for a in open_alerts],
            "history": history, "form": AckForm(),
            "rules": alerts.rule_rows(engine(), units[0]["code"]) if rules and units else None,
            "unit": units[0]["code"] if units and len(units) == 1 else None}


@bp.get("/alerts")
def alert_list():
    if g.user["role"] == "petugas":
        abort(403)
    return render_template("collector/alerts.html", user=g.user, alert_panel=alert_panel(None))


@bp.post(f"/alerts/<int(max={limits.INTEGER_MAX}):alert_id>/ack")
def acknowledge_alert(alert_id: int):
    alert = store.get_alert(engine(), alert_id)
    scope_units, kinds = alert_scope(g.user)
    if alert is None or (scope_units is not None and alert["unit"] not in scope_units) \
            or (kinds is not None and alert["kind"] not in kinds):
        abort(404)
    if not can_acknowledge(g.user, alert):
        abort(403)
    form = AckForm()
    back = request.form.get("back")
    target = back if back and back.startswith("/") and not back.startswith("//") else url_for("dashboard.alert_list")
    if not form.validate_on_submit():
        flash(unstorable_message(form) or _("Tulis catatan penanganan (paling banyak 1000 karakter)."), "error")
    elif store.acknowledge(engine(), alert_id, g.user["username"], form.note.data.strip(),
                           clear=alert["kind"] == "integritas"):
        flash(_("Peringatan #%(id)d ditandai sudah ditangani.", id=alert_id))
    else:
        flash(_("Peringatan #%(id)d sudah ditangani sebelumnya.", id=alert_id), "error")
    return redirect(target + f"#alert-{alert_id}")


@bp.post("/unit/<unit>/alert-rules")
def set_alert_rules(unit: str):
    require_edit(unit)
    unit_or_404(unit)
    form = FlaskForm()
    if not form.validate_on_submit():
        abort(400)
    try:
        rules = [alerts.checked_rule(kind, request.form.get(f"{kind}-enabled") == "1",
                                     request.form.get(f"{kind}-threshold"),
                                     int_or_none(request.form.get(f"{kind}-count")))
                 for kind in alerts.KINDS]
    except alerts.RuleError as exc:
        flash(_("Aturan peringatan tidak disimpan: %(rule)s, %(field)s harus dari %(low)s sampai %(high)s.",
                rule=alerts.KIND_TITLES[exc.kind], field=_("batas") if exc.field == "threshold" else _("jumlah"),
                low=exc.low, high=exc.high), "error")
        return redirect(url_for("dashboard.unit_page", unit=unit) + "#alert-rules")
    except ValueError as exc:
        flash(_("Aturan peringatan tidak disimpan: %(why)s", why=str(exc)), "error")
        return redirect(url_for("dashboard.unit_page", unit=unit) + "#alert-rules")
    for rule in rules:
        alerts.save_rule(engine(), unit, rule, g.user["username"])
    flash(_("Aturan peringatan disimpan."))
    return redirect(url_for("dashboard.unit_page", unit=unit) + "#alert-rules")


def int_or_none(text: str | None) -> int | None:
    """A whole number typed in a form, or None when left empty; raises ValueError saying what was typed."""
    if text is None or not text.strip():
        return None
    try:
        return int(text.strip())
    except ValueError:
        raise ValueError(f"{text.strip()[:20]!r} bukan bilangan bulat") from None


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
                    "text/csv", export_name(unit, period, "csv", unit_or_404(unit)["timezone"]))


@bp.get("/unit/<unit>/export.xlsx")
def export_xlsx(unit: str):
    data = unit_or_404(unit)
    period = period_arg(data["timezone"])
    audited_export(unit, "xlsx", period)
    return download(reports.xlsx_bytes(engine(), data, period, select_locale(), leave_out_arg()), XLSX,
                    export_name(unit, period, "xlsx", data["timezone"]))


def report_html(data: dict, period: Period) -> str:
    """The Laporan Hasil SKM: the print view, and the HTML its PDF is laid out from."""
    page = reports.report_page(engine(), data, period, select_locale(), leave_out_arg(),
                               public_url=url_for("public.results", unit=data["code"], _external=True))
    return render_template("collector/report.html", user=g.user, view_args=view_args(period),
                           medium_names=medium_names(), **page)


@bp.get("/unit/<unit>/report")
def report(unit: str):
    data = unit_or_404(unit)
    period = period_arg(data["timezone"], page=True)
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


def officer_context(nip: str, page: bool = True) -> tuple[dict, dict, Period, dict]:
    officer = g.officer
    unit = unit_or_404(officer["unit"])
    period = period_arg(unit["timezone"], page)
    store.audit(engine(), "view_officer", g.user["username"], target=nip, detail=f"{request.path} {period.key()}",
                ip=auth.client_ip())
    return officer, unit, period, officers.officer_view(engine(), officer, period, minimum())


@bp.get("/officer/<nip>")
def officer_page(nip: str):
    officer, unit, period, view = officer_context(nip)
    can_note = g.user["role"] == "admin" or g.user.get("officer") == nip
    return render_template("collector/officer.html", user=g.user, unit=unit, note_form=NoteForm(), can_note=can_note,
                           names=names.of_unit(engine(), unit["code"]), **view)


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
    officer, unit, period, view = officer_context(nip, page=False)
    provisional = "-sementara" if reports.provisional(period, unit["timezone"]) else ""
    return download(reports.officer_xlsx(unit, view, select_locale()), XLSX,
                    f"skm-petugas-{nip}-{period.key()}{provisional}.xlsx")


@bp.get("/unit/<unit>/officers")
def unit_officers(unit: str):
    data = unit_or_404(unit)
    period = period_arg(data["timezone"], page=True)
    rows = officers.unit_officers_view(engine(), unit, period, minimum())
    ranking = bool(data["officer_ranking"]) and g.user["role"] == "pimpinan"
    store.audit(engine(), "view_officers", g.user["username"], target=unit,
                detail=f"{period.key()}{' ranked' if ranking else ''}", ip=auth.client_ip())
    return render_template("collector/unit_officers.html", user=g.user, unit=data, period=period, minimum=minimum(),
                           rows=officers.ranked(rows) if ranking else rows, ranking=ranking)
