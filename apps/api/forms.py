from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from django import forms
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from apps.api.models import ApiScope
from apps.core.text import single_line_validator


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        validators=[single_line_validator],
        label=_("Key name"),
        max_length=100,
        help_text=_("The system that will use it, e.g. “Learning platform” or “CRM sync”."),
    )
    scopes = forms.MultipleChoiceField(
        label=_("What it may do"),
        choices=ApiScope.choices,
        widget=forms.CheckboxSelectMultiple,
        initial=[ApiScope.EVENTS_WRITE],
        help_text=_("Give each system only what it needs."),
        error_messages={"required": _("Choose at least one scope.")},
    )
    expires_on = forms.DateField(
        label=_("Expires after"),
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text=_("Optional: the key stops working after this day (UTC). Empty: no expiry."),
    )

    def clean_expires_on(self):
        day = self.cleaned_data.get("expires_on")
        if day is not None and day < timezone.now().date():
            raise forms.ValidationError(_("Choose today or a later day."))
        return day

    def expires_at(self) -> datetime | None:
        """The end of the chosen day, UTC (the key works through that day)."""
        day = self.cleaned_data.get("expires_on")
        if day is None:
            return None
        return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)
