"""Publishing: identity refused, station detail warned about, only ready stripped copies, audited, coordinators only."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from complaints import services, workflow
from complaints.errors import IdentityInPublicText, PublicationWarnings, ValidationFailed
from complaints.models import AuditEvent, Complaint, EvidenceCopyState, PublishedCase
from tests.images import png_bytes
from tests.publication.conftest import SUMMARY, make_ready

pytestmark = pytest.mark.django_db


def publish(complaint: Complaint, actor: Any, summary: str = SUMMARY, **kwargs: Any) -> PublishedCase:
    kwargs.setdefault("evidence_ids", [])
    return services.case_publish(complaint=complaint, summary=summary, actor=actor, **kwargs)


@pytest.mark.parametrize(
    "text",
    [
        "Заявитель Ерлан Байкенов сообщил о давлении.",
        "Со слов БАЙКЕНОВА, директор требовал фото.",  # declined, upper case
        "байкенову угрожали увольнением",  # lower case, dative
        "Серикович подтвердил",  # the patronymic
        "ерлан видел всё сам",
    ],
)
def test_the_reporters_name_is_refused_in_any_case_and_form(case_complaint, coordinator, text):
    with pytest.raises(IdentityInPublicText) as info:
        publish(case_complaint, coordinator, summary=f"{SUMMARY} {text}")
    assert info.value.field == "summary"
    assert "name" in info.value.message
    assert not PublishedCase.objects.exists()


@pytest.mark.parametrize(
    "phone",
    ["+7 (701) 234-56-78", "87012345678", "8 701 234 56 78", "+77012345678", "7012345678", "234-56-78", "701-234-5678"],
)
def test_the_reporters_phone_is_refused_whatever_the_spelling(case_complaint, coordinator, phone):
    with pytest.raises(IdentityInPublicText) as info:
        publish(case_complaint, coordinator, summary=f"{SUMMARY} Звоните: {phone}.")
    assert "phone" in info.value.message


@pytest.mark.parametrize(
    "email",
    [
        "Erlan.Baikenov@mail.kz",
        "erlan.baikenov@MAIL.KZ",
        "erlan.baikenov (at) mail.kz",
        "erlan.baikenov at mail dot kz",
    ],
)
def test_the_reporters_email_is_refused_whatever_the_spelling(case_complaint, coordinator, email):
    with pytest.raises(IdentityInPublicText) as info:
        publish(case_complaint, coordinator, summary=f"{SUMMARY} Пишите {email}")
    assert "email" in info.value.message


def test_the_receipt_code_is_refused_with_or_without_dashes(case_complaint, coordinator):
    for spelled in (case_complaint.code, case_complaint.code.replace("-", "").lower()):
        with pytest.raises(IdentityInPublicText):
            publish(case_complaint, coordinator, summary=f"{SUMMARY} ({spelled})")


def test_a_title_naming_the_reporter_is_refused_too(case_complaint, coordinator):
    with pytest.raises(IdentityInPublicText) as info:
        publish(case_complaint, coordinator, titles={"en": "What happened to Baikenov", "ru": "Дело Байкенова"})
    assert info.value.field == "title_ru"


def test_words_that_merely_contain_a_name_part_are_not_refused(
    case_complaint, coordinator, substantiate, file_complaint
):
    other = substantiate(file_complaint(full_name="Ким Ли", phone="8 777 000 11 22"))
    case = publish(other, coordinator, summary="Аким района отказал наблюдателям. Участок закрыт с 20:00, 2011 год.")
    assert case.is_published


def test_polling_station_detail_warns_and_publishes_once_acknowledged(case_complaint, coordinator, ready):
    summary = f"{SUMMARY} Участок №512, ул. Ленина 10, школа №5."
    with pytest.raises(PublicationWarnings) as info:
        publish(case_complaint, coordinator, summary=summary, evidence_ids=[ready[0].pk])
    warnings = info.value.warnings
    assert any("number (512)" in w for w in warnings)
    assert any("address" in w for w in warnings)
    assert any("Fewer than" in w for w in warnings)  # one complaint from this station, and a photo from it
    assert not PublishedCase.objects.exists()

    case = publish(case_complaint, coordinator, summary=summary, evidence_ids=[ready[0].pk], acknowledge_warnings=True)
    assert case.is_published
    event = AuditEvent.objects.filter(complaint=case_complaint, action="case_published").get()
    assert event.payload["warnings_acknowledged"] == warnings


def test_no_warning_for_a_plain_summary_without_evidence_or_station(case_complaint, coordinator):
    case = publish(case_complaint, coordinator)
    assert case.is_published
    assert case.region is not None
    assert case.region.code == "pav"
    assert case.slug != case_complaint.code
    assert case_complaint.code.replace("-", "").lower() not in case.slug


def test_only_evidence_with_a_ready_stripped_copy_can_be_chosen(case_complaint, coordinator, ready, file_complaint):
    pending = ready[1]
    pending.public_state = EvidenceCopyState.PENDING
    pending.save(update_fields=["public_state"])
    for state in (EvidenceCopyState.PENDING, EvidenceCopyState.FAILED, EvidenceCopyState.UNPUBLISHABLE):
        pending.public_state = state
        pending.save(update_fields=["public_state"])
        with pytest.raises(ValidationFailed) as info:
            publish(case_complaint, coordinator, evidence_ids=[ready[0].pk, pending.pk], acknowledge_warnings=True)
        assert info.value.field == "evidence"
    other = file_complaint(files=[SimpleUploadedFile("x.png", png_bytes((9, 9, 9)), content_type="image/png")])
    foreign = make_ready(other.evidence.get())
    with pytest.raises(ValidationFailed):
        publish(case_complaint, coordinator, evidence_ids=[foreign.pk], acknowledge_warnings=True)
    case = publish(case_complaint, coordinator, evidence_ids=[ready[0].pk], acknowledge_warnings=True)
    assert list(case.evidence.all()) == [ready[0]]
    event = AuditEvent.objects.get(complaint=case_complaint, action="case_published")
    assert event.payload["evidence"] == [
        {"id": ready[0].pk, "sha256": ready[0].sha256, "public_sha256": ready[0].public_sha256}
    ]


def test_a_reviewer_may_not_publish_and_out_of_scope_it_does_not_exist(case_complaint, make_user, territory):
    reviewer = make_user("reviewer")
    with pytest.raises(workflow.NotAllowed):
        publish(case_complaint, reviewer)
    elsewhere = make_user("coordinator", [territory["ala"]])
    with pytest.raises(Complaint.DoesNotExist):
        publish(case_complaint, elsewhere)
    assert not PublishedCase.objects.exists()


def test_an_open_complaint_is_not_published(file_complaint, coordinator):
    with pytest.raises(workflow.InvalidTransition):
        publish(file_complaint(), coordinator)


def test_unpublish_needs_a_reason_is_audited_and_republishing_works(case_complaint, coordinator):
    case = publish(case_complaint, coordinator)
    with pytest.raises(ValidationFailed):
        services.case_unpublish(complaint=case_complaint, reason="  ", actor=coordinator)
    services.case_unpublish(complaint=case_complaint, reason="Просьба наблюдателя", actor=coordinator)
    case.refresh_from_db()
    assert not case.is_published
    assert case.unpublish_reason == "Просьба наблюдателя"
    with pytest.raises(workflow.InvalidTransition):
        services.case_unpublish(complaint=case_complaint, reason="again", actor=coordinator)

    again = publish(case_complaint, coordinator, summary="Новая сводка о давлении на работников.")
    assert again.pk == case.pk
    assert again.slug == case.slug
    assert again.is_published
    actions = list(
        AuditEvent.objects.filter(complaint=case_complaint, action__startswith="case_").values_list("action", "payload")
    )
    assert [a for a, _p in actions] == ["case_published", "case_unpublished", "case_published"]
    assert actions[1][1] == {"slug": case.slug, "reason": "Просьба наблюдателя"}
    assert actions[2][1]["was"] == "unpublished"
    from complaints.audit import verify_chains

    assert list(verify_chains()) == []
