"""Forms of the partner profile (/portal/profile/) and of its program setting
(/console/settings/profile/)."""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.text import single_line_validator
from apps.core.uploads import SafeFileField
from apps.partners.models import PartnerProfile
from apps.partners.profile_fields import (
    ADDRESS,
    COMPANY,
    CONTACT_KINDS,
    CONTACTS,
    FIELDSET_LABELS,
    PROFILE_FIELD_CHOICES,
    PROFILE_FIELDS_BY_KEY,
    PROFILE_LOGO_POLICY,
)
from apps.partners.services.profile import PROFILE_TEXT_COLUMNS

_COUNTRY = re.compile(r"^[A-Za-z]{2}$")
_PHONE = re.compile(r"^[0-9+().\-\s/]{4,40}$")

# How each form field belongs to the page's fieldsets (contacts are grouped per kind).
COMPANY_FIELDS = ("company_name", "display_name", "website", "phone", "description")
ADDRESS_FIELDS = ("address_line1", "address_line2", "city", "postal_code", "region", "country")


class PartnerProfileForm(forms.ModelForm):
    """A partner admin's edit of their company profile. Required fields are marked from the
    program's setting, but not enforced: a partial profile can be saved (its completion
    percentage says what is missing)."""

    logo = SafeFileField(
        policy=PROFILE_LOGO_POLICY,
        required=False,
        label=_("Logo"),
        help_text=_("PNG, JPEG or WebP, up to 1 MB. A square mark works best."),
    )
    website = forms.URLField(
        required=False,
        assume_scheme="https",
        label=_("Website"),
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    remove_logo = forms.BooleanField(required=False, label=_("Remove the current logo"))

    class Meta:
        model = PartnerProfile
        fields = list(PROFILE_TEXT_COLUMNS)
        widgets = {
            "description": forms.Textarea(attrs={"rows": 3, "maxlength": 500}),
            "country": forms.TextInput(
                attrs={"maxlength": 2, "autocapitalize": "characters", "placeholder": "US"}
            ),
        }
        labels = {
            "company_name": _("Legal company name"),
            "display_name": _("Display name"),
            "website": _("Website"),
            "phone": _("Phone"),
            "description": _("What you sell"),
            "address_line1": _("Address line 1"),
            "address_line2": _("Address line 2"),
            "city": _("City"),
            "postal_code": _("Postal code"),
            "region": _("Region or state"),
            "country": _("Country"),
            **{f"{kind}_name": _("Name") for kind in CONTACT_KINDS},
            **{f"{kind}_email": _("Email") for kind in CONTACT_KINDS},
            **{f"{kind}_phone": _("Phone") for kind in CONTACT_KINDS},
        }
        help_texts = {
            "description": _("In a sentence or two: what your company sells, and to whom."),
            "country": _("Two-letter ISO code, e.g. US, DE, FR."),
            "display_name": _("The name shown to the program team, if not the legal name."),
        }

    def __init__(self, *args: Any, required: tuple[str, ...] = (), **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.required_keys = set(required)
        # Marked as required on the page, counted by the completion, never enforced here.
        self.required_columns: set[str] = {
            column
            for key in required
            if key in PROFILE_FIELDS_BY_KEY and key != "logo"
            for column in PROFILE_FIELDS_BY_KEY[key].columns
        }
        for name, field in self.fields.items():
            field.required = False
            if name in self.required_columns:
                field.widget.attrs["aria-required"] = "true"
            if name.endswith("_name"):  # company, display and contact names: one line
                field.validators.append(single_line_validator)

    def clean_country(self) -> str:
        value: str = (self.cleaned_data.get("country") or "").strip()
        if value and not _COUNTRY.match(value):
            raise forms.ValidationError(_("Use the two-letter country code, e.g. US or DE."))
        return value.upper()

    def _clean_phone(self, name: str) -> str:
        value: str = (self.cleaned_data.get(name) or "").strip()
        if value and not _PHONE.match(value):
            raise forms.ValidationError(_("Use digits, spaces and + ( ) - only."))
        return value

    def clean_phone(self) -> str:
        return self._clean_phone("phone")

    def clean_sales_phone(self) -> str:
        return self._clean_phone("sales_phone")

    def clean_marketing_phone(self) -> str:
        return self._clean_phone("marketing_phone")

    def clean_technical_phone(self) -> str:
        return self._clean_phone("technical_phone")

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        for column in PROFILE_TEXT_COLUMNS:
            if isinstance(data.get(column), str):
                data[column] = data[column].strip()
        return data

    def fieldsets(self) -> list[dict[str, Any]]:
        """The page's fieldsets: (legend, rows of bound fields); contacts grouped per kind."""
        contact_labels = {
            "sales": PROFILE_FIELDS_BY_KEY["sales_contact"].label,
            "marketing": PROFILE_FIELDS_BY_KEY["marketing_contact"].label,
            "technical": PROFILE_FIELDS_BY_KEY["technical_contact"].label,
        }
        return [
            {
                "legend": FIELDSET_LABELS[COMPANY],
                "fields": [self[name] for name in COMPANY_FIELDS],
            },
            {
                "legend": FIELDSET_LABELS[ADDRESS],
                "fields": [self[name] for name in ADDRESS_FIELDS],
            },
            {
                "legend": FIELDSET_LABELS[CONTACTS],
                "contacts": [
                    {
                        "label": contact_labels[kind],
                        "required": f"{kind}_contact" in self.required_keys,
                        "fields": [self[f"{kind}_{part}"] for part in ("name", "email", "phone")],
                    }
                    for kind in CONTACT_KINDS
                ],
            },
        ]


class ProfileSettingsForm(forms.Form):
    required_fields = forms.MultipleChoiceField(
        choices=PROFILE_FIELD_CHOICES,
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label=_("Required profile fields"),
        help_text=_(
            "A partner’s profile is 100% complete when every ticked field is filled in. "
            "A main contact counts when it has a name and an email."
        ),
    )
