from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, cast

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.milestones.models import PlanItemOwner
from apps.milestones.selectors.alerts import AGES, INBOX_STATUSES, InboxFilters
from apps.milestones.services import ACTIVITIES, QBR_CADENCES
from apps.milestones.services.events import DEAL_ACTIVITIES, REVIEW_DATE_ACTIVITIES

if TYPE_CHECKING:
    from apps.milestones.models import AlertRule
    from apps.partners.models import PartnerType
    from apps.tenancy.models import Membership


class InboxFilterForm(forms.Form):
    """The inbox's query string. Unknown values drop that filter, never trusted."""

    status = forms.ChoiceField(required=False, choices=list(INBOX_STATUSES.items()))
    rule = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Alert")
    type = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label="Partner type"
    )
    age = forms.ChoiceField(required=False, label="Age")
    cam = forms.ChoiceField(required=False, label="Channel manager")

    def __init__(
        self,
        *args: Any,
        rules: Iterable[AlertRule],
        partner_types: Iterable[PartnerType],
        managers: Iterable[Membership],
        is_admin: bool,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        # `self.fields` holds copies of the fields declared above, typed as plain `Field`s.
        cast(forms.ChoiceField, self.fields["rule"]).choices = [("", "All alerts")] + [
            (r.pk, f"Day {r.day} · {r.label}") for r in rules
        ]
        cast(forms.ChoiceField, self.fields["type"]).choices = [("", "All partner types")] + [
            (t.pk, t.name) for t in partner_types
        ]
        cast(forms.ChoiceField, self.fields["age"]).choices = [("", "Any age")] + [
            (k, v[0]) for k, v in AGES.items()
        ]
        if is_admin:
            cast(forms.ChoiceField, self.fields["cam"]).choices = [
                ("", "All channel managers"),
                ("mine", "My partners"),
                ("none", "Unassigned partners"),
            ] + [(str(m.user_id), m.user.get_full_name() or m.user.email) for m in managers]
        else:
            del self.fields["cam"]

    def filters(self) -> InboxFilters:
        if not self.is_bound:
            return InboxFilters()
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        return InboxFilters(
            status=data.get("status") or "open",
            rule=data.get("rule"),
            partner_type=data.get("type"),
            age=data.get("age") or "",
            cam=data.get("cam") or "",
        )


class SnoozeForm(forms.Form):
    until = forms.DateField(
        label="Snooze until", widget=forms.DateInput(attrs={"type": "date"}), required=True
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate()
        self.fields["until"].widget.attrs.update(
            {
                "min": (today + timedelta(days=1)).isoformat(),
                "max": (today + timedelta(days=180)).isoformat(),
            }
        )


class ActivityForm(forms.Form):
    activity = forms.ChoiceField(
        label="What happened",
        choices=[("", "Choose…")] + [(k, v[2]) for k, v in ACTIVITIES.items()],
    )
    occurred_on = forms.DateField(
        label="On", widget=forms.DateInput(attrs={"type": "date"}), required=False
    )
    # Required for deal activities: ties the deal's later events to its registration.
    deal_reference = forms.CharField(
        label=_("Deal reference"),
        required=False,
        max_length=200,
        help_text=_("The deal's id in your deal desk or CRM, e.g. DR-1042."),
    )
    # Required for "90-day review scheduled": the day the review will be held.
    review_on = forms.DateField(
        label=_("Review date"), widget=forms.DateInput(attrs={"type": "date"}), required=False
    )
    note = forms.CharField(
        label="Note",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3, "placeholder": "Outcome, next steps…"}),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        today = timezone.localdate().isoformat()
        self.fields["occurred_on"].widget.attrs["max"] = today
        self.fields["review_on"].widget.attrs["min"] = today

    def clean_occurred_on(self) -> date | None:
        day: date | None = self.cleaned_data.get("occurred_on")
        if day and day > timezone.localdate():
            raise forms.ValidationError("That date is in the future.")
        return day

    def clean_deal_reference(self) -> str:
        reference: str = self.cleaned_data.get("deal_reference") or ""
        return reference.strip()

    def clean(self) -> dict[str, Any]:
        super().clean()
        data = self.cleaned_data
        activity = data.get("activity")
        missing_reference = not data.get("deal_reference") and "deal_reference" not in self.errors
        if activity in DEAL_ACTIVITIES and missing_reference:
            self.add_error("deal_reference", _("Give the deal's reference."))
        if activity in REVIEW_DATE_ACTIVITIES:
            review_on: date | None = data.get("review_on")
            if review_on is None:
                if "review_on" not in self.errors:
                    self.add_error("review_on", _("Give the review's date."))
            elif review_on < timezone.localdate():
                self.add_error("review_on", _("The review date is in the past."))
        return data


class TrackStartForm(forms.Form):
    enrolled_on = forms.DateField(
        label="Enrolled on", widget=forms.DateInput(attrs={"type": "date"}), required=False
    )

    def clean_enrolled_on(self) -> date | None:
        day: date | None = self.cleaned_data.get("enrolled_on")
        if day and day > timezone.localdate():
            raise forms.ValidationError("That date is in the future.")
        return day


class ReviewForm(forms.Form):
    held_on = forms.DateField(label="Held on", widget=forms.DateInput(attrs={"type": "date"}))
    attendees = forms.CharField(label="Attendees", required=False, max_length=300)
    scorecard_reviewed = forms.BooleanField(
        label="Initial scorecard reviewed with the partner", required=False
    )
    notes = forms.CharField(
        label="Review notes",
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What went well, what is blocked, what you agreed.",
    )

    def clean_held_on(self) -> date:
        day: date = self.cleaned_data["held_on"]
        if day > timezone.localdate():
            raise forms.ValidationError("That date is in the future.")
        return day


class BusinessPlanForm(forms.Form):
    revenue_target = forms.CharField(
        label="90-day revenue target", max_length=200, help_text="For example: $120,000 bookings"
    )
    certification_goals = forms.CharField(
        label="Certification goals",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    marketing_commitments = forms.CharField(
        label="Marketing commitments",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    qbr_cadence = forms.ChoiceField(
        label="Business review cadence",
        required=False,
        choices=[("", "Not decided yet"), *QBR_CADENCES.items()],
    )


class PlanItemForm(forms.Form):
    description = forms.CharField(label="Action item", max_length=300, required=False)
    owner = forms.ChoiceField(label="Owner", choices=PlanItemOwner.choices, required=False)
    due_on = forms.DateField(
        label="Due", required=False, widget=forms.DateInput(attrs={"type": "date"})
    )

    def clean(self) -> dict[str, Any]:
        super().clean()  # returns `self.cleaned_data` (typed as optional in the stubs)
        data = self.cleaned_data
        if data.get("description") and not data.get("due_on"):
            self.add_error("due_on", "Give the item a due date.")
        if data.get("due_on") and not data.get("description"):
            self.add_error("description", "Describe the item.")
        return data


PlanItemFormSet = forms.formset_factory(PlanItemForm, extra=4, max_num=12)
