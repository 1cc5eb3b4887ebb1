"""The themes of a unit's comments for the unit page: per period, counted from the period's comments when
the page is read (tags are not stored, so a lexicon extended by the admin applies to every past period at
once), against the period before; and one theme's comments, masked."""
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


def unit_section(engine: Engine, lexicon: themes.Lexicon, units: list[str], period: Period, lang: str,
                 theme: str | None = None, leave_out: tuple[str, ...] = ()) -> dict:
    """The unit page's themes: a row per theme and signal for the period and the one before, and with
    ``theme`` (a theme or signal code, checked by the caller) that theme's newest comments, masked."""
    listed: list[dict] = []
    now_total, now = 0, dict.fromkeys([*lexicon.themes, *lexicon.signals], 0)
    for row in store.period_comments(engine, units, period.start, period.end, leave_out):
        now_total += 1
        tagging = lexicon.tag(row["comment"])
        for code in (*tagging.themes, *tagging.integrity):
            now[code] += 1
        if theme is not None and len(listed) < LISTED and theme in (*tagging.themes, *tagging.integrity):
            listed.append({**row, "comment": mask_personal_data(row["comment"])})
    before = period.previous()
    before_total, then = counts(lexicon, (r["comment"] for r in
                                          store.period_comments(engine, units, before.start, before.end, leave_out)))

    def rows(labels: dict[str, themes.Label]) -> list[ThemeCount]:
        return [ThemeCount(code, label.name(lang), now[code], then[code], now_total) for code, label in labels.items()]

    labels = {**lexicon.themes, **lexicon.signals}
    return {"themes": rows(lexicon.themes), "signals": rows(lexicon.signals), "comments": now_total,
            "previous_comments": before_total, "previous": before, "theme": theme,
            "theme_name": labels[theme].name(lang) if theme else None, "listed": listed}
