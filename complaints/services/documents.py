"""Generating the formal complaint document: checks, rendering, the stored file with its SHA-256, the audit events.

A document is rendered before the transaction (rendering takes a moment and SQLite has
one writer), then stored under the complaints' row locks if no one generated a version
in between; otherwise it is rendered again with the next number. Each generation is a
``GeneratedDocument`` numbered per complaint and one ``document`` audit event on the
timeline of every complaint it covers. It is a staff record, not news for anyone: no
outbox event (the case tracking tells the complainant when the document is filed).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, replace
from typing import Any

from django.core.files.base import ContentFile
from django.db.models import Max
from django.template import TemplateSyntaxError
from django.utils import timezone
from django.utils.translation import gettext as _

from complaints import documents, workflow
from complaints.access import Actor, can_view_identity, roles_for
from complaints.audit import audit_append
from complaints.errors import ServiceError, ValidationFailed
from complaints.models import (
    Complaint,
    DocumentFormat,
    DocumentLanguage,
    DocumentTemplate,
    Evidence,
    GeneratedDocument,
)
from complaints.models.complaint import DESCRIPTION_MAX_LENGTH
from complaints.selectors.documents import (
    check_documents_access,
    default_standing,
    document_template_for,
    recorded_respondents,
    registered_authority_name,
)
from complaints.selectors.queue import complaints_in_reach
from complaints.services._common import actor_user, lock_complaint, touch_complaint
from complaints.services.files import files_follow_transaction, store_file

AUDIT_ACTION = "document"
MAX_RELATED = 20
LIMITS = {
    "addressee_text": 500,
    "complainant_name": 200,
    "organisation": 300,
    "respondent": 2000,
    "legal_basis": 1000,
    "remedy_text": 2000,
    "facts": DESCRIPTION_MAX_LENGTH,
}
CODE = re.compile(r"[0-9A-Za-z]{4}-?[0-9A-Za-z]{4}-?[0-9A-Za-z]{4}")


@dataclass(frozen=True)
class Rendered:
    data: bytes
    version: int
    template: DocumentTemplate | None
    composition: documents.Composition
    identity_included: bool


def _normalise_code(code: str) -> str:
    raw = code.strip().upper().replace("-", "")
    return f"{raw[:4]}-{raw[4:8]}-{raw[8:]}"


def _validate(options: documents.DocumentOptions, complaint: Complaint) -> documents.DocumentOptions:
    """Fill the defaults and refuse what cannot be a document, naming the field."""
    if options.language not in DocumentLanguage.values:
        raise ValidationFailed(_("Choose the document's language: ru, kk or en."), "language")
    if options.format not in DocumentFormat.values:
        raise ValidationFailed(_("Choose the format: pdf or docx."), "format")
    addressee = options.addressee or documents.default_addressee(complaint.category.code).value
    if addressee not in documents.Addressee.values:
        raise ValidationFailed(_("Choose whom the complaint is addressed to."), "addressee")
    standing = options.standing or default_standing(complaint).value
    if standing not in documents.Standing.values:
        raise ValidationFailed(_("Choose the complainant's legal standing."), "standing")
    remedies = options.remedies or tuple(r.value for r in documents.default_remedies(complaint.category.code))
    unknown = [r for r in remedies if r not in documents.Remedy.values]
    if unknown:
        raise ValidationFailed(_("Unknown remedy: %(value)s.") % {"value": ", ".join(unknown)}, "remedies")
    for name, limit in LIMITS.items():
        if len(getattr(options, name)) > limit:
            raise ValidationFailed(_("This text is too long: at most %(limit)s characters.") % {"limit": limit}, name)
    if not (options.legal_basis.strip() or complaint.category.legal_reference.strip()):
        raise ValidationFailed(
            _("State the legal basis: the article of the election law that was broken."), "legal_basis"
        )
    if standing in (documents.Standing.OBSERVER, documents.Standing.ORGANISATION) and not options.organisation.strip():
        raise ValidationFailed(_("Name the organisation the complaint is filed for."), "organisation")
    if len(options.related) > MAX_RELATED:
        raise ValidationFailed(
            _("At most %(limit)s other complaints can join one document.") % {"limit": MAX_RELATED}, "related"
        )
    addressee_text = options.addressee_text.strip() or registered_authority_name(
        addressee=addressee, complaint=complaint, language=options.language
    )
    return replace(
        options,
        addressee=addressee,
        addressee_text=addressee_text,
        standing=standing,
        remedies=tuple(dict.fromkeys(remedies)),
        respondent=options.respondent.strip() or recorded_respondents(complaint=complaint),
    )


def _related(actor: Actor, main: Complaint, codes: tuple[str, ...]) -> list[Complaint]:
    found: list[Complaint] = []
    for raw in dict.fromkeys(c for c in codes if c.strip()):
        if not CODE.fullmatch(raw.strip()):
            raise ValidationFailed(_("“%(code)s” is not a receipt code.") % {"code": raw}, "related")
        code = _normalise_code(raw)
        if code == main.code or any(c.code == code for c in found):
            continue
        other = complaints_in_reach(actor).select_related("reporter").filter(code=code).first()
        if other is None or not roles_for(actor, other) & workflow.SENIOR:
            raise ValidationFailed(_("%(code)s: no such complaint.") % {"code": code}, "related")
        if other.election_id != main.election_id:
            raise ValidationFailed(
                _("%(code)s is about another election; one document covers one incident.") % {"code": code},
                "related",
            )
        found.append(other)
    return found


def _complainant_name(actor: Actor, complaint: Complaint, options: documents.DocumentOptions) -> tuple[str, bool]:
    """The name printed as the complainant, and whether it is the reporter's recorded identity.

    An anonymous reporter's identity is never read, whatever the record holds.
    """
    typed = options.complainant_name.strip()
    if typed or options.standing == documents.Standing.ORGANISATION:
        return typed, False
    reporter = complaint.reporter
    if reporter.is_anonymous:
        raise ValidationFailed(
            _(
                "This complaint was filed anonymously: file it on behalf of the organisation, "
                "or type the name of the person who signs it."
            ),
            "standing",
        )
    if not can_view_identity(actor):
        raise ValidationFailed(
            _("You may not see who filed this complaint: type the name of the person who signs it."),
            "complainant_name",
        )
    name = reporter.full_name.strip() or (reporter.user.get_full_name().strip() if reporter.user else "")
    if not name:
        raise ValidationFailed(
            _("The reporter left no name: type the name of the person who signs it."), "complainant_name"
        )
    return name, True


def _next_version(complaint: Complaint) -> int:
    latest = GeneratedDocument.objects.filter(complaint=complaint).aggregate(v=Max("version"))["v"]
    return int(latest or 0) + 1


def _render(
    *,
    complaints: list[Complaint],
    options: documents.DocumentOptions,
    name: str,
    identity: bool,
    version: int,
    author: str,
) -> Rendered:
    main = complaints[0]
    now = timezone.now()
    evidence = list(
        Evidence.objects.filter(complaint__in=complaints).select_related("complaint").order_by("uploaded_at", "id")
    )
    order = {c.pk: n for n, c in enumerate(complaints)}
    evidence.sort(key=lambda e: order[e.complaint_id])
    composition = documents.compose(
        complaints=complaints, evidence=evidence, options=options, complainant_name=name, version=version, now=now
    )
    template = document_template_for(election_id=main.election_id, language=options.language)
    body = template.body if template is not None else documents.default_template(options.language)
    try:
        text = documents.render_template(body, composition.context, language=options.language)
    except TemplateSyntaxError as exc:
        raise ValidationFailed(
            _("The document template (%(language)s) has an error; an admin must fix it: %(error)s")
            % {"language": options.language, "error": exc},
            "language",
        ) from exc
    blocks = documents.parse(text)
    title = f"{composition.context['document']['title']} {main.code}"
    if options.format == DocumentFormat.PDF:
        meta = documents.PdfMeta(
            title=title, language=options.language, footer=f"{main.code} · v{version}", created_at=now, author=author
        )
        data = documents.render_pdf(blocks, meta)
    else:
        data = documents.render_docx(
            blocks, documents.DocxMeta(title=title, language=options.language, created_at=now, author=author)
        )
    return Rendered(data, version, template, composition, identity)


def document_generate(*, complaint: Complaint, actor: Actor, options: documents.DocumentOptions) -> GeneratedDocument:
    """Render, store and audit one formal complaint document for ``complaint`` (and ``options.related``)."""
    check_documents_access(user=actor, complaint=complaint)
    options = _validate(options, complaint)
    related = _related(actor, complaint, options.related)
    complaints = [complaint, *related]
    name, identity = _complainant_name(actor, complaint, options)
    user = actor_user(actor)
    author = str(options.organisation or "")
    for _attempt in range(3):
        rendered = _render(
            complaints=complaints,
            options=options,
            name=name,
            identity=identity,
            version=_next_version(complaint),
            author=author,
        )
        with files_follow_transaction():  # the document's file is deleted if this does not commit
            # Lock in id order: two coordinators joining the same complaints never deadlock.
            for c in sorted(complaints, key=lambda c: c.pk):
                lock_complaint(c, None)
            if _next_version(complaint) != rendered.version:
                continue  # someone generated a version meanwhile: render again with the next number
            return _store(complaints=complaints, rendered=rendered, options=options, user=user)
    raise ServiceError(_("Others are generating documents for this complaint right now; try again."))


def _store(
    *, complaints: list[Complaint], rendered: Rendered, options: documents.DocumentOptions, user: Any
) -> GeneratedDocument:
    main = complaints[0]
    sha = hashlib.sha256(rendered.data).hexdigest()
    composition = rendered.composition
    document = GeneratedDocument(
        complaint=main,
        version=rendered.version,
        language=options.language,
        format=options.format,
        sha256=sha,
        size=len(rendered.data),
        template=rendered.template,
        created_by=user,
        options={
            "addressee": composition.addressee_kind,
            "addressee_text": composition.addressee,
            "standing": composition.standing,
            "organisation": options.organisation.strip(),
            "complainant_name": options.complainant_name.strip(),
            "identity_included": rendered.identity_included,
            "respondent": options.respondent.strip(),
            "legal_basis": composition.legal_basis,
            "remedies": list(options.remedies),
            "remedy_text": options.remedy_text.strip(),
            "facts_edited": bool(options.facts.strip()),
            "related": [c.code for c in complaints[1:]],
        },
    )
    name = f"{main.code}-v{rendered.version}-{options.language}.{options.format}"
    store_file(document.file, name, ContentFile(rendered.data))
    document.save(force_insert=True)
    if len(complaints) > 1:
        document.related.set(complaints[1:])
    for c in complaints:
        audit_append(
            complaint=c,
            action=AUDIT_ACTION,
            actor=user,
            payload={
                "document": document.pk,
                "document_version": rendered.version,
                "main": main.code,
                "complaints": [x.code for x in complaints],
                "language": options.language,
                "format": options.format,
                "name": document.filename,
                "sha256": sha,
                "size": document.size,
                "addressee": composition.addressee,
                "identity_included": rendered.identity_included,
            },
        )
        touch_complaint(c)
    return document
