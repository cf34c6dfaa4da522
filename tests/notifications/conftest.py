"""Fixtures for notification tests: a scripted webhook receiver, subscriptions, staff."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest

from complaints.models import OutboxMessage, WebhookSubscription
from complaints.notifications import netguard

HOOK_URL = "http://127.0.0.1:9/hooks/registry"


@dataclass
class FakeReceiver:
    """Stands in for the network: records each POST, answers from a script (default 200)."""

    calls: list[dict[str, Any]] = field(default_factory=list)
    script: list[tuple[int, dict[str, str]]] = field(default_factory=list)

    def post(self, target: netguard.Target, body: bytes, headers: dict[str, str], timeout: float) -> netguard.Response:
        self.calls.append({"target": target, "body": body.decode(), "headers": headers, "timeout": timeout})
        status, extra = self.script.pop(0) if self.script else (200, {})
        return netguard.Response(status=status, headers={k.lower(): v for k, v in extra.items()})

    def answer(self, *responses: int | tuple[int, dict[str, str]]) -> None:
        self.script.extend(r if isinstance(r, tuple) else (r, {}) for r in responses)

    def ids(self) -> list[str]:
        return [c["headers"]["webhook-id"] for c in self.calls]


@pytest.fixture
def receiver(monkeypatch: pytest.MonkeyPatch, settings: Any) -> FakeReceiver:
    settings.WEBHOOK_ALLOW_PRIVATE_URLS = True
    fake = FakeReceiver()
    monkeypatch.setattr(netguard, "post", fake.post)
    return fake


@pytest.fixture
def subscribe(make_user: Callable[..., Any]) -> Callable[..., WebhookSubscription]:
    def make(owner: Any = None, url: str = HOOK_URL, **extra: Any) -> WebhookSubscription:
        owner = owner or make_user("admin")
        return WebhookSubscription.objects.create(owner=owner, url=url, **extra)

    return make


@pytest.fixture
def staff(make_user: Callable[..., Any], territory: dict[str, Any]) -> dict[str, Any]:
    """Reviewers and coordinators in and out of the Pavlodar region, in several languages."""
    people = {
        "reviewer_pav": make_user("reviewer", [territory["pav"]], username="rev_pav"),
        "reviewer_kk": make_user("reviewer", [territory["ekib"]], username="rev_kk"),
        "reviewer_ala": make_user("reviewer", [territory["ala"]], username="rev_ala"),
        "coordinator_pav": make_user("coordinator", [territory["pav"]], username="coord_pav"),
        "coordinator_ala": make_user("coordinator", [territory["ala"]], username="coord_ala"),
    }
    people["reviewer_kk"].profile.language = "kk"
    people["reviewer_kk"].profile.save()
    for name in ("coordinator_pav", "coordinator_ala"):  # tests read their subjects: keep them English
        people[name].profile.language = "en"
        people[name].profile.save()
    return people


def due_now(**filters: Any) -> int:
    """Make batched rows due (as if the batching window had passed)."""
    from django.utils import timezone

    return OutboxMessage.objects.filter(status="pending", **filters).update(next_attempt_at=timezone.now())
