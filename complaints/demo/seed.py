"""Loading the demo data set. Idempotent and non-destructive.

Every step creates what is missing and never changes what exists, so running it again
(``make run`` does, every time) writes nothing, and edits an admin made to demo rows
survive. Rows are matched on natural keys: election slug, unit code, station unit +
number, category code, username, and, for complaints, the election + the exact
description text (each demo description is unique; see ``complaints_seed``).

Complaints are filed and moved along the workflow through the real services
(``complaint_file``, ``complaint_assign``, ``complaint_transition``, ``note_add``), so
they carry receipt codes, audit chains and outbox rows like any other complaint.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction

from complaints import services
from complaints.access import ComplainantActor
from complaints.demo import data, legal, publication
from complaints.demo.data import DemoComplaint, DemoUser
from complaints.models import (
    Category,
    Complaint,
    Election,
    ElectionStatus,
    PollingStation,
    Profile,
    TerritorialUnit,
    UnitLevel,
)
from complaints.services.territory import ImportResult, polling_stations_import_csv


@dataclass(frozen=True)
class CreatedUser:
    username: str
    role: str
    password: str


@dataclass
class SeedReport:
    election_created: bool = False
    country_created: bool = False
    territory: ImportResult = field(default_factory=ImportResult)
    categories_created: int = 0
    categories_existing: int = 0
    users_created: list[CreatedUser] = field(default_factory=list)
    users_existing: list[str] = field(default_factory=list)
    complaints_created: int = 0
    complaints_existing: int = 0
    complaints_skipped_reason: str = ""
    legal: dict[str, int] = field(default_factory=dict)


@transaction.atomic
def seed_demo(*, demo_password: str | None = None) -> SeedReport:
    """Create whatever part of the demo data set is missing; return what was done."""
    report = SeedReport()
    election = election_seed(report)
    territory_seed(report)
    categories_seed(report)
    users = users_seed(report, demo_password=demo_password)
    report.legal = legal.legal_seed()  # the authority register first: escalations link to it
    complaints_seed(report, election=election, users=users)
    if election.status != ElectionStatus.ARCHIVED:
        report.legal["cases"] = legal.cases_seed(election=election, coordinator=users["coordinator"])
        report.legal.update(services.case_deadlines_check())
        report.legal["published"] = publication.publications_seed(election=election, coordinator=users["coordinator"])
    return report


def election_seed(report: SeedReport) -> Election:
    fields = dict(data.ELECTION)
    election, report.election_created = Election.objects.get_or_create(
        slug=fields.pop("slug"), defaults={**fields, "status": ElectionStatus.ACTIVE}
    )
    return election


def territory_seed(report: SeedReport) -> None:
    country = dict(data.COUNTRY)
    _, report.country_created = TerritorialUnit.objects.get_or_create(
        code=country.pop("code"), defaults={**country, "level": UnitLevel.COUNTRY}
    )
    # The demo territory is a file in the import format, loaded by the import service;
    # existing stations are left as they are (an admin may have corrected an address).
    report.territory = polling_stations_import_csv(
        data=data.TERRITORY_CSV.read_bytes(), country=data.COUNTRY["code"], update_existing=False
    )


def categories_seed(report: SeedReport) -> None:
    existing = {c.code: c for c in Category.objects.all()}
    for order, item in enumerate(data.categories(), start=1):
        if item.code in existing:
            report.categories_existing += 1
            continue
        existing[item.code] = Category.objects.create(
            code=item.code,
            parent=existing[item.parent] if item.parent else None,
            name_ru=item.name["ru"],
            name_kk=item.name["kk"],
            name_en=item.name["en"],
            help_ru=item.help["ru"],
            help_kk=item.help["kk"],
            help_en=item.help["en"],
            default_severity=item.default_severity,
            legal_reference=item.legal_reference,
            sort_order=order * 10,
        )
        report.categories_created += 1


def users_seed(report: SeedReport, *, demo_password: str | None) -> dict[str, Any]:
    """One user per role. A password is set only when the user is created, never reset."""
    User = get_user_model()
    users: dict[str, Any] = {}
    for spec in data.USERS:
        user = User.objects.filter(username=spec.username).first()
        if user is not None:
            report.users_existing.append(spec.username)
        else:
            password = demo_password or secrets.token_urlsafe(12)
            user = _user_create(spec, password)
            report.users_created.append(CreatedUser(spec.username, spec.role, password))
        users[spec.username] = user
    return users


def _user_create(spec: DemoUser, password: str) -> Any:
    User = get_user_model()
    user = User.objects.create_user(
        username=spec.username,
        email=spec.email,
        password=password,
        first_name=spec.first_name,
        last_name=spec.last_name,
        is_staff=spec.superuser,
        is_superuser=spec.superuser,
    )
    user.groups.add(Group.objects.get(name=spec.role))
    profile = Profile.objects.create(user=user, language="ru", nationwide=spec.nationwide)
    if spec.units:
        profile.units.set(TerritorialUnit.objects.filter(code__in=spec.units))
    return user


# --- complaints ---------------------------------------------------------------


def complaints_seed(report: SeedReport, *, election: Election, users: dict[str, Any]) -> None:
    """File the demo complaints that are not there yet, and walk each along its route.

    A demo complaint is recognised by its election and its exact description: the texts
    are unique, carry no visible marker, and a complaint someone files through the UI
    will not repeat one word for word. A partly seeded set (say an older, shorter demo
    file) is completed rather than skipped or duplicated.
    """
    if election.status == ElectionStatus.ARCHIVED:
        report.complaints_skipped_reason = "archived"
        return
    specs = data.complaints()
    existing = set(
        Complaint.objects.filter(election=election, description__in=[s.description for s in specs]).values_list(
            "description", flat=True
        )
    )
    categories = {c.code: c for c in Category.objects.filter(code__in={s.category for s in specs})}
    for spec in specs:
        if spec.description in existing:
            report.complaints_existing += 1
            continue
        complaint = _file(spec, election=election, category=categories[spec.category], users=users)
        _walk(spec, complaint, users=users)
        report.complaints_created += 1


def _file(spec: DemoComplaint, *, election: Election, category: Category, users: dict[str, Any]) -> Complaint:
    station = None
    if spec.station:
        station = PollingStation.objects.get(unit__code=spec.station[0], number=spec.station[1])
    reporter: dict[str, Any] = {}
    if spec.reporter == "observer":
        reporter = {"reporter_user": users["observer"]}
    elif spec.reporter == "anonymous":
        reporter = {"anonymous": True}
    elif isinstance(spec.reporter, dict):
        reporter = dict(spec.reporter)
    return services.complaint_file(
        election=election,
        category=category,
        occurred_at=spec.occurred_at,
        description=spec.description,
        polling_station=station,
        unit=TerritorialUnit.objects.get(code=spec.unit) if spec.unit and not station else None,
        place_text=spec.place,
        channel="web",
        language="ru",
        **reporter,
    ).complaint


def _original(spec: DemoComplaint, complaint: Complaint) -> Complaint | None:
    """The demo complaint that ``spec`` duplicates (filed earlier: originals come first in the file)."""
    if not spec.duplicate_of:
        return None
    original = next(s for s in data.complaints() if s.key == spec.duplicate_of)
    return Complaint.objects.get(election_id=complaint.election_id, description=original.description)


def _walk(spec: DemoComplaint, complaint: Complaint, *, users: dict[str, Any]) -> None:
    handler = users[data.HANDLERS.get(spec.region, "coordinator")]
    coordinator = users["coordinator"]
    for action in data.ROUTES[spec.route]:
        if action == "assign":
            complaint = services.complaint_assign(complaint=complaint, assignee=handler, actor=coordinator)
            continue
        if action in data.COMPLAINANT_ACTIONS:
            actor = users["observer"] if spec.reporter == "observer" else ComplainantActor(complaint.pk)
        else:
            actor = coordinator if action in data.COORDINATOR_ACTIONS else handler
        complaint = services.complaint_transition(
            complaint=complaint,
            action=action,
            actor=actor,
            comment=spec.comment(action),
            duplicate_of=_original(spec, complaint) if action == "mark_duplicate" else None,
            authority=(spec.authority or data.DEFAULT_AUTHORITY) if action == "escalate" else "",
            authority_reference=(spec.authority_reference or "б/н") if action == "escalate" else "",
        )
    if spec.note:
        services.note_add(complaint=complaint, actor=handler, body=spec.note)
