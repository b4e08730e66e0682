"""Forms of the Pending Partners queue and of one application's decision."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet

from apps.applications.models import ApplicationSource, ApplicationStatus
from apps.applications.selectors import QueueFilters
from apps.partners.models import PartnerType

STATUS_FILTERS = [
    (ApplicationStatus.PENDING, "Pending"),
    (ApplicationStatus.UNCONFIRMED, "Awaiting confirmation"),
    (ApplicationStatus.APPROVED, "Approved"),
    (ApplicationStatus.ADDED, "Added to a partner"),
    (ApplicationStatus.REJECTED, "Rejected"),
    (ApplicationStatus.DECLINED, "Declined by the partner"),
    ("all", "All"),
]


class QueueFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200)
    status = forms.ChoiceField(choices=STATUS_FILTERS, required=False)
    type = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    source = forms.ChoiceField(
        choices=[("", "Invited or not"), *ApplicationSource.choices], required=False
    )
    matched = forms.ChoiceField(
        choices=[("", "Matched or not"), ("yes", "Matches a partner"), ("no", "No match")],
        required=False,
    )

    def __init__(self, *args: Any, partner_types: Iterable[PartnerType], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [("", "All types")] + [(t.pk, t.name) for t in partner_types]
        for name in ("status", "type", "source", "matched"):
            self.fields[name].widget.attrs["aria-label"] = name.title()

    def filters(self) -> QueueFilters:
        if not self.is_bound or not self.is_valid():
            return QueueFilters()
        data = self.cleaned_data
        status = data.get("status") or ApplicationStatus.PENDING
        return QueueFilters(
            status="" if status == "all" else status,
            partner_type=data.get("type"),
            source=data.get("source") or "",
            matched=data.get("matched") or "",
            q=data.get("q") or "",
        )


class ApproveForm(forms.Form):
    partner_type = forms.ModelChoiceField(label="Partner type", queryset=None, empty_label=None)

    def __init__(self, *args: Any, partner_types: QuerySet[PartnerType], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner_type"].queryset = partner_types


class AddToAccountForm(forms.Form):
    account = forms.IntegerField(
        label="Partner account",
        error_messages={"required": "Choose the partner account to add them to."},
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept with the decision; included in the email if you send one.",
    )
    notify = forms.BooleanField(label="Email the applicant", required=False)


class IdListField(forms.Field):
    """Several ids from checkboxes of one name; anything that is not an id is dropped."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value: Any) -> list[int]:
        values = value if isinstance(value, (list, tuple)) else [value] if value else []
        return list(dict.fromkeys(int(v) for v in values if str(v).isdigit()))[:200]


class BulkForm(forms.Form):
    ids = IdListField(required=False)
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    reason = forms.CharField(required=False, max_length=2000)
    notify = forms.BooleanField(required=False)

    def clean_ids(self) -> list[int]:
        ids = self.cleaned_data["ids"]
        if not ids:
            raise ValidationError("Select at least one application.")
        return ids
