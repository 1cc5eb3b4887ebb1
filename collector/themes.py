"""The themes of a unit's comments for the unit page: per period, against the period before; and one
theme's comments, masked. The counts are summed from ``theme_daily`` (added at ingest under the app's
lexicon's fingerprint, ``store.theme_totals``), so a page costs the same however many comments a period has;
when the app's lexicon has no complete counts (an admin changed COLLECTOR_THEMES_FILE, or the database
predates them) the period's comments are read and tagged, with the same figures, until
``skm collector rebuild-aggregates`` counts them again under the new lexicon."""
from __future__ import annotations

from dataclasses import dataclass
from typing import Iterable

from flask import Flask
from sqlalchemy import Engine

from skm import themes
from skm.masking import mask_personal_data
from skm.periods import Period
from skmweb import SettingError

from . import store

THEME_ARG = "tema"  # ?tema=waktu_tunggu on the unit page lists that theme's comments
LISTED = 100        # comments of one theme listed at most


def load(app: Flask) -> themes.Lexicon:
    """The lexicon of COLLECTOR_THEMES_FILE over the shipped one; a bad file stops the app with every problem."""
    path = app.config.get("COLLECTOR_THEMES_FILE")
    if not path:
        return themes.default_lexicon()
    try:
        with open(path, encoding="utf-8") as file:
            text = file.read()
    except OSError as exc:
        raise SettingError(f"COLLECTOR_THEMES_FILE={path!r} cannot be read: {exc.strerror}") from exc
    try:
        return themes.load_lexicon(text, path)
    except themes.InvalidLexicon as exc:
        raise SettingError("COLLECTOR_THEMES_FILE is not valid:\n  " + "\n  ".join(exc.render("en"))) from exc


@dataclass(frozen=True)
class ThemeCount:
    code: str
    name: str
    count: int
    previous: int
    comments: int  # comments of the period, the share's base

    @property
    def share(self) -> float:
        return 100 * self.count / self.comments if self.comments else 0.0

    @property
    def change(self) -> int:
        return self.count - self.previous


def counts(lexicon: themes.Lexicon, comments: Iterable[str | None]) -> tuple[int, dict[str, int]]:
    """How many comments there are, and how many carry each theme and integrity signal."""
    total, found = 0, dict.fromkeys([*lexicon.themes, *lexicon.signals], 0)
    for text in comments:
        total += 1
        tagging = lexicon.tag(text)
        for code in (*tagging.themes, *tagging.integrity):
            found[code] += 1
    return total, found


def period_counts(engine: Engine, lexicon: themes.Lexicon, units: list[str], periods: list[Period],
                  leave_out: tuple[str, ...] = ()) -> list[tuple[int, dict[str, int]]]:
    """``counts`` of each period's trusted comments: from the stored counts of ``lexicon`` in one read, or,
    when it has none complete, from the comments themselves."""
    stored = store.theme_totals(engine, lexicon, units, [(p.start, p.end) for p in periods], leave_out)
    if stored is None:
        return [counts(lexicon, (r["comment"] for r in store.period_comments(engine, units, p.start, p.end,
                                                                              leave_out))) for p in periods]
    codes = [*lexicon.themes, *lexicon.signals]
    return [(totals.get(store.ALL_COMMENTS, 0), {code: totals.get(code, 0) for code in codes}) for totals in stored]


def listed_comments(engine: Engine, lexicon: themes.Lexicon, units: list[str], period: Period, theme: str,
                    leave_out: tuple[str, ...] = ()) -> list[dict]:
    """The newest ``LISTED`` trusted comments of the period carrying ``theme``, masked."""
    listed: list[dict] = []
    for row in store.period_comments(engine, units, period.start, period.end, leave_out):
        tagging = lexicon.tag(row["comment"])
        if theme in (*tagging.themes, *tagging.integrity):
            listed.append({**row, "comment": mask_personal_data(row["comment"])})
            if len(listed) == LISTED:
                break
    return listed


def unit_section(engine: Engine, lexicon: themes.Lexicon, units: list[str], period: Period, lang: str,
                 theme: str | None = None, leave_out: tuple[str, ...] = ()) -> dict:
    """The unit page's themes: a row per theme and signal for the period and the one before, and with
    ``theme`` (a theme or signal code, checked by the caller) that theme's newest comments, masked."""
    before = period.previous()
    (now_total, now), (before_total, then) = period_counts(engine, lexicon, units, [period, before], leave_out)
    listed = listed_comments(engine, lexicon, units, period, theme, leave_out) if theme is not None else []

    def rows(labels: dict[str, themes.Label]) -> list[ThemeCount]:
        return [ThemeCount(code, label.name(lang), now[code], then[code], now_total) for code, label in labels.items()]

    labels = {**lexicon.themes, **lexicon.signals}
    return {"themes": rows(lexicon.themes), "signals": rows(lexicon.signals), "comments": now_total,
            "previous_comments": before_total, "previous": before, "theme": theme,
            "theme_name": labels[theme].name(lang) if theme else None, "listed": listed}
