"""Alerts (issue 17): rules per unit with defaults, evaluated from the aggregates after each ingest and on a
schedule (``skm collector alerts run``); one episode per stretch of time a condition holds; e-mailed through
the mail log; acknowledged with a note. Everything opened, cleared, sent and acknowledged is audited.

Rules (a unit's kepala unit or an admin may change each, or switch it off):

- ``konversi``: the konversi of the last 7 local days is below ``threshold``, with at least ``min_count``
  trusted responses in them.
- ``nrr_turun``: an unsur's NRR over the last 7 days is at least ``threshold`` below its NRR over the 4 weeks
  before, with at least ``min_count`` respondents on each side. One episode per unsur.
- ``nilai_rendah``: at least ``min_count`` low ratings at one counter within the last hour. A low rating is a
  response whose nine scores average 2 or less (each answer "1" or "2" on average). One episode per counter.
- ``kios_diam``: a kiosk sent no response for ``threshold`` office hours (COLLECTOR_OFFICE_*): the tablet is
  off, or its sync stalled (the alert says which its last contact suggests). One episode per kiosk.
- ``integritas``: a comment reports an illegal levy, a bribe or a broker: an integrity signal of the app's
  lexicon (the shipped one with the admin's COLLECTOR_THEMES_FILE over it, ``app.extensions["skm_themes"]``),
  passed in by every caller. One episode per response, to pimpinan, inspektorat and the unit's kepala unit;
  it carries the masked comment, the unit, counter (code and name), service and time, never the officer on
  duty (an officer is named only where the comment itself names one). It ends when acknowledged.
"""
from __future__ import annotations

import logging
import threading
import weakref
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from time import monotonic
from typing import Any, Callable, Iterable, Mapping
from zoneinfo import ZoneInfo

from sqlalchemy import Engine

from skm import CODES, IndexOptions, themes
from skm.index import round_half_up
from skm.masking import mask_personal_data

from . import rollups, store

log = logging.getLogger(__name__)

KINDS = ("konversi", "nrr_turun", "nilai_rendah", "kios_diam", "integritas")
WEEK = 7
BEFORE_DAYS = 28
LOW_TOTAL = 18  # nine scores totalling at most this average 2 or less
UNIT_SUBJECT = "unit"
MAIL_ATTEMPTS = 5  # a queued e-mail is tried this many runs, then left as failed in the mail log
INTEGRITY_ROLES = ("pimpinan", "inspektorat")


@dataclass(frozen=True)
class Rule:
    kind: str
    enabled: bool
    threshold: Decimal | None  # konversi floor, NRR drop, silent office hours
    min_count: int | None  # least responses a side, or low ratings


DEFAULTS = {
    "konversi": Rule("konversi", True, Decimal("76.61"), 30),  # below mutu B
    "nrr_turun": Rule("nrr_turun", True, Decimal("0.30"), 20),
    "nilai_rendah": Rule("nilai_rendah", True, None, 3),
    "kios_diam": Rule("kios_diam", True, Decimal("2"), None),
    "integritas": Rule("integritas", True, None, None),
}
THRESHOLD_RANGE = {"konversi": (Decimal(25), Decimal(100)), "nrr_turun": (Decimal("0.01"), Decimal(3)),
                   "kios_diam": (Decimal(1), Decimal(200))}
COUNT_RANGE = {"konversi": (1, 100_000), "nrr_turun": (2, 100_000), "nilai_rendah": (1, 1000)}


class RuleError(ValueError):
    """A rule setting out of range: which rule, which field, and the range allowed."""

    def __init__(self, kind: str, field: str, low: object, high: object):
        self.kind, self.field, self.low, self.high = kind, field, low, high
        super().__init__(f"{kind} {field}: a number from {low} to {high}")


def rules_of(engine: Engine, unit: str) -> dict[str, Rule]:
    """Each kind's rule for the unit: the unit's own setting, else the default."""
    saved = store.saved_rules(engine, unit)
    result = {}
    for kind, default in DEFAULTS.items():
        row = saved.get(kind)
        result[kind] = default if row is None else Rule(
            kind, bool(row["enabled"]),
            Decimal(row["threshold"]) if row["threshold"] is not None else default.threshold,
            row["min_count"] if row["min_count"] is not None else default.min_count)
    return result


def checked_rule(kind: str, enabled: bool, threshold: str | None, min_count: int | None) -> Rule:
    """A rule as a form gave it, checked; raises ``RuleError`` naming what is wrong."""
    if kind not in DEFAULTS:
        raise ValueError(f"kind {kind!r}: one of {', '.join(KINDS)}")
    value = None
    if kind in THRESHOLD_RANGE:
        low, high = THRESHOLD_RANGE[kind]
        try:
            value = (Decimal(str(threshold).replace(",", ".")) if threshold not in (None, "")
                     else DEFAULTS[kind].threshold)
        except InvalidOperation as exc:
            raise RuleError(kind, "threshold", low, high) from exc
        if value is None or not value.is_finite() or not low <= value <= high:
            raise RuleError(kind, "threshold", low, high)
    count = None
    if kind in COUNT_RANGE:
        low_count, high_count = COUNT_RANGE[kind]
        count = DEFAULTS[kind].min_count if min_count is None else min_count
        if count is None or not low_count <= count <= high_count:
            raise RuleError(kind, "min_count", low_count, high_count)
    return Rule(kind, enabled, value, count)


def save_rule(engine: Engine, unit: str, rule: Rule, by: str) -> None:
    store.save_rule(engine, unit, rule.kind, rule.enabled, None if rule.threshold is None else str(rule.threshold),
                    rule.min_count, by)


# -- office hours -----------------------------------------------------------------------------------------------

OFFICE_WEEKDAYS = {"senin-jumat": range(5), "senin-sabtu": range(6), "setiap-hari": range(7)}


@dataclass(frozen=True)
class OfficeHours:
    start_hour: int = 8
    end_hour: int = 16
    days: str = "senin-jumat"

    @classmethod
    def from_config(cls, config: Mapping[str, Any]) -> "OfficeHours":
        return cls(config["COLLECTOR_OFFICE_START_HOUR"], config["COLLECTOR_OFFICE_END_HOUR"],
                   config["COLLECTOR_OFFICE_DAYS"])

    def hours_between(self, since: datetime, until: datetime, zone: ZoneInfo, cap: float = 1000) -> float:
        """Office hours (in the unit's zone) from ``since`` to ``until``, counted up to ``cap``."""
        total = 0.0
        day = since.astimezone(zone).date()
        while day <= until.astimezone(zone).date() and total < cap:
            if day.weekday() in OFFICE_WEEKDAYS[self.days]:
                opens = datetime.combine(day, time(self.start_hour), zone)
                closes = (datetime.combine(day, time(0), zone) + timedelta(hours=self.end_hour))
                start, end = max(opens, since), min(closes, until)
                if end > start:
                    total += (end - start).total_seconds() / 3600
            day += timedelta(days=1)
        return total


# -- conditions -------------------------------------------------------------------------------------------------

def _fmt(value: Fraction | Decimal, places: int = 2) -> str:
    return str(round_half_up(value, places))


def last_week(engine: Engine, unit: str, today: date) -> list[dict]:
    """The index sums of the last 7 days (today included), what the konversi and NRR rules both read."""
    return store.aggregate_totals(engine, [unit], today - timedelta(days=WEEK - 1), today + timedelta(days=1),
                                  columns=store.INDEX_COLUMNS)


def konversi_low(engine: Engine, unit: str, today: date, rule: Rule,
                 week: list[dict] | None = None) -> dict[str, dict]:
    """{"unit": figures} when the last 7 days' konversi is below the floor with enough responses (``week``:
    ``last_week`` already read)."""
    rows = last_week(engine, unit, today) if week is None else week
    row = rows[0] if rows else None
    index = rollups.index_of(row, IndexOptions())
    assert rule.threshold is not None and rule.min_count is not None
    if index is None or row is None or row["responses"] < rule.min_count or index.konversi >= rule.threshold:
        return {}
    return {UNIT_SUBJECT: {"konversi": str(index.konversi), "responses": row["responses"],
                           "floor": str(rule.threshold), "mutu": index.mutu}}


def _score_counts(row: Mapping[str, Any] | None, code: str) -> tuple[int, int]:
    if not row:
        return 0, 0
    return row[f"{code}_sum"], sum(row[f"{code}_{s}"] for s in (1, 2, 3, 4))


def nrr_drops(engine: Engine, unit: str, today: date, rule: Rule, week: list[dict] | None = None) -> dict[str, dict]:
    """{unsur: figures} for each unsur whose last-7-days NRR is down by at least the threshold against the 28
    days before (``week``: ``last_week`` already read)."""
    week_start = today - timedelta(days=WEEK - 1)
    now_rows = last_week(engine, unit, today) if week is None else week
    before_rows = store.aggregate_totals(engine, [unit], week_start - timedelta(days=BEFORE_DAYS), week_start,
                                         columns=store.INDEX_COLUMNS)
    current, before = (now_rows[0] if now_rows else None), (before_rows[0] if before_rows else None)
    assert rule.threshold is not None and rule.min_count is not None
    found = {}
    for code in CODES:
        total_now, n_now = _score_counts(current, code)
        total_before, n_before = _score_counts(before, code)
        if n_now < rule.min_count or n_before < rule.min_count:
            continue
        nrr_now, nrr_before = Fraction(total_now, n_now), Fraction(total_before, n_before)
        if nrr_before - nrr_now >= Fraction(rule.threshold):
            found[code] = {"unsur": code, "nrr": _fmt(nrr_now, 3), "nrr_before": _fmt(nrr_before, 3),
                           "drop": _fmt(nrr_before - nrr_now, 3), "n": n_now, "n_before": n_before}
    return found


def low_ratings(engine: Engine, unit: str, now: datetime, zone: ZoneInfo, rule: Rule) -> dict[str, dict]:
    """{counter: figures} for each counter with at least ``min_count`` low ratings submitted in the last hour."""
    since = now - timedelta(hours=1)
    counts: dict[str, int] = {}
    for row in store.low_responses(engine, unit, since.astimezone(zone).date(), LOW_TOTAL):
        if since <= datetime.fromisoformat(row["submitted_at"]) <= now:
            counts[row["counter"]] = counts.get(row["counter"], 0) + 1
    assert rule.min_count is not None
    names = store.counter_names(engine, unit)
    return {counter: {"counter": counter, "counter_name": names.get(counter, counter), "low": n,
                      "since": since.isoformat(timespec="minutes")}
            for counter, n in counts.items() if n >= rule.min_count}


def silent_kiosks(engine: Engine, unit: str, now: datetime, zone: ZoneInfo, rule: Rule,
                  office: OfficeHours) -> dict[str, dict]:
    """{kiosk id: figures} for each enrolled kiosk that sent no response for ``threshold`` office hours."""
    assert rule.threshold is not None
    hours = float(rule.threshold)
    received = store.last_received_by_kiosk(engine, unit, (now - timedelta(days=31)).astimezone(zone).date())
    found = {}
    for kiosk in store.unit_kiosks(engine, unit):
        last_response = received.get(kiosk["id"])
        since = datetime.fromisoformat(last_response or kiosk["enrolled_at"])
        silent = office.hours_between(since, now, zone, cap=hours + 1)
        if silent >= hours:
            contact = kiosk["last_seen_at"]
            stalled = contact is None or datetime.fromisoformat(contact) <= since + timedelta(minutes=5)
            found[kiosk["id"]] = {"kiosk": kiosk["name"], "last_response": last_response, "last_contact": contact,
                                  "hours": str(rule.threshold), "why": "sync" if stalled else "tablet"}
    return found


def integrity_reports(comments: Iterable[Mapping[str, Any]], lexicon: themes.Lexicon,
                      counter_names: Mapping[str, str]) -> dict[str, dict]:
    """{response id: figures} for each comment with an integrity signal of ``lexicon``: the signal codes and
    the words that raised them, the comment masked, the counter, service and time. Never the officer on duty:
    a comment row carries none, and the figures keep only what is listed here."""
    found = {}
    for row in comments:
        tagging = lexicon.tag(row["comment"])
        if tagging.integrity:
            found[row["id"]] = {"counter": row["counter"],
                                "counter_name": counter_names.get(row["counter"], row["counter"]),
                                "service": row["service"], "submitted_at": str(row["submitted_at"]),
                                "signals": list(tagging.integrity),
                                "words": sorted({mask_personal_data(w) or "" for code in tagging.integrity
                                                 for w in tagging.evidence[code]}),
                                "comment": mask_personal_data(row["comment"])}
    return found


# -- evaluation -------------------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Outcome:
    opened: tuple[dict, ...] = ()
    cleared: int = 0

    def __add__(self, other: "Outcome") -> "Outcome":
        return Outcome(self.opened + other.opened, self.cleared + other.cleared)


def _sync(engine: Engine, unit: str, kind: str, holding: Mapping[str, Mapping[str, Any]],
          any_open: bool | None = None) -> Outcome:
    roles_everywhere = INTEGRITY_ROLES if kind == "integritas" else ()
    to = store.recipients(engine, unit, ("kepala_unit",), roles_everywhere) if holding else []  # none to open
    opened, cleared = store.sync_episodes(engine, unit, kind, holding, to, clears=kind != "integritas",
                                          any_open=any_open)
    for alert in opened:
        log.warning("alert opened #%s unit=%s kind=%s subject=%s recipients=%d", alert["id"], unit, kind,
                    alert["subject"], len(to))
    if cleared:
        log.info("alerts cleared unit=%s kind=%s n=%d", unit, kind, cleared)
    return Outcome(tuple(opened), cleared)


def evaluate_unit(engine: Engine, unit: Mapping[str, Any], now: datetime, office: OfficeHours | None,
                  lexicon: themes.Lexicon, comments: Iterable[Mapping[str, Any]] | None = None) -> Outcome:
    """Every enabled rule of the unit at ``now``; ``office`` None leaves the silent-kiosk rule out (after an
    ingest); ``lexicon`` finds the integrity signals; ``comments`` None reads the last two days' comments for
    the integrity rule."""
    zone = ZoneInfo(unit["timezone"])
    today = now.astimezone(zone).date()
    rules = rules_of(engine, unit["code"])
    code = unit["code"]
    week = last_week(engine, code, today) if rules["konversi"].enabled or rules["nrr_turun"].enabled else []
    checks: dict[str, Callable[[], dict[str, dict]]] = {
        "konversi": lambda: konversi_low(engine, code, today, rules["konversi"], week),
        "nrr_turun": lambda: nrr_drops(engine, code, today, rules["nrr_turun"], week),
        "nilai_rendah": lambda: low_ratings(engine, code, now, zone, rules["nilai_rendah"]),
        "integritas": lambda: integrity_reports(
            store.recent_comments(engine, code, today - timedelta(days=1)) if comments is None else comments,
            lexicon, store.counter_names(engine, code)),
    }
    if office is not None:
        checks["kios_diam"] = lambda: silent_kiosks(engine, code, now, zone, rules["kios_diam"], office)
    open_kinds = store.open_alert_kinds(engine, code)  # one read: a rule holding nowhere, with none open, is done
    outcome = Outcome()
    for kind, check in checks.items():
        outcome += _sync(engine, code, kind, check() if rules[kind].enabled else {}, kind in open_kinds)
    return outcome


def after_ingest(engine: Engine, unit: Mapping[str, Any], new_comments: list[dict],
                 lexicon: themes.Lexicon, every_seconds: float = 0) -> Outcome:
    """The rules an ingest can change, from the aggregates it just updated; only the new comments are read.

    The integrity rule runs on every batch's new comments. The rules on the aggregates run at most once per
    ``every_seconds`` per unit in this process (COLLECTOR_ALERTS_AFTER_INGEST_SECONDS): a kiosk emptying its
    outbox sends batch after batch, and evaluating all of them changes nothing a few seconds apart. A batch
    inside the interval is taken in by the unit's next evaluation after it: the next batch past the interval,
    or the schedule (``skm collector alerts run``, every 5 minutes), whichever comes first."""
    if _due(engine, unit["code"], every_seconds):
        return evaluate_unit(engine, unit, datetime.now(timezone.utc), None, lexicon, new_comments)
    if not new_comments or not rules_of(engine, unit["code"])["integritas"].enabled:
        return Outcome()
    holding = integrity_reports(new_comments, lexicon, store.counter_names(engine, unit["code"]))
    return _sync(engine, unit["code"], "integritas", holding)


# engine -> unit -> monotonic time of the last after-ingest evaluation of the unit's rules, in this process.
_EVALUATED: "weakref.WeakKeyDictionary[Engine, dict[str, float]]" = weakref.WeakKeyDictionary()
_EVALUATED_LOCK = threading.Lock()


def _due(engine: Engine, unit: str, every_seconds: float) -> bool:
    """Whether the unit's rules are due an evaluation after an ingest, claiming it if so."""
    if every_seconds <= 0:
        return True
    now = monotonic()
    with _EVALUATED_LOCK:
        units = _EVALUATED.setdefault(engine, {})
        last = units.get(unit)
        if last is not None and now - last < every_seconds:
            return False
        units[unit] = now
        return True


def run(engine: Engine, office: OfficeHours, lexicon: themes.Lexicon, now: datetime | None = None) -> Outcome:
    """Every unit's rules (the schedule's work): what opened and how many cleared."""
    now = now or datetime.now(timezone.utc)
    outcome = Outcome()
    for unit in store.all_units(engine):
        outcome += evaluate_unit(engine, unit, now, office, lexicon)
    return outcome


# -- texts ------------------------------------------------------------------------------------------------------

KIND_TITLES = {"konversi": "Konversi 7 hari di bawah batas", "nrr_turun": "NRR unsur turun",
               "nilai_rendah": "Nilai rendah beruntun di satu loket", "kios_diam": "Kios diam",
               "integritas": "Laporan integritas (pungli/calo)"}


def signal_names(lexicon: themes.Lexicon, codes: Iterable[str], lang: str = "id") -> str:
    """The integrity signals by their labels ("Pungutan liar, Calo / perantara"); a code the lexicon no
    longer has (an admin's file changed since) as its code."""
    return ", ".join(lexicon.signals[c].name(lang) if c in lexicon.signals else c for c in codes)


def counter_text(detail: Mapping[str, Any], lang: str = "id") -> str:
    """The counter as a sentence names it: its name when that says it is a counter ("Loket 2 - Kartu
    Keluarga"), else the word first ("loket 2")."""
    name = str(detail.get("counter_name") or detail.get("counter") or "-")
    return name if name.lower().startswith(("loket", "counter")) else f"{'counter' if lang == 'en' else 'loket'} {name}"


DECIMALS = ("konversi", "floor", "nrr", "nrr_before", "drop")  # figures written with a decimal comma


def summary(alert: Mapping[str, Any], unsur_names: Mapping[str, str], lexicon: themes.Lexicon) -> str:
    """One line in Bahasa Indonesia saying what the episode is about (e-mails and logs; the dashboard
    renders its own translated line from the same figures)."""
    d = {k: v.replace(".", ",") if k in DECIMALS and isinstance(v, str) else v for k, v in alert["detail"].items()}
    kind = alert["kind"]
    if kind == "konversi":
        return (f"Konversi 7 hari terakhir {d['konversi']} (mutu {d['mutu']}), di bawah batas {d['floor']}, "
                f"dari {d['responses']} responden.")
    if kind == "nrr_turun":
        return (f"NRR {unsur_names.get(d['unsur'], d['unsur'])} 7 hari terakhir {d['nrr']} (n={d['n']}), turun "
                f"{d['drop']} dari {d['nrr_before']} pada 4 minggu sebelumnya (n={d['n_before']}).")
    if kind == "nilai_rendah":
        return (f"{d['low']} penilaian rendah (rata-rata 2 atau kurang) di {counter_text(d)} "
                "dalam 1 jam terakhir.")
    if kind == "kios_diam":
        why = "sinkronisasi macet" if d["why"] == "sync" else "tablet mati atau tidak dipakai"
        return (f"Kios {d['kiosk']} tidak mengirim jawaban selama {d['hours']} jam kerja (dugaan: {why}); "
                f"jawaban terakhir {d['last_response'] or '-'}.")
    return (f"Komentar ({signal_names(lexicon, d['signals'])}) di {counter_text(d)}, "
            f"{d['submitted_at'][:16].replace('T', ' ')}: \"{d['comment']}\"")


def with_units(alerts: list[dict], units: Iterable[Mapping[str, Any]]) -> list[dict]:
    names = {u["code"]: u["name"] for u in units}
    return [{**a, "unit_name": names.get(a["unit"], a["unit"])} for a in alerts]


def rule_rows(engine: Engine, unit: str) -> list[tuple[Rule, Rule]]:
    """(the unit's rule, its default) for each kind, for the rules form."""
    rules = rules_of(engine, unit)
    return [(rules[k], DEFAULTS[k]) for k in KINDS]


def alert_email(engine: Engine, row: Mapping[str, Any], sender: str, dashboard_url: str | None,
                lexicon: themes.Lexicon):
    """The e-mail of a queued alert row of the mail log, or None if its alert is gone."""
    from skm import UNSUR

    from .mail import message
    alert = store.get_alert(engine, row["alert_id"]) if row["alert_id"] else None
    if alert is None:
        return None
    unit = store.get_unit(engine, alert["unit"])
    line = summary(alert, {u.code: u.name["id"] for u in UNSUR}, lexicon)
    link = f"{dashboard_url.rstrip('/')}/alerts#alert-{alert['id']}" if dashboard_url else None
    text = (f"Peringatan SKM #{alert['id']}: {KIND_TITLES[alert['kind']]}\nUnit: {unit['name']}\n"
            f"Sejak: {alert['opened_at'][:16].replace('T', ' ')} UTC\n\n{line}\n"
            + (f"\nBuka dan tandai sudah ditangani: {link}\n" if link else ""))
    return message(row["recipient"], f"[SKM] {KIND_TITLES[alert['kind']]} - {unit['name']}", text, sender=sender)
