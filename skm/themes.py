"""PLACEHOLDER for the comment tagger of issue 17 (r17-themes writes the real one; the lead replaces this file
at merge). Only what the alerts need: ``integrity_signals``, a plain keyword matcher for the five phrases the
issue names."""
from __future__ import annotations

import re

INTEGRITY_PHRASES = ("pungli", "uang rokok", "uang pelicin", "calo", "bayar lebih biar cepat")
_PATTERNS = tuple((phrase, re.compile(r"\b" + r"\s+".join(map(re.escape, phrase.split())) + r"\b"))
                  for phrase in INTEGRITY_PHRASES)


def integrity_signals(text: str | None) -> list[str]:
    """The integrity phrases (illegal levy, broker) a comment contains, lowercased, in the order above."""
    lowered = (text or "").lower()
    return [phrase for phrase, pattern in _PATTERNS if pattern.search(lowered)]
