"""Who may see and act on what: roles from groups, territorial scope from the profile.

Outside their scope a complaint does not exist for a user: every read goes through
``visible_complaints`` so callers answer 404, never 403.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any, TypeAlias

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.db.models import Q, QuerySet

from complaints.models import Complaint, Profile, Reporter
from complaints.workflow import Role

GROUP_OBSERVER = "observer"
GROUP_REVIEWER = "reviewer"
GROUP_COORDINATOR = "coordinator"
GROUP_ADMIN = "admin"
ROLE_GROUPS = (GROUP_OBSERVER, GROUP_REVIEWER, GROUP_COORDINATOR, GROUP_ADMIN)


@dataclass(frozen=True)
class ComplainantActor:
    """An anonymous complainant who proved they hold the receipt code and secret."""

    complaint_id: int
    is_authenticated: bool = False
    pk: None = None


# Who acts: a user account (staff or complainant), or an anonymous complainant by secret.
Actor: TypeAlias = AbstractBaseUser | AnonymousUser | ComplainantActor


def hash_secret(secret: str) -> str:
    """The stored form of a complainant's follow-up secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


@dataclass(frozen=True)
class Access:
    user_id: int | None
    staff_roles: frozenset[Role]
    # Materialised paths of the units the user is scoped to. Empty = nowhere, unless nationwide:
    # a reviewer whose profile lost its units sees nothing rather than everything.
    scope_paths: tuple[str, ...]
    nationwide: bool = False

    @property
    def is_staff_reviewer(self) -> bool:
        return bool(self.staff_roles)

    @property
    def is_admin(self) -> bool:
        return Role.ADMIN in self.staff_roles

    @property
    def everywhere(self) -> bool:
        return self.is_admin or (bool(self.staff_roles) and self.nationwide)

    def covers(self, unit_path: str) -> bool:
        if self.everywhere:
            return True
        return any(unit_path.startswith(p) for p in self.scope_paths)

    def scope_q(self, prefix: str = "") -> Q:
        """Complaints inside the scope. Only meaningful when ``scope_paths`` is non-empty."""
        q = Q(pk__in=[])
        for path in self.scope_paths:
            q |= Q(**{f"{prefix}unit_path__startswith": path})
        return q


NO_ACCESS = Access(None, frozenset(), ())


def access_for(user: Any) -> Access:
    """The user's roles and scope, computed once per user object (i.e. per request)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return NO_ACCESS
    cached = getattr(user, "_registry_access", None)
    if cached is not None:
        return cached
    # The API key authentication may have read the group names with the key (one query fewer).
    preloaded: list[str] | None = getattr(user, "_registry_group_names", None)
    groups = set(preloaded) if preloaded is not None else set(user.groups.values_list("name", flat=True))
    roles: set[Role] = set()
    if user.is_superuser or GROUP_ADMIN in groups:
        roles.add(Role.ADMIN)
    if GROUP_COORDINATOR in groups:
        roles.add(Role.COORDINATOR)
    if GROUP_REVIEWER in groups:
        roles.add(Role.REVIEWER)
    paths: tuple[str, ...] = ()
    nationwide = False
    preloaded_scope: tuple[bool, tuple[str, ...]] | None = getattr(user, "_registry_scope", None)
    if roles and Role.ADMIN not in roles and preloaded_scope is not None:
        nationwide, paths = preloaded_scope
    elif roles and Role.ADMIN not in roles:
        # One query: the flag and the units' paths (no profile: no scope, fails closed).
        rows = list(Profile.objects.filter(user=user).values_list("nationwide", "units__path"))
        nationwide = any(flag for flag, _ in rows)
        paths = tuple(path for _, path in rows if path)
    access = Access(
        user_id=user.pk,
        staff_roles=frozenset(roles),
        scope_paths=paths,
        nationwide=nationwide,
    )
    user._registry_access = access
    return access


def preload_access(users: Iterable[Any]) -> None:
    """Read the roles and scope of many users in one query (the webhook fan-out's owners)."""
    pending = [u for u in users if getattr(u, "_registry_access", None) is None and u.is_authenticated]
    if not pending:
        return
    # One query: groups x scope units per user (a handful of each for an API client).
    rows = get_user_model().objects.filter(pk__in={u.pk for u in pending})
    names: dict[int, set[str]] = defaultdict(set)
    paths: dict[int, set[str]] = defaultdict(set)
    nationwide: set[int] = set()
    columns = ("pk", "groups__name", "profile__units__path", "profile__nationwide")
    for user_id, name, path, everywhere in rows.values_list(*columns):
        if name:
            names[user_id].add(name)
        if path:
            paths[user_id].add(path)
        if everywhere:
            nationwide.add(user_id)
    for user in pending:
        user._registry_group_names = sorted(names[user.pk])
        user._registry_scope = (user.pk in nationwide, tuple(sorted(paths[user.pk])))


def has_identity_permission(user: Any) -> bool:
    """The permission alone: the page offers the reveal, which then asks for the second factor."""
    return bool(getattr(user, "is_authenticated", False) and user.has_perm("complaints.view_reporter_identity"))


def two_factor_required(user: Any) -> bool:
    """Must this account pass the second factor (settings.TWO_FACTOR_REQUIRED_FOR)?"""
    if not getattr(user, "is_authenticated", False):
        return False
    tiers = settings.TWO_FACTOR_REQUIRED_FOR
    return bool(
        ("admin" in tiers and (user.is_staff or user.is_superuser))
        or ("identity" in tiers and has_identity_permission(user))
        or ("staff" in tiers and access_for(user).staff_roles)
    )


def second_factor_ok(user: Any) -> bool:
    """True unless this is a browser session that needs the second factor and has not passed it.

    django-otp's OTPMiddleware gives every session user ``is_verified()``. A user object that
    did not come from a session (an API key's service user, a task, a command) has none and
    is not asked: the second factor guards interactive logins, an API key is its own credential.
    """
    is_verified = getattr(user, "is_verified", None)
    if not callable(is_verified) or not two_factor_required(user):
        return True
    return bool(is_verified())


def can_view_identity(user: Any) -> bool:
    return has_identity_permission(user) and second_factor_ok(user)


def visible_complaints(user: Any, qs: QuerySet[Complaint] | None = None) -> QuerySet[Complaint]:
    """Complaints the user may know exist: their own, plus their scope if they are staff."""
    qs = Complaint.objects.all() if qs is None else qs
    access = access_for(user)
    if access.everywhere:
        return qs
    # A subquery, not a join: OR-ed with the scope, a join to reporters forces a scan of both tables.
    own = (
        Q(pk__in=Reporter.objects.filter(user_id=access.user_id).values("complaint_id"))
        if access.user_id
        else Q(pk__in=[])
    )
    if access.staff_roles and access.scope_paths:
        return qs.filter(access.scope_q() | own)
    return qs.filter(own)  # not staff, or staff with no scope: only what they filed themselves


def roles_for(user: Any, complaint: Complaint) -> set[Role]:
    """The roles ``user`` holds on this complaint (empty if it is outside their reach)."""
    access = access_for(user)
    roles: set[Role] = set()
    if access.staff_roles and access.covers(complaint.unit_path):
        roles |= access.staff_roles
    reporter_user_id = getattr(getattr(complaint, "reporter", None), "user_id", None)
    if access.user_id and reporter_user_id == access.user_id:
        roles.add(Role.COMPLAINANT)
    return roles


def staff_in_scope(complaint: Complaint, role_group: str) -> QuerySet[Any]:
    """Active users of ``role_group`` whose scope covers the complaint."""
    User = get_user_model()
    covering = [complaint.unit_path[: i + 1] for i, ch in enumerate(complaint.unit_path) if ch == "/"]
    return (
        User.objects.filter(is_active=True, groups__name=role_group)
        .filter(Q(profile__nationwide=True) | Q(profile__units__path__in=covering))
        .distinct()
    )
