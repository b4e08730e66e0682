"""Forms of the privacy page (/console/settings/privacy/): shape only; the rules are in
apps/home/services_privacy.py."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.home.services_privacy import RETENTION_MAX_DAYS, RETENTION_MIN_DAYS


class RetentionForm(forms.Form):
    days = forms.IntegerField(
        label=_("Keep unconfirmed applications and expired invitations for (days)"),
        min_value=RETENTION_MIN_DAYS,
        max_value=RETENTION_MAX_DAYS,
        help_text=_(
            "Applications whose email was never confirmed, and invitations that expired or "
            "were revoked, are deleted this many days later (checked daily)."
        ),
    )


class PersonSearchForm(forms.Form):
    q = forms.CharField(
        label=_("Email address"),
        min_length=3,
        max_length=254,
        widget=forms.TextInput(
            attrs={
                "type": "search",
                "placeholder": "name@example.com",
                "spellcheck": "false",
                "autocapitalize": "none",
                "autocomplete": "off",
            }
        ),
        help_text=_("Members, applicants and invitees whose email contains this text."),
    )


class EraseForm(forms.Form):
    confirm_email = forms.CharField(
        label=_("Type the person’s email address to confirm"),
        max_length=254,
        widget=forms.TextInput(
            attrs={"spellcheck": "false", "autocapitalize": "none", "autocomplete": "off"}
        ),
    )
