"""Masking personal data in citizens' comments before anyone reads them: NIK (16 digits), phone numbers
and e-mail addresses (DESIGN.md section 6)."""
from __future__ import annotations

import re

EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}")
# 16 digits, optionally grouped by spaces, dots or dashes (as NIK is often written).
NIK = re.compile(r"(?<!\d)\d(?:[ .-]?\d){15}(?!\d)")
# Indonesian phone numbers: mobile (+62 / 62 / 08..., 10 to 13 digits) or landline with an area code
# ((0765) 31234), with optional separators.
PHONE = re.compile(r"(?<![\w+])(?:(?:\+62|62|0)[\s.-]?8\d{1,3}[\s.-]?\d{3,4}[\s.-]?\d{3,5}"
                   r"|\(?0\d{2,3}\)?[\s.-]?\d{5,8})(?!\d)")

MASKS = ((EMAIL, "[email disamarkan]"), (NIK, "[NIK disamarkan]"), (PHONE, "[telepon disamarkan]"))


def mask_personal_data(text: str | None) -> str | None:
    if not text:
        return text
    for pattern, replacement in MASKS:
        text = pattern.sub(replacement, text)
    return text
