"""The unit XLSX opened in a real spreadsheet program: LibreOffice Calc, headless, recomputes the formulas
of the "Pengolahan" sheet and saves them with their values; those equal the dashboard's figures. A second,
independent engine beside the ``formulas`` package of tests/collector/test_outputs.py.

Needs Debian's ``libreoffice-calc-nogui`` (``.ci/run`` installs it); without ``soffice`` the test skips with
the reason, which under ``SKM_REQUIRE_ALL=1`` is a failure."""
import io
import os
import shutil
import subprocess
from datetime import date
from decimal import Decimal
from fractions import Fraction

import openpyxl
import pytest

from collector import demo, reports, rollups, store
from skm.numbers import round_half_up
from skm.periods import parse
from tests.helpers import create_collector, labelled_rows

SOFFICE = os.environ.get("SKM_SOFFICE") or shutil.which("soffice")
UNIT = "dumai-disdukcapil"


@pytest.fixture(scope="module")
def engine(tmp_path_factory):
    app = create_collector({"TESTING": True}, instance_path=tmp_path_factory.mktemp("collector"))
    demo.build(app.extensions["skm_engine"], months=3, scale=0.1, end=date(2026, 11, 20))
    return app.extensions["skm_engine"]


def recalculated_by_libreoffice(content: bytes, folder) -> list[tuple]:
    """The Pengolahan sheet as LibreOffice computed it: the file converted to XLSX by Calc, read back with
    the values it stored for each formula."""
    if not SOFFICE:
        pytest.skip("LibreOffice not found (apt-get install libreoffice-calc-nogui, or set SKM_SOFFICE)")
    source, out = folder / "in" / "book.xlsx", folder / "out"
    source.parent.mkdir()
    source.write_bytes(content)
    done = subprocess.run([SOFFICE, f"-env:UserInstallation=file://{folder / 'profile'}", "--headless", "--calc",
                           "--convert-to", "xlsx", "--outdir", str(out), str(source)],
                          capture_output=True, text=True, timeout=180)
    assert done.returncode == 0 and (out / "book.xlsx").exists(), done.stdout + done.stderr
    book = openpyxl.load_workbook(io.BytesIO((out / "book.xlsx").read_bytes()), data_only=True)
    return list(book["Pengolahan"].iter_rows(values_only=True))


def test_libreoffice_recomputes_the_dashboards_index(engine, tmp_path):
    period = parse("2026-T3")
    result = rollups.rollup(engine, [UNIT], period).result
    assert result is not None and result.respondents > 20
    rows = labelled_rows(recalculated_by_libreoffice(
        reports.xlsx_bytes(engine, store.get_unit(engine, UNIT), period), tmp_path))
    assert list(rows["Jumlah nilai per unsur"][5:14]) == [u.total for u in result.unsur]
    assert list(rows["Jumlah responden per unsur"][5:14]) == [u.count for u in result.unsur]
    assert all(abs(shown - float(u.nrr)) < 1e-9 for shown, u in zip(rows["NRR per unsur"][5:14], result.unsur))
    assert list(rows["Mutu per unsur"][5:14]) == [u.mutu for u in result.unsur]
    assert list(rows["Peringkat (1 = NRR terendah)"][5:14]) == [u.rank for u in result.unsur]
    ikm = rows["IKM"][1]
    assert abs(ikm - float(result.ikm)) < 1e-9 and round_half_up(Fraction(ikm), 4) == result.ikm_display(4)
    assert Decimal(str(rows["Nilai konversi (IKM x 25)"][1])) == result.konversi
    assert rows["Mutu pelayanan"][1] == result.mutu and rows["Kinerja unit pelayanan"][1] == result.kinerja("id")
    assert rows["Jumlah responden"][1] == result.respondents
