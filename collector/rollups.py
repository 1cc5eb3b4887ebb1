"""Rollups: the index of any unit set (a unit, an OPD, a pemda) for any period, from the daily
aggregates. Respondents are pooled, never sub-indices averaged (DESIGN.md section 3); suspect responses
are counted apart and left out. No SQL here: ``store`` reads, ``skm`` computes."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from fractions import Fraction
from typing import Any, Iterable, Mapping, Sequence

from sqlalchemy import Engine

from skm import CODES, PROFILE, IncompleteData, IndexOptions, IndexResult, UnsurAggregate, from_aggregates
from skm.periods import Period, trailing_months
from skm.sample import SampleAdequacy, adequacy

from . import schema, store

WEEKDAYS = {"id": ("Senin", "Selasa", "Rabu", "Kamis", "Jumat", "Sabtu", "Minggu"),
            "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")}


@dataclass(frozen=True)
class Rollup:
    """The index of a set of units over a period, or None when some unsur has no answer yet."""
    respondents: int
    suspect: int
    result: IndexResult | None
    row: Mapping[str, Any]

    def profile(self) -> dict[str, list[tuple[str | None, int]]]:
        """Respondent profile counts per field: [(value or None for not answered, count)]."""
        return {f.name: [(v, self.row.get(schema.PROFILE_COLUMNS[(f.name, v)], 0)) for v in (*f.values, None)]
                for f in PROFILE}


def unsur_aggregates(row: Mapping[str, Any]) -> dict[str, UnsurAggregate]:
    """Each unsur's (sum, answer count) of an aggregate row: its count column (``store.LEAN_COLUMNS``) or
    else its four score counts added."""
    return {code: UnsurAggregate(row[f"{code}_sum"], row[f"{code}_count"] if f"{code}_count" in row
                                 else sum(row[f"{code}_{s}"] for s in (1, 2, 3, 4))) for code in CODES}


def index_of(row: Mapping[str, Any] | None, options: IndexOptions) -> IndexResult | None:
    if not row or not row["responses"]:
        return None
    try:
        return from_aggregates(unsur_aggregates(row), options, respondents=row["responses"])
    except IncompleteData:
        return None


def summed(rows: Iterable[Mapping[str, Any]], columns: tuple[str, ...] = store.SUM_COLUMNS) -> dict[str, int]:
    """The aggregate sums of several rows as one row."""
    total = dict.fromkeys(columns, 0)
    for row in rows:
        for column in columns:
            total[column] += row[column]
    return total


def rollup_of(rows: Sequence[Mapping[str, Any]], options: IndexOptions = IndexOptions(),
              columns: tuple[str, ...] = store.SUM_COLUMNS) -> Rollup:
    """The rollup of ``store.grouped_totals`` rows already narrowed to one period and the channels counted:
    the trusted ones pooled for the index, the suspect ones counted apart."""
    trusted = summed((r for r in rows if not r["suspect"]), columns)
    row = trusted if trusted["responses"] else {}
    return Rollup(trusted["responses"], sum(r["responses"] for r in rows if r["suspect"]), index_of(row, options), row)


def rollup(engine: Engine, units: list[str], period: Period, options: IndexOptions = IndexOptions(),
           leave_out: tuple[str, ...] = (), **filters: Any) -> Rollup:  # codes or None (str would clash with suspect=)
    """``leave_out``: channels not counted (the dashboard's view without the general link). One read."""
    if not any(v is not None for v in filters.values()):
        rows = store.grouped_totals(engine, units, period.start, period.end, ("channel",))
        return rollup_of([r for r in rows if r["channel"] not in leave_out], options)
    trusted = store.aggregate_totals(engine, units, period.start, period.end, leave_out=leave_out, **filters)
    suspect = store.aggregate_totals(engine, units, period.start, period.end, suspect=True, leave_out=leave_out,
                                     **filters)
    row = trusted[0] if trusted else {}
    return Rollup(row.get("responses", 0), suspect[0]["responses"] if suspect else 0, index_of(row, options), row)


def by_unit(engine: Engine, units: list[str], period: Period, options: IndexOptions = IndexOptions(),
            leave_out: tuple[str, ...] = ()) -> dict[str, Rollup]:
    """The rollup of each unit, in two queries whatever the number of units (an overview of a province)."""
    trusted = {r["unit"]: r for r in store.aggregate_totals(engine, units, period.start, period.end,
                                                             group_by=("unit",), leave_out=leave_out)}
    suspect = {r["unit"]: r["responses"] for r in store.aggregate_totals(
        engine, units, period.start, period.end, suspect=True, group_by=("unit",), columns=("responses",),
        leave_out=leave_out)}
    return {u: Rollup(trusted.get(u, {}).get("responses", 0), suspect.get(u, 0), index_of(trusted.get(u), options),
                      trusted.get(u, {})) for u in units}


BREAKDOWNS = ("service", "counter", "channel")


@dataclass(frozen=True)
class Sections:
    """Every aggregate figure of a unit page's period (``sections``): its rollup, the index of the period
    before it, the index per service, counter and channel (key order), and the share of one channel
    (counted over every channel, whatever the view leaves out)."""
    current: Rollup
    previous: IndexResult | None
    by: dict[str, list[tuple[str, int, IndexResult | None]]]
    share: ChannelShare


def sections(engine: Engine, units: list[str], period: Period, options: IndexOptions = IndexOptions(),
             leave_out: tuple[str, ...] = (), share_of: str = "link") -> Sections:
    """What ``rollup``, ``breakdown`` (per service, counter, channel) and ``channel_share`` give for the
    period, from one grouped read of its daily aggregates (the lean columns: index and profile), and the
    previous period's index from its monthly aggregates (``previous_index``)."""
    rows = store.grouped_totals(engine, units, period.start, period.end, ("service", "counter", "channel"), lean=True)
    counted = [r for r in rows if r["channel"] not in leave_out]
    trusted = [r for r in counted if not r["suspect"]]
    by: dict[str, list[tuple[str, int, IndexResult | None]]] = {}
    for key in BREAKDOWNS:
        groups: dict[str, list[Mapping[str, Any]]] = {}
        for r in trusted:
            groups.setdefault(r[key], []).append(r)
        by[key] = []
        for value in sorted(groups):
            row = summed(groups[value], store.LEAN_COLUMNS)
            by[key].append((value, row["responses"], index_of(row, options)))
    return Sections(rollup_of(counted, options, store.LEAN_COLUMNS), previous_index(engine, units, period, options,
                                                                                    leave_out),
                    by, share_in(rows, share_of))


def previous_index(engine: Engine, units: list[str], period: Period, options: IndexOptions = IndexOptions(),
                   leave_out: tuple[str, ...] = ()) -> IndexResult | None:
    """The index of the period before ``period``: a month, triwulan, semester or year is whole months, read
    from the monthly aggregates (a few rows); a range of days from the daily ones."""
    before = period.previous()
    if before.kind == "range":
        rows = store.grouped_totals(engine, units, before.start, before.end, ("channel",), lean=True)
        return rollup_of([r for r in rows if r["channel"] not in leave_out], options, store.LEAN_COLUMNS).result
    months = store.monthly_totals(engine, units, before.start, before.end, leave_out)
    return index_of(summed(months, store.INDEX_COLUMNS), options)


def share_in(rows: Iterable[Mapping[str, Any]], channel: str) -> ChannelShare:
    """The share of ``channel`` in ``store.grouped_totals`` rows of one period (every channel, suspect too)."""
    mine = total = suspect = 0
    for r in rows:
        total += r["responses"]
        if r["channel"] == channel:
            mine += r["responses"]
            suspect += r["responses"] if r["suspect"] else 0
    return ChannelShare(channel, mine, total, suspect)


def by_unit_sections(engine: Engine, units: list[str], period: Period, options: IndexOptions = IndexOptions(),
                     leave_out: tuple[str, ...] = (), share_of: str = "link"
                     ) -> tuple[dict[str, Rollup], dict[str, Rollup], ChannelShare]:
    """What ``by_unit`` (this period and the previous) and ``channel_share`` give for an overview, from one
    grouped read however many units: (current per unit, previous per unit, the channel's share)."""
    before = period.previous()
    assert before.end == period.start, (before, period)
    rows = store.grouped_totals(engine, units, before.start, period.end, ("unit", "channel"), split=period.start)
    parts: dict[tuple[bool, str], list[Mapping[str, Any]]] = {}
    for r in rows:
        if r["channel"] not in leave_out:
            parts.setdefault((r["current"], r["unit"]), []).append(r)
    now = [r for r in rows if r["current"]]
    share = share_in(now, share_of)
    return ({u: rollup_of(parts.get((True, u), []), options) for u in units},
            {u: rollup_of(parts.get((False, u), []), options) for u in units}, share)


def pool(parts: list[Rollup], options: IndexOptions = IndexOptions()) -> Rollup:
    """Several units' rollups as one: the aggregate sums add up, so this pools by respondents."""
    rows = [p.row for p in parts if p.row]
    row = {c: sum(r[c] for r in rows) for c in store.SUM_COLUMNS} if rows else {}
    return Rollup(sum(p.respondents for p in parts), sum(p.suspect for p in parts), index_of(row, options), row)


def breakdown(engine: Engine, units: list[str], period: Period, by: str, options: IndexOptions = IndexOptions(),
              leave_out: tuple[str, ...] = ()) -> list[tuple[str, int, IndexResult | None]]:
    """The index per service, counter or channel: (key, respondents, result)."""
    rows = store.aggregate_totals(engine, units, period.start, period.end, group_by=(by,), leave_out=leave_out)
    return [(row[by], row["responses"], index_of(row, options)) for row in rows]


def trend(engine: Engine, units: list[str], last_day: date, months: int = 24, options: IndexOptions = IndexOptions(),
          leave_out: tuple[str, ...] = ()) -> list[tuple[Period, int, IndexResult | None]]:
    """The monthly index over the ``months`` months ending with ``last_day``'s month, oldest first."""
    periods = trailing_months(last_day, months)
    by_month = {f"{row['month'].year}-{row['month'].month:02d}" if isinstance(row["month"], date)
                else str(row["month"])[:7]: row
                for row in store.monthly_totals(engine, units, periods[0].start, periods[-1].end, leave_out)}
    result = []
    for period in periods:
        row = by_month.get(period.key())
        result.append((period, row["responses"] if row else 0, index_of(row, options)))
    return result


@dataclass(frozen=True)
class Cell:
    responses: int
    ikm: Fraction | None  # 1..4 scale: the mean of every answer in the cell


def weekday_hour(engine: Engine, units: list[str], period: Period, leave_out: tuple[str, ...] = ()
                 ) -> dict[tuple[int, int], Cell]:
    """Volume and satisfaction by weekday (0 = Monday) and hour of the unit's local time."""
    grid: dict[tuple[int, int], list[int]] = {}
    if not leave_out:  # summed per weekday in SQL; channels left out need the days (see store.hourly_totals)
        return {(r["weekday"], r["hour"]): Cell(r["responses"], Fraction(r["score_sum"], 9 * r["responses"])
                                                if r["responses"] else None)
                for r in store.weekday_hour_totals(engine, units, period.start, period.end)}
    for row in store.hourly_totals(engine, units, period.start, period.end, leave_out):
        day = row["day"] if isinstance(row["day"], date) else date.fromisoformat(str(row["day"]))
        cell = grid.setdefault((day.weekday(), row["hour"]), [0, 0])
        cell[0] += row["responses"]
        cell[1] += row["score_sum"]
    return {key: Cell(n, Fraction(total, 9 * n) if n else None) for key, (n, total) in grid.items()}


@dataclass(frozen=True)
class ChannelShare:
    """How many of a period's responses (trusted and suspect) came through one channel."""
    channel: str
    responses: int
    total: int
    suspect: int

    @property
    def percent(self) -> Fraction | None:
        return Fraction(100 * self.responses, self.total) if self.total else None


def channel_share(engine: Engine, units: list[str], period: Period, channel: str = "link") -> ChannelShare:
    rows = store.aggregate_totals(engine, units, period.start, period.end, suspect=None,
                                  group_by=("channel", "suspect"),
                                  columns=("responses",))
    return ChannelShare(channel, sum(r["responses"] for r in rows if r["channel"] == channel),
                        sum(r["responses"] for r in rows),
                        sum(r["responses"] for r in rows if r["channel"] == channel and r["suspect"]))


def sample_adequacy(unit: Mapping[str, Any], period: Period, respondents: int, entered: int | None
                    ) -> tuple[SampleAdequacy | None, str | None]:
    """Krejcie and Morgan against the recipients the unit entered for the period, or else an estimate from
    its monthly volume. Returns the adequacy and where the population came from ("entered"/"estimated")."""
    if entered is not None:
        return adequacy(entered, respondents), "entered"
    if unit.get("monthly_volume"):
        estimate = round(unit["monthly_volume"] * period.days / 30.4375)
        return adequacy(estimate, respondents), "estimated"
    return None, None


def change(current: IndexResult | None, previous: IndexResult | None):
    """Konversi now minus konversi in the previous period, or None."""
    if current is None or previous is None:
        return None
    return current.konversi - previous.konversi
