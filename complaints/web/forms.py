"""Web forms: they parse and check input only. No form has a status field; state changes
go through ``services.complaint_transition``."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile
from django.utils import timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.translation import gettext_lazy as _

from complaints import selectors, textsearch
from complaints.errors import EvidenceRejected, ValidationFailed
from complaints.models import Category, Channel, Election, PollingStation, Severity, Status, TerritorialUnit
from complaints.models import NoteVisibility as Visibility
from complaints.models.complaint import DESCRIPTION_MAX_LENGTH, receipt_code_normalize
from complaints.services.evidence import evidence_inspect
from complaints.services.filing import description_check, occurred_at_check, place_check
from complaints.text import MultiLineFormField, OneLineFormField
from complaints.workflow import Requirement, Transition

MAX_FILES = 10
PLACE_RULE_ID = "place-rule"  # the hint saying one of station, region and place is required
DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files under one name (Django's documented recipe)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data: Any, initial: Any = None) -> list[UploadedFile]:
        files = data if isinstance(data, list | tuple) else ([data] if data else [])
        if self.required and not files:
            raise forms.ValidationError(self.error_messages["required"], code="required")
        if len(files) > MAX_FILES:
            raise forms.ValidationError(
                _("Attach at most %(max)s files at once.") % {"max": MAX_FILES}, code="too_many"
            )
        return [super(MultipleFileField, self).clean(f, initial) for f in files]


def _local_now() -> str:
    return timezone.localtime().strftime(DATETIME_LOCAL)


class FilingForm(forms.Form):
    election = forms.ModelChoiceField(label=_("Election"), queryset=Election.objects.none(), empty_label=None)
    category = forms.ModelChoiceField(
        label=_("What kind of violation?"),
        queryset=Category.objects.none(),
        empty_label=_("— choose the kind of violation —"),
        help_text=_("Grouped by kind. If none fits, choose “other” in the closest group."),
        error_messages={"required": _("Choose the kind of violation.")},
    )
    station = OneLineFormField(
        label=_("Polling station"),
        help_text=_("Its number (e.g. 512) or a part of its address."),
        required=False,
        max_length=120,
    )
    polling_station = forms.ModelChoiceField(
        queryset=PollingStation.objects.all(), required=False, widget=forms.HiddenInput
    )
    region = forms.ModelChoiceField(
        label=_("Region"),
        queryset=TerritorialUnit.objects.none(),
        required=False,
        empty_label=_("— not sure —"),
        help_text=_("If you do not know the polling station."),
    )
    place_text = OneLineFormField(
        label=_("Where exactly?"),
        help_text=_("If it was not at a polling station: the address or the place."),
        required=False,
        max_length=300,
    )
    occurred_at = forms.DateTimeField(
        label=_("When did it happen?"),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%d.%m.%Y %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        error_messages={"invalid": _("Enter the date and time, e.g. 2011-04-03 14:30.")},
    )
    description = MultiLineFormField(
        label=_("What happened?"),
        help_text=_("Who did what, and who saw it. At least 10 characters."),
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
    )
    files = MultipleFileField(  # type: ignore[assignment]  # shadows Form.files only in the class body
        label=_("Photos, videos or documents"),
        required=False,
    )
    identity = forms.ChoiceField(
        label=_("Who is filing?"),
        choices=[("anonymous", _("Anonymously")), ("named", _("With my name"))],
        widget=forms.RadioSelect,
        initial="anonymous",
    )
    full_name = OneLineFormField(label=_("Your name"), required=False, max_length=200)
    email = forms.EmailField(label=_("Email"), required=False)
    phone = OneLineFormField(label=_("Phone"), required=False, max_length=40)
    # Filing anonymously: an address kept sealed and used only to send updates (services.channels).
    updates_email = forms.EmailField(
        label=_("Email for updates only"),
        required=False,
        help_text=_(
            "If you file anonymously and want to hear of the reviewers' questions and of status changes. "
            "It is kept sealed apart from the complaint, used only for these messages and never shown to "
            "anyone; it does not say who you are, unless the address itself does."
        ),
    )

    def __init__(self, *args: Any, user: Any = None, held_count: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        elections = selectors.filing_elections()
        fields: Any = self.fields
        fields["election"].queryset = elections
        fields["category"].queryset = selectors.filing_categories()
        fields["region"].queryset = selectors.filing_regions()
        # One of station, region and place is required: each says so and points at the rule.
        for name in ("region", "place_text"):
            fields[name].widget.attrs["aria-describedby"] = f"{PLACE_RULE_ID} id_{name}_helptext"
        self.station_matches: list[PollingStation] = []
        self.held_count = held_count  # files attached earlier and held on the server (web.held)
        self.accepted_files: list[UploadedFile] = []
        if not self.is_bound:
            first = elections.first()
            self.initial.setdefault("election", first.pk if first else None)
            self.initial.setdefault("occurred_at", _local_now())
            if getattr(user, "is_authenticated", False):
                self.initial.setdefault("identity", "named")

    def category_groups(self) -> list[dict[str, Any]]:
        """The categories for an ``<optgroup>`` picker: each parent heads a group of its children,
        itself first as the group's catch-all; a category without children stands alone."""
        field: Any = self.fields["category"]
        categories = list(field.queryset)
        by_parent: dict[int, list[Category]] = {}
        present = {c.pk for c in categories}
        for c in categories:
            if c.parent_id in present:
                by_parent.setdefault(c.parent_id, []).append(c)
        groups: list[dict[str, Any]] = []
        for c in categories:
            if c.parent_id in present:
                continue
            children = by_parent.get(c.pk, [])
            if not children:
                groups.append({"label": "", "options": [c]})
                continue
            c.option_label = _("%(name)s: other, or in general") % {"name": c.name}
            groups.append({"label": c.name, "options": [c, *children]})
        return groups

    def clean_description(self) -> str:
        description: str = self.cleaned_data.get("description") or ""
        try:
            description_check(description)  # the service's rule, so its error shows with the others
        except ValidationFailed as exc:
            raise forms.ValidationError(exc.message) from exc
        return description

    def clean_files(self) -> list[UploadedFile]:
        """Every file checked as evidence now, each refusal its own error, shown with the form's others."""
        files: list[UploadedFile] = self.cleaned_data.get("files") or []
        if files and self.held_count + len(files) > MAX_FILES:
            raise forms.ValidationError(
                _("Attach at most %(max)s files in all; %(held)s are attached already.")
                % {"max": MAX_FILES, "held": self.held_count},
                code="too_many",
            )
        errors = []
        for upload in files:
            try:
                evidence_inspect(upload)
            except EvidenceRejected as exc:
                errors.append(forms.ValidationError(exc.message, code=exc.code))
            else:
                self.accepted_files.append(upload)
        if errors:
            raise forms.ValidationError(errors)
        return files

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean() or {}
        # The service's rule, read here so the error shows beside the field with the others.
        if cleaned.get("election") is not None and cleaned.get("occurred_at") is not None:
            try:
                occurred_at_check(election=cleaned["election"], occurred_at=cleaned["occurred_at"])
            except ValidationFailed as exc:
                self.add_error("occurred_at", exc.message)
        text = (cleaned.get("station") or "").strip()
        if cleaned.get("polling_station") is None and text:
            cleaned["polling_station"] = self._resolve_station(text)
        if not self.has_error("station") and not self.has_error("region"):
            try:
                place_check(
                    polling_station=cleaned.get("polling_station"),
                    unit=cleaned.get("region"),
                    place_text=cleaned.get("place_text") or "",
                )
            except ValidationFailed as exc:
                self.add_error("station" if exc.field == "place_text" else "region", exc.message)
        return cleaned

    def _resolve_station(self, text: str) -> PollingStation | None:
        matches = selectors.polling_station_search(query=text, limit=8)
        term = text.lstrip("№#").strip().lower()
        exact = [m for m in matches if m.number.lower() == term]
        if len(exact) == 1:
            return exact[0]
        if len(matches) == 1:
            return matches[0]
        if not matches:
            self.add_error(
                "station",
                _("No polling station matches “%(q)s”. Check the number, or leave it empty and describe the place.")
                % {"q": text},
            )
        else:
            self.station_matches = matches
            self.add_error("station", _("Several polling stations match “%(q)s”: choose one below.") % {"q": text})
        return None


class StatusLookupForm(forms.Form):
    code = forms.CharField(
        label=_("Receipt code"),
        max_length=20,
        help_text=_("Like ABCD-EFGH-JKMN; the dashes and capital letters are optional."),
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off", "spellcheck": "false"}),
    )
    secret = forms.CharField(
        label=_("Secret"),
        max_length=100,
        widget=forms.PasswordInput(attrs={"autocomplete": "off", "spellcheck": "false"}),
    )

    def clean_code(self) -> str:
        return receipt_code_normalize(self.cleaned_data.get("code") or "")


class AnswerForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    comment = MultiLineFormField(label=_("Your answer"), max_length=10000, widget=forms.Textarea(attrs={"rows": 5}))
    files = MultipleFileField(label=_("More photos, videos or documents"), required=False)  # type: ignore[assignment]


class EvidenceForm(forms.Form):
    files = MultipleFileField(label=_("Photos, videos or documents"), required=True)  # type: ignore[assignment]


class WithdrawForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)


class ActionForm(forms.Form):
    """One workflow action. Fields follow the transition's requirements; ``version`` guards
    against acting on a complaint that changed in the meantime."""

    version = forms.IntegerField(widget=forms.HiddenInput)
    comment = MultiLineFormField(label=_("Comment"), max_length=10000, widget=forms.Textarea(attrs={"rows": 3}))
    duplicate_of = forms.CharField(
        label=_("Receipt code of the original complaint"),
        max_length=20,
        widget=forms.TextInput(attrs={"autocapitalize": "characters", "autocomplete": "off"}),
    )
    authority = OneLineFormField(label=_("Authority"), max_length=200)
    authority_reference = OneLineFormField(label=_("Authority's reference number"), max_length=200)

    def __init__(self, transition: Transition, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", f"id_{transition.action}_%s")
        super().__init__(*args, **kwargs)
        self.transition = transition
        requires = transition.requires
        self.fields["comment"].required = Requirement.COMMENT in requires
        for name, requirement in (
            ("duplicate_of", Requirement.ORIGINAL),
            ("authority", Requirement.AUTHORITY),
            ("authority_reference", Requirement.AUTHORITY_REFERENCE),
        ):
            if requirement not in requires:
                del self.fields[name]


class NoteForm(forms.Form):
    body = MultiLineFormField(label=_("Note"), max_length=10000, widget=forms.Textarea(attrs={"rows": 3}))
    visibility = forms.ChoiceField(
        label=_("Who sees it"), choices=Visibility.choices, widget=forms.RadioSelect, initial=Visibility.INTERNAL
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_note_%s")
        super().__init__(*args, **kwargs)


class AssignForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    assignee = forms.TypedChoiceField(label=_("Assign to"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, users: list[Any] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_assign_%s")
        super().__init__(*args, **kwargs)
        field: Any = self.fields["assignee"]
        field.choices = [("", _("— nobody —")), *((u.pk, _user_label(u)) for u in users or [])]


class IdentityForm(forms.Form):
    purpose = OneLineFormField(
        label=_("Why do you need to see it?"),
        max_length=200,
        help_text=_("Required. Recorded in the audit log with your name."),
    )


def _user_label(user: Any) -> str:
    full = user.get_full_name() if hasattr(user, "get_full_name") else ""
    return f"{full} ({user.get_username()})" if full else user.get_username()


def _within(value: str | None) -> timedelta | None:
    """``24h`` -> 24 hours, ``3d`` -> 3 days (the deadline filter's choices)."""
    if not value:
        return None
    return timedelta(hours=int(value[:-1])) if value.endswith("h") else timedelta(days=int(value[:-1]))


class FiledAtField(forms.Field):
    """A day (``2026-12-03``) or a local time (``2026-12-03T14:00``): the dashboard's bars link with these."""

    widget = forms.TextInput(attrs={"maxlength": 25, "placeholder": "YYYY-MM-DD"})

    def to_python(self, value: Any) -> date | datetime | None:
        text = str(value or "").strip()[:25]
        if not text:
            return None
        try:
            moment = parse_datetime(text.replace(" ", "T")) if ("T" in text or " " in text) else None
            day = None if moment else parse_date(text)
        except ValueError:
            moment = day = None
        if moment is None and day is None:
            raise forms.ValidationError(_("Enter a date as YYYY-MM-DD, or a date and time as YYYY-MM-DDTHH:MM."))
        if moment is not None:
            return moment if timezone.is_aware(moment) else timezone.make_aware(moment, timezone.get_default_timezone())
        return day


def _filed_bound(value: date | datetime | None, *, end: bool) -> datetime | None:
    """A filter bound as an instant: a day starts at its local midnight; as an end, it runs to the next one."""
    if value is None or isinstance(value, datetime):
        return value
    day = value + timedelta(days=1) if end else value
    return datetime(day.year, day.month, day.day, tzinfo=timezone.get_default_timezone())


class QueueFilterForm(forms.Form):
    """The queue's filters, read from the URL so a filtered queue can be bookmarked and shared."""

    q = forms.CharField(
        label=_("Search"),
        help_text=_("Words of the complaint or its notes, a town or district, a polling station, a receipt code."),
        required=False,
        max_length=textsearch.QUERY_MAX_LENGTH,
        widget=forms.SearchInput,
    )
    status = forms.MultipleChoiceField(
        label=_("Status"), choices=Status.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    election = forms.TypedChoiceField(label=_("Election"), coerce=int, required=False, empty_value=None)
    category = forms.ChoiceField(label=_("Category"), required=False)
    region = forms.ChoiceField(label=_("Region"), required=False)
    severity = forms.TypedChoiceField(
        label=_("Severity"),
        coerce=int,
        required=False,
        empty_value=None,
        choices=[("", _("any")), *Severity.choices],
    )
    channel = forms.ChoiceField(label=_("Channel"), required=False, choices=[("", _("all")), *Channel.choices])
    assignee = forms.ChoiceField(label=_("Assignee"), required=False)
    overdue = forms.BooleanField(label=_("Overdue"), required=False)
    due_soon = forms.BooleanField(label=_("Due soon"), required=False)
    deadline = forms.ChoiceField(
        label=_("Statutory deadline"),
        required=False,
        choices=[
            ("", _("any")),
            ("2h", _("within 2 hours")),
            ("24h", _("within 24 hours")),
            ("3d", _("within 3 days")),
            ("7d", _("within 7 days")),
        ],
    )

    created_from = FiledAtField(label=_("Filed from"), required=False)
    created_to = FiledAtField(label=_("Filed until"), required=False, help_text=_("A day is included to its end."))

    def __init__(
        self, *args: Any, staff: list[Any] | None = None, regions: list[Any] | None = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("auto_id", "id_f_%s")
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["election"].choices = [("", _("all")), *((e.pk, e.name) for e in selectors.filing_elections_all())]
        fields["category"].choices = [("", _("all")), *((c.code, c.name) for c in selectors.filing_categories())]
        if regions is None:
            regions = list(selectors.filing_regions())
        fields["region"].choices = [("", _("all")), *((u.code, u.name) for u in regions)]
        fields["assignee"].choices = [
            ("", _("anyone")),
            ("me", _("me")),
            ("none", _("nobody")),
            *((str(u.pk), _user_label(u)) for u in staff or []),
        ]

    def to_filters(self) -> selectors.QueueFilters:
        data = self.cleaned_data if self.is_valid() else {}
        return selectors.QueueFilters(
            status=data.get("status") or None,
            category=data.get("category") or None,
            region=data.get("region") or None,
            election=data.get("election"),
            severity=data.get("severity"),
            channel=data.get("channel") or None,
            assignee=data.get("assignee") or None,
            overdue=bool(data.get("overdue")),
            due_soon=bool(data.get("due_soon")),
            q=data.get("q") or None,
            deadline_within=_within(data.get("deadline")),
            created_from=_filed_bound(data.get("created_from"), end=False),
            created_to=_filed_bound(data.get("created_to"), end=True),
        )


class BulkAssignForm(forms.Form):
    codes = forms.MultipleChoiceField(required=True, error_messages={"required": _("Tick at least one complaint.")})
    assignee = forms.TypedChoiceField(label=_("Assign the ticked complaints to"), coerce=int, required=True)

    def __init__(self, *args: Any, staff: list[Any] | None = None, **kwargs: Any) -> None:
        kwargs.setdefault("auto_id", "id_bulk_%s")
        super().__init__(*args, **kwargs)
        fields: Any = self.fields
        fields["assignee"].choices = [("", _("— choose —")), *((u.pk, _user_label(u)) for u in staff or [])]
        # Any code is accepted here; the service checks each complaint against the user's scope.
        data: Any = self.data
        fields["codes"].choices = [(c, c) for c in (data.getlist("codes") if self.is_bound else [])]


class DashboardForm(forms.Form):
    election = forms.TypedChoiceField(label=_("Election"), coerce=int, required=False, empty_value=None)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field: Any = self.fields["election"]
        field.choices = [("", _("all")), *((e.pk, e.name) for e in selectors.filing_elections_all())]
