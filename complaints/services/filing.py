"""Filing a complaint: validation, the reporter record, evidence, the first audit event and the outbox row."""

from __future__ import annotations

import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from complaints.access import hash_secret
from complaints.audit import audit_append
from complaints.errors import ValidationFailed
from complaints.events import EventType
from complaints.metrics import FILINGS
from complaints.models import (
    Category,
    Channel,
    Complaint,
    ContactKind,
    Election,
    ElectionStatus,
    PollingStation,
    Reporter,
    Status,
    TerritorialUnit,
)
from complaints.models.complaint import DESCRIPTION_MAX_LENGTH
from complaints.notifications.outbox import outbox_record
from complaints.services._common import sla_due
from complaints.services.channels import complaint_follow, contact_address_get_or_create
from complaints.services.evidence import attach_upload, evidence_inspect, files_follow_transaction
from complaints.services.search import search_index_refresh
from complaints.text import ASCII_TRIM


@dataclass(frozen=True)
class Filing:
    complaint: Complaint
    # The follow-up secret, shown to the filer once; only its hash is stored.
    secret: str


def place_check(
    *, polling_station: PollingStation | None, unit: TerritorialUnit | None, place_text: str
) -> TerritorialUnit | None:
    """The unit a complaint is filed under; refuse a complaint that says nowhere, or two places that disagree."""
    if polling_station is None and unit is None and not place_text.strip():
        raise ValidationFailed(
            _(
                "Say where it happened. One of these is required: the polling station, the region, "
                "or the place in your own words."
            ),
            "place_text",
        )
    if polling_station is not None:
        if unit is not None and not polling_station.unit.path.startswith(unit.path):
            raise ValidationFailed(_("The polling station is not in the chosen territory."), "unit")
        return polling_station.unit
    return unit


def filing_window(election: Election, now: datetime | None = None) -> tuple[datetime, datetime]:
    """The earliest and the latest ``occurred_at`` a complaint about ``election`` may give.

    From the start of its campaign (``campaign_starts_on``; when empty, ELECTION_CAMPAIGN_DAYS
    before the voting day, at midnight local time), so violations before voting day stay
    fileable; until now plus OCCURRED_AT_CLOCK_SKEW_MINUTES for a filer's clock running fast.
    """
    first_day = election.campaign_starts_on or election.voting_day - timedelta(days=settings.ELECTION_CAMPAIGN_DAYS)
    start = datetime.combine(first_day, time.min, tzinfo=timezone.get_default_timezone())
    end = (now or timezone.now()) + timedelta(minutes=settings.OCCURRED_AT_CLOCK_SKEW_MINUTES)
    return start, end


def occurred_at_check(*, election: Election, occurred_at: datetime) -> None:
    """Refuse a time it happened outside the election's filing window, naming ``occurred_at``."""
    if timezone.is_naive(occurred_at):
        raise ValidationFailed(_("The time it happened must include a time zone."), "occurred_at")
    start, end = filing_window(election)
    if occurred_at < start:
        raise ValidationFailed(
            _(
                "The time it happened is before this election's campaign began on %(start)s; "
                "complaints about this election can only be about what happened from that day on."
            )
            % {"start": formats.date_format(start.date(), "DATE_FORMAT")},
            "occurred_at",
        )
    if occurred_at > end:
        raise ValidationFailed(_("The time it happened is in the future; check the date and time."), "occurred_at")


def _validate_filing(*, election: Election, category: Category, occurred_at: datetime, description: str) -> None:
    if election.status == ElectionStatus.ARCHIVED:
        raise ValidationFailed(_("This election is archived and no longer takes complaints."), "election")
    if not category.is_active:
        raise ValidationFailed(_("This category is no longer in use; choose another."), "category")
    occurred_at_check(election=election, occurred_at=occurred_at)
    description_check(description)


def description_check(description: str) -> None:
    """Refuse a description too short to act on, or over the limit, naming ``description``."""
    if len(description.strip()) < 10:
        raise ValidationFailed(_("Describe what happened in at least 10 characters."), "description")
    if len(description.strip()) > DESCRIPTION_MAX_LENGTH:
        raise ValidationFailed(
            _(
                "The description is %(length)s characters long; the limit is %(limit)s. "
                "Shorten it, or attach the rest as a document."
            )
            % {"length": len(description.strip()), "limit": DESCRIPTION_MAX_LENGTH},
            "description",
        )


@files_follow_transaction()
def complaint_file(
    *,
    election: Election,
    category: Category,
    occurred_at: datetime,
    description: str,
    polling_station: PollingStation | None = None,
    unit: TerritorialUnit | None = None,
    place_text: str = "",
    severity: int | None = None,
    channel: str = Channel.WEB,
    reporter_user: Any = None,
    anonymous: bool = False,
    full_name: str = "",
    email: str = "",
    phone: str = "",
    language: str = "ru",
    files: Sequence[UploadedFile] = (),
    operator: Any = None,
    caller_consent_at: datetime | None = None,
    updates_email: str = "",
) -> Filing:
    """Validate and record a complaint, its reporter and its evidence in one transaction.

    The evidence files follow the transaction: if it does not commit, none is left on disk.
    ``operator``: the staff member filing on a caller's behalf (the hotline,
    ``complaint_file_for_caller``); the filing event names them, never the caller.
    ``updates_email``: an address the filer (anonymous or not) leaves only for updates: sealed
    as a contact address that follows the complaint, never part of the reporter record.
    """
    _validate_filing(election=election, category=category, occurred_at=occurred_at, description=description)
    place_unit = place_check(polling_station=polling_station, unit=unit, place_text=place_text)
    for upload in files:  # refuse a bad file before anything is stored
        evidence_inspect(upload)
    severity = int(severity or category.default_severity)
    now = timezone.now()
    complaint = Complaint(
        election=election,
        category=category,
        polling_station=polling_station,
        unit=place_unit,
        unit_path=place_unit.path if place_unit else "",
        place_text=place_text.strip(ASCII_TRIM),
        occurred_at=occurred_at,
        description=description.strip(ASCII_TRIM),
        severity=severity,
        channel=channel,
        due_at=sla_due(severity, now),
        filed_by=operator,
        caller_consent_at=caller_consent_at,
    )
    complaint.save(force_insert=True)
    secret = secrets.token_urlsafe(16)
    user = reporter_user if getattr(reporter_user, "is_authenticated", False) else None
    anonymous = anonymous or user is None and not (full_name or email or phone)
    complaint.reporter = Reporter.objects.create(
        complaint=complaint,
        user=None if anonymous else user,
        is_anonymous=anonymous,
        full_name="" if anonymous else full_name.strip(ASCII_TRIM),
        email="" if anonymous else email.strip(),
        phone="" if anonymous else phone.strip(ASCII_TRIM),
        language=language,
        secret_hash=hash_secret(secret),
    )
    audit_append(
        complaint=complaint,
        action="file",
        first=True,  # the complaint was inserted just above: no event to chain after
        actor=operator or (None if anonymous else user),
        actor_label="hotline operator" if operator else ("anonymous" if anonymous else ""),
        to_status=Status.SUBMITTED,
        payload={
            "channel": channel,
            **({"on_behalf_of_caller": True, "caller_consented": True} if operator else {}),
            "severity": severity,
            "category": category.code,
            "due_at": complaint.due_at.isoformat() if complaint.due_at else None,
        },
    )
    for upload in files:
        attach_upload(complaint=complaint, upload=upload, user=None if anonymous else user)
    if updates_email.strip():
        contact = contact_address_get_or_create(kind=ContactKind.EMAIL, address=updates_email, language=language)
        complaint_follow(complaint=complaint, contact=contact)
    search_index_refresh(complaint_ids=[complaint.pk])
    outbox_record(complaint=complaint, event_type=EventType.SUBMITTED)
    # Counted once it is committed (robust: a metrics failure never fails the filing).
    transaction.on_commit(FILINGS.labels(channel=channel).inc, robust=True)
    return Filing(complaint=complaint, secret=secret)
