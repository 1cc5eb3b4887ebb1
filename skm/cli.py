"""The ``skm`` command. Reads files and prints; the apps add ``skm kiosk`` and ``skm collector`` through
the ``skm.commands`` entry point group, so nothing here imports them."""
from __future__ import annotations

import csv
import io
import json
import sys
from importlib.metadata import entry_points
from typing import Sequence

import click

from . import index, sample, themes
from .errors import SkmError
from .masking import mask_personal_data
from .profiles import DEFAULT_PROFILE, ORDERS, PROFILES
from .tabular import parse_nrr_list, responses_from_rows

LANG_CHOICE = click.Choice(["id", "en"])


class InputError(click.ClickException):
    """Bad input file or values: every problem listed, exit code 2."""
    exit_code = 2

    def __init__(self, error: SkmError, lang: str, source: str):
        self.lines = error.render(lang)
        self.lang = lang
        super().__init__(source)

    def format_message(self) -> str:
        return "\n".join([f"{self.message}:"] + [f"  {line}" for line in self.lines])

    def show(self, file=None) -> None:
        prefix = {"id": "Kesalahan", "en": "Error"}[self.lang]
        click.echo(f"{prefix}: {self.format_message()}", file=file or sys.stderr)


class SkmGroup(click.Group):
    """Finds subcommand groups registered by installed apps under the ``skm.commands`` entry points."""

    def _plugins(self) -> dict:
        return {ep.name: ep for ep in entry_points(group="skm.commands")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._plugins()))

    def get_command(self, ctx: click.Context, name: str):
        command = super().get_command(ctx, name)
        if command is None and name in self._plugins():
            command = self._plugins()[name].load()
        return command


@click.group(cls=SkmGroup)
@click.option("--lang", type=LANG_CHOICE, default="id", envvar="SKM_LANG", show_default=True,
              help="Language of messages and labels: id (Bahasa Indonesia) or en.")
@click.pass_context
def main(ctx: click.Context, lang: str) -> None:
    """Survei Kepuasan Masyarakat (PermenPANRB 14/2017): the index, the kiosk and the collector."""
    ctx.obj = {"lang": lang}


def read_table(path: str) -> tuple[Sequence[str] | None, list[dict], str]:
    """The header and rows of a CSV file; the delimiter (comma, semicolon or tab) is detected."""
    raw = sys.stdin.buffer.read() if path == "-" else open(path, "rb").read()
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        content = raw.decode("cp1252", errors="replace")  # Excel's "CSV" on Windows
    try:
        dialect = csv.Sniffer().sniff(content[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    reader = csv.DictReader(io.StringIO(content, newline=""), dialect=dialect)
    return reader.fieldnames, list(reader), dialect.delimiter


@main.command("ikm")
@click.argument("file", required=False, type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--nrr", metavar="V1,...,V9", help="Published per-unsur NRR in U1..U9 order (the regulation's, "
              "or --order), instead of a file. Use ';' between values to write decimal commas.")
@click.option("--profile", "profile_key", type=click.Choice(list(PROFILES)), default=DEFAULT_PROFILE,
              show_default=True, help="The regulation: PermenPANRB 14/2017 (9 unsur), or KEPMENPAN 25/2004 "
              "(14 unsur) for reports from before 2017.")
@click.option("--order", type=click.Choice(ORDERS), help="Which unsur columns U1..U9 hold: 'regulation' "
              "(U8 pengaduan, U9 sarana, as PermenPANRB 14/2017 lists them) or 'form' (U8 sarana, U9 "
              "pengaduan, as printed on the questionnaire). Required for a file with U-labelled columns.")
@click.option("--weight", type=click.Choice(list(dict.fromkeys(w for p in PROFILES.values() for w in p.weights))),
              default="exact", show_default=True, help="Weight of each unsur: exact 1/n, or a printed weight "
              "some reports use (0.111 or 0.11 for 9 unsur, 0.071 for 14).")
@click.option("--round-weighted", type=click.IntRange(1, 6), metavar="N",
              help="Round each weighted NRR to N decimals before summing, as some reports do.")
@click.option("--population", type=click.IntRange(min=0), metavar="N",
              help="Service recipients in the period, to check the sample size (Krejcie and Morgan).")
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
@click.pass_obj
def ikm_command(obj: dict, file: str | None, nrr: str | None, profile_key: str, order: str | None, weight: str,
                round_weighted: int | None, population: int | None, as_json: bool) -> None:
    """Compute the IKM from a CSV of respondents (FILE) or from published NRR (--nrr).

    FILE has one row per respondent and one column per unsur, named by code (waktu) or label (U1..U9,
    with --order); other columns are ignored and blank cells count as unanswered.
    """
    lang = obj["lang"]
    if (file is None) == (nrr is None):
        raise click.UsageError({"id": "berikan FILE atau --nrr, salah satu saja",
                                "en": "give either FILE or --nrr, not both"}[lang])
    if nrr is not None and population is not None:
        raise click.UsageError({"id": "--population butuh FILE: dari NRR saja jumlah responden tidak diketahui",
                                "en": "--population needs FILE: NRR alone does not tell the respondents"}[lang])
    source = "--nrr" if nrr is not None else str(file)  # FILE or --nrr, exactly one (checked above)
    try:
        options = index.IndexOptions(weight, round_weighted, profile_key)
        if nrr is not None:
            result = index.from_nrr(parse_nrr_list(nrr, options.regulation, order or "regulation"), options)
        else:
            assert file is not None  # checked above: FILE or --nrr, exactly one
            try:
                header, rows, _ = read_table(file)
            except OSError as exc:
                raise click.FileError(file, exc.strerror) from exc
            responses = responses_from_rows(header, rows, profile=options.regulation, order=order)
            result = index.from_responses((r.answers for r in responses), options)
    except SkmError as exc:
        raise InputError(exc, lang, source) from exc
    adequacy = sample.adequacy(population, result.respondents or 0) if population is not None else None
    if as_json:
        data = result.to_dict(lang)
        if order is not None:
            data["column_order"] = order
        if adequacy:
            data["sample"] = {"population": adequacy.population, "required": adequacy.required,
                              "missing": adequacy.missing, "adequate": adequacy.adequate}
        click.echo(json.dumps(data, indent=2, ensure_ascii=False))
    else:
        click.echo(format_result(result, lang, adequacy, order))


def number(value, lang: str) -> str:
    text = str(value)
    return text.replace(".", ",") if lang == "id" else text


def format_result(result: index.IndexResult, lang: str, adequacy: sample.SampleAdequacy | None = None,
                  order: str | None = None) -> str:
    words = {
        "id": {"title": "Indeks Kepuasan Masyarakat", "respondents": "responden", "unsur": "Unsur",
               "rank": "Peringkat", "priority": "prioritas tindak lanjut", "ikm": "IKM",
               "konversi": "Nilai konversi", "mutu": "Mutu pelayanan", "kinerja": "Kinerja unit pelayanan",
               "conventions": "Konvensi", "weighted": "NRR tertimbang", "unsur_mutu": "Mutu",
               "profile": "Profil", "order": "Urutan kolom"},
        "en": {"title": "Community Satisfaction Index (IKM)", "respondents": "respondents", "unsur": "Unsur",
               "rank": "Rank", "priority": "follow-up priority", "ikm": "IKM",
               "konversi": "Konversi", "mutu": "Mutu", "kinerja": "Service unit performance",
               "conventions": "Conventions", "weighted": "Weighted NRR", "unsur_mutu": "Mutu",
               "profile": "Profile", "order": "Column order"},
    }[lang]
    title = words["title"]
    if result.respondents is not None:
        title += f" ({result.respondents} {words['respondents']})"
    lines = [title, "",
             f"{'':4} {words['unsur']:<48} {'n':>6} {'NRR':>7} {words['weighted']:>15} {words['unsur_mutu']:>5} "
             f"{words['rank']:>9}"]
    for u in result.unsur:
        n = "" if u.count is None else str(u.count)
        mark = f"  * {words['priority']}" if u.priority else ""
        lines.append(f"U{u.order:<3} {result.unsur_name(u.code, lang)[:48]:<48} {n:>6} "
                     f"{number(index.round_half_up(u.nrr, 4), lang):>7} "
                     f"{number(index.round_half_up(u.weighted, 4), lang):>15} {u.mutu:>5} {u.rank:>9}{mark}")
    lines += ["",
              f"{words['ikm']:<24} {number(result.ikm_display(), lang)}",
              f"{words['konversi']:<24} {number(result.konversi, lang)}",
              f"{words['mutu']:<24} {result.mutu}",
              f"{words['kinerja']:<24} {result.kinerja(lang)}",
              f"{words['profile']:<24} {result.profile.label}",
              f"{words['conventions']:<24} {result.options.describe(lang)}"]
    if order is not None:
        lines.append(f"{words['order']:<24} {result.profile.column_orders[order].explanation[lang]}")
    if adequacy is not None:
        lines.append(f"{'Sampel' if lang == 'id' else 'Sample':<24} "
                     f"{adequacy.respondents}/{adequacy.required} (N={adequacy.population}): "
                     f"{adequacy.describe(lang)}")
    return "\n".join(lines)


@main.command("sample-size")
@click.argument("population", type=click.IntRange(min=0))
@click.option("--respondents", type=click.IntRange(min=0), default=0, help="Respondents so far.")
@click.pass_obj
def sample_size_command(obj: dict, population: int, respondents: int) -> None:
    """Minimum respondents for POPULATION service recipients (Krejcie and Morgan)."""
    result = sample.adequacy(population, respondents)
    click.echo(f"{result.required}")
    if respondents:
        click.echo(result.describe(obj["lang"]))


def comment_rows(path: str) -> list[tuple[int, str]]:
    """(line, comment) from a CSV with a ``comment`` column, or from a text of one comment a line."""
    raw = sys.stdin.buffer.read() if path == "-" else open(path, "rb").read()
    try:
        content = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        content = raw.decode("cp1252", errors="replace")
    first = content.split("\n", 1)[0]
    try:
        dialect = csv.Sniffer().sniff(first, delimiters=",;\t") if first else csv.excel
    except csv.Error:
        dialect = csv.excel
    header = next(csv.reader([first], dialect), [])
    names = {name.strip().lower(): name for name in header}
    if "comment" in names or "komentar" in names:
        column = names.get("comment", names.get("komentar"))
        reader = csv.DictReader(io.StringIO(content, newline=""), dialect=dialect)
        return [(n, row.get(column) or "") for n, row in enumerate(reader, 2)]
    return [(n, line) for n, line in enumerate(content.splitlines(), 1) if line.strip()]


@main.command("themes")
@click.argument("file", type=click.Path(dir_okay=False, allow_dash=True))
@click.option("--lexicon", "lexicon_path", type=click.Path(exists=True, dir_okay=False),
              envvar="SKM_COLLECTOR_THEMES_FILE",
              help="A lexicon file merged over the shipped one (the collector's COLLECTOR_THEMES_FILE).")
@click.pass_obj
def themes_command(obj: dict, file: str, lexicon_path: str | None) -> None:
    """Print each comment's themes and integrity signal as JSON lines.

    FILE has one comment a line, or is a CSV with a 'comment' column; '-' reads standard input. Comments
    are printed with NIK, phone numbers and e-mail addresses masked.
    """
    lang = obj["lang"]
    try:
        extension = open(lexicon_path, encoding="utf-8").read() if lexicon_path else None
        lexicon = themes.load_lexicon(extension, "")
    except themes.InvalidLexicon as exc:
        raise InputError(exc, lang, str(lexicon_path)) from exc
    try:
        rows = comment_rows(file)
    except OSError as exc:
        raise click.FileError(file, exc.strerror) from exc
    for line, comment in rows:
        tagging = lexicon.tag(comment)
        click.echo(json.dumps({"line": line, "comment": mask_personal_data(comment), **tagging.to_dict()},
                              ensure_ascii=False))


if __name__ == "__main__":  # pragma: no cover
    main()
