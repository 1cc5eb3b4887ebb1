"""The Laporan Hasil SKM's print view: every section the regulation's report has, the same figures as the
unit page, decimal commas and full unsur names in its charts, the running period marked provisional; the
signature block set from the unit page and the CLI; the PDF route's access, audit and its clear 503 where
WeasyPrint cannot load. (The PDF itself is rendered and read page by page in tests/reports/test_pdf.py.)"""
import re
import sys

from click.testing import CliRunner

from collector import reports, store
from skm import UNSUR
from skm.cli import main
from skm.periods import containing, parse
from tests.collector.test_dashboard import demo_app, engine, login, raw_index, shown_konversi  # noqa: F401
from tests.helpers import hidden

UNIT = "dumai-disdukcapil"


def signed_in(demo_app, username="kepala-dumai-disdukcapil"):
    client = demo_app.test_client()
    login(client, username)
    return client


def comma(value, places) -> str:
    from skm.numbers import round_half_up
    return str(round_half_up(value, places)).replace(".", ",")


def test_the_print_view_has_every_section_and_the_unit_pages_figures(demo_app, engine):
    client = signed_in(demo_app)
    page = client.get(f"/unit/{UNIT}/report?period=2026-T4").get_data(as_text=True)
    expected, n = raw_index(engine, [UNIT], parse("2026-T4"))
    unit_page = client.get(f"/unit/{UNIT}?period=2026-T4").get_data(as_text=True)
    assert shown_konversi(unit_page) == comma(expected.konversi, 2)
    cover = re.search(r'id="cover-figures">(.*?)</table>', page, re.S).group(1)
    assert f"<td>{comma(expected.ikm, 4)}</td>" in cover and f"<td>{comma(expected.konversi, 2)}</td>" in cover
    assert f"<td>{n}</td>" in cover and f"<td>{expected.mutu}</td>" in cover
    for u in expected.unsur:
        assert f"<td>{comma(u.nrr, 4)}</td><td>{comma(u.weighted, 4)}</td>" in page
    headings = re.findall(r"<h2>([^<]+)</h2>", page)
    assert [h.split(". ", 1)[1] for h in headings] == [
        "Dasar pelaksanaan", "Metode", "Profil responden", "Nilai per unsur", "Indeks Kepuasan Masyarakat", "Analisis",
        "Yang ditulis warga", "Rencana tindak lanjut", "Publikasi hasil"]
    assert "Peraturan Menteri Pendayagunaan Aparatur Negara dan Reformasi Birokrasi Nomor 14 Tahun 2017" in page
    assert "Krejcie dan Morgan" in page and "Jawaban mencurigakan (tidak dihitung)" in page
    weakest = expected.ranking[0]
    assert f"U{weakest.order} {expected.unsur_name(weakest.code)} (NRR {comma(weakest.nrr, 4)}" in \
        re.search(r'<p id="weakest">(.*?)</p>', page, re.S).group(1)
    assert 'id="signature"' in page and "NIP" in page
    assert 'href="/unit/dumai-disdukcapil/report.pdf?period=2026-T4"' in page
    assert 'href="/unit/dumai-disdukcapil/report.pdf?period=2026-T4"' in unit_page


def test_the_charts_use_decimal_commas_full_names_and_keep_band_labels_off_the_line(demo_app):
    page = signed_in(demo_app).get(f"/unit/{UNIT}/report?period=2026-T4").get_data(as_text=True)
    svgs = "".join(re.findall(r"<svg.*?</svg>", page, re.S))
    labels = re.findall(r'class="band-label"[^>]*>([^<]+)<', svgs)
    assert labels == ["A \u2265 88,31", "B \u2265 76,61", "C \u2265 65,00"]
    assert not re.search(r">[^<]*\d\.\d[^<]*<", svgs)  # no decimal point in any chart text
    assert "<details" not in page and "Nilai konversi IKM per bulan" in page  # the chart's numbers, open
    bar_text = " ".join(re.findall(r"<tspan[^>]*>([^<]+)</tspan>", svgs))
    for u in UNSUR:
        assert f"U{u.order} {u.name['id']}" in bar_text
    # The plotted months end where the band labels begin.
    band_end = {float(x) for x in re.findall(r'<line x1="[^"]+" x2="([^"]+)"', svgs)}
    label_x = {float(x) for x in re.findall(r'<text x="([^"]+)" y="[^"]+" class="band-label"', svgs)}
    points = [float(x) for x in re.findall(r'<circle cx="([^"]+)"', svgs)]
    assert len(band_end) == 1 and points and max(points) <= min(band_end) < min(label_x)


def test_a_running_period_is_provisional_and_a_past_one_is_not(demo_app, engine):
    client = signed_in(demo_app)
    current = containing("triwulan", reports.today_in("Asia/Jakarta"))  # the running triwulan
    running = client.get(f"/unit/{UNIT}/report?period={current.key()}").get_data(as_text=True)
    assert 'id="provisional"' in running and "SEMENTARA" in running
    past = client.get(f"/unit/{UNIT}/report?period=2026-T3").get_data(as_text=True)
    assert 'id="provisional"' not in past


def test_the_comment_summary_counts_every_trusted_comment(demo_app, engine):
    period = parse("2026")
    summary = reports.comment_summary(engine, UNIT, period)
    trusted = [r for r in store.raw_responses(engine, [UNIT], period.start, period.end)
               if r["comment"] and not r["suspect"]]
    assert summary["total"] == len(trusted) > 0
    assert sum(b["count"] for b in summary["bands"]) == len(trusted)
    quoted = " ".join(c["comment"] for b in summary["bands"] for c in b["examples"])
    assert "1472012501900003" not in quoted and "0812-7654-3210" not in quoted


def test_the_kepala_unit_sets_the_signature_block_and_it_is_printed(demo_app, engine):
    client = signed_in(demo_app)
    page = client.get(f"/unit/{UNIT}?period=2026-T4").get_data(as_text=True)
    form = {"csrf_token": hidden(page, "csrf_token"), "head_name": "Dra. Siti Aminah, M.Si.",
            "head_nip": "19700312 199503 2 001", "report_place": "Dumai"}
    bad = client.post(f"/unit/{UNIT}/signatory?period=2026-T4", data={**form, "head_nip": "1970"},
                      follow_redirects=True).get_data(as_text=True)
    assert "NIP harus 18 angka; yang diisi: 1970" in bad and store.get_unit(engine, UNIT)["head_nip"] is None
    client.post(f"/unit/{UNIT}/signatory?period=2026-T4", data=form)
    unit = store.get_unit(engine, UNIT)
    assert (unit["head_name"], unit["head_nip"], unit["report_place"]) == (
        "Dra. Siti Aminah, M.Si.", "197003121995032001", "Dumai")
    signature = re.search(r'id="signature">(.*?)</section>', client.get(
        f"/unit/{UNIT}/report?period=2026-T3").get_data(as_text=True), re.S).group(1)
    assert "Dumai, " in signature and "Dra. Siti Aminah, M.Si." in signature and "NIP 197003121995032001" in signature
    assert store.audit_entries(engine, action="set_signatory")[0]["target"] == UNIT
    other = signed_in(demo_app, "kepala-rsud-dumai")
    page = other.get("/unit/rsud-dumai").get_data(as_text=True)
    refused = other.post(f"/unit/{UNIT}/signatory", data={**form, "csrf_token": hidden(page, "csrf_token"),
                                                          "head_name": "Orang Lain"})
    assert refused.status_code in (403, 404) and store.get_unit(engine, UNIT)["head_name"] == "Dra. Siti Aminah, M.Si."


def test_the_signatory_from_the_command_line(tmp_path):
    from tests.helpers import seed_collector
    instance = seed_collector(tmp_path / "collector")
    run = CliRunner().invoke
    base = ["collector", "--instance", str(instance), "org", "set-signatory", "dumai-disdukcapil"]
    bad = run(main, [*base, "--name", "Budi", "--nip", "12345", "--place", "Dumai"])
    assert bad.exit_code != 0 and "NIP '12345': 18 digits" in bad.output
    unknown = run(main, ["collector", "--instance", str(instance), "org", "set-signatory", "nowhere",
                         "--name", "Budi", "--nip", "197003121995032001", "--place", "Dumai"])
    assert unknown.exit_code != 0 and "nowhere" in unknown.output
    ok = run(main, [*base, "--name", "Budi Santoso, S.Sos.", "--nip", "197003121995032001", "--place", "Dumai"])
    assert ok.exit_code == 0, ok.output
    from tests.helpers import collector_engine
    engine = collector_engine(instance)
    assert store.get_unit(engine, "dumai-disdukcapil")["head_name"] == "Budi Santoso, S.Sos."
    engine.dispose()


def test_the_pdf_is_refused_with_what_to_install_where_weasyprint_cannot_load(demo_app, engine, monkeypatch):
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # as where Pango is missing: the import fails
    before = len(store.audit_entries(engine, action="export"))
    response = signed_in(demo_app).get(f"/unit/{UNIT}/report.pdf?period=2026-T4")
    page = response.get_data(as_text=True)
    assert response.status_code == 503 and "pustaka Pango belum terpasang" in page
    assert "apt-get install libpango-1.0-0 libpangoft2-1.0-0" in page
    assert len(store.audit_entries(engine, action="export")) == before  # nothing was exported


def test_another_units_head_cannot_download_the_pdf(demo_app):
    response = signed_in(demo_app, "kepala-rsud-dumai").get(f"/unit/{UNIT}/report.pdf?period=2026-T4")
    assert response.status_code in (403, 404)


def test_the_report_in_english_has_decimal_points_and_english_headings(demo_app, engine):
    client = signed_in(demo_app)
    client.get("/lang/en?next=/")
    current = containing("triwulan", reports.today_in("Asia/Jakarta"))  # the running triwulan
    page = client.get(f"/unit/{UNIT}/report?period={current.key()}").get_data(as_text=True)
    assert "PROVISIONAL" in page and "<h2>7. What citizens wrote</h2>" in page and "<h2>1. Basis</h2>" in page
    past = client.get(f"/unit/{UNIT}/report?period=2026-T4").get_data(as_text=True)
    expected, _n = raw_index(engine, [UNIT], parse("2026-T4"))
    from skm.numbers import round_half_up
    assert f"<td>{round_half_up(expected.konversi, 2)}</td>" in past
    labels = re.findall(r'class="band-label"[^>]*>([^<]+)<', past)
    assert labels == ["A \u2265 88.31", "B \u2265 76.61", "C \u2265 65.00"]


def publications_of(page: str) -> str:
    return re.search(r'<table class="data" id="publications">(.*?)</table>', page, re.S).group(1)


def test_the_kepala_unit_records_where_the_results_were_published_and_the_report_lists_it(demo_app, engine):
    """A publication typed on the unit page is kept per period, listed on the page and in the report (day in
    Indonesian, medium, where); a bad one is refused saying why and stores nothing; one can be deleted; both
    are in the audit log; another unit's kepala unit can do neither."""
    client = signed_in(demo_app)
    report = client.get(f"/unit/{UNIT}/report?period=2026-T3").get_data(as_text=True)
    assert "Belum ada publikasi tercatat untuk periode ini." in publications_of(report)
    assert 'id="publication"' in report  # the public page's line stays
    page = client.get(f"/unit/{UNIT}?period=2026-T3").get_data(as_text=True)
    assert "Belum ada publikasi tercatat untuk periode ini." in publications_of(page)
    token = hidden(page, "csrf_token")
    good = {"csrf_token": token, "published_on": "2026-10-15", "medium": "situs",
            "place": "https://disdukcapil.dumaikota.go.id/skm"}
    for bad, said in (({"published_on": ""}, "Tanggal publikasi belum diisi atau bukan tanggal yang sah."),
                      ({"published_on": "15/10/2026"}, "Tanggal publikasi belum diisi atau bukan tanggal yang sah."),
                      ({"published_on": "2099-01-01"}, "Tanggal publikasi 2099-01-01 belum lewat"),
                      ({"medium": "koran"}, "Media publikasi tidak dikenal; pilih salah satu dari daftar."),
                      ({"place": "  "}, "Isi tempat atau alamat publikasi (paling banyak 500 karakter)."),
                      ({"place": "x" * 501}, "Isi tempat atau alamat publikasi (paling banyak 500 karakter).")):
        shown = client.post(f"/unit/{UNIT}/publication?period=2026-T3", data={**good, **bad},
                            follow_redirects=True).get_data(as_text=True)
        assert "Publikasi tidak disimpan: " + said in shown, bad
    assert store.publications(engine, UNIT, "2026-T3") == []
    assert client.post(f"/unit/{UNIT}/publication?period=2026-T3", data={**good, "csrf_token": "x"}).status_code == 400
    assert client.post(f"/unit/{UNIT}/publication?period=2026-T3", data=good).status_code == 302
    client.post(f"/unit/{UNIT}/publication?period=2026-T3", data={**good, "published_on": "2026-10-02",
                                                                   "medium": "papan", "place": "Lobi kantor"})
    stored = store.publications(engine, UNIT, "2026-T3")
    assert [(p["published_on"].isoformat(), p["medium"], p["place"]) for p in stored] == [
        ("2026-10-02", "papan", "Lobi kantor"), ("2026-10-15", "situs", "https://disdukcapil.dumaikota.go.id/skm")]
    assert store.publications(engine, UNIT, "2026-T4") == []
    listed = publications_of(client.get(f"/unit/{UNIT}/report?period=2026-T3").get_data(as_text=True))
    assert re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>", listed) == [
        ("2 Oktober 2026", "papan pengumuman", "Lobi kantor"),
        ("15 Oktober 2026", "situs web", "https://disdukcapil.dumaikota.go.id/skm")]
    assert "Belum ada publikasi" in publications_of(client.get(f"/unit/{UNIT}/report?period=2026-T4")
                                                    .get_data(as_text=True))
    added = store.audit_entries(engine, action="add_publication")
    assert sorted(e["detail"] for e in added) == ["2026-T3 papan 2026-10-02", "2026-T3 situs 2026-10-15"]
    assert {e["target"] for e in added} == {UNIT}

    other = signed_in(demo_app, "kepala-rsud-dumai")
    other_token = hidden(other.get("/unit/rsud-dumai").get_data(as_text=True), "csrf_token")
    refused = other.post(f"/unit/{UNIT}/publication?period=2026-T3", data={**good, "csrf_token": other_token})
    gone = other.post(f"/unit/{UNIT}/publication/{stored[0]['id']}/delete?period=2026-T3",
                      data={"csrf_token": other_token})
    assert refused.status_code in (403, 404) and gone.status_code in (403, 404)
    not_there = other.post(f"/unit/rsud-dumai/publication/{stored[0]['id']}/delete", data={"csrf_token": other_token})
    assert not_there.status_code == 404  # the id of another unit's publication, through one's own unit
    assert len(store.publications(engine, UNIT, "2026-T3")) == 2

    assert client.post(f"/unit/{UNIT}/publication/{stored[0]['id']}/delete?period=2026-T3",
                       data={"csrf_token": token}).status_code == 302
    assert [p["place"] for p in store.publications(engine, UNIT, "2026-T3")] == [
        "https://disdukcapil.dumaikota.go.id/skm"]
    assert [e["detail"] for e in store.audit_entries(engine, action="delete_publication")] == [
        "2026-T3 papan 2026-10-02"]
