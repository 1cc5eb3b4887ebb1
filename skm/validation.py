"""Validation of one citizen's answers, as they come from a form, JSON or a spreadsheet row.

The input is a mapping, nested (``{"answers": {...}, "profile": {...}, "comment": "..."}``) or flat with
dotted keys (``answers.waktu``, ``profile.usia``, ``comment``) as an HTML form posts it. Keys outside
these three (a CSRF token, an id) are not this module's business and are ignored.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from types import MappingProxyType
from collections.abc import Mapping  # isinstance() on it is much cheaper than on typing's
from typing import Any

from .errors import InvalidResponse, Problem
from .questionnaire import CODES, COMMENT_MAX_LENGTH, PROFILE_BY_NAME, UNSUR_BY_CODE

DECLINED = ("", None, "-")  # "tidak ingin menjawab" for a profile field

# What no database here can keep, or what no person types: NUL (PostgreSQL refuses it in text), lone
# surrogates (not encodable as UTF-8) and control characters other than tab, line feed and carriage return
# (a browser sends a textarea's new lines as CR LF).
_UNSTORABLE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")


def unstorable_character(text: str) -> str | None:
    """The first character of ``text`` that cannot be stored, as ``U+XXXX``; ``None`` when all can."""
    found = _UNSTORABLE.search(text)
    return f"U+{ord(found.group()):04X}" if found else None


@dataclass(frozen=True)
class ValidatedResponse:
    answers: Mapping[str, int]  # unsur code -> score 1..4, only the unsur answered
    profile: Mapping[str, str] = field(default_factory=dict)  # only the fields answered
    comment: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"answers": dict(self.answers), "profile": dict(self.profile), "comment": self.comment}


def nest(data: Mapping[str, Any]) -> dict[str, Any]:
    """Fold flat dotted keys (``answers.waktu``) into the nested shape; nested keys win."""
    nested: dict[str, Any] = {}
    for key, value in data.items():
        section, dot, name = key.partition(".")
        if dot and section in ("answers", "profile"):
            nested.setdefault(section, {})
            if isinstance(nested[section], dict):
                nested[section].setdefault(name, value)
    for key in ("answers", "profile", "comment"):
        if key in data:
            nested[key] = data[key]
    return nested


def parse_score(value: Any) -> int | Problem | None:
    """A score 1..4 from an int or a string like ``"3"`` or ``"3.0"``; ``None`` for a blank."""
    if type(value) is int and 1 <= value <= 4:  # what a kiosk sends, answered first
        return value
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool):
        return Problem("score_not_integer", params={"value": value})
    if isinstance(value, int):
        score = value
    elif isinstance(value, float) and value.is_integer():
        score = int(value)
    elif isinstance(value, str):
        raw = value.strip()
        if raw.endswith((".0", ",0")):
            raw = raw[:-2]
        if not raw.isdigit() or not raw.isascii():
            return Problem("score_not_integer", params={"value": value})
        score = int(raw)
    else:
        return Problem("score_not_integer", params={"value": value})
    if score not in (1, 2, 3, 4):
        return Problem("score_out_of_range", params={"value": score})
    return score


def validate_response(data: Mapping[str, Any], *, require_all: bool = True) -> ValidatedResponse:
    """Return the validated response, or raise ``InvalidResponse`` listing every problem by field.

    ``require_all``: every unsur must be answered (the kiosk). A paper survey may leave some blank;
    then at least one answer is needed.
    """
    if not isinstance(data, Mapping):
        raise InvalidResponse([Problem("not_a_mapping")])
    data = nest(data)
    problems: list[Problem] = []
    answers = _answers(data.get("answers", {}), require_all, problems)
    profile = _profile(data.get("profile", {}), problems)
    comment = _comment(data.get("comment"), problems)
    if problems:
        raise InvalidResponse(problems)
    return ValidatedResponse(MappingProxyType(answers), MappingProxyType(profile), comment)


def _answers(raw: Any, require_all: bool, problems: list[Problem]) -> dict[str, int]:
    if not isinstance(raw, Mapping):
        problems.append(Problem("not_a_mapping", "answers"))
        return {}
    answers: dict[str, int] = {}
    invalid: set[str] = set()
    for key, value in raw.items():
        if key not in UNSUR_BY_CODE:
            problems.append(Problem("unknown_unsur", f"answers.{key}", {"value": key}))
            continue
        score = parse_score(value)
        if isinstance(score, Problem):
            problems.append(Problem(score.code, f"answers.{key}", score.params))
            invalid.add(key)
        elif score is not None:
            answers[key] = score
    if require_all:
        problems.extend(Problem("missing_unsur", f"answers.{code}") for code in CODES
                        if code not in answers and code not in invalid)
    elif not answers and not invalid and not any(p.code == "unknown_unsur" for p in problems):
        problems.append(Problem("no_answers", "answers"))
    return {code: answers[code] for code in CODES if code in answers}


def _profile(raw: Any, problems: list[Problem]) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, Mapping):
        problems.append(Problem("not_a_mapping", "profile"))
        return {}
    profile: dict[str, str] = {}
    for key, value in raw.items():
        spec = PROFILE_BY_NAME.get(key)
        if spec is None:
            problems.append(Problem("unknown_profile_field", f"profile.{key}", {"value": key}))
        elif value in DECLINED:
            continue
        elif value not in spec.values:
            problems.append(Problem("bad_profile_choice", f"profile.{key}",
                                    {"value": value, "choices": ", ".join(spec.values)}))
        else:
            profile[key] = value
    return profile


def _comment(raw: Any, problems: list[Problem]) -> str | None:
    if raw is None:
        return None
    if not isinstance(raw, str):
        problems.append(Problem("comment_not_text", "comment"))
        return None
    comment = raw.strip()
    bad = unstorable_character(comment)
    if bad:
        problems.append(Problem("unstorable_character", "comment", {"character": bad}))
        return None
    if len(comment) > COMMENT_MAX_LENGTH:
        problems.append(Problem("comment_too_long", "comment",
                                {"length": len(comment), "limit": COMMENT_MAX_LENGTH}))
        return None
    return comment or None
