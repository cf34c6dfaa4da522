"""The case at the authority: submissions, outcomes, appeals, respondents, and the statutory deadline clocks.

Every write locks the complaint row, checks the caller against ``legal_workflow.CASE_TRANSITIONS``,
appends to the complaint's audit chain and writes the outbox rows, in one transaction.
Deadlines are computed by the pure functions of ``complaints.deadlines`` from the rules
(``DeadlineRule``) and holidays in the database.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from complaints import deadlines, legal_workflow
from complaints.access import Actor
from complaints.audit import audit_append
from complaints.errors import ValidationFailed
from complaints.events import EventType
from complaints.legal_workflow import NEW, CaseRequirement, CaseTransition
from complaints.models import (
    Authority,
    CaseDeadline,
    CaseDeadlineState,
    Complaint,
    DeadlineKind,
    DeadlineRule,
    DeadlineWarning,
    Decision,
    DecisionResult,
    Holiday,
    Respondent,
    RespondentKind,
    RespondentReply,
    Submission,
    SubmissionChannel,
    SubmissionState,
)
from complaints.notifications.outbox import outbox_record_events
from complaints.services._common import actor_roles, actor_user, lock_complaint, touch_complaint
from complaints.services.evidence import evidence_inspect
from complaints.services.files import files_follow_transaction, store_file
from complaints.text import ASCII_TRIM
from complaints.workflow import Role

SHA256 = re.compile(r"^[0-9a-f]{64}$")
# A deadline missed longer ago than this (data entered after the fact) is recorded, not emailed.
MISSED_NOTIFY_WINDOW = timedelta(hours=48)
# Filing clocks are opened for complaints filed this recently (older ones are history).
FILING_LOOKBACK = timedelta(days=366)


# --- deadline computation from the rules in the database -------------------------------------


@dataclass(frozen=True)
class Computed:
    due: deadlines.Due
    rule: DeadlineRule


def calendar_for(country: str) -> deadlines.Calendar:
    rows = Holiday.objects.filter(country=country).values_list("date", "is_day_off")
    return deadlines.Calendar.of(rows)


def rules_for(country: str) -> list[DeadlineRule]:
    return list(DeadlineRule.objects.filter(country=country, is_active=True))


def deadline_compute(
    *,
    complaint: Complaint,
    kind: str,
    start: datetime,
    authority: Authority | None = None,
    rules: Sequence[DeadlineRule] | None = None,
    calendar: deadlines.Calendar | None = None,
) -> Computed | None:
    """The due time of a ``kind`` period starting at ``start`` for this complaint, or None without a rule."""
    election = complaint.election
    country = (authority.country if authority else election.country) or "KZ"
    rule = deadlines.pick_rule(
        rules if rules is not None else rules_for(country),
        kind=kind,
        election_id=election.pk,
        authority_kind=authority.kind if authority else "",
        authority_level=authority.level if authority else "",
    )
    if rule is None:
        return None
    cal = calendar if calendar is not None else calendar_for(country)
    return Computed(deadlines.compute_due(start, rule, calendar=cal, voting_day=election.voting_day), rule)


def _open_deadline(
    complaint: Complaint, kind: str, computed: Computed | None, submission: Submission | None, now: datetime
) -> CaseDeadline | None:
    if computed is None:
        return None
    return CaseDeadline.objects.create(
        complaint=complaint,
        submission=submission,
        kind=kind,
        due_at=computed.due.at,
        urgent=computed.due.urgent,
        rule=computed.rule,
        legal_reference=computed.rule.legal_reference,
        # A period already over when it is recorded (a case entered after the fact) is not a running clock:
        # the sweeper still records the miss (and the missing answer), without emailing about it.
        state=CaseDeadlineState.OPEN,
    )


def _close_deadlines(qs: Any, state: str, now: datetime) -> int:
    return int(qs.filter(state=CaseDeadlineState.OPEN).update(state=state, closed_at=now))


def _local(moment: datetime | None) -> str:
    if moment is None:
        return ""
    return timezone.localtime(moment).strftime("%Y-%m-%d %H:%M")


def case_context(
    submission: Submission | None = None, deadline: CaseDeadline | None = None, result: str = ""
) -> dict[str, Any]:
    """What notifications say about the case: the body, the deadline, the result; never identity."""
    data: dict[str, Any] = {}
    if submission is not None:
        data.update(
            submission=submission.pk,
            authority=submission.authority_label,
            authority_level=submission.authority.level if submission.authority else "",
            registration_number=submission.registration_number,
            state=submission.state,
        )
        if submission.appeal_of_id:
            data["appeal_of"] = submission.appeal_of_id
    if deadline is not None:
        data.update(
            deadline=deadline.pk,
            kind=deadline.kind,
            due_at=deadline.due_at.isoformat(),
            due=_local(deadline.due_at),
            legal_reference=deadline.legal_reference,
        )
    if result:
        data["result"] = result
    return data


# --- submissions ------------------------------------------------------------------------------


def _senior_roles(actor: Actor, complaint: Complaint) -> set[Role]:
    roles = actor_roles(actor, complaint)
    if not roles:
        raise Complaint.DoesNotExist(_("No such complaint."))
    return roles


def _check_sha(value: str) -> str:
    value = (value or "").strip().lower()
    if value and not SHA256.match(value):
        raise ValidationFailed(_("The document hash must be a SHA-256: 64 hexadecimal characters."), "document_sha256")
    return value


def _check_channel(channel: str) -> str:
    if channel not in SubmissionChannel.values:
        raise ValidationFailed(_("Choose how the complaint was submitted."), "channel")
    return channel


def _earliest_day(complaint: Complaint) -> date:
    """The earliest date a step of a case may carry (CASE_DATES_FROM): a year mistyped is refused."""
    return date.fromisoformat(settings.CASE_DATES_FROM)


def _check_time(moment: datetime | None, now: datetime, field: str, complaint: Complaint) -> datetime:
    """A time in the case: not in the future, and not before CASE_DATES_FROM (a mistyped year)."""
    moment = moment or now
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    if moment > now + timedelta(minutes=5):
        raise ValidationFailed(_("This date is in the future."), field)
    if timezone.localtime(moment).date() < _earliest_day(complaint):
        raise ValidationFailed(
            _("This date is before %(day)s; check the year.")
            % {"day": formats.date_format(_earliest_day(complaint), "SHORT_DATE_FORMAT")},
            field,
        )
    return moment


def _also_covers(complaint: Complaint, others: Iterable[Complaint], actor: Actor) -> list[Complaint]:
    result = []
    for other in others:
        if other.pk == complaint.pk:
            continue
        if other.election_id != complaint.election_id or not actor_roles(actor, other):
            raise ValidationFailed(
                _("%(code)s cannot be joined to this submission.") % {"code": other.code}, "also_covers"
            )
        result.append(other)
    return result


def _create_submission(
    *,
    complaint: Complaint,
    transition: CaseTransition,
    user: Any,
    authority: Authority | None,
    authority_text: str,
    channel: str,
    submitted_at: datetime,
    registration_number: str,
    document_sha256: str,
    appeal_of: Submission | None,
    now: datetime,
) -> Submission:
    """Insert the submission, start its answer clock, stop the clock it answers, audit and notify."""
    state = SubmissionState.FILED
    if registration_number:  # filed and registered at once (an in-person filing gets its number there)
        legal_workflow.check_case(
            legal_workflow.CASE_BY_ACTION["register"],
            state=state,
            roles={Role.ADMIN},
            provided={CaseRequirement.REGISTRATION_NUMBER},
        )
        state = SubmissionState.REGISTERED
    computed = deadline_compute(complaint=complaint, kind=DeadlineKind.ANSWER, start=submitted_at, authority=authority)
    submission = Submission.objects.create(
        complaint=complaint,
        authority=authority,
        authority_text="" if authority else authority_text,
        channel=channel,
        submitted_at=submitted_at,
        registration_number=registration_number,
        document_sha256=document_sha256,
        state=state,
        answer_due_at=computed.due.at if computed else None,
        deadline_rule=computed.rule if computed else None,
        appeal_of=appeal_of,
        created_by=user,
    )
    deadline = _open_deadline(complaint, DeadlineKind.ANSWER, computed, submission, now)
    if appeal_of is None:
        _close_deadlines(complaint.case_deadlines.filter(kind=DeadlineKind.FILING), CaseDeadlineState.MET, now)
    else:
        _close_deadlines(appeal_of.deadlines.filter(kind=DeadlineKind.APPEAL), CaseDeadlineState.MET, now)
    audit_append(
        complaint=complaint,
        action="case_appealed" if appeal_of else "case_submitted",
        actor=user,
        actor_label="" if user else "system",
        payload={
            "submission": submission.pk,
            "authority": submission.authority_label,
            "authority_id": authority.pk if authority else None,
            "channel": channel,
            "submitted_at": submitted_at.isoformat(),
            "registration_number": registration_number,
            "document_sha256": document_sha256,
            "answer_due_at": submission.answer_due_at.isoformat() if submission.answer_due_at else None,
            "legal_reference": computed.rule.legal_reference if computed else "",
            "appeal_of": appeal_of.pk if appeal_of else None,
        },
    )
    outbox_record_events(
        complaint=complaint,
        event_types=transition.events,
        context={"case": case_context(submission, deadline)},
    )
    return submission


def _resolve_authority(authority: Authority | None, authority_text: str) -> tuple[Authority | None, str]:
    text = (authority_text or "").strip(ASCII_TRIM)[:300]
    if authority is None and text:
        # The register first: free text naming a registered body links to it. Compared case-insensitively
        # in Python (SQLite's iexact folds ASCII only; the register is small).
        wanted = text.casefold()
        for candidate in Authority.objects.filter(is_active=True).only("pk", "name_ru", "name_kk", "name_en"):
            if wanted in {candidate.name_ru.casefold(), candidate.name_kk.casefold(), candidate.name_en.casefold()}:
                authority = Authority.objects.get(pk=candidate.pk)
                break
    return authority, text


def _provided(authority: Authority | None, text: str) -> set[CaseRequirement]:
    return {CaseRequirement.AUTHORITY} if authority is not None or text else set()


@transaction.atomic
def submission_file(
    *,
    complaint: Complaint,
    actor: Actor,
    authority: Authority | None = None,
    authority_text: str = "",
    channel: str = SubmissionChannel.IN_PERSON,
    submitted_at: datetime | None = None,
    registration_number: str = "",
    document_sha256: str = "",
    also_covers: Sequence[Complaint] = (),
) -> Submission:
    """Record that the complaint (and any others about the same incident) was filed with an authority."""
    now = timezone.now()
    complaint = lock_complaint(complaint, None)
    roles = _senior_roles(actor, complaint)
    authority, text = _resolve_authority(authority, authority_text)
    transition = legal_workflow.CASE_BY_ACTION["file"]
    legal_workflow.check_case(transition, state=NEW, roles=roles, provided=_provided(authority, text))
    if complaint.status not in legal_workflow.CASE_COMPLAINT_STATES:
        raise legal_workflow.InvalidTransition(
            _("A complaint that is %(status)s is not filed with an authority.")
            % {"status": complaint.get_status_display()}
        )
    others = _also_covers(complaint, also_covers, actor)
    submission = _create_submission(
        complaint=complaint,
        transition=transition,
        user=actor_user(actor),
        authority=authority,
        authority_text=text,
        channel=_check_channel(channel),
        submitted_at=_check_time(submitted_at, now, "submitted_at", complaint),
        registration_number=(registration_number or "").strip(ASCII_TRIM)[:120],
        document_sha256=_check_sha(document_sha256),
        appeal_of=None,
        now=now,
    )
    if others:
        submission.also_covers.set(others)
    touch_complaint(complaint)
    return submission


def submission_from_escalation(*, complaint: Complaint, user: Any, authority_text: str, reference: str) -> Submission:
    """The workflow's ``escalate`` (effect FILE_SUBMISSION): its free-text authority and number become a submission.

    Called by ``complaint_transition`` inside its transaction, with the complaint locked.
    """
    now = timezone.now()
    authority, text = _resolve_authority(None, authority_text)
    return _create_submission(
        complaint=complaint,
        transition=legal_workflow.CASE_BY_ACTION["file"],
        user=user,
        authority=authority,
        authority_text=text,
        channel=SubmissionChannel.UNKNOWN,
        submitted_at=now,
        registration_number=(reference or "").strip(ASCII_TRIM)[:120],
        document_sha256="",
        appeal_of=None,
        now=now,
    )


def _lock_submission(submission: Submission, actor: Actor) -> tuple[Submission, Complaint, set[Role]]:
    complaint = lock_complaint(Complaint(pk=submission.complaint_id), None)
    roles = _senior_roles(actor, complaint)
    locked = Submission.objects.select_for_update(of=("self",)).select_related("authority").get(pk=submission.pk)
    return locked, complaint, roles


@transaction.atomic
def submission_appeal(
    *,
    submission: Submission,
    actor: Actor,
    authority: Authority | None = None,
    authority_text: str = "",
    channel: str = SubmissionChannel.IN_PERSON,
    submitted_at: datetime | None = None,
    registration_number: str = "",
    document_sha256: str = "",
) -> Submission:
    """File an appeal against the decision (or the missing answer) on ``submission`` with the next body."""
    now = timezone.now()
    challenged, complaint, roles = _lock_submission(submission, actor)
    if authority is None and not (authority_text or "").strip() and challenged.authority is not None:
        authority = challenged.authority.appeals_to  # the next body in the register, by default
    authority, text = _resolve_authority(authority, authority_text)
    transition = legal_workflow.CASE_BY_ACTION["appeal"]
    legal_workflow.check_case(transition, state=challenged.state, roles=roles, provided=_provided(authority, text))
    if authority is not None and challenged.authority_id == authority.pk:
        raise ValidationFailed(_("An appeal goes to another body than the one that decided."), "authority")
    moment = _check_time(submitted_at, now, "submitted_at", complaint)
    if moment < challenged.submitted_at:
        raise ValidationFailed(_("The appeal cannot predate the submission it challenges."), "submitted_at")
    appeal = _create_submission(
        complaint=complaint,
        transition=transition,
        user=actor_user(actor),
        authority=authority,
        authority_text=text,
        channel=_check_channel(channel),
        submitted_at=moment,
        registration_number=(registration_number or "").strip(ASCII_TRIM)[:120],
        document_sha256=_check_sha(document_sha256),
        appeal_of=challenged,
        now=now,
    )
    touch_complaint(complaint)
    return appeal


def _store_file(obj: Any, upload: UploadedFile | None) -> None:
    """Hash and keep an uploaded document like evidence (streamed SHA-256, sniffed type)."""
    if upload is None:
        return
    inspected = evidence_inspect(upload)
    obj.sha256, obj.size, obj.content_type = inspected.sha256, inspected.size, inspected.content_type
    obj.original_name = inspected.name
    upload.seek(0)
    store_file(obj.file, f"{uuid.uuid4().hex}.{inspected.extension}", upload)


def _record_decision(
    submission: Submission,
    complaint: Complaint,
    *,
    result: str,
    decided_on: date,
    text: str,
    upload: UploadedFile | None,
    user: Any,
    now: datetime,
) -> tuple[Decision, CaseDeadline | None]:
    if decided_on > timezone.localdate(now):
        raise ValidationFailed(_("The decision date is in the future."), "decided_on")
    if decided_on < timezone.localtime(submission.submitted_at).date():
        raise ValidationFailed(_("The decision cannot predate the submission."), "decided_on")
    decision = Decision(submission=submission, result=result, decided_on=decided_on, text=text, recorded_by=user)
    _store_file(decision, upload)
    computed = None
    if result in legal_workflow.APPEALABLE_RESULTS:
        start = datetime.combine(decided_on, time(12, 0), tzinfo=timezone.get_current_timezone())
        computed = deadline_compute(
            complaint=complaint, kind=DeadlineKind.APPEAL, start=start, authority=submission.authority
        )
        decision.appeal_due_at = computed.due.at if computed else None
    decision.save(force_insert=True)
    _close_deadlines(submission.deadlines.filter(kind=DeadlineKind.ANSWER), CaseDeadlineState.MET, now)
    return decision, _open_deadline(complaint, DeadlineKind.APPEAL, computed, submission, now)


@files_follow_transaction()  # one transaction; its file is deleted if it does not commit
def submission_record_outcome(
    *,
    submission: Submission,
    actor: Actor,
    outcome: str,
    registration_number: str = "",
    decided_on: date | None = None,
    text: str = "",
    upload: UploadedFile | None = None,
) -> Submission:
    """Move the submission along its table: registered, under consideration, decided (with result), no answer."""
    now = timezone.now()
    action = legal_workflow.OUTCOME_ACTIONS.get(outcome)
    if action is None:
        raise ValidationFailed(
            _("Unknown outcome “%(outcome)s”. Valid outcomes: %(valid)s.")
            % {"outcome": outcome, "valid": ", ".join(legal_workflow.OUTCOME_ACTIONS)},
            "outcome",
        )
    submission, complaint, roles = _lock_submission(submission, actor)
    transition = legal_workflow.CASE_BY_ACTION[action]
    registration_number = (registration_number or "").strip(ASCII_TRIM)[:120]
    provided: set[CaseRequirement] = set()
    if registration_number:
        provided.add(CaseRequirement.REGISTRATION_NUMBER)
    if outcome in DecisionResult.values:
        provided.add(CaseRequirement.RESULT)
    if decided_on is not None:
        provided.add(CaseRequirement.DECIDED_ON)
    legal_workflow.check_case(transition, state=submission.state, roles=roles, provided=provided)
    user, source = actor_user(actor), submission.state
    payload: dict[str, Any] = {"submission": submission.pk, "outcome": outcome}
    context_deadline = None
    if action == "register":
        submission.registration_number = registration_number
        payload["registration_number"] = registration_number
    elif action == "decide":
        assert decided_on is not None
        decision, context_deadline = _record_decision(
            submission,
            complaint,
            result=outcome,
            decided_on=decided_on,
            text=text.strip(ASCII_TRIM),
            upload=upload,
            user=user,
            now=now,
        )
        payload.update(
            decided_on=decided_on.isoformat(),
            sha256=decision.sha256,
            appeal_due_at=decision.appeal_due_at.isoformat() if decision.appeal_due_at else None,
        )
    elif action == "mark_no_answer":
        _close_deadlines(submission.deadlines.filter(kind=DeadlineKind.ANSWER), CaseDeadlineState.MISSED, now)
    if transition.target is not None:
        submission.state = transition.target
    submission.save(update_fields=["state", "registration_number", "updated_at"])
    audit_append(
        complaint=complaint,
        action="case_outcome",
        actor=user,
        from_status="",
        to_status="",
        payload={**payload, "from": source, "to": submission.state},
    )
    if transition.events:
        context = case_context(submission, context_deadline, outcome if action == "decide" else "")
        outbox_record_events(complaint=complaint, event_types=transition.events, context={"case": context})
    touch_complaint(complaint)
    return submission


# --- respondents ------------------------------------------------------------------------------


def _check_senior(actor: Actor, complaint: Complaint) -> None:
    if not _senior_roles(actor, complaint) & legal_workflow.CASE_BY_ACTION["file"].roles:
        raise legal_workflow.NotAllowed(_("Only coordinators may record the case at the authority."))


@transaction.atomic
def respondent_add(*, complaint: Complaint, actor: Actor, kind: str, name: str, description: str = "") -> Respondent:
    """Record whose actions the complaint challenges."""
    complaint = lock_complaint(complaint, None)
    _check_senior(actor, complaint)
    if kind not in RespondentKind.values:
        raise ValidationFailed(_("Choose what kind of respondent this is."), "kind")
    name = (name or "").strip(ASCII_TRIM)[:200]
    if not name:
        raise ValidationFailed(_("Name the respondent (or describe them, e.g. “the chair of PEC №512”)."), "name")
    user = actor_user(actor)
    respondent = Respondent.objects.create(
        complaint=complaint, kind=kind, name=name, description=(description or "").strip(ASCII_TRIM), created_by=user
    )
    audit_append(
        complaint=complaint,
        action="respondent_added",
        actor=user,
        payload={"respondent": respondent.pk, "kind": kind, "name": name},
    )
    touch_complaint(complaint)
    return respondent


@files_follow_transaction()  # one transaction; its file is deleted if it does not commit
def respondent_reply_add(
    *, respondent: Respondent, actor: Actor, received_on: date, text: str = "", upload: UploadedFile | None = None
) -> RespondentReply:
    """Record the respondent's reply (right of reply), with its date and file."""
    complaint = lock_complaint(Complaint(pk=respondent.complaint_id), None)
    _check_senior(actor, complaint)
    if received_on > timezone.localdate():
        raise ValidationFailed(_("This date is in the future."), "received_on")
    if received_on < _earliest_day(complaint):
        raise ValidationFailed(
            _("This date is before %(day)s; check the year.")
            % {"day": formats.date_format(_earliest_day(complaint), "SHORT_DATE_FORMAT")},
            "received_on",
        )
    if not (text or "").strip() and upload is None:
        raise ValidationFailed(_("Give the reply's text or attach its file."), "text")
    user = actor_user(actor)
    reply = RespondentReply(
        respondent=respondent, received_on=received_on, text=(text or "").strip(ASCII_TRIM), recorded_by=user
    )
    _store_file(reply, upload)
    reply.save(force_insert=True)
    audit_append(
        complaint=complaint,
        action="respondent_reply",
        actor=user,
        payload={
            "respondent": respondent.pk,
            "reply": reply.pk,
            "received_on": received_on.isoformat(),
            "sha256": reply.sha256,
        },
    )
    touch_complaint(complaint)
    return reply


# --- the periodic deadline check ---------------------------------------------------------------


def filing_deadlines_open(*, now: datetime | None = None) -> int:
    """Start the filing clock of recent complaints that have none yet; stop those that no longer apply."""
    now = now or timezone.now()
    moot = CaseDeadline.objects.filter(kind=DeadlineKind.FILING).exclude(
        complaint__status__in=list(legal_workflow.FILING_PENDING_STATES)
    )
    _close_deadlines(moot, CaseDeadlineState.MOOT, now)
    pending = (
        Complaint.objects.filter(
            status__in=list(legal_workflow.FILING_PENDING_STATES), created_at__gte=now - FILING_LOOKBACK
        )
        .exclude(case_deadlines__kind=DeadlineKind.FILING)
        .exclude(submissions__isnull=False)
        .select_related("election")
        .order_by("id")[:2000]
    )
    complaints = list(pending)
    if not complaints:
        return 0
    rules: dict[str, list[DeadlineRule]] = {}
    calendars: dict[str, deadlines.Calendar] = {}
    rows = []
    for complaint in complaints:
        country = complaint.election.country or "KZ"
        if country not in rules:
            rules[country], calendars[country] = rules_for(country), calendar_for(country)
        computed = deadline_compute(
            complaint=complaint,
            kind=DeadlineKind.FILING,
            start=complaint.occurred_at,
            rules=rules[country],
            calendar=calendars[country],
        )
        if computed is None:
            continue
        passed = computed.due.at <= now
        rows.append(
            CaseDeadline(
                complaint=complaint,
                kind=DeadlineKind.FILING,
                due_at=computed.due.at,
                urgent=computed.due.urgent,
                rule=computed.rule,
                legal_reference=computed.rule.legal_reference,
                # A window already closed when the clock is first seen is history, not a warning.
                state=CaseDeadlineState.MISSED if passed else CaseDeadlineState.OPEN,
                closed_at=now if passed else None,
            )
        )
    CaseDeadline.objects.bulk_create(rows)
    return len(rows)


def deadline_warn(*, deadline_id: int, threshold: str, now: datetime) -> bool:
    """Send one warning (or record one miss) for a deadline; True if this call did. Once each, ever."""
    with transaction.atomic():
        deadline = CaseDeadline.objects.filter(pk=deadline_id, state=CaseDeadlineState.OPEN).first()
        if deadline is None:
            return False
        complaint = lock_complaint(Complaint(pk=deadline.complaint_id), None)
        try:
            with transaction.atomic():
                DeadlineWarning.objects.create(deadline=deadline, threshold=threshold)
        except IntegrityError:
            return False  # another run sent it
        submission = (
            Submission.objects.select_for_update(of=("self",))
            .select_related("authority")
            .get(pk=deadline.submission_id)
            if deadline.submission_id
            else None
        )
        missed = threshold == deadlines.MISSED
        if missed:
            deadline.state, deadline.closed_at = CaseDeadlineState.MISSED, now
            deadline.save(update_fields=["state", "closed_at"])
            if (
                deadline.kind == DeadlineKind.ANSWER
                and submission is not None
                and submission.state in legal_workflow.OPEN_SUBMISSION_STATES
            ):
                transition = legal_workflow.CASE_BY_ACTION["mark_no_answer"]
                legal_workflow.check_case(transition, state=submission.state, roles={Role.ADMIN}, provided=set())
                submission.state = transition.target or submission.state
                submission.save(update_fields=["state", "updated_at"])
        audit_append(
            complaint=complaint,
            action="case_deadline_missed" if missed else "case_deadline_warning",
            actor_label="system",
            payload={
                "deadline": deadline.pk,
                "kind": deadline.kind,
                "due_at": deadline.due_at.isoformat(),
                "threshold": threshold,
                "submission": submission.pk if submission else None,
            },
        )
        if not missed or now - deadline.due_at <= MISSED_NOTIFY_WINDOW:
            event = EventType.CASE_DEADLINE_MISSED if missed else EventType.CASE_DEADLINE_APPROACHING
            outbox_record_events(
                complaint=complaint, event_types=[event], context={"case": case_context(submission, deadline)}
            )
        return True


def case_deadlines_check(*, now: datetime | None = None) -> dict[str, int]:
    """The periodic check: open filing clocks, then the 24 h / 2 h warnings and the misses, once each."""
    now = now or timezone.now()
    opened = filing_deadlines_open(now=now)
    horizon = now + max(before for _, before in deadlines.WARNING_THRESHOLDS)
    due = (
        CaseDeadline.objects.filter(state=CaseDeadlineState.OPEN, due_at__lte=horizon)
        .prefetch_related("warnings")
        .order_by("due_at", "id")[:5000]
    )
    counts = {"opened": opened, "warned": 0, "missed": 0}
    for deadline in due:
        for threshold in deadlines.warnings_due(deadline.due_at, now, (w.threshold for w in deadline.warnings.all())):
            if deadline_warn(deadline_id=deadline.pk, threshold=threshold, now=now):
                counts["missed" if threshold == deadlines.MISSED else "warned"] += 1
    return counts
