"""Deadline arithmetic at the edges: calendar and working days, weekends, holidays, voting day, time zones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest

from complaints import deadlines
from complaints.deadlines import ALMATY, Calendar, compute_due, pick_rule, warnings_due
from complaints.demo.legal import HOLIDAYS_2011

VOTING_DAY = date(2011, 4, 3)  # a Sunday
KZ_2011 = Calendar.of((d, True) for d, _ in HOLIDAYS_2011)


@dataclass
class Rule:
    amount: int
    day_count: str = "calendar"
    roll_to_working_day: bool = True
    immediate_near_voting_day: bool = False
    urgent_hours: int = 24
    kind: str = "answer"
    election_id: int | None = None
    authority_kind: str = ""
    authority_level: str = ""
    is_active: bool = True
    pk: int = 1


def local(*args: int) -> datetime:
    return datetime(*args, tzinfo=ALMATY)


def test_calendar_days_end_at_the_end_of_the_last_local_day():
    due = compute_due(local(2011, 3, 28, 10, 0), Rule(5), calendar=KZ_2011)
    assert due.at == local(2011, 4, 4, 23, 59, 59)  # 2 April is a Saturday: rolled to Monday 4 April
    assert not due.urgent


def test_a_calendar_period_without_roll_may_end_on_a_weekend():
    due = compute_due(local(2011, 3, 28, 10, 0), Rule(5, roll_to_working_day=False), calendar=KZ_2011)
    assert due.at == local(2011, 4, 2, 23, 59, 59)


def test_a_period_ending_in_nauryz_rolls_past_the_holidays_and_the_weekend():
    # 16 March + 5 = 21 March (Nauryz, Mon-Wed 21-23) -> Thursday 24 March.
    due = compute_due(local(2011, 3, 16, 9, 0), Rule(5), calendar=KZ_2011)
    assert due.at == local(2011, 3, 24, 23, 59, 59)


def test_working_days_skip_weekends_and_holidays():
    # Friday 18 March + 3 working days: 21-23 are Nauryz, 19-20 the weekend -> 24, 25, 28 March.
    due = compute_due(local(2011, 3, 18, 17, 0), Rule(3, day_count="working"), calendar=KZ_2011)
    assert due.at == local(2011, 3, 28, 23, 59, 59)


def test_a_weekend_day_made_a_working_day_counts():
    cal = Calendar.of([(date(2011, 3, 7), True), (date(2011, 3, 5), False)])  # Saturday 5 March works
    assert cal.is_working_day(date(2011, 3, 5))
    assert not cal.is_working_day(date(2011, 3, 7))
    assert cal.add_working_days(date(2011, 3, 4), 1) == date(2011, 3, 5)
    assert cal.add_working_days(date(2011, 3, 4), 2) == date(2011, 3, 8)


@pytest.mark.parametrize(
    ("start", "urgent"),
    [
        (local(2011, 4, 1, 23, 59), False),  # Friday, two days before
        (local(2011, 4, 2, 0, 0), True),  # the day before, its first minute
        (local(2011, 4, 3, 23, 59), True),  # voting day, its last minute
        (local(2011, 4, 4, 0, 0), False),  # the day after
    ],
)
def test_on_voting_day_and_the_day_before_it_is_at_once(start, urgent):
    rule = Rule(5, immediate_near_voting_day=True, urgent_hours=24)
    due = compute_due(start, rule, calendar=KZ_2011, voting_day=VOTING_DAY)
    assert due.urgent is urgent
    if urgent:
        assert due.at == start + timedelta(hours=24)
    else:
        assert due.at.time() == deadlines.END_OF_DAY


def test_the_local_date_decides_not_the_utc_one():
    # 20:30 UTC on 1 April is 02:30 on 2 April in Almaty (UTC+6): the day before voting day.
    start = datetime(2011, 4, 1, 20, 30, tzinfo=UTC)
    rule = Rule(5, immediate_near_voting_day=True)
    assert compute_due(start, rule, voting_day=VOTING_DAY).urgent
    # And a 5-day period counts from the local date (2 April), not the UTC one (1 April).
    plain = compute_due(start, Rule(5, roll_to_working_day=False))
    assert plain.at == local(2011, 4, 7, 23, 59, 59)
    assert plain.at.utcoffset() == timedelta(hours=6)


def test_a_naive_start_is_refused():
    with pytest.raises(ValueError, match="aware"):
        compute_due(datetime(2011, 4, 1, 12, 0), Rule(5))  # noqa: DTZ001 - the point of the test


def test_the_most_specific_rule_wins():
    general = Rule(10, pk=1)
    commission = Rule(5, authority_kind="commission", pk=2)
    central = Rule(3, authority_kind="commission", authority_level="central", pk=3)
    this_election = Rule(2, election_id=7, pk=4)
    other_election = Rule(1, election_id=8, pk=5)
    inactive = Rule(1, authority_kind="commission", authority_level="central", election_id=7, is_active=False, pk=6)
    police = Rule(15, authority_kind="police", pk=7)
    rules = [general, commission, central, this_election, other_election, inactive, police]
    assert pick_rule(rules, kind="answer", election_id=1, authority_kind="court") is general
    assert pick_rule(rules, kind="answer", election_id=1, authority_kind="commission") is commission
    assert (
        pick_rule(rules, kind="answer", election_id=1, authority_kind="commission", authority_level="central")
        is central
    )
    assert pick_rule(rules, kind="answer", election_id=7, authority_kind="commission") is this_election
    assert pick_rule(rules, kind="answer", election_id=1, authority_kind="police") is police
    assert pick_rule(rules, kind="appeal", election_id=1) is None


@pytest.mark.parametrize(
    ("left", "sent", "expected"),
    [
        (timedelta(hours=30), [], []),
        (timedelta(hours=24), [], ["24h"]),
        (timedelta(hours=23), ["24h"], []),
        (timedelta(hours=2), ["24h"], ["2h"]),
        (timedelta(hours=1), [], ["2h"]),  # only the closest warning: a 24 h one now would be stale
        (timedelta(minutes=30), ["24h", "2h"], []),
        (timedelta(0), ["24h", "2h"], ["missed"]),
        (-timedelta(days=3), [], ["missed"]),  # late: only the miss, never the warnings
        (-timedelta(hours=1), ["missed"], []),
    ],
)
def test_warnings_due(left, sent, expected):
    due = local(2011, 4, 8, 23, 59, 59)
    assert warnings_due(due, due - left, sent) == expected
