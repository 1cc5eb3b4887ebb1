"""Misuse rules (HappyOrNot's lesson): a survey finished faster than a person can read it, or a burst of
submissions from one counter, is stored but flagged suspect. Nothing is dropped; the index leaves
suspect responses out by default."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Mapping


@dataclass(frozen=True)
class MisuseRules:
    min_seconds: float = 10.0  # nine questions cannot be read and answered faster
    burst_count: int = 5  # more than this many submissions from one counter ...
    burst_window_seconds: int = 60  # ... within this window is a burst


def suspect_reason(rules: MisuseRules, duration_ms: int | None, recent_at_counter: int) -> str | None:
    """Why a response is suspect, or None. ``recent_at_counter``: earlier submissions within the window."""
    reasons = []
    if duration_ms is not None and duration_ms < rules.min_seconds * 1000:
        reasons.append(f"too_fast:{duration_ms / 1000:.1f}s<{rules.min_seconds:g}s")
    if recent_at_counter + 1 > rules.burst_count:
        reasons.append(f"burst:{recent_at_counter + 1}/{rules.burst_window_seconds}s")
    return ";".join(reasons) or None


@dataclass(frozen=True)
class LinkRules:
    """The general survey link (``/s/<unit>``) has no receipt behind it, so anyone can post it again and again.
    Per-address limits would refuse every citizen behind one carrier's NAT; these rules flag instead.

    - ``seconds_per_answer``: nine questions, a profile and a comment take time to read; the least time
      grows with what was answered (never below ``min_seconds``), so waiting a flat few seconds is not enough;
    - ``device_daily``: a device (a signed browser cookie) answering one unit's link more often than this in
      a day is flagged from the next answer on;
    - a burst: ``burst_count`` or more link answers to one unit within ``burst_minutes`` whose nine scores
      differ by at most ``burst_distance`` in total are all flagged, the earlier ones too.
    """
    min_seconds: float = 10.0
    seconds_per_answer: float = 2.0
    device_daily: int = 3
    burst_count: int = 10
    burst_minutes: int = 10
    burst_distance: int = 1


def questions_answered(answers: Mapping[str, int], profile: Mapping[str, str], comment: str | None) -> int:
    """What a citizen read and answered: each unsur, each profile field, and a comment counts as one."""
    return len(answers) + len(profile) + (1 if comment else 0)


def link_min_seconds(rules: LinkRules, answered: int) -> float:
    return max(rules.min_seconds, rules.seconds_per_answer * answered)


def link_suspect_reason(rules: LinkRules, duration_ms: int, answered: int, same_device: bool) -> str | None:
    """Why a general-link answer is suspect when it arrives, or None. ``same_device``: the page's ticket
    was issued to the browser that sends it (a ticket fetched elsewhere or a browser without the device
    cookie is not)."""
    reasons = []
    least = link_min_seconds(rules, answered)
    if duration_ms < least * 1000:
        reasons.append(f"too_fast:{duration_ms / 1000:.1f}s<{least:g}s")
    if not same_device:
        reasons.append("ticket_device")
    return ";".join(reasons) or None


def device_reason(rules: LinkRules, answers_today: int) -> str | None:
    """The reason a device's ``answers_today``-th link answer of the day to a unit is suspect, or None."""
    return f"device:{answers_today}/day" if answers_today > rules.device_daily else None


def distance(a: Mapping[str, int], b: Mapping[str, int]) -> int:
    """How far two sets of scores are apart: the sum of the differences, unsur by unsur."""
    return sum(abs(a[code] - b[code]) for code in a)


def burst_members(rules: LinkRules, new: Mapping[str, int], recent: Mapping[str, Mapping[str, int]]) -> list[str]:
    """The ids among ``recent`` (id -> scores, the unit's link answers within the window, the new one
    included) near ``new``; all of them when they are a burst, else none."""
    near = [rid for rid, scores in recent.items() if distance(new, scores) <= rules.burst_distance]
    return sorted(near) if len(near) >= rules.burst_count else []


def burst_reason(rules: LinkRules, members: int) -> str:
    return f"burst:{members}/{rules.burst_minutes}min"
