"""Generating the formal complaint document: what it says, in which language, numbered, hashed, audited, scoped."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest
from django.urls import reverse

from complaints import services
from complaints.documents import DocumentOptions
from complaints.errors import ValidationFailed
from complaints.models import AuditEvent, Complaint, DocumentTemplate, GeneratedDocument
from complaints.workflow import NotAllowed
from tests.documents.conftest import KAZAKH_LETTERS, LEGAL, docx_text, flat, pdf_text

pytestmark = pytest.mark.django_db

ORG = "ОО «Адал сайлау»"


def generate(complaint: Complaint, actor: Any, **options: Any) -> GeneratedDocument:
    options.setdefault("organisation", ORG)
    return services.document_generate(complaint=complaint, actor=actor, options=DocumentOptions(**options))


def stored(document: GeneratedDocument) -> bytes:
    with document.file.open("rb") as f:
        return f.read()


def assert_holds_the_facts(text: str, complaint: Complaint) -> None:
    compact = flat(text)
    assert complaint.code in compact
    assert "512" in text
    assert flat("Экибастуз, ул. Ленина 10, школа №5") in compact
    assert flat(LEGAL) in compact
    hashes = [e.sha256 for e in complaint.evidence.all()]
    assert len(hashes) == 2
    for sha in hashes:
        assert sha in compact


# --- what the document says -------------------------------------------------------------


def test_kazakh_pdf_holds_code_station_article_hashes_and_kazakh_letters(substantiated, coordinator):
    document = generate(substantiated, coordinator, language="kk", format="pdf")
    data = stored(document)
    assert data.startswith(b"%PDF-")
    assert b"/FontFile2" in data  # the TrueType font is embedded (subset), not referenced
    text = pdf_text(data)
    assert_holds_the_facts(text, substantiated)
    for letter in KAZAKH_LETTERS:
        assert letter in text, letter
    assert "ШАҒЫМ" in text
    assert "Қосымшалар" in text
    assert "Ерлан Байкенов" in text  # a named observer signs with their name
    assert len(data) < 200_000  # subset fonts: tens of KB, not the 1.4 MB of the two TTFs


def test_russian_and_english_pdfs(substantiated, coordinator):
    ru = pdf_text(stored(generate(substantiated, coordinator, language="ru")))
    assert_holds_the_facts(ru, substantiated)
    assert "ЖАЛОБА" in ru
    assert flat("Территориальная избирательная комиссия: Экибастуз") in flat(ru)
    en = pdf_text(stored(generate(substantiated, coordinator, language="en")))
    assert_holds_the_facts(en, substantiated)
    assert "COMPLAINT" in en
    assert flat("Territorial Election Commission of Ekibastuz") in flat(en)


def test_docx_opens_and_holds_the_same(substantiated, coordinator):
    document = generate(substantiated, coordinator, language="kk", format="docx")
    assert document.content_type.endswith("wordprocessingml.document")
    text = docx_text(stored(document))
    assert_holds_the_facts(text, substantiated)
    for letter in KAZAKH_LETTERS:
        assert letter in text, letter


def test_addressee_standing_remedy_and_legal_basis_can_be_changed(substantiated, coordinator):
    document = generate(
        substantiated,
        coordinator,
        language="ru",
        addressee="central",
        standing="journalist",
        organisation="газета «Время»",
        complainant_name="Асель Нурова",
        respondent="Председатель УИК № 512 Иванов И. И.",
        legal_basis="ст. 44 п. 1 Конституционного закона «О выборах»",
        remedies=("recount",),
        remedy_text="обязать комиссию выдать копию протокола",
    )
    text = pdf_text(stored(document))
    compact = flat(text)
    assert flat("Центральная избирательная комиссия Республики Казахстан") in compact
    assert flat("Асель Нурова, представитель средства массовой информации газета «Время»") in compact
    assert flat("Председатель УИК № 512 Иванов И. И.") in compact
    assert flat("ст. 44 п. 1 Конституционного закона «О выборах»") in compact
    assert flat(LEGAL) not in compact
    assert flat("провести повторный подсчёт голосов") in compact
    assert flat("обязать комиссию выдать копию протокола") in compact
    assert document.options["addressee"] == "central"
    assert document.options["standing"] == "journalist"


def test_precinct_commission_is_named_after_the_station_and_free_text_replaces_it(substantiated, coordinator):
    text = pdf_text(stored(generate(substantiated, coordinator, addressee="precinct")))
    assert flat("Участковая избирательная комиссия избирательного участка № 512") in flat(text)
    text = pdf_text(
        stored(generate(substantiated, coordinator, addressee="court", addressee_text="Суд города Экибастуза"))
    )
    assert flat("Кому: Суд города Экибастуза") in flat(text)


def test_several_complaints_about_one_incident(substantiated, coordinator, file_complaint, uploads, territory):
    other = file_complaint(description="Второй свидетель: директор собирал фото бюллетеней.", files=uploads()[:1])
    document = generate(substantiated, coordinator, related=(other.code,))
    text = flat(pdf_text(stored(document)))
    assert substantiated.code in text
    assert other.code in text
    assert flat("Второй свидетель: директор собирал фото бюллетеней.") in text
    for e in [*substantiated.evidence.all(), *other.evidence.all()]:
        assert e.sha256 in text
    assert list(document.related.all()) == [other]
    # Each complaint's timeline records the document; the other's list shows it too.
    for c in (substantiated, other):
        event = AuditEvent.objects.filter(complaint=c, action="document").get()
        assert event.payload["sha256"] == document.sha256
        assert event.payload["complaints"] == [substantiated.code, other.code]


def test_a_complaint_outside_the_scope_cannot_be_joined(substantiated, make_user, territory, file_complaint, category):
    pav_coordinator = make_user("coordinator", [territory["pav"]], username="coord_pav")
    almaty = file_complaint(polling_station=territory["ps_ala"])
    with pytest.raises(ValidationFailed) as exc:
        generate(substantiated, pav_coordinator, related=(almaty.code,), complainant_name="Подписант")
    assert exc.value.field == "related"
    assert almaty.code in exc.value.message


# --- the anonymous witness ----------------------------------------------------------------


def test_anonymous_witness_identity_never_appears_in_any_output(witness_complaint, coordinator, client):
    secrets = ["Гульнара", "Свидетельница", "+7 701 000 00 00", "701 000"]
    outputs, raw = [], []
    for language in ("ru", "kk", "en"):
        for fmt in ("pdf", "docx"):
            document = generate(witness_complaint, coordinator, language=language, format=fmt)
            data = stored(document)
            outputs.append(pdf_text(data) if fmt == "pdf" else docx_text(data))
            raw.append(data.decode("latin-1"))  # metadata, uncompressed strings
            assert document.options["standing"] == "organisation"
            assert document.options["identity_included"] is False
            outputs.append(str(document.options))
    outputs += [str(e.payload) for e in AuditEvent.objects.filter(complaint=witness_complaint, action="document")]
    client.force_login(coordinator)
    outputs.append(client.get(reverse("api-complaint-documents", args=[witness_complaint.code])).content.decode())
    for output in outputs:
        for secret in secrets:
            assert secret not in output
    # In the raw bytes "701 000" can be a PDF cross-reference entry ("0000004701 00000 n"):
    # there the name and the whole number are looked for; the text above had every piece.
    for output in raw:
        for secret in secrets[:3]:
            assert secret not in output
    assert flat(ORG) in flat(outputs[0])
    assert "анонимность" in outputs[0]


def test_anonymous_witness_cannot_be_given_a_personal_standing_without_a_typed_name(witness_complaint, coordinator):
    with pytest.raises(ValidationFailed) as exc:
        generate(witness_complaint, coordinator, standing="voter")
    assert exc.value.field == "standing"
    # The coordinator may name who signs (a colleague filing in their own name): that is not the witness.
    document = generate(witness_complaint, coordinator, standing="observer", complainant_name="Дана Ахметова")
    text = pdf_text(stored(document))
    assert "Дана Ахметова" in text
    assert "Гульнара" not in text


def test_a_named_reporter_needs_the_identity_permission(named_complaint, make_user, territory):
    # A coordinator-like user without view_reporter_identity: an admin group member has it; build one without.
    from django.contrib.auth.models import Permission

    coordinator = make_user("coordinator", [territory["kz"]], username="coord_noid")
    group = coordinator.groups.get()
    group.permissions.remove(Permission.objects.get(codename="view_reporter_identity"))
    coordinator = type(coordinator).objects.get(pk=coordinator.pk)  # fresh permission cache
    with pytest.raises(ValidationFailed) as exc:
        generate(named_complaint, coordinator, standing="observer")
    assert exc.value.field == "complainant_name"


# --- versions, hashes, timeline -------------------------------------------------------------


def test_versions_increase_and_each_is_recorded_on_the_timeline(substantiated, coordinator):
    docs = [
        generate(substantiated, coordinator, language=lang, format=fmt)
        for lang, fmt in [("ru", "pdf"), ("kk", "docx"), ("en", "pdf")]
    ]
    assert [d.version for d in docs] == [1, 2, 3]
    events = list(AuditEvent.objects.filter(complaint=substantiated, action="document").order_by("seq"))
    assert [e.payload["document_version"] for e in events] == [1, 2, 3]
    for doc, event in zip(docs, events, strict=True):
        assert event.payload["sha256"] == doc.sha256 == hashlib.sha256(stored(doc)).hexdigest()
        assert event.payload["document"] == doc.pk
        assert event.actor == coordinator
    substantiated.refresh_from_db()
    from complaints.audit import verify_chains

    assert list(verify_chains([substantiated.pk])) == []


def test_the_staff_page_timeline_shows_it(client, substantiated, coordinator):
    doc = generate(substantiated, coordinator)
    client.force_login(coordinator)
    page = client.get(reverse("web-complaint", args=[substantiated.code])).content.decode()
    assert "Complaint document generated" in page
    assert doc.sha256 in page
    assert reverse("web-document", args=[substantiated.code, doc.pk]) in page


def test_the_sha256_recorded_equals_the_bytes_served(client, substantiated, coordinator):
    doc = generate(substantiated, coordinator, format="docx")
    client.force_login(coordinator)
    for url in (
        reverse("web-document", args=[substantiated.code, doc.pk]),
        reverse("api-complaint-document-download", args=[substantiated.code, doc.pk]),
    ):
        response = client.get(url)
        assert response.status_code == 200
        body = b"".join(response.streaming_content)
        assert hashlib.sha256(body).hexdigest() == doc.sha256 == response["X-Content-SHA256"]
        assert "attachment" in response["Content-Disposition"]
        assert f"complaint-{substantiated.code}-v1-ru.docx" in response["Content-Disposition"]


def test_template_per_election_replaces_the_default(substantiated, coordinator, election):
    DocumentTemplate.objects.filter(language="ru").delete()
    DocumentTemplate.objects.create(language="ru", body="# ОБЩИЙ ШАБЛОН\n{{ addressee }}")
    assert "ОБЩИЙ ШАБЛОН" in pdf_text(stored(generate(substantiated, coordinator)))
    own = DocumentTemplate.objects.create(
        election=election,
        language="ru",
        body="# ШАБЛОН ВЫБОРОВ\n{% for a in attachments %}- {{ a.sha256 }}\n{% endfor %}",
    )
    doc = generate(substantiated, coordinator)
    text = pdf_text(stored(doc))
    assert "ШАБЛОН ВЫБОРОВ" in text
    assert "ОБЩИЙ" not in text
    assert doc.template == own
    own.body = "{% for %}"
    own.save()
    with pytest.raises(ValidationFailed):
        generate(substantiated, coordinator)


def test_user_text_cannot_inject_markup_or_break_the_writers(file_complaint, legal_category, coordinator):
    complaint = file_complaint(description="# не заголовок\n> не адресат\n- не пункт\nконтроль\x07 и 漢字 🗳")
    for fmt in ("pdf", "docx"):
        doc = generate(complaint, coordinator, format=fmt, complainant_name="Подписант", standing="voter")
        text = pdf_text(stored(doc)) if fmt == "pdf" else docx_text(stored(doc))
        assert "# не заголовок" in text
        assert "> не адресат" in text
        assert "- не пункт" in text


# --- who may -----------------------------------------------------------------------------------


def test_reviewer_in_scope_is_refused_outside_scope_does_not_see_it(substantiated, reviewer_pav, make_user, territory):
    with pytest.raises(NotAllowed):
        generate(substantiated, reviewer_pav)
    outside = make_user("coordinator", [territory["ala"]], username="coord_ala2")
    with pytest.raises(Complaint.DoesNotExist):
        generate(substantiated, outside)


def test_api_permissions(client, substantiated, coordinator, reviewer_pav, make_user, territory, observer):
    url = reverse("api-complaint-documents", args=[substantiated.code])
    body = {"language": "kk", "format": "pdf", "organisation": ORG}
    client.force_login(coordinator)
    created = client.post(url, body, content_type="application/json")
    assert created.status_code == 201, created.content
    doc = created.json()
    assert doc["version"] == 1
    assert doc["language"] == "kk"
    assert len(doc["sha256"]) == 64
    listed = client.get(url).json()
    assert [d["id"] for d in listed] == [doc["id"]]
    download = reverse("api-complaint-document-download", args=[substantiated.code, doc["id"]])

    outside_reviewer = make_user("reviewer", [territory["ala"]], username="rev_ala")
    outside_coordinator = make_user("coordinator", [territory["ala"]], username="coord_ala3")
    for user, expected in (
        (outside_reviewer, 404),
        (outside_coordinator, 404),
        (reviewer_pav, 403),
        (observer, 404),  # the observer filed it: they see the complaint, not staff documents
    ):
        client.force_login(user)
        assert client.get(url).status_code == expected, user
        assert client.post(url, body, content_type="application/json").status_code == expected, user
        assert client.get(download).status_code == expected, user
    other_observer = make_user("observer", username="obs2")
    client.force_login(other_observer)
    assert client.get(url).status_code == 404
    client.logout()
    assert client.get(url).status_code in (401, 403)
    assert GeneratedDocument.objects.count() == 1


def test_api_validation_errors_name_the_field(client, substantiated, coordinator):
    client.force_login(coordinator)
    url = reverse("api-complaint-documents", args=[substantiated.code])
    bad = client.post(url, {"language": "de"}, content_type="application/json")
    assert bad.status_code == 400
    assert "language" in bad.json()["error"]["fields"]
    missing_org = client.post(url, {"standing": "observer"}, content_type="application/json")
    assert missing_org.status_code == 400
    assert "organisation" in missing_org.json()["error"]["fields"]


def test_web_permissions(client, substantiated, coordinator, reviewer_pav, make_user, territory, observer):
    generate_url = reverse("web-document-generate", args=[substantiated.code])
    doc = generate(substantiated, coordinator)
    download = reverse("web-document", args=[substantiated.code, doc.pk])
    outside_reviewer = make_user("reviewer", [territory["ala"]], username="rev_ala")
    for user, expected in ((outside_reviewer, 404), (reviewer_pav, 403), (observer, 403)):
        client.force_login(user)
        assert client.get(download).status_code == expected, user
        assert client.post(generate_url, {"language": "ru"}).status_code == expected, user
    client.force_login(reviewer_pav)
    page = client.get(reverse("web-complaint", args=[substantiated.code])).content.decode()
    assert "data-documents" not in page  # reviewers do not get the block


def test_web_form_generates_and_shows_errors(client, substantiated, coordinator):
    client.force_login(coordinator)
    page = client.get(reverse("web-complaint", args=[substantiated.code])).content.decode()
    assert 'data-action="document"' in page
    assert "id_doc_addressee" in page
    url = reverse("web-document-generate", args=[substantiated.code])
    form = {
        "language": "kk",
        "format": "pdf",
        "addressee": "district",
        "standing": "observer",
        "organisation": ORG,
        "legal_basis": LEGAL,
        "remedies": ["investigate", "hold_liable"],
    }
    response = client.post(url, form)
    assert response.status_code == 302
    assert response["Location"].endswith("#documents-h")
    doc = GeneratedDocument.objects.get()
    assert doc.language == "kk"
    assert doc.options["remedies"] == ["investigate", "hold_liable"]
    refused = client.post(url, {**form, "organisation": ""})
    assert refused.status_code == 400
    assert "Name the organisation the complaint is filed for." in refused.content.decode()
    assert GeneratedDocument.objects.count() == 1


def test_the_register_of_authorities_and_recorded_respondents_are_used(substantiated, coordinator, territory):
    from complaints.models import Authority, AuthorityKind, AuthorityLevel, Respondent, RespondentKind

    Authority.objects.create(
        code="tik-ekibastuz",
        kind=AuthorityKind.COMMISSION,
        level=AuthorityLevel.TERRITORIAL,
        name_ru="Экибастузская городская территориальная избирательная комиссия",
        name_kk="Екібастұз қалалық аумақтық сайлау комиссиясы",
        unit=territory["ekib"],
    )
    Respondent.objects.create(
        complaint=substantiated, kind=RespondentKind.EMPLOYER, name="Директор ТОО «Экибастузтранс»"
    )
    text = flat(pdf_text(stored(generate(substantiated, coordinator, language="kk", addressee="district"))))
    assert flat("Кімге: Екібастұз қалалық аумақтық сайлау комиссиясы") in text
    assert flat("Директор ТОО «Экибастузтранс»") in text
    # No registered court: the court is named from the territory.
    text = flat(pdf_text(stored(generate(substantiated, coordinator, addressee="court"))))
    assert flat("Районный (городской) суд: Экибастуз") in text
