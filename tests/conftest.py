"""Shared fixtures. Test data is made through the real services wherever possible."""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth.models import Group
from django.utils import timezone, translation

from complaints import services
from complaints.models import (
    Category,
    Complaint,
    Election,
    ElectionKind,
    ElectionStatus,
    PollingStation,
    Profile,
    TerritorialUnit,
    UnitLevel,
)
from complaints.roles import ensure_role_groups

IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require_service(name: str, available: bool, why: str = "") -> None:
    """Skip when a service is missing on a laptop; fail under CI=true, never skip."""
    if available:
        return
    message = f"{name} is not available{': ' + why if why else ''}"
    if IN_CI:
        pytest.fail(f"CI=true and {message}")
    pytest.skip(message)


@pytest.fixture(autouse=True)
def _eager_celery(settings: Any) -> None:
    """Unit tests run tasks in-process; integration tests start a real worker themselves."""
    from django.core.cache import cache

    from registry.celery import app

    cache.clear()  # throttle counters and the like never leak between tests
    # Code called directly (services, commands) speaks English in tests; requests still
    # pick their language through LocaleMiddleware.
    translation.activate("en")
    # The app reads Django settings under the CELERY_ namespace: override those keys.
    app.conf.CELERY_TASK_ALWAYS_EAGER = True
    app.conf.CELERY_TASK_EAGER_PROPAGATES = True
    settings.AXES_ENABLED = False
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.MEDIA_ROOT = settings.VAR_DIR / "test-media"
    # No collectstatic in tests: serve app static files as they are.
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }


@pytest.fixture
def territory(db: Any) -> dict[str, Any]:
    kz = TerritorialUnit.objects.create(code="kz", level=UnitLevel.COUNTRY, name_ru="Казахстан", name_en="Kazakhstan")
    pav = TerritorialUnit.objects.create(
        parent=kz, code="pav", level=UnitLevel.REGION, name_ru="Павлодарская область", name_en="Pavlodar Region"
    )
    ekib = TerritorialUnit.objects.create(
        parent=pav, code="pav-ekibastuz", level=UnitLevel.DISTRICT, name_ru="Экибастуз", name_en="Ekibastuz"
    )
    ala = TerritorialUnit.objects.create(
        parent=kz, code="ala", level=UnitLevel.REGION, name_ru="Алматы", name_en="Almaty"
    )
    ala_d = TerritorialUnit.objects.create(
        parent=ala, code="ala-almaly", level=UnitLevel.DISTRICT, name_ru="Алмалинский район", name_en="Almaly"
    )
    return {
        "kz": kz,
        "pav": pav,
        "ekib": ekib,
        "ala": ala,
        "ala_d": ala_d,
        "ps_pav": PollingStation.objects.create(unit=ekib, number="512", address="Экибастуз, ул. Ленина 10, школа №5"),
        "ps_ala": PollingStation.objects.create(unit=ala_d, number="101", address="Алматы, пр. Абая 52, гимназия №12"),
    }


@pytest.fixture
def election(db: Any) -> Election:
    return Election.objects.create(
        slug="kz-2011-presidential",
        name_ru="Внеочередные выборы Президента РК",
        name_en="Extraordinary presidential election",
        kind=ElectionKind.PRESIDENTIAL,
        voting_day=timezone.localdate(),
        status=ElectionStatus.ACTIVE,
    )


@pytest.fixture
def category(db: Any) -> Category:
    return Category.objects.create(
        code="pressure.employer",
        name_ru="Давление работодателя",
        name_kk="Жұмыс берушінің қысымы",
        name_en="Pressure by employer",
        default_severity=3,
    )


@pytest.fixture
def make_user(db: Any, django_user_model: Any) -> Callable[..., Any]:
    counter = {"n": 0}

    def make(
        role: str | None = None,
        units: list[TerritorialUnit] | None = None,
        nationwide: bool | None = None,
        **extra: Any,
    ) -> Any:
        """A user of ``role``. Staff given no ``units`` are nationwide (as the demo coordinator is);
        ``units=[]`` makes a staff member with no scope at all, who sees nothing."""
        counter["n"] += 1
        user = django_user_model.objects.create_user(
            username=extra.pop("username", f"{role or 'user'}{counter['n']}"),
            password=extra.pop("password", "pass-for-tests-1"),
            email=extra.pop("email", f"{role or 'user'}{counter['n']}@example.org"),
            **extra,
        )
        if role:
            if not Group.objects.filter(name=role).exists():  # flushed by a transactional test
                ensure_role_groups()
            user.groups.add(Group.objects.get(name=role))
        if nationwide is None:
            nationwide = units is None and role in ("reviewer", "coordinator")
        profile = Profile.objects.create(user=user, language="ru", nationwide=nationwide)
        if units:
            profile.units.set(units)
        return user

    return make


@pytest.fixture
def file_complaint(territory: dict[str, Any], election: Election, category: Category) -> Callable[..., Complaint]:
    def make(**overrides: Any) -> Complaint:
        kwargs: dict[str, Any] = {
            "election": election,
            "category": category,
            "polling_station": territory["ps_pav"],
            "occurred_at": timezone.now() - timedelta(minutes=30),
            "description": "Директор предприятия требует фото бюллетеня от сотрудников.",
        }
        kwargs.update(overrides)
        return services.complaint_file(**kwargs).complaint

    return make


@pytest.fixture(autouse=True)
def _fresh_display_caches() -> None:
    """The API list caches display values per process; a test must not see a previous test's rows."""
    from complaints.api import fastlist

    fastlist.clear_caches()


def pytest_configure(config: Any) -> None:
    config.addinivalue_line("markers", "two_factor: staff two-factor authentication is required as in production")
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if worker:
        _cache_of_its_own(worker)


# `make test` runs the tests outside tests/e2e and tests/integration on two xdist workers, then
# those two folders in one process: they start servers on fixed ports (a private Redis, SMTP)
# and some measure timings that a busy neighbour would distort. Should they run under xdist
# anyway, each folder stays on one worker, one test after another.
SERIAL_GROUPS = {"tests/e2e/": "browser", "tests/integration/": "integration"}


def _cache_of_its_own(worker: str) -> None:
    """Under xdist, a Redis cache database per worker: tests clear the cache (FLUSHDB) and count
    throttles in it, so two workers sharing one would see each other's counts and wipe them."""
    from django.conf import settings

    number = int(worker.removeprefix("gw") or 0)
    for cache in settings.CACHES.values():
        location = str(cache.get("LOCATION", ""))
        base, _, db = location.rpartition("/")
        if number and location.startswith(("redis://", "rediss://")) and db.isdigit():
            cache["LOCATION"] = f"{base}/{(int(db) + 3 * number) % 16}"


def pytest_collection_modifyitems(config: Any, items: list[Any]) -> None:
    for item in items:
        for prefix, group in SERIAL_GROUPS.items():
            if item.nodeid.startswith(prefix):
                item.add_marker(pytest.mark.xdist_group(group))


@pytest.fixture(autouse=True)
def _two_factor_off_unless_marked(request: Any, settings: Any) -> None:
    """Staff 2FA is on in production; tests not about it (marked ``two_factor``) sign in with the password only."""
    if request.node.get_closest_marker("two_factor") is None:
        settings.TWO_FACTOR_REQUIRED_FOR = []


@pytest.fixture
def verified() -> Callable[..., Any]:
    """``verified(client, user)``: sign ``client`` in as ``user``, with a confirmed authenticator and the second
    factor passed in that session."""
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def sign_in(client: Any, user: Any) -> Any:
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
            user=user, name="authenticator", confirmed=True
        )
        client.force_login(user)
        session = client.session
        session[DEVICE_ID_SESSION_KEY] = device.persistent_id
        session.save()
        return device

    return sign_in
