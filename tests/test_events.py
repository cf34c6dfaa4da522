"""The event registry is the one source of event names, audiences and templates."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from complaints import events, workflow
from complaints.events import EVENTS, Audience, Event, EventType

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "complaints" / "templates" / "complaints" / "email"
# An event name such as "case.decided" (not a file name such as "case.json").
EVENT_LITERAL = re.compile(r"""["'](complaint|digest|case)\.(?!(?:json|zip|txt|pem)["'])[a-z_]+["']""")


def registry_problems(registry: dict[EventType, Event]) -> list[str]:
    problems = []
    for event_type in EventType:
        event = registry.get(event_type)
        if event is None:
            problems.append(f"{event_type} is not in EVENTS")
            continue
        if not event.emails and not event.why_no_email:
            problems.append(f"{event_type} has no audience (and says not why)")
        for audience, folder in event.emails.items():
            for name in ("subject.txt", "body.txt", "body.html"):
                if not (TEMPLATES / folder / name).is_file():
                    problems.append(f"{event_type} to {audience}: missing email/{folder}/{name}")
    return problems


def test_every_event_has_an_audience_and_its_templates():
    assert registry_problems(EVENTS) == []


def test_the_check_fails_for_an_event_without_template_or_audience():
    broken = dict(EVENTS)
    broken[EventType.DECIDED] = Event(EventType.DECIDED, {Audience.COMPLAINANT: "no_such_template"})
    broken[EventType.ESCALATED] = Event(EventType.ESCALATED)
    assert registry_problems(broken) == [
        "complaint.decided to complainant: missing email/no_such_template/subject.txt",
        "complaint.decided to complainant: missing email/no_such_template/body.txt",
        "complaint.decided to complainant: missing email/no_such_template/body.html",
        "complaint.escalated has no audience (and says not why)",
    ]


def test_every_transition_records_registered_events():
    for transition in workflow.TRANSITIONS:
        assert all(isinstance(e, EventType) for e in transition.events), transition.action


def test_api_webhook_event_list_is_the_registry():
    from complaints.api.serializers import WEBHOOK_EVENT_TYPES

    assert sorted(e.value for e in EventType if EVENTS[e].webhook) == WEBHOOK_EVENT_TYPES
    assert "digest.daily" not in WEBHOOK_EVENT_TYPES


@pytest.mark.parametrize("path", sorted(p for p in (ROOT / "complaints").rglob("*.py") if "migrations" not in p.parts))
def test_no_bare_event_name_outside_the_registry(path: Path):
    if path.name == "events.py" and path.parent.name == "complaints":
        return
    assert not EVENT_LITERAL.search(path.read_text(encoding="utf-8")), f"use complaints.events.EventType in {path}"


def test_email_template_lookup():
    assert events.email_template("complaint.submitted", "reviewer") == "new_complaints"
    assert events.email_template("complaint.status_changed", "complainant") is None
    assert events.email_template("no.such", "complainant") is None
