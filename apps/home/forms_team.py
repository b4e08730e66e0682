"""Forms of the staff page (/console/settings/team/): shape only; the rules are in services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.text import single_line_validator
from apps.tenancy.models import Role

STAFF_ROLE_CHOICES = [
    (Role.CHANNEL_MANAGER.value, Role.CHANNEL_MANAGER.label),
    (Role.PROGRAM_ADMIN.value, Role.PROGRAM_ADMIN.label),
]


class StaffInviteForm(forms.Form):
    email = forms.EmailField(label=_("Email"), max_length=254)
    first_name = forms.CharField(
        label=_("First name"), max_length=150, required=False, validators=[single_line_validator]
    )
    last_name = forms.CharField(
        label=_("Last name"), max_length=150, required=False, validators=[single_line_validator]
    )
    role = forms.ChoiceField(
        label=_("Role"),
        choices=STAFF_ROLE_CHOICES,
        initial=Role.CHANNEL_MANAGER.value,
        help_text=_("Program admins can also change settings and manage the staff."),
    )

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class StaffRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=STAFF_ROLE_CHOICES)
