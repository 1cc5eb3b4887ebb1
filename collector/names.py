"""What a person reads instead of a code: services and counters by the names the organisation file gives
them, channels and unsur by theirs. One lookup for the pages, so no page shows ``akta-mati``, ``kk`` or
``qr`` where a name belongs. A code with no name (a service since removed) is shown as its code."""
from __future__ import annotations

from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Mapping

from sqlalchemy import Engine

from skm import UNSUR
from skm.questionnaire import Text, text

from . import store

CHANNELS: Mapping[str, Text] = MappingProxyType({
    "kiosk": text("Kios (tablet di loket)", "Kiosk (tablet at the counter)"),
    "qr": text("QR pada struk", "QR code on the receipt"),
    "link": text("Tautan umum (tanpa struk)", "General link (no receipt)"),
})
UNSUR_NAMES: Mapping[str, Text] = MappingProxyType({u.code: u.name for u in UNSUR})
# The unsur's names cut to one word, for the nine scores beside a comment (the full name is its tooltip).
UNSUR_SHORT: Mapping[str, Text] = MappingProxyType({
    "persyaratan": text("Persyaratan", "Requirements"), "prosedur": text("Prosedur", "Procedure"),
    "waktu": text("Waktu", "Time"), "biaya": text("Biaya", "Cost"), "produk": text("Produk", "Product"),
    "kompetensi": text("Kompetensi", "Competence"), "perilaku": text("Perilaku", "Conduct"),
    "pengaduan": text("Pengaduan", "Complaints"), "sarana": text("Sarana", "Facilities"),
})


@dataclass(frozen=True)
class Names:
    """The names of one unit's services and counters, and of the channels and unsur."""
    services: Mapping[str, str] = field(default_factory=dict)
    counters: Mapping[str, str] = field(default_factory=dict)

    def service(self, code: str | None) -> str:
        return self.services.get(code, code) if code else "-"

    def counter(self, code: str | None) -> str:
        return self.counters.get(code, code) if code else "-"

    @staticmethod
    def channel(code: str, lang: str = "id") -> str:
        return CHANNELS[code][lang] if code in CHANNELS else code

    @staticmethod
    def unsur(code: str, lang: str = "id") -> str:
        return UNSUR_NAMES[code][lang] if code in UNSUR_NAMES else code

    @staticmethod
    def unsur_short(code: str, lang: str = "id") -> str:
        return UNSUR_SHORT[code][lang] if code in UNSUR_SHORT else code


def of_unit(engine: Engine, unit: str) -> Names:
    return Names(store.service_names(engine, unit), store.counter_names(engine, unit))
