"""``manage.py seed_demo``: the demo data set, loaded through the real services, idempotently."""

from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
import json
from collections import Counter
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.utils import translation

from complaints import audit
from complaints.access import visible_complaints
from complaints.demo import data
from complaints.models import (
    AuditEvent,
    Category,
    Complaint,
    Election,
    ElectionKind,
    ElectionStatus,
    PollingStation,
    Status,
    TerritorialUnit,
    UnitLevel,
)

pytestmark = pytest.mark.django_db

PASSWORD = "demo-pass-for-tests"
ALMATY = ZoneInfo("Asia/Almaty")


@pytest.fixture(autouse=True)
def _fast_hasher(settings: Any) -> None:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.SITE_URL = "https://registry.example.org"


def seed(*args: str, **options: Any) -> str:
    out = io.StringIO()
    with translation.override("en"):
        call_command("seed_demo", *args, stdout=out, **options)
    return out.getvalue()


def snapshot() -> tuple[dict[str, int], str]:
    """Row counts per table and one digest of every row of every table, in primary-key order."""
    counts: dict[str, int] = {}
    digest = hashlib.sha256()
    for model in apps.get_models(include_auto_created=True):
        rows = list(model._base_manager.order_by("pk").values_list())
        counts[model._meta.label] = len(rows)
        digest.update(f"{model._meta.label}:{rows!r}\n".encode())
    return counts, digest.hexdigest()


def test_seed_creates_the_election_territory_and_stations() -> None:
    seed(demo_password=PASSWORD)

    election = Election.objects.get(slug="kz-2011-presidential")
    assert election.kind == ElectionKind.PRESIDENTIAL
    assert election.voting_day.isoformat() == "2011-04-03"
    assert election.status == ElectionStatus.ACTIVE
    assert all([election.name_ru, election.name_kk, election.name_en])

    kz = TerritorialUnit.objects.get(code="kz", level=UnitLevel.COUNTRY)
    regions = TerritorialUnit.objects.filter(parent=kz)
    assert regions.count() == 16  # 14 oblasts + Astana + Almaty
    assert set(regions.values_list("level", flat=True)) == {UnitLevel.REGION}
    pav = regions.get(code="pav")
    assert (pav.name_ru, pav.name_kk, pav.name_en) == ("Павлодарская область", "Павлодар облысы", "Pavlodar Region")
    assert {"ast", "ala"} <= set(regions.values_list("code", flat=True))
    assert set(pav.children.values_list("code", flat=True)) == {"pav-pavlodar", "pav-ekibastuz", "pav-aksu"}
    assert TerritorialUnit.objects.get(code="pav-ekibastuz").path == "kz/pav/pav-ekibastuz/"
    for region in regions:
        assert 2 <= region.children.count() <= 4, region.code
        for district in region.children.all():
            assert district.name_kk, district.code
            assert district.name_en, district.code
            assert 2 <= district.polling_stations.count() <= 4, district.code
    station = PollingStation.objects.get(unit__code="pav-ekibastuz", number="512")
    assert station.address.startswith("г. Экибастуз")
    assert station.latitude is not None


def test_seed_creates_a_trilingual_taxonomy_with_severities_and_legal_references() -> None:
    seed(demo_password=PASSWORD)

    codes = set(Category.objects.values_list("code", flat=True))
    assert len(codes) >= 12
    assert {
        "pressure.employer",
        "pressure.officials",
        "speech.media_access",
        "speech.assembly",
        "observer.obstruction",
        "ballot.stuffing",
        "ballot.carousel",
        "vote_buying",
        "admin_resource",
        "voter_list",
        "count.falsification",
        "campaign.unequal_access",
    } <= codes
    for category in Category.objects.select_related("parent"):
        assert all([category.name_ru, category.name_kk, category.name_en]), category.code
        assert all([category.help_ru, category.help_kk, category.help_en]), category.code
        assert "О выборах" in category.legal_reference, category.code
        if "." in category.code:
            assert category.parent is not None
            assert category.parent.code == category.code.rsplit(".", 1)[0]
    severity = dict(Category.objects.values_list("code", "default_severity"))
    assert severity["ballot.stuffing"] == severity["count.falsification"] == severity["observer.obstruction"] == 4


def test_seed_creates_one_user_per_role_with_their_scope_and_prints_the_credentials() -> None:
    output = seed(demo_password=PASSWORD)

    User = get_user_model()
    for spec in data.USERS:
        user = User.objects.get(username=spec.username)
        assert list(user.groups.values_list("name", flat=True)) == [spec.role]
        assert user.check_password(PASSWORD)
        assert sorted(user.profile.units.values_list("code", flat=True)) == sorted(spec.units)
        assert spec.username in output
    admin = User.objects.get(username="admin")
    assert admin.is_staff
    assert admin.is_superuser
    assert not User.objects.get(username="coordinator").is_superuser
    assert "https://registry.example.org/accounts/login/" in output
    assert PASSWORD in output


def test_seed_files_the_demo_complaints_through_the_services() -> None:
    seed(demo_password=PASSWORD)

    election = Election.objects.get(slug="kz-2011-presidential")
    complaints = Complaint.objects.filter(election=election).select_related("reporter")
    assert complaints.count() == len(data.complaints()) >= 45
    statuses = Counter(complaints.values_list("status", flat=True))
    assert {
        Status.SUBMITTED,
        Status.TRIAGED,
        Status.UNDER_REVIEW,
        Status.NEEDS_INFO,
        Status.SUBSTANTIATED,
        Status.ESCALATED,
        Status.CLOSED,
        Status.DUPLICATE,
        Status.REJECTED,
        Status.WITHDRAWN,
    } <= set(statuses)
    assert statuses[Status.SUBMITTED] < complaints.count() / 2
    window = (datetime(2011, 3, 1, tzinfo=ALMATY), datetime(2011, 4, 6, tzinfo=ALMATY))
    assert all(window[0] <= c.occurred_at <= window[1] for c in complaints)
    assert len({c.unit_path.split("/")[1] for c in complaints}) == 16  # every region has complaints
    observer = get_user_model().objects.get(username="observer")
    reporters = Counter("anonymous" if c.reporter.is_anonymous else c.reporter.user_id for c in complaints)
    assert reporters["anonymous"] >= 10
    assert reporters[observer.pk] >= 10
    # Filed and moved by the services: every complaint starts its audit chain with "file", chains verify.
    assert AuditEvent.objects.filter(action="file").count() == complaints.count()
    assert list(audit.verify_chains()) == []
    duplicate = complaints.get(status=Status.DUPLICATE)
    assert duplicate.duplicate_of is not None
    assert duplicate.duplicate_of.category.code == "ballot.carousel"


def test_demo_reviewers_see_their_own_region_only() -> None:
    seed(demo_password=PASSWORD)

    User = get_user_model()
    pavlodar = visible_complaints(User.objects.get(username="reviewer"))
    almaty = visible_complaints(User.objects.get(username="reviewer_almaty"))
    assert pavlodar.exists()
    assert almaty.exists()
    assert all(path.startswith("kz/pav/") for path in pavlodar.values_list("unit_path", flat=True))
    assert all(path.startswith("kz/ala/") for path in almaty.values_list("unit_path", flat=True))
    assert pavlodar.filter(assignee__username="reviewer").exists()


def test_second_run_changes_nothing() -> None:
    seed(demo_password=PASSWORD)
    counts_before, digest_before = snapshot()

    output = seed(demo_password="another-password")

    counts_after, digest_after = snapshot()
    assert counts_after == counts_before
    assert digest_after == digest_before
    assert counts_before["complaints.Complaint"] == len(data.complaints())
    assert "already exist" in output
    assert "manage.py changepassword observer" in output
    assert "another-password" not in output
    assert get_user_model().objects.get(username="observer").check_password(PASSWORD)


def test_password_file_holds_the_created_credentials_and_is_not_rewritten(tmp_path: Any) -> None:
    path = tmp_path / "credentials.json"
    seed("--password-file", str(path))

    credentials = json.loads(path.read_text())
    assert credentials["login_url"] == "https://registry.example.org/accounts/login/"
    assert set(credentials["users"]) == {u.username for u in data.USERS}
    passwords = [entry["password"] for entry in credentials["users"].values()]
    assert len(set(passwords)) == len(passwords)
    assert min(map(len, passwords)) >= 16
    observer = get_user_model().objects.get(username="observer")
    assert observer.check_password(credentials["users"]["observer"]["password"])
    assert path.stat().st_mode & 0o077 == 0

    path.unlink()
    output = seed("--password-file", str(path))
    assert not path.exists()
    assert "was not written" in output


def test_a_partial_demo_set_is_completed_without_duplicates(monkeypatch: pytest.MonkeyPatch) -> None:
    full = data.complaints()
    monkeypatch.setattr(data, "complaints", lambda: full[:10])
    seed(demo_password=PASSWORD)
    assert Complaint.objects.count() == 10

    monkeypatch.setattr(data, "complaints", lambda: full)
    output = seed(demo_password=PASSWORD)

    assert Complaint.objects.count() == len(full)
    assert Complaint.objects.values("description").distinct().count() == len(full)
    assert f"{len(full) - 10} filed, 10 already there" in output


def test_an_archived_demo_election_gets_no_new_complaints() -> None:
    fields = {k: v for k, v in data.ELECTION.items() if k != "slug"}
    Election.objects.create(slug=data.ELECTION["slug"], status=ElectionStatus.ARCHIVED, **fields)

    output = seed(demo_password=PASSWORD)

    assert Complaint.objects.count() == 0
    assert "archived" in output
    assert Category.objects.exists()
    assert PollingStation.objects.exists()


def test_every_demo_complaint_names_a_known_place_category_and_route() -> None:
    """The data files hang together (a typo would otherwise surface as a crash in `make run`)."""
    with data.TERRITORY_CSV.open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    units = {row["region_code"] for row in rows} | {row["district_code"] for row in rows}
    stations = {(row["district_code"], row["station_number"]) for row in rows}
    categories = {c.code for c in data.categories()}
    keys = [c.key for c in data.complaints()]
    for complaint in data.complaints():
        assert complaint.route in data.ROUTES, complaint.key
        assert complaint.category in categories, complaint.key
        assert complaint.station in stations if complaint.station else complaint.unit in units, complaint.key
        if complaint.duplicate_of:
            assert keys.index(complaint.duplicate_of) < keys.index(complaint.key)
    assert len(set(keys)) == len(keys)
    assert len({c.description for c in data.complaints()}) == len(keys)
    assert all(dataclasses.is_dataclass(c) for c in data.categories())
