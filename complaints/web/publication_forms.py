"""Forms of published cases: the coordinator's publish and unpublish forms, and the public list's filters.

They only parse input; the rules (identity refused, station detail warned about, only ready
stripped copies) live in ``services.publication``.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from complaints.models import Evidence, PublicationLanguage, PublishedCase
from complaints.models.publication import SUMMARY_MAX_LENGTH, TITLE_MAX_LENGTH, UNPUBLISH_REASON_MAX_LENGTH
from complaints.selectors import CASE_OUTCOME_KEYS, CaseFilters
from complaints.text import MultiLineFormField, OneLineFormField


class PublishForm(forms.Form):
    summary = MultiLineFormField(
        label=_("Public summary"),
        max_length=SUMMARY_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "Written for the public: what happened and what the authority did. Never the reporter's name, phone "
            "or email (refused), and as little as possible that points to one polling station or person."
        ),
    )
    language = forms.ChoiceField(label=_("Language of the summary"), choices=PublicationLanguage.choices)
    title_ru = OneLineFormField(label=_("Title (Russian)"), max_length=TITLE_MAX_LENGTH, required=False)
    title_kk = OneLineFormField(label=_("Title (Kazakh)"), max_length=TITLE_MAX_LENGTH, required=False)
    title_en = OneLineFormField(label=_("Title (English)"), max_length=TITLE_MAX_LENGTH, required=False)
    evidence = forms.TypedMultipleChoiceField(
        label=_("Evidence to publish (stripped copies only)"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )
    show_station = forms.BooleanField(
        label=_("Show the polling station (number, address, point on the map)"), required=False
    )
    acknowledge_warnings = forms.BooleanField(
        label=_("I have checked these warnings and publish anyway"), required=False
    )

    def __init__(self, *args: Any, ready: list[Evidence] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_publish_%s")
        super().__init__(*args, **kwargs)
        field: Any = self.fields["evidence"]
        # The label is the evidence itself: the template shows its name and both hashes.
        field.choices = [(e.pk, e) for e in ready or []]

    @classmethod
    def for_case(cls, case: PublishedCase | None, ready: list[Evidence], language: str) -> PublishForm:
        if case is None:
            return cls(ready=ready, initial={"language": language if language in PublicationLanguage.values else "ru"})
        initial = {
            "summary": case.summary,
            "language": case.language,
            "title_ru": case.title_ru,
            "title_kk": case.title_kk,
            "title_en": case.title_en,
            "evidence": list(case.evidence.values_list("pk", flat=True)),
            "show_station": case.show_station,
        }
        return cls(ready=ready, initial=initial)

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "summary": data["summary"],
            "language": data["language"],
            "titles": {lang: data.get(f"title_{lang}", "") for lang in PublicationLanguage.values},
            "evidence_ids": data.get("evidence") or [],
            "show_station": bool(data.get("show_station")),
            "acknowledge_warnings": bool(data.get("acknowledge_warnings")),
        }


class UnpublishForm(forms.Form):
    reason = OneLineFormField(
        label=_("Why is it taken down?"),
        max_length=UNPUBLISH_REASON_MAX_LENGTH,
        help_text=_("Kept in the audit log; not shown to the public."),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_unpublish_%s")
        super().__init__(*args, **kwargs)


class CaseFilterForm(forms.Form):
    """The public filters: anything else in the query string is ignored; a bad value is a 400 naming it."""

    election = forms.SlugField(required=False, max_length=80)
    region = forms.SlugField(required=False, max_length=40)
    category = forms.CharField(required=False, max_length=60)
    outcome = forms.ChoiceField(required=False, choices=[("", ""), *((k, k) for k in CASE_OUTCOME_KEYS)])
    # "from" is a Python keyword: the field is declared under its GET name below.
    to = forms.DateField(required=False, input_formats=["%Y-%m-%d"])

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["from"] = forms.DateField(required=False, input_formats=["%Y-%m-%d"])

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start: date | None = data.get("from")
        end: date | None = data.get("to")
        if start and end and start > end:
            self.add_error("to", _("The end date is before the start date."))
        return data

    def to_filters(self) -> CaseFilters:
        data = self.cleaned_data
        return CaseFilters(
            election=data.get("election") or "",
            region=data.get("region") or "",
            category=(data.get("category") or "").strip(),
            outcome=data.get("outcome") or "",
            date_from=data.get("from"),
            date_to=data.get("to"),
        )

    def problems(self) -> str:
        """The errors in one line, each naming its parameter, for the 400 answer."""
        parts = []
        for name, errors in self.errors.items():
            parts.append(f"{name}: {' '.join(str(e) for e in errors)}")
        return "; ".join(parts)
