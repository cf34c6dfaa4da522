"""Statutory deadline arithmetic: calendar and working days, holidays, the voting-day rule. Pure: no I/O.

A period of N days starts the day after the event (the day of the event is not counted,
as the civil code counts periods) and ends at the end of its last day, local time
(Asia/Almaty by default). Calendar periods whose last day is a day off end on the next
working day when the rule says so; working-day periods skip weekends and holidays, and
count a weekend day made a working day by a transfer. A rule that says matters are
considered "at once" on voting day and the day before gives, for an event on those
days, ``urgent_hours`` from the event instead.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, Protocol
from zoneinfo import ZoneInfo

ALMATY = ZoneInfo("Asia/Almaty")
END_OF_DAY = time(23, 59, 59)
WARNING_THRESHOLDS: tuple[tuple[str, timedelta], ...] = (("24h", timedelta(hours=24)), ("2h", timedelta(hours=2)))
MISSED = "missed"


class RuleLike(Protocol):
    amount: int
    day_count: str
    roll_to_working_day: bool
    immediate_near_voting_day: bool
    urgent_hours: int


@dataclass(frozen=True)
class Calendar:
    """Which days are days off: weekends, plus holidays, minus weekend days made working days."""

    days_off: frozenset[date] = frozenset()
    working_weekend_days: frozenset[date] = frozenset()

    @classmethod
    def of(cls, holidays: Iterable[tuple[date, bool]]) -> Calendar:
        """From (date, is_day_off) pairs (the Holiday table's rows)."""
        off: set[date] = set()
        working: set[date] = set()
        for day, is_day_off in holidays:
            (off if is_day_off else working).add(day)
        return cls(frozenset(off), frozenset(working))

    def is_working_day(self, day: date) -> bool:
        if day in self.working_weekend_days:
            return True
        if day in self.days_off:
            return False
        return day.weekday() < 5

    def next_working_day(self, day: date) -> date:
        """``day`` itself if it is a working day, else the first working day after it."""
        for _ in range(366):
            if self.is_working_day(day):
                return day
            day += timedelta(days=1)
        raise ValueError("no working day within a year")

    def add_working_days(self, start: date, n: int) -> date:
        """The n-th working day after ``start`` (``start`` itself not counted)."""
        day, counted = start, 0
        while counted < n:
            day += timedelta(days=1)
            if self.is_working_day(day):
                counted += 1
        return day


@dataclass(frozen=True)
class Due:
    at: datetime  # aware, in the local zone
    urgent: bool = False  # "at once" (voting day or the day before)


def is_near_voting_day(moment: datetime, voting_day: date | None, tz: ZoneInfo = ALMATY) -> bool:
    """Whether ``moment`` falls, locally, on voting day or the day before."""
    if voting_day is None:
        return False
    local = moment.astimezone(tz).date()
    return local in (voting_day, voting_day - timedelta(days=1))


def end_of(day: date, tz: ZoneInfo = ALMATY) -> datetime:
    return datetime.combine(day, END_OF_DAY, tzinfo=tz)


def compute_due(
    start: datetime,
    rule: RuleLike,
    *,
    calendar: Calendar | None = None,
    voting_day: date | None = None,
    tz: ZoneInfo = ALMATY,
) -> Due:
    """When a period of ``rule`` that starts at ``start`` ends."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    calendar = calendar or Calendar()
    if rule.immediate_near_voting_day and is_near_voting_day(start, voting_day, tz):
        return Due((start + timedelta(hours=rule.urgent_hours)).astimezone(tz), urgent=True)
    first = start.astimezone(tz).date()
    if rule.day_count == "working":
        last = calendar.add_working_days(first, rule.amount)
    else:
        last = first + timedelta(days=rule.amount)
        if rule.roll_to_working_day:
            last = calendar.next_working_day(last)
    return Due(end_of(last, tz))


def rule_specificity(rule: Any, *, election_id: int | None, authority_kind: str, authority_level: str) -> int | None:
    """How well a rule fits (higher is better), or None if it does not apply."""
    score = 0
    if rule.election_id is not None:
        if rule.election_id != election_id:
            return None
        score += 4
    if rule.authority_kind:
        if rule.authority_kind != authority_kind:
            return None
        score += 2
    if rule.authority_level:
        if rule.authority_level != authority_level:
            return None
        score += 1
    return score


def pick_rule(
    rules: Sequence[Any], *, kind: str, election_id: int | None, authority_kind: str = "", authority_level: str = ""
) -> Any | None:
    """The most specific active rule of ``kind`` (election beats kind of body beats level); ties: lowest id."""
    best: tuple[int, int] | None = None
    chosen = None
    for rule in rules:
        if rule.kind != kind or not getattr(rule, "is_active", True):
            continue
        score = rule_specificity(
            rule, election_id=election_id, authority_kind=authority_kind, authority_level=authority_level
        )
        if score is None:
            continue
        key = (score, -(rule.pk or 0))
        if best is None or key > best:
            best, chosen = key, rule
    return chosen


def warnings_due(due_at: datetime, now: datetime, sent: Iterable[str]) -> list[str]:
    """The thresholds to send now for a running deadline: the 24 h and 2 h warnings, or the miss.

    Once the deadline passed only the miss is due (late warnings are pointless); a warning
    already sent is never due again.
    """
    done = set(sent)
    if now >= due_at:
        return [] if MISSED in done else [MISSED]
    left = due_at - now
    wanted = [name for name, before in WARNING_THRESHOLDS if left <= before]
    # Only the closest threshold is worth an email: 2 h before, the 24 h warning is stale.
    wanted = wanted[-1:] if wanted else []
    return [name for name in wanted if name not in done]
