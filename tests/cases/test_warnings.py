"""The periodic deadline check: 24 h and 2 h warnings and the miss, once each, to coordinators in scope, frozen time."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import time_machine

from complaints import services
from complaints.deadlines import ALMATY
from complaints.events import EventType
from complaints.models import AuditEvent, CaseDeadline, DeadlineWarning, OutboxMessage, Submission, SubmissionState

pytestmark = pytest.mark.django_db
FILED_AT = datetime(2011, 3, 28, 10, 0, tzinfo=ALMATY)  # answer due Monday 4 April 23:59:59 (Almaty)
DUE = datetime(2011, 4, 4, 23, 59, 59, tzinfo=ALMATY)


@pytest.fixture
def submission(substantiated, staff, bodies, rules):
    with time_machine.travel(FILED_AT, tick=False):
        return services.submission_file(
            complaint=substantiated, actor=staff["coordinator"], authority=bodies["ekib"], submitted_at=FILED_AT
        )


def mails(event_type):
    return sorted(
        OutboxMessage.objects.filter(event_type=event_type, channel="email").values_list("recipient", flat=True)
    )


def check_at(moment):
    with time_machine.travel(moment, tick=False):
        return services.case_deadlines_check()


def test_each_warning_and_the_miss_fire_once(submission, staff):
    assert submission.answer_due_at == DUE
    assert check_at(DUE - timedelta(hours=25))["warned"] == 0
    assert check_at(DUE - timedelta(hours=24))["warned"] == 1
    assert check_at(DUE - timedelta(hours=23))["warned"] == 0, "the 24 h warning is not sent twice"
    coordinator = staff["coordinator"].email
    assert mails(EventType.CASE_DEADLINE_APPROACHING) == [coordinator], "coordinators in scope only"
    assert check_at(DUE - timedelta(hours=2))["warned"] == 1
    assert check_at(DUE - timedelta(minutes=10))["warned"] == 0
    assert mails(EventType.CASE_DEADLINE_APPROACHING) == [coordinator, coordinator]
    assert check_at(DUE + timedelta(seconds=1))["missed"] == 1
    assert check_at(DUE + timedelta(hours=1)) == {"opened": 0, "warned": 0, "missed": 0}
    assert mails(EventType.CASE_DEADLINE_MISSED) == [coordinator]
    assert sorted(DeadlineWarning.objects.values_list("threshold", flat=True)) == ["24h", "2h", "missed"]
    clock = CaseDeadline.objects.get(submission=submission)
    assert clock.state == "missed"
    assert Submission.objects.get(pk=submission.pk).state == SubmissionState.NO_ANSWER
    actions = list(AuditEvent.objects.filter(complaint=submission.complaint).values_list("action", flat=True))
    assert actions.count("case_deadline_warning") == 2
    assert actions.count("case_deadline_missed") == 1
    payload = OutboxMessage.objects.filter(event_type=EventType.CASE_DEADLINE_MISSED, channel="email").get().payload
    assert payload["case"]["kind"] == "answer"
    assert payload["case"]["due"] == "2011-04-04 23:59"


def test_a_run_after_a_long_pause_sends_only_the_closest_warning(submission):
    assert check_at(DUE - timedelta(hours=1))["warned"] == 1
    assert list(DeadlineWarning.objects.values_list("threshold", flat=True)) == ["2h"]


def test_a_miss_found_long_after_is_recorded_but_not_emailed(submission):
    counts = check_at(DUE + timedelta(days=30))
    assert counts["missed"] == 1
    assert not OutboxMessage.objects.filter(event_type=EventType.CASE_DEADLINE_MISSED).exists()
    assert Submission.objects.get(pk=submission.pk).state == SubmissionState.NO_ANSWER


def test_a_decided_submission_is_never_warned(submission, staff):
    with time_machine.travel(DUE - timedelta(days=2), tick=False):
        services.submission_record_outcome(
            submission=submission,
            actor=staff["coordinator"],
            outcome="upheld",
            decided_on=DUE.date() - timedelta(days=2),
        )
    assert check_at(DUE - timedelta(hours=1)) == {"opened": 0, "warned": 0, "missed": 0}


def test_the_warning_is_idempotent_under_a_second_worker(submission):
    clock = CaseDeadline.objects.get(submission=submission)
    moment = DUE - timedelta(hours=3)
    assert services.deadline_warn(deadline_id=clock.pk, threshold="24h", now=moment) is True
    assert services.deadline_warn(deadline_id=clock.pk, threshold="24h", now=moment) is False
    assert DeadlineWarning.objects.filter(deadline=clock).count() == 1


def test_filing_clocks_start_for_recent_complaints_and_stop_when_moot(file_complaint, election, staff, rules):
    from datetime import date

    election.voting_day, election.campaign_starts_on = date(2011, 4, 3), date(2011, 2, 1)
    election.save()
    occurred = FILED_AT
    with time_machine.travel(occurred + timedelta(hours=1), tick=False):
        complaint = file_complaint(occurred_at=occurred)
        assert services.filing_deadlines_open() == 1
        assert services.filing_deadlines_open() == 0, "once per complaint"
    clock = CaseDeadline.objects.get(complaint=complaint, kind="filing")
    # 28 March + 10 calendar days = 7 April (Thursday).
    assert clock.due_at == datetime(2011, 4, 7, 23, 59, 59, tzinfo=ALMATY)
    assert clock.state == "open"
    from tests.workflow.helpers import force_state

    force_state(complaint, "rejected")
    with time_machine.travel(occurred + timedelta(hours=2), tick=False):
        services.filing_deadlines_open()
    assert CaseDeadline.objects.get(pk=clock.pk).state == "moot"


def test_the_periodic_task_runs_the_check(submission, settings):
    from complaints.tasks import case_deadlines_check

    assert "case-deadlines" in settings.CELERY_BEAT_SCHEDULE
    with time_machine.travel(DUE - timedelta(hours=24), tick=False):
        assert case_deadlines_check.delay().get()["warned"] == 1
