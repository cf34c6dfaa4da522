"""Forms of the case section of the staff complaint page, and what that section shows. Input parsing only."""

from __future__ import annotations

from typing import Any

from django import forms
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _l

from complaints import legal_workflow, selectors, workflow
from complaints.access import roles_for
from complaints.models import Authority, Complaint, DecisionResult, RespondentKind, SubmissionChannel, SubmissionState
from complaints.text import MultiLineFormField, OneLineFormField

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"
OUTCOME_CHOICES = [
    (SubmissionState.REGISTERED.value, SubmissionState.REGISTERED.label),
    (SubmissionState.UNDER_CONSIDERATION.value, SubmissionState.UNDER_CONSIDERATION.label),
    *DecisionResult.choices,
    (SubmissionState.NO_ANSWER.value, SubmissionState.NO_ANSWER.label),
]


class SubmissionForm(forms.Form):
    """The body is chosen from the register (read once per page, not once per form)."""

    authority = forms.TypedChoiceField(label=_l("Authority"), coerce=int, empty_value=None, required=False)
    authority_text = OneLineFormField(label=_l("Authority (if not in the list)"), max_length=300, required=False)
    channel = forms.ChoiceField(label=_l("How"), choices=SubmissionChannel.choices, initial=SubmissionChannel.IN_PERSON)
    submitted_at = forms.DateTimeField(
        label=_l("Submitted at"),
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
    )
    registration_number = OneLineFormField(label=_l("Registration number"), max_length=120, required=False)
    document_sha256 = forms.RegexField(
        label=_l("SHA-256 of the document filed"),
        regex=r"^[0-9a-fA-F]{64}$",
        required=False,
        error_messages={"invalid": _l("A SHA-256 is 64 hexadecimal characters.")},
    )

    def __init__(self, *args: Any, authorities: list[Authority], **kwargs: Any) -> None:
        kwargs.setdefault("prefix", "sub")
        super().__init__(*args, **kwargs)
        self.authorities = {a.pk: a for a in authorities}
        field = self.fields["authority"]
        assert isinstance(field, forms.ChoiceField)
        field.choices = [("", _l("— not in the list —")), *((a.pk, a.name) for a in authorities)]

    def filing_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "authority": self.authorities.get(data.get("authority") or 0),
            "authority_text": data.get("authority_text", ""),
            "channel": data["channel"],
            "submitted_at": data.get("submitted_at"),
            "registration_number": data.get("registration_number", ""),
            "document_sha256": data.get("document_sha256", ""),
        }


class OutcomeForm(forms.Form):
    outcome = forms.ChoiceField(label=_l("What the authority did"), choices=OUTCOME_CHOICES)
    registration_number = OneLineFormField(label=_l("Registration number"), max_length=120, required=False)
    decided_on = forms.DateField(
        label=_l("Decision date"), required=False, widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    text = MultiLineFormField(label=_l("Decision text"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    file = forms.FileField(label=_l("Decision document"), required=False)


class RespondentForm(forms.Form):
    kind = forms.ChoiceField(label=_l("Kind"), choices=RespondentKind.choices)
    name = OneLineFormField(label=_l("Name"), max_length=200)
    description = MultiLineFormField(label=_l("Description"), required=False, widget=forms.Textarea(attrs={"rows": 2}))


class ReplyForm(forms.Form):
    received_on = forms.DateField(label=_l("Received on"), widget=forms.DateInput(attrs={"type": "date"}))
    text = MultiLineFormField(label=_l("Reply"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    file = forms.FileField(label=_l("File"), required=False)


def case_context(request: HttpRequest, complaint: Complaint) -> dict[str, Any]:
    """What the complaint page's case section shows (``review/_case.html``)."""
    case = selectors.case_for(user=request.user, complaint=complaint)
    roles = roles_for(request.user, complaint)
    senior = bool(roles & workflow.SENIOR)
    authorities = list(selectors.authorities_for()) if senior else []
    suggested = selectors.authority_suggest(complaint=complaint, authorities=authorities) if senior else None
    chains = []
    for chain in case.chains:
        rows = []
        for sub in chain:
            names = {t.action for t in legal_workflow.available_case_actions(state=sub.state, roles=roles)}
            next_body_id = sub.authority.appeals_to_id if sub.authority else None
            rows.append(
                {
                    "s": sub,
                    "outcome_form": OutcomeForm(prefix=f"outcome{sub.pk}") if names - {"appeal"} else None,
                    "appeal_form": SubmissionForm(
                        prefix=f"appeal{sub.pk}",
                        initial={"authority": next_body_id},
                        authorities=authorities,
                    )
                    if "appeal" in names
                    else None,
                }
            )
        chains.append(rows)
    return {
        "case": case,
        "case_senior": senior,
        "case_can_file": senior and complaint.status in legal_workflow.CASE_COMPLAINT_STATES,
        "case_chains": chains,
        "submission_form": SubmissionForm(
            initial={"authority": suggested.pk if suggested else None}, authorities=authorities
        ),
        "respondent_form": RespondentForm(),
        "reply_form": ReplyForm(),
    }
