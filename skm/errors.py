"""Named exceptions of the domain.

A problem carries a stable code, the field it is about and its parameters; the words are rendered in
the reader's language from ``MESSAGES``, so the kiosk, the collector and the CLI all say the same thing.
"""
from __future__ import annotations

from dataclasses import dataclass, field as dataclass_field
from typing import Any, Mapping

MESSAGES: Mapping[str, Mapping[str, str]] = {
    "unknown_unsur": {
        "id": "unsur tidak dikenal: {value!r}",
        "en": "unknown unsur: {value!r}",
    },
    "score_not_integer": {
        "id": "nilai {value!r} bukan bilangan bulat 1 sampai 4",
        "en": "score {value!r} is not a whole number from 1 to 4",
    },
    "score_out_of_range": {
        "id": "nilai {value} di luar rentang 1 sampai 4",
        "en": "score {value} is outside 1 to 4",
    },
    "missing_unsur": {
        "id": "jawaban wajib diisi",
        "en": "an answer is required",
    },
    "no_answers": {
        "id": "tidak ada satu pun unsur yang dijawab",
        "en": "no unsur was answered",
    },
    "comment_too_long": {
        "id": "komentar terlalu panjang: {length} karakter, paling banyak {limit}",
        "en": "comment too long: {length} characters, at most {limit}",
    },
    "unstorable_character": {
        "id": "berisi karakter yang tidak dapat disimpan ({character}); hapus karakter itu",
        "en": "contains a character that cannot be stored ({character}); remove it",
    },
    "comment_not_text": {
        "id": "komentar harus berupa teks",
        "en": "the comment must be text",
    },
    "unknown_profile_field": {
        "id": "isian profil tidak dikenal: {value!r}",
        "en": "unknown profile field: {value!r}",
    },
    "bad_profile_choice": {
        "id": "pilihan {value!r} tidak ada; pilihan yang sah: {choices}",
        "en": "no such choice {value!r}; valid choices: {choices}",
    },
    "not_a_mapping": {
        "id": "harus berupa objek berisi pasangan nama dan nilai",
        "en": "must be an object of names and values",
    },
    "missing_service": {
        "id": "pilih jenis layanan yang Anda terima",
        "en": "choose the service you received",
    },
    "unknown_service": {
        "id": "layanan {value!r} tidak ada di loket ini",
        "en": "service {value!r} is not offered at this counter",
    },
    # The wire format between kiosk and collector.
    "bad_id": {"id": "id {value!r} bukan UUID", "en": "id {value!r} is not a UUID"},
    "bad_seq": {"id": "seq {value!r} harus bilangan bulat 1 sampai {limit}",
                "en": "seq {value!r} must be a whole number from 1 to {limit}"},
    "bad_text": {"id": "harus berupa teks 1 sampai {limit} karakter", "en": "must be text of 1 to {limit} characters"},
    "bad_choice": {"id": "nilai {value!r} tidak sah; pilihan: {choices}",
                   "en": "{value!r} is not valid; choices: {choices}"},
    "unknown_version": {"id": "versi kuesioner {value!r} tidak dikenal",
                        "en": "unknown questionnaire version {value!r}"},
    "bad_timestamp": {"id": "waktu {value!r} bukan format ISO 8601", "en": "time {value!r} is not ISO 8601"},
    "timestamp_without_offset": {"id": "waktu {value!r} tanpa zona waktu (mis. +07:00)",
                                 "en": "time {value!r} has no offset (e.g. +07:00)"},
    "bad_duration": {"id": "durasi {value!r} harus bilangan bulat 0 sampai {limit}",
                     "en": "duration {value!r} must be a whole number from 0 to {limit}"},
    "timestamp_out_of_range": {"id": "waktu {value!r} di luar tahun {first} sampai {last}",
                               "en": "time {value!r} is outside the years {first} to {last}"},
    "unit_mismatch": {"id": "unit {value!r} bukan unit kios ini ({unit})",
                      "en": "unit {value!r} is not this kiosk's unit ({unit})"},
    "unknown_counter": {"id": "loket {value!r} tidak terdaftar di unit ini",
                        "en": "counter {value!r} is not registered for this unit"},
    "unknown_unit_service": {"id": "layanan {value!r} tidak terdaftar di unit ini",
                             "en": "service {value!r} is not registered for this unit"},
    "unknown_officer": {"id": "petugas {value!r} bukan petugas unit ini",
                        "en": "officer {value!r} is not an officer of this unit"},
    "conflict": {"id": "id yang sama sudah diterima dengan isi berbeda; disimpan terpisah",
                 "en": "the same id was received with different content; kept aside"},
    "bad_period": {"id": "periode {value!r} tidak dikenal; contoh: 2026-11 atau November 2026, 2026-T3 atau "
                          "Triwulan III 2026, 2026-S2 atau Semester 2 2026, 2026, 2026-01-05..2026-02-10",
                   "en": "unknown period {value!r}; examples: 2026-11 or November 2026, 2026-T3 or Triwulan III 2026, "
                         "2026-S2 or Semester 2 2026, 2026, 2026-01-05..2026-02-10"},
    # Tabular input (a paper survey typed into a spreadsheet).
    "empty_file": {
        "id": "berkas kosong: tidak ada baris judul kolom",
        "en": "empty file: no header row",
    },
    "missing_columns": {
        "id": "kolom unsur tidak ada: {columns}",
        "en": "unsur columns missing: {columns}",
    },
    "duplicate_column": {
        "id": "unsur {unsur} muncul di dua kolom: {columns}",
        "en": "unsur {unsur} appears in two columns: {columns}",
    },
    "no_rows": {
        "id": "tidak ada baris responden",
        "en": "no respondent rows",
    },
    "nrr_count": {
        "id": "harus ada {expected} nilai NRR sesuai urutan U1..U{expected}, ada {count}",
        "en": "{expected} NRR values are needed in U1..U{expected} order, got {count}",
    },
    "order_required": {
        "id": "kolom {columns} tidak menyebut urutan unsur yang diikutinya, dan urutan di peraturan berbeda "
              "dengan urutan di kuesioner; pilih salah satu dengan --order: {choices[id]}. Kolom yang dinamai "
              "dengan kode unsur ({codes}) tidak perlu urutan",
        "en": "columns {columns} do not say which order of unsur they follow, and the regulation's order "
              "differs from the questionnaire's; choose one with --order: {choices[en]}. Columns named by unsur "
              "code ({codes}) need no order",
    },
    "bad_order": {
        "id": "urutan {value!r} tidak ada untuk {profile}; pilihan: {choices}",
        "en": "there is no order {value!r} for {profile}; choices: {choices}",
    },
    "bad_profile": {
        "id": "profil {value!r} tidak dikenal; pilihan: {choices}",
        "en": "unknown profile {value!r}; choices: {choices}",
    },
    "nrr_not_number": {
        "id": "{value!r} bukan angka",
        "en": "{value!r} is not a number",
    },
    "nrr_out_of_range": {
        "id": "NRR {value} di luar rentang 1 sampai 4",
        "en": "NRR {value} is outside 1 to 4",
    },
    "unsur_without_answers": {
        "id": "belum ada jawaban untuk unsur: {unsur}",
        "en": "no answers yet for unsur: {unsur}",
    },
    "population_negative": {
        "id": "jumlah populasi tidak boleh negatif: {value}",
        "en": "the population cannot be negative: {value}",
    },
    "bad_weight": {
        "id": "bobot {value!r} tidak dikenal; pilihan: {choices}",
        "en": "unknown weight {value!r}; choices: {choices}",
    },
    "bad_rounding": {
        "id": "pembulatan harus 1 sampai 6 desimal, bukan {value!r}",
        "en": "rounding must be 1 to 6 decimals, not {value!r}",
    },
    # A comment-themes lexicon file (skm/themes.py).
    "lexicon_not_toml": {"id": "bukan berkas TOML yang sah: {error}", "en": "not a valid TOML file: {error}"},
    "lexicon_not_table": {"id": "harus berupa tabel [bagian]", "en": "must be a [table]"},
    "lexicon_unknown_key": {"id": "nama tidak dikenal; yang dikenal: {choices}",
                            "en": "unknown name; known names: {choices}"},
    "lexicon_not_text": {"id": "harus berupa teks yang tidak kosong", "en": "must be a non-empty text"},
    "lexicon_not_list": {"id": "harus berupa daftar teks [\"...\", \"...\"]",
                         "en": "must be a list of texts [\"...\", \"...\"]"},
    "lexicon_bad_map": {"id": "harus berupa tabel kata = \"kata baku\" (huruf, angka, spasi)",
                        "en": "must be a table of word = \"standard word\" (letters, digits, spaces)"},
    "lexicon_bad_term": {"id": "istilah {value!r} tidak sah: hanya huruf, angka, spasi, - dan * di tengah",
                         "en": "term {value!r} is not valid: only letters, digits, spaces, - and * inside"},
    "lexicon_bad_code": {"id": "kode harus huruf kecil, angka atau _ (paling banyak 32), diawali huruf",
                         "en": "a code must be lower-case letters, digits or _ (at most 32), starting with a letter"},
    "lexicon_missing_label": {"id": "wajib diisi untuk tema atau tanda baru",
                              "en": "required for a new theme or signal"},
    "lexicon_unknown_theme": {"id": "tema {value!r} tidak ada di leksikon",
                              "en": "theme {value!r} is not in the lexicon"},
}

WHERE = {
    "id": {"row": "baris {row}", "column": "kolom {column}", "field": "{field}"},
    "en": {"row": "row {row}", "column": "column {column}", "field": "{field}"},
}


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an input, and where it is."""
    code: str
    field: str | None = None
    params: Mapping[str, Any] = dataclass_field(default_factory=dict)
    row: int | None = None  # 1-based line number in a file, header included
    column: str | None = None

    def message(self, lang: str = "id") -> str:
        return MESSAGES[self.code][lang].format(**self.params)

    def where(self, lang: str = "id") -> str:
        words = WHERE[lang]
        parts = []
        if self.row is not None:
            parts.append(words["row"].format(row=self.row))
        if self.column is not None:
            parts.append(words["column"].format(column=self.column))
        elif self.field is not None:
            parts.append(words["field"].format(field=self.field))
        return ", ".join(parts)

    def render(self, lang: str = "id") -> str:
        where = self.where(lang)
        return f"{where}: {self.message(lang)}" if where else self.message(lang)

    def at(self, *, row: int | None = None, column: str | None = None) -> "Problem":
        return Problem(self.code, self.field, self.params, row if row is not None else self.row,
                       column if column is not None else self.column)


class SkmError(Exception):
    """Base of the domain's errors; carries every problem found, not only the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        super().__init__("; ".join(p.render("en") for p in self.problems))

    def render(self, lang: str = "id") -> list[str]:
        return [p.render(lang) for p in self.problems]

    def fields(self) -> set[str]:
        return {p.field for p in self.problems if p.field}


class InvalidResponse(SkmError):
    """A response (from a form, JSON or a spreadsheet row) broke the questionnaire's rules."""


class InvalidTable(SkmError):
    """A tabular file of respondents could not be read as an SKM survey."""


class InvalidNrr(SkmError):
    """Published per-unsur NRR values could not be used."""


class IncompleteData(SkmError):
    """The index needs at least one answer for every unsur."""


class InvalidOption(SkmError):
    """An index option (weight, rounding) or sample-size input was not valid."""
