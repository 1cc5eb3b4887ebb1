"""Misuse rules (HappyOrNot's lesson): a survey finished faster than a person can read it, or a burst of
submissions from one counter, is stored but flagged suspect. Nothing is dropped; the index leaves
suspect responses out by default."""
from __future__ import annotations

from dataclasses import dataclass


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
