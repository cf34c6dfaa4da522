"""Reads for the formal complaint document: who may see them, the list, one file, the template, the form's defaults."""

from __future__ import annotations

from datetime import datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import workflow
from complaints.access import roles_for
from complaints.documents import Addressee, DocumentOptions, Standing, default_addressee, default_remedies
from complaints.models import (
    Authority,
    AuthorityKind,
    AuthorityLevel,
    Complaint,
    DocumentTemplate,
    GeneratedDocument,
    Respondent,
    TerritorialUnit,
    localized,
)
from complaints.selectors.complaints import complaint_get_for
from complaints.selectors.queue import complaints_in_reach


def documents_allowed(*, user: Any, complaint: Complaint) -> bool:
    """Coordinators and admins whose scope covers the complaint make and read its documents."""
    return bool(roles_for(user, complaint) & workflow.SENIOR)


def check_documents_access(*, user: Any, complaint: Complaint) -> None:
    """Out of reach: the complaint does not exist (404). Staff, but not senior: not allowed (403)."""
    roles = roles_for(user, complaint)
    if not roles & workflow.STAFF:
        raise Complaint.DoesNotExist(_("No such complaint."))
    if not roles & workflow.SENIOR:
        raise workflow.NotAllowed(_("Only coordinators make and read the formal complaint documents."))


def documents_for(*, complaint: Complaint) -> QuerySet[GeneratedDocument]:
    """Every document that covers the complaint (as the main one or beside it), newest first."""
    ids = GeneratedDocument.objects.filter(Q(complaint=complaint) | Q(related=complaint)).values("pk")
    return (
        GeneratedDocument.objects.filter(pk__in=ids)
        .select_related("complaint", "created_by")
        .order_by("-created_at", "-pk")
    )


def document_get_for(*, user: Any, code: str, document_id: int) -> GeneratedDocument:
    """One document of a complaint the user coordinates, or DoesNotExist / NotAllowed."""
    complaint = complaint_get_for(user=user, code=code)
    check_documents_access(user=user, complaint=complaint)
    return documents_for(complaint=complaint).get(pk=document_id)


def document_template_for(*, election_id: int, language: str) -> DocumentTemplate | None:
    """The election's own template in ``language``, else the default one; None = the shipped file."""
    found = list(
        DocumentTemplate.objects.filter(Q(election_id=election_id) | Q(election__isnull=True), language=language)
    )
    found.sort(key=lambda t: t.election_id is None)
    return found[0] if found else None


def related_candidates(*, user: Any, complaint: Complaint, limit: int = 10) -> list[Complaint]:
    """Complaints likely about the same incident: linked duplicates, the same station the same day."""
    day = timezone.localtime(complaint.occurred_at).date() if timezone.is_aware(complaint.occurred_at) else None
    same = Q(duplicate_of=complaint) | Q(pk=complaint.duplicate_of_id or 0)
    if complaint.polling_station_id and day is not None:
        start = timezone.make_aware(datetime.combine(day, time.min))
        same |= Q(
            polling_station_id=complaint.polling_station_id,
            occurred_at__gte=start,
            occurred_at__lt=start + timedelta(days=1),
        )
    qs = (
        complaints_in_reach(user)
        .filter(same, election_id=complaint.election_id)
        .exclude(pk=complaint.pk)
        .order_by("occurred_at", "pk")
    )
    return list(qs[:limit])


def default_standing(complaint: Complaint) -> Standing:
    reporter = getattr(complaint, "reporter", None)
    if reporter is None or reporter.is_anonymous:
        return Standing.ORGANISATION
    return Standing.OBSERVER if reporter.user_id else Standing.VOTER


def document_initial(*, complaint: Complaint, language: str = "ru") -> DocumentOptions:
    """The form's starting values: defaults by category and reporter, the organisation last used."""
    last = (
        GeneratedDocument.objects.filter(complaint__election_id=complaint.election_id)
        .order_by("-created_at", "-pk")
        .values_list("options", flat=True)
        .first()
    )
    organisation = str((last or {}).get("organisation", "")) if isinstance(last, dict) else ""
    code = complaint.category.code
    return DocumentOptions(
        language=language,
        addressee=default_addressee(code).value,
        standing=default_standing(complaint).value,
        organisation=organisation,
        legal_basis=complaint.category.legal_reference,
        remedies=tuple(r.value for r in default_remedies(code)),
        respondent=recorded_respondents(complaint=complaint),
    )


# The case tracking's register of authorities, where it has the body: (kind, levels) per addressee.
AUTHORITY_FOR: dict[Addressee, tuple[str, tuple[str, ...]]] = {
    Addressee.DISTRICT: (AuthorityKind.COMMISSION, (AuthorityLevel.TERRITORIAL, AuthorityLevel.DISTRICT)),
    Addressee.REGION: (AuthorityKind.COMMISSION, (AuthorityLevel.REGIONAL,)),
    Addressee.CENTRAL: (AuthorityKind.COMMISSION, (AuthorityLevel.CENTRAL,)),
    Addressee.COURT: (AuthorityKind.COURT, (AuthorityLevel.FIRST_INSTANCE,)),
    Addressee.PROSECUTOR: (AuthorityKind.PROSECUTOR, ()),
    Addressee.POLICE: (AuthorityKind.POLICE, ()),
}


def registered_authority_name(*, addressee: str, complaint: Complaint, language: str) -> str:
    """The registered body's name for this addressee nearest the complaint's place, or "" if none is registered.

    A precinct commission is not in the register by station, so it is always named from the station.
    """
    rule = AUTHORITY_FOR.get(Addressee(addressee)) if addressee in Addressee.values else None
    if rule is None:
        return ""
    kind, levels = rule
    unit: TerritorialUnit | None = (
        complaint.polling_station.unit if complaint.polling_station_id and complaint.polling_station else complaint.unit
    )
    qs = Authority.objects.filter(kind=kind, is_active=True)
    if levels:
        qs = qs.filter(level__in=levels)
    candidates = list(qs.select_related("unit"))
    if not candidates:
        return ""
    by_unit: dict[int | None, Authority] = {}
    for authority in candidates:
        by_unit.setdefault(authority.unit_id, authority)
    while unit is not None:
        if unit.pk in by_unit:
            return localized(by_unit[unit.pk], "name", language)
        unit = unit.parent
    nationwide = by_unit.get(None)
    return localized(nationwide, "name", language) if nationwide is not None else ""


def recorded_respondents(*, complaint: Complaint) -> str:
    """The respondents recorded on the complaint (case tracking), one per line, for the document."""
    rows = Respondent.objects.filter(complaint=complaint).order_by("created_at", "id")
    return "\n".join(f"{r.name}, {r.description}".strip(", ") if r.description else r.name for r in rows)


def with_ancestors(unit: TerritorialUnit | None) -> TerritorialUnit | None:
    """The unit with its whole chain of parents loaded in one query (walking ``parent`` costs no more)."""
    if unit is None:
        return None
    prefixes = [unit.path[: i + 1] for i, ch in enumerate(unit.path) if ch == "/"]
    chain = {u.path: u for u in TerritorialUnit.objects.filter(path__in=prefixes)}
    chain[unit.path] = unit
    for path, node in chain.items():
        parent_path = path[: path[:-1].rfind("/") + 1]
        node.parent = chain.get(parent_path) if parent_path else None
    return unit
