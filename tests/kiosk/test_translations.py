"""Every interface text has its English translation, and the compiled catalog matches the source."""
import subprocess
import sys

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from tests.helpers import ROOT

PO = ROOT / "skmweb" / "translations" / "en" / "LC_MESSAGES" / "messages.po"
MO = PO.with_suffix(".mo")


def test_every_extracted_text_is_translated(tmp_path):
    pot = tmp_path / "messages.pot"
    subprocess.run([sys.executable, "-m", "babel.messages.frontend", "extract", "-F", "babel.cfg", "-k", "_",
                    "-k", "gettext", "--no-location", "-o", str(pot), "."], cwd=ROOT, check=True,
                   capture_output=True)
    extracted = {m.id for m in read_po(pot.open("rb")) if m.id}
    catalog = read_po(PO.open("rb"))
    translated = {m.id for m in catalog if m.id and m.string and not m.fuzzy}
    assert extracted, "extraction found nothing"
    assert sorted(extracted - translated) == [], "run `make translations` and translate the new entries"


def test_compiled_catalog_is_current():
    source = {m.id: m.string for m in read_po(PO.open("rb")) if m.id and not m.fuzzy}
    compiled = {m.id: m.string for m in read_mo(MO.open("rb")) if m.id}
    assert compiled == source, "run `make translations` to compile the catalog"
