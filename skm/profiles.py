"""The regulations an index can be computed under, as data: their unsur, weights, grade bands and the
column orders a table of respondents may follow.

Today's profile is PermenPANRB 14/2017 (nine unsur). KEPMENPAN 25/2004 (fourteen unsur) is kept so a unit
can put its reports from before 2017 next to today's; every figure names the profile that produced it.
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from decimal import Decimal
from fractions import Fraction
from types import MappingProxyType
from typing import Mapping

from .numbers import round_half_up
from .questionnaire import KINERJA, UNSUR, IndexUnsur, Text, text


@dataclass(frozen=True)
class Grade:
    floor: Fraction  # lowest konversi (rounded half-up to 2 decimals) that earns this mutu
    mutu: str
    kinerja: Text


@dataclass(frozen=True)
class ColumnOrder:
    """Which unsur a column labelled U1..Un holds, and how to explain that order to a reader."""
    codes: tuple[str, ...]  # codes of U1, U2, ...
    explanation: Text


@dataclass(frozen=True)
class IndexProfile:
    key: str
    title: str
    unsur: tuple[IndexUnsur, ...]  # in the regulation's order
    weights: Mapping[str, Fraction]  # "exact" is 1/n; the others are weights printed in reports
    grades: tuple[Grade, ...]  # best first
    column_orders: Mapping[str, ColumnOrder]

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(u.code for u in self.unsur)

    @cached_property
    def by_code(self) -> Mapping[str, IndexUnsur]:
        return {u.code: u for u in self.unsur}

    @property
    def order_is_ambiguous(self) -> bool:
        """True when a column labelled U1..Un could mean two different unsur: the table must say its order."""
        return len(self.column_orders) > 1

    @property
    def label(self) -> str:
        """The name every output carries, e.g. "KEPMENPAN 25/2004 (14 unsur)" (unsur is the domain term)."""
        return f"{self.title} ({len(self.unsur)} unsur)"

    def grade(self, konversi: Fraction | Decimal | str) -> Grade:
        """The mutu of a konversi value (25..100): rounded half-up to 2 decimals, then the band it falls in."""
        rounded = Fraction(round_half_up(konversi, 2))
        return next((g for g in self.grades if rounded >= g.floor), self.grades[-1])


def _grades(*floors: str) -> tuple[Grade, ...]:
    return tuple(Grade(Fraction(floor), mutu, KINERJA[mutu]) for floor, mutu in zip(floors, "ABCD"))


def _regulation_and_form() -> dict[str, ColumnOrder]:
    regulation = tuple(u.code for u in UNSUR)
    form = regulation[:7] + (regulation[8], regulation[7])
    return {
        "regulation": ColumnOrder(regulation, text(
            "regulation: U8 = Penanganan Pengaduan, Saran dan Masukan, U9 = Sarana dan Prasarana, "
            "urutan PermenPANRB 14/2017",
            "regulation: U8 = handling of complaints, U9 = facilities, as PermenPANRB 14/2017 lists them")),
        "form": ColumnOrder(form, text(
            "form: U8 = Sarana dan Prasarana, U9 = Penanganan Pengaduan, Saran dan Masukan, urutan "
            "kuesioner yang dicetak di Lampiran",
            "form: U8 = facilities, U9 = handling of complaints, as printed on the Lampiran's questionnaire")),
    }


PERMENPANRB_14_2017 = IndexProfile(
    key="permenpanrb-14-2017",
    title="PermenPANRB 14/2017",
    unsur=UNSUR,
    weights=MappingProxyType({"exact": Fraction(1, 9), "0.111": Fraction(111, 1000), "0.11": Fraction(11, 100)}),
    grades=_grades("88.31", "76.61", "65.00", "25.00"),
    column_orders=MappingProxyType(_regulation_and_form()),
)

_KEPMENPAN_UNSUR = (
    ("prosedur", "Prosedur pelayanan", "Service procedure"),
    ("persyaratan", "Persyaratan pelayanan", "Service requirements"),
    ("kejelasan_petugas", "Kejelasan petugas pelayanan", "Clarity of the service officer"),
    ("kedisiplinan_petugas", "Kedisiplinan petugas pelayanan", "Discipline of the service officer"),
    ("tanggung_jawab_petugas", "Tanggung jawab petugas pelayanan", "Responsibility of the service officer"),
    ("kemampuan_petugas", "Kemampuan petugas pelayanan", "Ability of the service officer"),
    ("kecepatan", "Kecepatan pelayanan", "Speed of service"),
    ("keadilan", "Keadilan mendapatkan pelayanan", "Fairness in getting service"),
    ("kesopanan", "Kesopanan dan keramahan petugas", "Courtesy and friendliness of officers"),
    ("kewajaran_biaya", "Kewajaran biaya pelayanan", "Fairness of the service cost"),
    ("kepastian_biaya", "Kepastian biaya pelayanan", "Certainty of the service cost"),
    ("kepastian_jadwal", "Kepastian jadwal pelayanan", "Certainty of the service schedule"),
    ("kenyamanan", "Kenyamanan lingkungan", "Comfort of the surroundings"),
    ("keamanan", "Keamanan pelayanan", "Security of the service"),
)

KEPMENPAN_25_2004 = IndexProfile(
    key="kepmenpan-25-2004",
    title="KEPMENPAN 25/2004",
    unsur=tuple(IndexUnsur(code, order, text(id_name, en_name))
                for order, (code, id_name, en_name) in enumerate(_KEPMENPAN_UNSUR, start=1)),
    weights=MappingProxyType({"exact": Fraction(1, 14), "0.071": Fraction(71, 1000)}),
    # Konversi bands of the decree; its NI intervals (1.00-1.75, 1.76-2.50, 2.51-3.25, 3.26-4.00) are the
    # same bands on the 1..4 scale, so every value is graded by its konversi (NI x 25) alone.
    grades=_grades("81.26", "62.51", "43.76", "25.00"),
    column_orders=MappingProxyType({"regulation": ColumnOrder(
        tuple(code for code, _, _ in _KEPMENPAN_UNSUR),
        text("regulation: urutan KEPMENPAN 25/2004", "regulation: the order of KEPMENPAN 25/2004"))}),
)

DEFAULT_PROFILE = PERMENPANRB_14_2017.key
PROFILES: Mapping[str, IndexProfile] = MappingProxyType({p.key: p for p in (PERMENPANRB_14_2017, KEPMENPAN_25_2004)})
ORDERS: tuple[str, ...] = tuple(dict.fromkeys(name for p in PROFILES.values() for name in p.column_orders))
