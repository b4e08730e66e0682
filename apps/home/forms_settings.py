"""Forms of the program settings page (/console/settings/): shape only; the rules (contrast,
hostnames taken by another program, the primary) are in apps/home/services_settings.py."""

from __future__ import annotations

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.text import single_line_validator
from apps.core.uploads import SafeFileField
from apps.home.selectors_settings import time_zone_choices
from apps.home.services_settings import LOGO_POLICY, SettingsError, hostname_normalise
from apps.tenancy.models import Language, Tenant

_SHORT_HEX = re.compile(r"^#?([0-9a-fA-F]{3})$")


class ProgramSettingsForm(forms.Form):
    name = forms.CharField(
        validators=[single_line_validator],
        label=_("Program name"),
        max_length=200,
        help_text=_("Shown to partners in the portal, on the sign-in page and in emails."),
    )
    support_email = forms.EmailField(
        label=_("Support email"),
        max_length=254,
        required=False,
        help_text=_("Where partners can write with questions; replies to program emails go here."),
    )
    brand_color = forms.CharField(
        label=_("Brand colour"),
        max_length=7,
        widget=forms.TextInput(
            attrs={"placeholder": "#4f46e5", "spellcheck": "false", "autocomplete": "off"}
        ),
        help_text=_(
            "A hex colour like #4f46e5 for buttons and links. White text on it must reach a "
            "contrast ratio of 4.5:1 (WCAG AA)."
        ),
    )
    time_zone = forms.ChoiceField(
        label=_("Time zone"),
        choices=time_zone_choices,
        help_text=_("The program’s home time zone for dates in emails and reports."),
    )
    language = forms.ChoiceField(
        label=_("Default language"),
        choices=Language.choices,
        help_text=_("The language partners see until they choose their own."),
    )

    @classmethod
    def for_tenant(cls, tenant: Tenant) -> ProgramSettingsForm:
        return cls(
            initial={
                "name": tenant.name,
                "support_email": tenant.support_email,
                "brand_color": tenant.brand_color,
                "time_zone": tenant.time_zone,
                "language": tenant.language,
            }
        )

    def clean_brand_color(self) -> str:
        value: str = self.cleaned_data["brand_color"].strip()
        short = _SHORT_HEX.match(value)
        if short:  # "#36c" → "#3366cc"
            value = "#" + "".join(ch * 2 for ch in short.group(1))
        elif value and not value.startswith("#"):
            value = "#" + value
        return value.lower()


class LogoForm(forms.Form):
    logo = SafeFileField(
        policy=LOGO_POLICY,
        label=_("Logo"),
        help_text=_("PNG, JPEG or WebP, up to 1 MB. A square mark works best (shown at 32×32)."),
    )


class HostAddForm(forms.Form):
    hostname = forms.CharField(
        label=_("Address"),
        max_length=300,
        widget=forms.TextInput(
            attrs={
                "placeholder": "partners.example.com",
                "spellcheck": "false",
                "autocapitalize": "none",
                "autocomplete": "off",
            }
        ),
    )

    def clean_hostname(self) -> str:
        try:
            return hostname_normalise(self.cleaned_data["hostname"])
        except SettingsError as exc:
            raise forms.ValidationError(exc.message) from exc


def add_error_from(form: forms.Form, exc: SettingsError) -> None:
    """Tie a service refusal to its field on `form` (or the form as a whole)."""
    field = exc.field if exc.field in form.fields else None
    form.add_error(field, exc.message)
