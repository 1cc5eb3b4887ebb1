"""The SKM questionnaire of PermenPANRB 14/2017 as data.

Unsur are named by stable codes, never by position: paper forms list sarana before pengaduan while the
regulation lists them the other way round. ``order`` is the regulation's numbering (U1..U9).
Every text is bilingual: Bahasa Indonesia (``id``, the official wording) and English (``en``).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from types import MappingProxyType
from typing import Mapping

from . import limits

QUESTIONNAIRE_VERSION = "permenpanrb-14-2017/1"
LANGUAGES = ("id", "en")
SCORES = (1, 2, 3, 4)

Text = Mapping[str, str]


def text(id: str, en: str) -> Text:
    return MappingProxyType({"id": id, "en": en})


@dataclass(frozen=True)
class IndexUnsur:
    """What the index needs of an unsur: its stable code, its place in its regulation, its name."""
    code: str
    order: int  # the regulation's numbering, U1..Un
    name: Text

    @property
    def label(self) -> str:
        return f"U{self.order}"


@dataclass(frozen=True)
class Unsur(IndexUnsur):
    """An unsur of today's questionnaire, as the kiosk and the phone ask it."""
    question: Text
    answers: tuple[Text, Text, Text, Text]  # labels of scores 1, 2, 3, 4

    def answer(self, score: int, lang: str = "id") -> str:
        return self.answers[score - 1][lang]


def _answers(*pairs: tuple[str, str]) -> tuple[Text, Text, Text, Text]:
    assert len(pairs) == 4
    return tuple(text(i, e) for i, e in pairs)  # type: ignore[return-value]


_SESUAI = _answers(("Tidak sesuai", "Not appropriate"), ("Kurang sesuai", "Somewhat inappropriate"),
                   ("Sesuai", "Appropriate"), ("Sangat sesuai", "Very appropriate"))

UNSUR: tuple[Unsur, ...] = (
    Unsur("persyaratan", 1, text("Persyaratan", "Requirements"),
          text("Bagaimana pendapat Saudara tentang kesesuaian persyaratan pelayanan dengan jenis pelayanannya?",
               "How well do the service requirements fit the type of service?"),
          _SESUAI),
    Unsur("prosedur", 2, text("Sistem, Mekanisme, dan Prosedur", "System, mechanism and procedure"),
          text("Bagaimana pemahaman Saudara tentang kemudahan prosedur pelayanan di unit ini?",
               "How easy is the service procedure at this unit?"),
          _answers(("Tidak mudah", "Not easy"), ("Kurang mudah", "Somewhat difficult"),
                   ("Mudah", "Easy"), ("Sangat mudah", "Very easy"))),
    Unsur("waktu", 3, text("Waktu Penyelesaian", "Completion time"),
          text("Bagaimana pendapat Saudara tentang kecepatan waktu dalam memberikan pelayanan?",
               "How fast was the service delivered?"),
          _answers(("Tidak cepat", "Not fast"), ("Kurang cepat", "Somewhat slow"),
                   ("Cepat", "Fast"), ("Sangat cepat", "Very fast"))),
    Unsur("biaya", 4, text("Biaya/Tarif", "Cost/fee"),
          text("Bagaimana pendapat Saudara tentang kewajaran biaya/tarif dalam pelayanan?",
               "How fair is the cost or fee of the service?"),
          _answers(("Sangat mahal", "Very expensive"), ("Cukup mahal", "Rather expensive"),
                   ("Murah", "Cheap"), ("Gratis", "Free"))),
    Unsur("produk", 5, text("Produk Spesifikasi Jenis Pelayanan", "Service product specification"),
          text("Bagaimana pendapat Saudara tentang kesesuaian produk pelayanan antara yang tercantum dalam "
               "standar pelayanan dengan hasil yang diberikan?",
               "How well does the service product match what the service standard promises?"),
          _SESUAI),
    Unsur("kompetensi", 6, text("Kompetensi Pelaksana", "Staff competence"),
          text("Bagaimana pendapat Saudara tentang kompetensi/kemampuan petugas dalam pelayanan?",
               "How competent were the staff who served you?"),
          _answers(("Tidak kompeten", "Not competent"), ("Kurang kompeten", "Somewhat incompetent"),
                   ("Kompeten", "Competent"), ("Sangat kompeten", "Very competent"))),
    Unsur("perilaku", 7, text("Perilaku Pelaksana", "Staff conduct"),
          text("Bagaimana pendapat Saudara tentang perilaku petugas dalam pelayanan terkait kesopanan dan "
               "keramahan?",
               "How polite and friendly were the staff who served you?"),
          _answers(("Tidak sopan dan ramah", "Not polite and friendly"),
                   ("Kurang sopan dan ramah", "Somewhat impolite and unfriendly"),
                   ("Sopan dan ramah", "Polite and friendly"),
                   ("Sangat sopan dan ramah", "Very polite and friendly"))),
    Unsur("pengaduan", 8, text("Penanganan Pengaduan, Saran dan Masukan",
                               "Handling of complaints, suggestions and feedback"),
          text("Bagaimana pendapat Saudara tentang penanganan pengaduan pengguna layanan?",
               "How are complaints from service users handled?"),
          _answers(("Tidak ada", "None exists"), ("Ada tetapi tidak berfungsi", "Exists but does not work"),
                   ("Berfungsi kurang maksimal", "Works, but not fully"),
                   ("Dikelola dengan baik", "Well managed"))),
    Unsur("sarana", 9, text("Sarana dan Prasarana", "Facilities and infrastructure"),
          text("Bagaimana pendapat Saudara tentang kualitas sarana dan prasarana?",
               "How good are the facilities and infrastructure?"),
          _answers(("Buruk", "Poor"), ("Cukup", "Fair"), ("Baik", "Good"), ("Sangat baik", "Very good"))),
)

UNSUR_BY_CODE: Mapping[str, Unsur] = MappingProxyType({u.code: u for u in UNSUR})
UNSUR_BY_LABEL: Mapping[str, Unsur] = MappingProxyType({u.label: u for u in UNSUR})
CODES: tuple[str, ...] = tuple(u.code for u in UNSUR)


@dataclass(frozen=True)
class ProfileField:
    """An optional respondent profile question; an absent answer means "tidak ingin menjawab"."""
    name: str
    label: Text
    choices: tuple[tuple[str, Text], ...]  # (stored value, label)

    @cached_property
    def values(self) -> tuple[str, ...]:
        return tuple(v for v, _ in self.choices)

    def choice_label(self, value: str, lang: str = "id") -> str:
        return dict(self.choices)[value][lang]


def _same(*values: str) -> tuple[tuple[str, Text], ...]:
    return tuple((v, text(v, v)) for v in values)


PROFILE: tuple[ProfileField, ...] = (
    ProfileField("jenis_kelamin", text("Jenis kelamin", "Sex"),
                 (("L", text("Laki-laki", "Male")), ("P", text("Perempuan", "Female")))),
    ProfileField("usia", text("Usia", "Age"),
                 (("<20", text("Di bawah 20 tahun", "Under 20")), ("20-29", text("20-29 tahun", "20-29"))
                  , ("30-39", text("30-39 tahun", "30-39")), ("40-49", text("40-49 tahun", "40-49")),
                  ("50-59", text("50-59 tahun", "50-59")), ("60+", text("60 tahun ke atas", "60 or older")))),
    ProfileField("pendidikan", text("Pendidikan terakhir", "Education"),
                 _same("SD", "SMP", "SMA", "D1-D3", "S1", "S2", "S3")),
    ProfileField("pekerjaan", text("Pekerjaan utama", "Occupation"),
                 (("PNS", text("PNS", "Civil servant")), ("TNI", text("TNI", "Armed forces")),
                  ("POLRI", text("POLRI", "Police")), ("Swasta", text("Swasta", "Private employee")),
                  ("Wirausaha", text("Wirausaha", "Self-employed")), ("Lainnya", text("Lainnya", "Other")))),
)

PROFILE_BY_NAME: Mapping[str, ProfileField] = MappingProxyType({f.name: f for f in PROFILE})

COMMENT_MAX_LENGTH = limits.COMMENT_LENGTH

KINERJA: Mapping[str, Text] = MappingProxyType({
    "A": text("Sangat Baik", "Very good"),
    "B": text("Baik", "Good"),
    "C": text("Kurang Baik", "Poor"),
    "D": text("Tidak Baik", "Very poor"),
})
