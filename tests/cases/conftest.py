"""Fixtures for the legal case: an authority chain, the Kazakhstan rules and 2011 holidays, coordinators."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from complaints import services
from complaints.demo import legal as demo_legal
from complaints.models import Authority, AuthorityKind, AuthorityLevel, Complaint
from tests.api.conftest import anon, client_for  # noqa: F401 - the API clients, shared
from tests.workflow.helpers import force_state


@pytest.fixture
def rules(db: Any) -> None:
    demo_legal.rules_seed()
    demo_legal.holidays_seed()


@pytest.fixture
def bodies(territory: dict[str, Any]) -> dict[str, Authority]:
    court = Authority.objects.create(
        code="kz-court", kind=AuthorityKind.COURT, level=AuthorityLevel.CASSATION, name_ru="Верховный суд"
    )
    cec = Authority.objects.create(
        code="kz-cec",
        kind=AuthorityKind.COMMISSION,
        level=AuthorityLevel.CENTRAL,
        name_ru="Центральная избирательная комиссия Республики Казахстан",
        unit=territory["kz"],
        appeals_to=court,
    )
    pav = Authority.objects.create(
        code="pav-oec",
        kind=AuthorityKind.COMMISSION,
        level=AuthorityLevel.REGIONAL,
        name_ru="Павлодарская областная избирательная комиссия",
        unit=territory["pav"],
        appeals_to=cec,
    )
    ekib = Authority.objects.create(
        code="pav-ekib-tec",
        kind=AuthorityKind.COMMISSION,
        level=AuthorityLevel.TERRITORIAL,
        name_ru="Экибастузская ТИК",
        unit=territory["ekib"],
        appeals_to=pav,
    )
    ala = Authority.objects.create(
        code="ala-cec",
        kind=AuthorityKind.COMMISSION,
        level=AuthorityLevel.REGIONAL,
        name_ru="Алматинская городская избирательная комиссия",
        unit=territory["ala"],
        appeals_to=cec,
    )
    police = Authority.objects.create(
        code="pav-police",
        kind=AuthorityKind.POLICE,
        level=AuthorityLevel.REGIONAL,
        name_ru="ДВД",
        unit=territory["pav"],
    )
    return {"court": court, "cec": cec, "pav": pav, "ekib": ekib, "ala": ala, "police": police}


@pytest.fixture
def staff(make_user: Callable[..., Any], territory: dict[str, Any]) -> dict[str, Any]:
    return {
        "coordinator": make_user("coordinator", [territory["pav"]], username="coord_pav"),
        "coordinator_ala": make_user("coordinator", [territory["ala"]], username="coord_ala"),
        "reviewer": make_user("reviewer", [territory["pav"]], username="rev_pav"),
        "admin": make_user("admin", username="boss"),
    }


@pytest.fixture
def substantiated(file_complaint: Callable[..., Complaint]) -> Complaint:
    """A Pavlodar complaint found substantiated (reached through the generated transition tests' helper)."""
    return force_state(file_complaint(email="voter@example.org", full_name="Voter", language="en"), "substantiated")


@pytest.fixture
def filed(substantiated: Complaint, staff: dict[str, Any], bodies: dict[str, Authority], rules: None) -> Any:
    return services.submission_file(
        complaint=substantiated, actor=staff["coordinator"], authority=bodies["ekib"], channel="in_person"
    )
