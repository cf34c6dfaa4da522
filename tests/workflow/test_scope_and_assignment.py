from __future__ import annotations

import pytest
from django.test import Client

from complaints import selectors, services, workflow
from complaints.models import AuditEvent, Complaint, Status
from tests.workflow.helpers import force_state

pytestmark = pytest.mark.django_db


@pytest.fixture
def pavlodar_reviewer(make_user, territory):
    return make_user("reviewer", units=[territory["pav"]], is_staff=True)


@pytest.fixture
def almaty_complaint(file_complaint, territory):
    return file_complaint(polling_station=territory["ps_ala"])


def test_scoped_reviewer_cannot_reach_other_region_anywhere(pavlodar_reviewer, almaty_complaint, file_complaint):
    own = file_complaint()
    queue = selectors.complaint_queue_for(user=pavlodar_reviewer)
    assert list(queue) == [own]
    assert selectors.status_counts_for(user=pavlodar_reviewer)[Status.SUBMITTED] == 1
    with pytest.raises(Complaint.DoesNotExist):
        selectors.complaint_get_for(user=pavlodar_reviewer, code=almaty_complaint.code)
    with pytest.raises(Complaint.DoesNotExist):
        services.complaint_transition(complaint=almaty_complaint, action="triage", actor=pavlodar_reviewer)
    with pytest.raises(Complaint.DoesNotExist):
        services.complaint_assign(complaint=almaty_complaint, assignee=pavlodar_reviewer, actor=pavlodar_reviewer)
    with pytest.raises(Complaint.DoesNotExist):
        services.note_add(complaint=almaty_complaint, actor=pavlodar_reviewer, body="тест")
    with pytest.raises(workflow.NotAllowed):
        services.reporter_reveal(complaint=almaty_complaint, actor=pavlodar_reviewer, purpose="court")
    assert almaty_complaint not in selectors.duplicate_suggestions(user=pavlodar_reviewer, complaint=own)
    assert AuditEvent.objects.filter(complaint=almaty_complaint).count() == 1


def test_scoped_reviewer_cannot_reach_other_region_in_admin(pavlodar_reviewer, almaty_complaint, file_complaint):
    from django.contrib.auth.models import Permission

    pavlodar_reviewer.user_permissions.add(Permission.objects.get(codename="view_complaint"))
    own = file_complaint()
    client = Client()
    client.force_login(pavlodar_reviewer)
    listing = client.get("/admin/complaints/complaint/")
    assert listing.status_code == 200
    assert own.code in listing.content.decode()
    assert almaty_complaint.code not in listing.content.decode()
    detail = client.get(f"/admin/complaints/complaint/{almaty_complaint.pk}/change/")
    assert detail.status_code in (302, 404)
    assert almaty_complaint.description not in client.get(detail.get("Location", "/admin/")).content.decode()


def test_observer_sees_only_their_own(make_user, file_complaint):
    alice, bob = make_user("observer"), make_user("observer")
    mine = file_complaint(reporter_user=alice, full_name="Алия")
    file_complaint(reporter_user=bob, full_name="Болат")
    assert list(selectors.complaint_queue_for(user=alice)) == [mine]


def test_reviewer_takes_coordinator_assigns_and_auto_assign_balances(make_user, territory, file_complaint):
    coordinator = make_user("coordinator")
    r1 = make_user("reviewer", units=[territory["pav"]])
    r2 = make_user("reviewer", units=[territory["kz"]])
    make_user("reviewer", units=[territory["ala"]])  # out of scope: never chosen
    c1, c2, c3 = file_complaint(), file_complaint(), file_complaint()
    services.complaint_assign(complaint=c1, assignee=r1, actor=r1)  # take
    with pytest.raises(workflow.NotAllowed):
        services.complaint_assign(complaint=c2, assignee=r1, actor=r2)
    assert services.complaint_auto_assign(complaint=c2, actor=coordinator).assignee == r2
    assert services.complaint_auto_assign(complaint=c3, actor=coordinator).assignee in (r1, r2)
    c1.refresh_from_db()
    assert c1.assignee == r1
    assert c1.assigned_at is not None
    assert AuditEvent.objects.filter(complaint=c1, action="assign").count() == 1


def test_start_review_assigns_the_reviewer(make_user, territory, file_complaint):
    reviewer = make_user("reviewer", units=[territory["pav"]])
    complaint = force_state(file_complaint(), Status.TRIAGED)
    complaint = services.complaint_transition(complaint=complaint, action="start_review", actor=reviewer)
    assert complaint.assignee == reviewer


def test_duplicate_links_both_timelines_and_undo(make_user, file_complaint):
    reviewer = make_user("coordinator")
    original, dup = file_complaint(), file_complaint()
    services.complaint_transition(complaint=dup, action="mark_duplicate", actor=reviewer, duplicate_of=original)
    assert Complaint.objects.get(pk=dup.pk).duplicate_of == original
    assert AuditEvent.objects.filter(complaint=original, action="duplicate_linked").exists()
    services.complaint_transition(complaint=dup, action="undo_duplicate", actor=reviewer)
    dup.refresh_from_db()
    assert dup.status == Status.TRIAGED
    assert dup.duplicate_of is None
    assert AuditEvent.objects.filter(complaint=original, action="duplicate_unlinked").exists()


def test_duplicate_of_other_election_refused(make_user, file_complaint, election):
    from complaints.models import Election

    other = Election.objects.create(slug="other", name_ru="Другие", kind="local", voting_day=election.voting_day)
    reviewer = make_user("coordinator")
    with pytest.raises(services.ValidationFailed, match="same election"):
        services.complaint_transition(
            complaint=file_complaint(),
            action="mark_duplicate",
            actor=reviewer,
            duplicate_of=file_complaint(election=other),
        )


def test_queue_filters_and_order(make_user, territory, file_complaint):
    from complaints.models import Severity

    admin = make_user("admin")
    low = file_complaint(severity=Severity.LOW)
    urgent = file_complaint(severity=Severity.URGENT)
    queue = list(selectors.complaint_queue_for(user=admin))
    assert queue == [urgent, low]
    f = selectors.QueueFilters(region="ala")
    assert list(selectors.complaint_queue_for(user=admin, filters=f)) == []
    f = selectors.QueueFilters(category="pressure")
    assert len(selectors.complaint_queue_for(user=admin, filters=f)) == 2
    f = selectors.QueueFilters(severity=Severity.URGENT)
    assert list(selectors.complaint_queue_for(user=admin, filters=f)) == [urgent]


@pytest.mark.parametrize("size", [5, 40])
def test_queue_query_count_does_not_grow(make_user, file_complaint, django_assert_num_queries, size):
    reviewer = make_user("reviewer")
    for _ in range(size):
        file_complaint()
    reviewer = type(reviewer).objects.get(pk=reviewer.pk)
    with django_assert_num_queries(3):  # groups, scope, the page itself
        rows = list(selectors.complaint_queue_for(user=reviewer)[:50])
        for row in rows:
            _ = (row.category.code, row.unit.name, row.election.name, row.polling_station.number, row.assignee)
    assert len(rows) == size


def test_queue_puts_running_clocks_first(make_user, file_complaint):
    from complaints.models import Severity

    admin = make_user("admin")
    decided = force_state(file_complaint(severity=Severity.URGENT), Status.SUBSTANTIATED)  # earliest due time
    open_low = file_complaint(severity=Severity.LOW)
    assert list(selectors.complaint_queue_for(user=admin)) == [open_low, decided]
