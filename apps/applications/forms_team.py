"""The team forms: invite a user to a partner account, change a user's role. The portal's
team page (a partner admin) and the console's partner page (staff) share them."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.text import single_line_validator
from apps.tenancy.models import Role

ROLE_CHOICES = [
    (Role.PARTNER_USER.value, _("Partner user")),
    (Role.PARTNER_ADMIN.value, _("Partner admin")),
]


class TeamInviteForm(forms.Form):
    email = forms.EmailField(label=_("Email"), max_length=254)
    first_name = forms.CharField(
        label=_("First name"), max_length=150, required=False, validators=[single_line_validator]
    )
    last_name = forms.CharField(
        label=_("Last name"), max_length=150, required=False, validators=[single_line_validator]
    )
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES, initial=Role.PARTNER_USER)

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()


class TeamRoleForm(forms.Form):
    role = forms.ChoiceField(label=_("Role"), choices=ROLE_CHOICES)
