"""What a formal complaint says: the coordinator's options, the template context built from them, the text.

The context holds plain strings, lists and dicts only (never a model instance), so a
template an admin edits can print what it is given and reach nothing else: the
reporter's identity is in it only when the caller put a name there, which the service
does for a named reporter and never for an anonymous one.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from pathlib import Path
from typing import Any

from django.template import Context, Engine
from django.template.defaultfilters import filesizeformat
from django.utils import timezone, translation

from complaints.documents.markup import escape
from complaints.documents.rules import (
    Addressee,
    Remedy,
    Standing,
    addressee_text,
    remedy_text,
    standing_text,
)
from complaints.models import Complaint, Evidence, localized

DEFAULTS_DIR = Path(__file__).resolve().parent / "defaults"
LANGUAGES = ("ru", "kk", "en")
TITLE = {"ru": "Жалоба", "kk": "Шағым", "en": "Complaint"}


@dataclass(frozen=True)
class DocumentOptions:
    """What the coordinator chose; empty strings mean "the default"."""

    language: str = "ru"
    format: str = "pdf"
    addressee: str = ""  # an Addressee value
    addressee_text: str = ""  # free text replacing the derived name
    standing: str = ""  # a Standing value
    complainant_name: str = ""  # typed by the coordinator; else the named reporter's
    organisation: str = ""
    respondent: str = ""
    legal_basis: str = ""
    remedies: tuple[str, ...] = ()  # Remedy values
    remedy_text: str = ""  # further demands, one per line
    facts: str = ""  # replaces the complaints' own descriptions
    related: tuple[str, ...] = ()  # receipt codes of other complaints about the incident


@dataclass
class Composition:
    """The resolved choices and the template context built from them."""

    addressee: str
    addressee_kind: str
    standing: str
    legal_basis: str
    remedies: list[str]
    context: dict[str, Any] = field(default_factory=dict)


@cache
def default_template(language: str) -> str:
    """The template shipped in the repository (complaints/documents/defaults/)."""
    lang = language if language in LANGUAGES else "ru"
    return (DEFAULTS_DIR / f"complaint.{lang}.txt").read_text(encoding="utf-8")


ENGINE = Engine(autoescape=False, debug=False)


def render_template(body: str, context: dict[str, Any], *, language: str) -> str:
    """Render a document template (a Django template string, no HTML escaping) in ``language``."""
    with translation.override(language):
        return ENGINE.from_string(body).render(Context(context, autoescape=False))


def _oneline(value: str) -> str:
    return " ".join(str(value).split())


def _local(value: datetime) -> datetime:
    return timezone.localtime(value) if timezone.is_aware(value) else value


def _complaint_facts(complaint: Complaint, language: str) -> dict[str, Any]:
    station = complaint.polling_station
    unit = station.unit if station is not None else complaint.unit
    when = _local(complaint.occurred_at)
    return {
        "code": complaint.code,
        "date": when.strftime("%d.%m.%Y"),
        "time": when.strftime("%H:%M"),
        "station_number": station.number if station is not None else "",
        "station_address": _oneline(station.address) if station is not None else "",
        "unit": _oneline(localized(unit, "name", language)) if unit is not None else "",
        "place": _oneline(complaint.place_text),
        "category": _oneline(localized(complaint.category, "name", language)),
        "facts": escape(complaint.description.strip()),
    }


def _attachments(evidence: list[Evidence], language: str) -> list[dict[str, Any]]:
    with translation.override(language):
        return [
            {
                "n": n,
                "code": e.complaint.code,
                "name": _oneline(e.original_name),
                "content_type": e.content_type,
                "size": str(filesizeformat(e.size)).replace("\xa0", " "),
                "sha256": e.sha256,
            }
            for n, e in enumerate(evidence, start=1)
        ]


def compose(
    *,
    complaints: list[Complaint],
    evidence: list[Evidence],
    options: DocumentOptions,
    complainant_name: str,
    version: int,
    now: datetime,
) -> Composition:
    """The resolved choices and the context for the template. ``complaints[0]`` is the main one.

    ``complainant_name`` is what may be printed as the complainant: the caller decides it
    (empty for an anonymous witness, whose identity the document never carries).
    """
    main = complaints[0]
    language = options.language
    kind = Addressee(options.addressee)
    addressee = _oneline(options.addressee_text) or addressee_text(
        kind,
        language=language,
        station=main.polling_station,
        unit=main.unit,
        country=main.election.country,
    )
    standing = Standing(options.standing)
    organisation = _oneline(options.organisation)
    standing_line = standing_text(standing, language=language, organisation=organisation)
    name = _oneline(complainant_name)
    if standing == Standing.ORGANISATION:
        complainant_line = standing_line
        signature = name or organisation
    else:
        complainant_line = f"{name}, {standing_line}" if name else standing_line
        signature = name
    remedies = [remedy_text(Remedy(r), language=language) for r in options.remedies]
    remedies += [_oneline(line) for line in options.remedy_text.splitlines() if line.strip()]
    legal_basis = _oneline(options.legal_basis) or _oneline(main.category.legal_reference)
    facts = [_complaint_facts(c, language) for c in complaints]
    if options.facts.strip():
        for item in facts:
            item["facts"] = ""
        facts[0]["facts"] = escape(options.facts.strip())
    local_now = _local(now)
    context = {
        "document": {
            "title": TITLE.get(language, TITLE["ru"]),
            "version": version,
            "date": local_now.strftime("%d.%m.%Y"),
            "codes": ", ".join(c.code for c in complaints),
        },
        "election": {
            "name": _oneline(localized(main.election, "name", language)),
            "voting_day": main.election.voting_day.strftime("%d.%m.%Y"),
        },
        "addressee": addressee,
        "complainant": {
            "line": complainant_line,
            "name": name,
            "standing": standing_line,
            "organisation": organisation,
            "anonymous_witness": standing == Standing.ORGANISATION,
        },
        "respondent": escape(options.respondent.strip()),
        "complaints": facts,
        "legal_basis": legal_basis,
        "remedies": remedies,
        "attachments": _attachments(evidence, language),
        "signature": signature,
    }
    return Composition(
        addressee=addressee,
        addressee_kind=kind.value,
        standing=standing.value,
        legal_basis=legal_basis,
        remedies=remedies,
        context=context,
    )
