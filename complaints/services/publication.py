"""Publishing a case: a coordinator's public summary with chosen stripped evidence; unpublishing; both audited.

The summary is refused when it names the reporter (any part of the name of three letters
or more, at the start of a word, so declined forms are caught too), gives their phone (by
digits, whatever the spaces, dashes, brackets and +7/8 prefix) or their email (also written
as "name at host dot kz"), or carries the receipt code. It is published only after the
coordinator acknowledges each warning about polling-station-level detail: the station's
number or address in the text, or a station with fewer complaints than the publication
floor, where the place, the photos or the story can point to the few people who were there.
Only evidence whose stripped copy is ready can be chosen; the original is never published.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import workflow
from complaints.access import Actor
from complaints.audit import audit_append
from complaints.errors import IdentityInPublicText, PublicationWarnings, ValidationFailed
from complaints.events import EventType
from complaints.models import (
    Complaint,
    Evidence,
    EvidenceCopyState,
    PublicationLanguage,
    PublishedCase,
    Reporter,
    Status,
    TerritorialUnit,
    UnitLevel,
)
from complaints.models.publication import SUMMARY_MAX_LENGTH, TITLE_MAX_LENGTH, UNPUBLISH_REASON_MAX_LENGTH
from complaints.notifications.outbox import outbox_record_events
from complaints.selectors.public_stats import PUBLIC_EXCLUDED
from complaints.services._common import actor_roles, actor_user, lock_complaint, touch_complaint
from complaints.text import TextRefused, clean_text

# A case is public once reviewers found it substantiated; what the authority did follows from the legal case.
PUBLISHABLE_STATUSES = frozenset({Status.SUBSTANTIATED, Status.ESCALATED, Status.RESOLVED, Status.CLOSED})
COPY_READY = EvidenceCopyState.READY  # only a ready stripped copy is ever public
NAME_PART_MIN = 3
# Patronymic markers and particles that are part of many names and say nothing about whose.
NAME_STOPWORDS = frozenset({"ұлы", "қызы", "улы", "кызы", "оглы", "uly", "kyzy", "ogly", "van", "von", "der"})
PHONE_RUN = re.compile(r"\+?\d[\d\s\-().]{5,}\d")
EMAIL_AT = re.compile(r"\s*(?:@|\(at\)|\[at\]|\{at\}|\sat\s|\sсобака\s)\s*", re.IGNORECASE)
EMAIL_DOT = re.compile(r"\s*(?:\(dot\)|\[dot\]|\{dot\}|\sdot\s|\sточка\s)\s*", re.IGNORECASE)


def _fold(text: str) -> str:
    return text.casefold().replace("ё", "е")


def _national_digits(value: str) -> str:
    """A phone's digits without the country prefix: +7 701 234 56 78, 8 (701) 234-56-78 -> 7012345678."""
    digits = re.sub(r"\D", "", value)
    if len(digits) == 11 and digits[0] in "78":
        return digits[1:]
    return digits


def _name_parts(names: Iterable[str]) -> set[str]:
    parts: set[str] = set()
    for name in names:
        for part in re.split(r"[\W_]+", _fold(name)):
            if len(part) >= NAME_PART_MIN and part not in NAME_STOPWORDS and not part.isdigit():
                parts.add(part)
    return parts


def _mentions_name(folded: str, parts: set[str]) -> bool:
    # At the start of a word, any ending: "Байкенов" finds "Байкенова", "Байкеновым"; "Ким" does not find "акимат".
    return any(re.search(rf"(?<!\w){re.escape(part)}", folded) for part in parts)


def _mentions_phone(text: str, phones: Iterable[str]) -> bool:
    wanted = {_national_digits(p) for p in phones}
    wanted = {w for w in wanted if len(w) >= 7}
    if not wanted:
        return False
    for run in PHONE_RUN.findall(text):
        found = _national_digits(run)
        # The whole number, or its local part (the last seven digits or more) on its own.
        if len(found) >= 7 and any(w in found or w.endswith(found) for w in wanted):
            return True
    return False


def _mentions_email(folded: str, emails: Iterable[str]) -> bool:
    unmasked = EMAIL_DOT.sub(".", EMAIL_AT.sub("@", folded))
    for email in emails:
        email = _fold(email.strip())
        if not email:
            continue
        if email in folded or email in unmasked:
            return True
        local = email.split("@", 1)[0]
        if len(local) >= 4 and re.search(rf"(?<![\w.]){re.escape(local)}(?![\w])", unmasked):
            return True
    return False


def _mentions_code(text: str, code: str) -> bool:
    squeezed = re.sub(r"[\W_]+", "", text).upper()
    return code.replace("-", "") in squeezed


@dataclass(frozen=True)
class Identity:
    names: tuple[str, ...]
    phones: tuple[str, ...]
    emails: tuple[str, ...]
    code: str


def _identity(complaint: Complaint) -> Identity:
    """What must never be published: read from the encrypted record (a machine check, shown to nobody)."""
    reporter = Reporter.objects.select_related("user").filter(complaint=complaint).first()
    names: list[str] = []
    emails: list[str] = []
    phones: list[str] = []
    if reporter is not None:
        names += [reporter.full_name or ""]
        emails += [reporter.email or ""]
        phones += [reporter.phone or ""]
        if reporter.user is not None:
            user = reporter.user
            names += [user.first_name or "", user.last_name or ""]
            emails += [user.email or ""]
    return Identity(
        tuple(n for n in names if n), tuple(p for p in phones if p), tuple(e for e in emails if e), complaint.code
    )


def identity_found(text: str, identity: Identity) -> list[str]:
    """What of the reporter's identity ``text`` gives away: a subset of name, phone, email, receipt code."""
    folded = _fold(text)
    found = []
    if _mentions_name(folded, _name_parts(identity.names)):
        found.append(str(_("the reporter's name")))
    if _mentions_phone(text, identity.phones):
        found.append(str(_("the reporter's phone number")))
    if _mentions_email(folded, identity.emails):
        found.append(str(_("the reporter's email")))
    if _mentions_code(text, identity.code):
        found.append(str(_("the receipt code")))
    return found


def _refuse_identity(text: str, identity: Identity, field: str) -> None:
    found = identity_found(text, identity)
    if found:
        raise IdentityInPublicText(
            _("The text contains %(what)s. Remove it: a published case never says who reported it.")
            % {"what": ", ".join(found)},
            field,
        )


# --- warnings ---------------------------------------------------------------------------------


def _unit_names(complaint: Complaint) -> set[str]:
    codes = [c for c in complaint.unit_path.split("/") if c]
    names: set[str] = set()
    for unit in TerritorialUnit.objects.filter(code__in=codes):
        names |= {_fold(n) for n in (unit.name_ru, unit.name_kk, unit.name_en) if n}
    return names


def _address_parts(complaint: Complaint) -> list[str]:
    """The parts of the station's address that point at a building (not the town, region or district name)."""
    station = complaint.polling_station
    if station is None:
        return []
    towns = _unit_names(complaint)
    parts = [_fold(p.strip()) for p in re.split(r"[,;]", station.address)]
    return [p for p in parts if len(p) >= 5 and p not in towns]


def _station_complaints(complaint: Complaint) -> int:
    return (
        Complaint.objects.filter(election_id=complaint.election_id, polling_station_id=complaint.polling_station_id)
        .exclude(status__in=PUBLIC_EXCLUDED)
        .count()
    )


def publication_warnings(*, complaint: Complaint, summary: str, evidence_count: int, show_station: bool) -> list[str]:
    """Polling-station-level detail that could single someone out; each must be acknowledged to publish."""
    warnings: list[str] = []
    station = complaint.polling_station
    folded = _fold(summary)
    if station is not None:
        number = re.escape(station.number.strip().lstrip("№").strip())
        if number and re.search(rf"(?<![\d\w]){number}(?!\d)", folded):
            warnings.append(
                _("The summary gives the polling station's number (%(number)s).") % {"number": station.number}
            )
        if any(part in folded for part in _address_parts(complaint)):
            warnings.append(_("The summary gives the polling station's address."))
        if (show_station or evidence_count) and _station_complaints(complaint) < settings.PUBLIC_STATS_MIN_COUNT:
            warnings.append(
                _(
                    "Fewer than %(floor)s complaints came from this polling station: its name on the page, or a "
                    "photo taken there, can point to the few people who were there."
                )
                % {"floor": settings.PUBLIC_STATS_MIN_COUNT}
            )
    return [str(w) for w in warnings]


# --- the writes -------------------------------------------------------------------------------


def _check_senior(actor: Actor, complaint: Complaint) -> None:
    roles = actor_roles(actor, complaint)
    if not roles:
        raise Complaint.DoesNotExist(_("No such complaint."))
    if not roles & workflow.SENIOR:
        raise workflow.NotAllowed(_("Only coordinators may publish or unpublish a case."))


def _clean(value: str, *, field: str, multiline: bool, limit: int, required: bool) -> str:
    try:
        value = clean_text(value or "", field=field, multiline=multiline)
    except TextRefused as exc:
        raise ValidationFailed(exc.message, field) from None
    if required and not value.strip():
        raise ValidationFailed(_("Write the public summary of the case."), field)
    if len(value) > limit:
        raise ValidationFailed(_("Keep it under %(n)s characters.") % {"n": limit}, field)
    return value


def _chosen_evidence(complaint: Complaint, evidence_ids: Sequence[int]) -> list[Evidence]:
    wanted = {int(i) for i in evidence_ids}
    found = {e.pk: e for e in Evidence.objects.filter(complaint=complaint, pk__in=wanted)}
    if set(found) != wanted:
        raise ValidationFailed(_("Choose evidence of this complaint only."), "evidence")
    not_ready = [e for e in found.values() if e.public_state != COPY_READY]
    if not_ready:
        raise ValidationFailed(
            _("Only evidence with a stripped copy ready (no location, no camera data) can be published: %(names)s.")
            % {"names": ", ".join(e.original_name for e in not_ready)},
            "evidence",
        )
    return sorted(found.values(), key=lambda e: (e.uploaded_at, e.pk))


def _region(complaint: Complaint) -> TerritorialUnit | None:
    parts = [c for c in complaint.unit_path.split("/") if c]
    if len(parts) < 2:
        return None
    return TerritorialUnit.objects.filter(code=parts[1], level=UnitLevel.REGION).first()


def _titles(titles: Mapping[str, str] | None) -> dict[str, str]:
    titles = titles or {}
    return {
        f"title_{lang}": _clean(
            titles.get(lang, ""), field=f"title_{lang}", multiline=False, limit=TITLE_MAX_LENGTH, required=False
        )
        for lang in PublicationLanguage.values
    }


@transaction.atomic
def case_publish(
    *,
    complaint: Complaint,
    summary: str,
    evidence_ids: Sequence[int],
    actor: Actor,
    acknowledge_warnings: bool = False,
    language: str = PublicationLanguage.RU,
    titles: Mapping[str, str] | None = None,
    show_station: bool = False,
) -> PublishedCase:
    """Publish (or republish, or update) the case of a complaint; refuses identity, warns on station detail."""
    complaint = lock_complaint(complaint, None)
    _check_senior(actor, complaint)
    if complaint.status not in PUBLISHABLE_STATUSES:
        raise workflow.InvalidTransition(
            _("A complaint that is “%(status)s” is not published; it must be substantiated first.")
            % {"status": complaint.get_status_display()}
        )
    if language not in PublicationLanguage.values:
        raise ValidationFailed(_("Choose the language the summary is written in."), "language")
    summary = _clean(summary, field="summary", multiline=True, limit=SUMMARY_MAX_LENGTH, required=True)
    title_fields = _titles(titles)
    identity = _identity(complaint)
    _refuse_identity(summary, identity, "summary")
    for field, title in title_fields.items():
        _refuse_identity(title, identity, field)
    evidence = _chosen_evidence(complaint, evidence_ids)
    text = "\n".join([summary, *title_fields.values()])
    warnings = publication_warnings(
        complaint=complaint, summary=text, evidence_count=len(evidence), show_station=show_station
    )
    if warnings and not acknowledge_warnings:
        raise PublicationWarnings(
            _("Check what could single someone out, and confirm to publish anyway."), warnings=warnings
        )
    return _save_published(complaint, actor, summary, language, title_fields, show_station, evidence, warnings)


def _save_published(
    complaint: Complaint,
    actor: Actor,
    summary: str,
    language: str,
    title_fields: dict[str, str],
    show_station: bool,
    evidence: list[Evidence],
    warnings: list[str],
) -> PublishedCase:
    now = timezone.now()
    user = actor_user(actor)
    case = PublishedCase.objects.select_for_update().filter(complaint=complaint).first()
    before = "new" if case is None else ("published" if case.is_published else "unpublished")
    fields: dict[str, Any] = {
        "summary": summary,
        "language": language,
        **title_fields,
        "show_station": show_station,
        "election_id": complaint.election_id,
        "region": _region(complaint),
        "category_id": complaint.category_id,
        "occurred_on": timezone.localtime(complaint.occurred_at).date(),
        "published_at": now,
        "published_by": user,
        "unpublished_at": None,
        "unpublished_by": None,
        "unpublish_reason": "",
    }
    if case is None:
        case = PublishedCase.objects.create(complaint=complaint, first_published_at=now, **fields)
    else:
        for name, value in fields.items():
            setattr(case, name, value)
        case.save()
    case.evidence.set(evidence)
    audit_append(
        complaint=complaint,
        action="case_published",
        actor=user,
        payload={
            "slug": case.slug,
            "was": before,
            "language": language,
            "summary": summary,
            "titles": {k: v for k, v in title_fields.items() if v},
            "show_station": show_station,
            "evidence": [{"id": e.pk, "sha256": e.sha256, "public_sha256": e.public_sha256} for e in evidence],
            "warnings_acknowledged": warnings,
        },
    )
    touch_complaint(complaint)
    outbox_record_events(complaint=complaint, event_types=[EventType.CASE_PUBLISHED])
    return case


@transaction.atomic
def case_unpublish(*, complaint: Complaint, reason: str, actor: Actor) -> PublishedCase:
    """Take a published case off every public page, feed and dataset; the reason goes into the audit chain."""
    complaint = lock_complaint(complaint, None)
    _check_senior(actor, complaint)
    reason = _clean(reason, field="reason", multiline=False, limit=UNPUBLISH_REASON_MAX_LENGTH, required=False)
    if not reason.strip():
        raise ValidationFailed(_("Say why the case is unpublished; this is kept in the audit log."), "reason")
    case = PublishedCase.objects.select_for_update().filter(complaint=complaint, unpublished_at__isnull=True).first()
    if case is None:
        raise workflow.InvalidTransition(_("This case is not published."))
    user = actor_user(actor)
    case.unpublished_at = timezone.now()
    case.unpublished_by = user
    case.unpublish_reason = reason
    case.save(update_fields=["unpublished_at", "unpublished_by", "unpublish_reason"])
    audit_append(
        complaint=complaint, action="case_unpublished", actor=user, payload={"slug": case.slug, "reason": reason}
    )
    touch_complaint(complaint)
    outbox_record_events(complaint=complaint, event_types=[EventType.CASE_UNPUBLISHED])
    return case
