"""Retention: after an election's dispute window, reporters' identity is erased (dry run first, audited)."""

from __future__ import annotations

import re
from datetime import timedelta
from io import StringIO

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone, translation

from complaints import selectors, services
from complaints.audit import verify_chains
from complaints.models import AuditEvent, Complaint, Evidence, OutboxMessage, Reporter
from complaints.tasks import housekeeping
from complaints.web.presenters import event_label
from tests.images import png_bytes

pytestmark = pytest.mark.django_db

NAME, EMAIL, PHONE = "Айбек Свидетелев", "aibek.witness@example.kz", "+7 702 111 2233"


@pytest.fixture
def filed(territory, election, category, make_user):
    """Two named filings (one by an account, with a photo), one anonymous; with their follow-up secrets."""
    user = make_user("observer", email="aibek.account@example.kz")
    common = {
        "election": election,
        "category": category,
        "polling_station": territory["ps_pav"],
        "occurred_at": timezone.now() - timedelta(hours=1),
        "description": "Председатель УИК требовал показать бюллетень.",
    }
    return [
        services.complaint_file(
            **common,
            reporter_user=user,
            full_name=NAME,
            email=EMAIL,
            phone=PHONE,
            files=[SimpleUploadedFile("photo.png", png_bytes())],
        ),
        services.complaint_file(**common, full_name="Другой Наблюдатель", phone="+7 777 000 1122"),
        services.complaint_file(**common, anonymous=True),
    ]


def close_window(election, hours: int = 1):
    election.identity_retention_until = timezone.now() - timedelta(hours=hours)
    election.save(update_fields=["identity_retention_until"])


def identities(election) -> list[tuple]:
    return sorted(
        (r.pk, r.full_name, r.email, r.phone, r.email_hash, r.user_id)
        for r in Reporter.objects.filter(complaint__election=election)
    )


def test_the_dry_run_counts_and_erases_nothing(filed, election):
    close_window(election)
    before = identities(election)
    out = StringIO()
    call_command("purge_identities", "--election", election.slug, "--dry-run", stdout=out)
    assert "Dry run: 2 reporters" in out.getvalue()
    assert identities(election) == before
    assert not AuditEvent.objects.filter(action="identity_purged").exists()


def test_the_purge_erases_identity_audited_and_keeps_complaints_evidence_and_secrets(filed, election):
    close_window(election)
    named = filed[0].complaint
    secrets_before = dict(Reporter.objects.values_list("pk", "secret_hash"))
    evidence_before = list(Evidence.objects.values_list("pk", "sha256"))
    complaints_before = list(Complaint.objects.order_by("pk").values_list("pk", "code", "status", "description"))
    out = StringIO()
    call_command("purge_identities", "--election", election.slug, stdout=out)
    assert "Erased the identity of 2 reporters" in out.getvalue()

    for r in Reporter.objects.all():
        assert (r.full_name, r.email, r.phone, r.email_hash, r.user_id) == ("", "", "", "", None)
    assert dict(Reporter.objects.values_list("pk", "secret_hash")) == secrets_before
    assert list(Evidence.objects.values_list("pk", "sha256")) == evidence_before
    assert list(Complaint.objects.order_by("pk").values_list("pk", "code", "status", "description")) == (
        complaints_before
    )
    events = AuditEvent.objects.filter(action="identity_purged")
    assert sorted(events.values_list("complaint_id", flat=True)) == sorted(
        [filed[0].complaint.pk, filed[1].complaint.pk]
    )
    event = events.get(complaint=named)
    assert event.payload == {"erased": ["name", "email", "phone", "account"], "reason": "retention"}
    assert event.actor_id is None
    assert event.actor_label == "system"
    for needle in ("Айбек", "aibek", "702", "2233"):
        assert needle not in str(event.payload)
    assert list(verify_chains()) == []
    # The filer can still follow up with the receipt code and secret.
    assert selectors.complaint_by_receipt(code=named.code, secret=filed[0].secret) == named
    assert event_label("identity_purged") != "identity_purged"  # the timeline has a label for it

    again = StringIO()
    call_command("purge_identities", "--election", election.slug, stdout=again)
    assert "Erased the identity of 0 reporters" in again.getvalue()
    assert events.count() == 2  # idempotent: nothing left, no further event


def test_sent_notifications_lose_the_complainants_address(filed, election):
    named = filed[0].complaint
    sent = OutboxMessage.objects.filter(complaint=named, recipient=EMAIL)
    assert sent.exists()
    sent.update(status="delivered")
    close_window(election)
    services.identities_purge(election=election)
    assert not OutboxMessage.objects.filter(recipient=EMAIL).exists()


@translation.override("en")
def test_the_purge_is_refused_before_the_dispute_window_closes(filed, election):
    with pytest.raises(CommandError, match="has not closed"):
        call_command("purge_identities", "--election", election.slug, "--dry-run")
    election.identity_retention_until = timezone.now() + timedelta(days=3)
    election.save()
    with pytest.raises(CommandError, match="has not closed"):
        call_command("purge_identities", "--election", election.slug)
    with pytest.raises(CommandError, match="No election"):
        call_command("purge_identities", "--election", "no-such-election")
    assert Reporter.objects.exclude(full_name="").count() == 2


def test_a_person_can_be_forgotten_by_their_email(filed, election):
    out = StringIO()
    call_command("purge_identities", "--email", EMAIL.upper(), stdout=out)
    assert "Erased the identity of 1 reporters who gave that email address" in out.getvalue()
    event = AuditEvent.objects.get(action="identity_purged")
    assert (event.complaint_id, event.payload["reason"]) == (filed[0].complaint.pk, "request")
    assert Reporter.objects.get(pk=filed[1].complaint.pk).full_name == "Другой Наблюдатель"


def _public(client) -> dict[str, str]:
    cache.clear()  # the public figures are cached: compute them afresh
    pages = {}
    for url in ("/stats/", "/stats/open-data.csv", "/api/v1/public/stats/"):
        for lang in ("ru", "en"):
            body = client.get(url, HTTP_ACCEPT_LANGUAGE=lang).content.decode()
            pages[f"{url} {lang}"] = re.sub(r'(nonce|csrfmiddlewaretoken" value)="[^"]*"', "", body)
    return pages


def test_the_public_record_is_identical_before_and_after(filed, election, client, settings):
    settings.PUBLIC_STATS_MIN_COUNT = 1
    before = _public(client)
    assert "Председатель" not in str(before)  # (the public pages do not show stories either)
    close_window(election)
    services.identities_purge(election=election)
    assert _public(client) == before


def test_daily_housekeeping_purges_elections_whose_window_closed_only(filed, election, territory, category):
    later = type(election).objects.create(
        slug="later", name_ru="Позже", kind=election.kind, voting_day=election.voting_day, status=election.status
    )
    kept = services.complaint_file(
        election=later,
        category=category,
        polling_station=territory["ps_pav"],
        occurred_at=timezone.now() - timedelta(hours=1),
        description="Другие выборы, окно ещё открыто.",
        full_name="Ещё Хранится",
    ).complaint
    assert housekeeping.delay().get()["identities_purged"] == 0  # no window set: identity kept
    close_window(election)
    later.identity_retention_until = timezone.now() + timedelta(days=1)
    later.save()
    assert housekeeping.delay().get()["identities_purged"] == 2
    assert housekeeping.delay().get()["identities_purged"] == 0
    assert Reporter.objects.get(pk=kept.pk).full_name == "Ещё Хранится"
