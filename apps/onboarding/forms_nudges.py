"""The pipeline's reminder settings form (views_nudges.py). Shape only; the service checks
the rules (range, how many)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _


class RemindersForm(forms.Form):
    reminder_days = forms.CharField(
        label=_("Reminder days"),
        required=False,
        max_length=100,
        help_text=_(
            "Days after an action opens for the partner, separated by commas, e.g. “3, 7”. "
            "Leave empty to send no reminders."
        ),
    )
    welcome_email = forms.BooleanField(
        label=_("Email the first stage’s actions when a partner is enrolled"),
        required=False,
    )

    def clean_reminder_days(self) -> list[int]:
        raw: str = self.cleaned_data["reminder_days"]
        parts = [part for part in re.split(r"[\s,;]+", raw.strip()) if part]
        if not all(part.isdigit() for part in parts):
            raise forms.ValidationError(
                _("Write whole numbers of days separated by commas, e.g. “3, 7”.")
            )
        return [int(part) for part in parts]

    @staticmethod
    def initial_for(*, reminder_days: list[int], welcome_email: bool) -> dict[str, Any]:
        return {
            "reminder_days": ", ".join(str(day) for day in reminder_days),
            "welcome_email": welcome_email,
        }
