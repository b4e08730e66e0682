"""Forms of the public pages: the application form and the "resend my link" form.
They check shape (lengths, formats); services check rules."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from apps.applications.countries import COUNTRIES
from apps.applications.models import Invitation
from apps.core.emaildomains import is_disposable
from apps.core.text import single_line_validator
from apps.onboarding.forms import FIELD_FACTORIES
from apps.partners.models import PartnerType

HONEYPOT = "hp_site_ref"


class ApplyForm(forms.Form):
    """The prospect's application. Labels Company, Email, First name, Last name and the
    button Apply are part of the public contract (DOMAIN §7)."""

    company = forms.CharField(label="Company", max_length=200, validators=[single_line_validator])
    website = forms.URLField(label="Website", max_length=200, required=False, assume_scheme="https")
    first_name = forms.CharField(
        label="First name", max_length=100, validators=[single_line_validator]
    )
    last_name = forms.CharField(
        label="Last name", max_length=100, validators=[single_line_validator]
    )
    email = forms.EmailField(label="Email", max_length=254)
    phone = forms.CharField(label="Phone", max_length=40, required=False)
    country = forms.ChoiceField(
        label="Country", choices=[("", "Choose a country…"), *COUNTRIES], required=False
    )
    partner_type = forms.ModelChoiceField(
        label="Partner type",
        queryset=None,
        empty_label="Choose a partner type…",
        error_messages={"required": "Choose how you want to partner with us."},
    )
    message = forms.CharField(
        label="Message",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    # A field people never see: bots that fill every input give themselves away.
    hp_site_ref = forms.CharField(label="Leave this field empty", required=False, max_length=200)

    def __init__(
        self,
        *args: Any,
        partner_types: QuerySet[PartnerType],
        questions: Iterable[dict[str, Any]] = (),
        invitation: Invitation | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner_type"].queryset = partner_types
        self.fields["company"].widget.attrs.update(autocomplete="organization")
        self.fields["first_name"].widget.attrs.update(autocomplete="given-name")
        self.fields["last_name"].widget.attrs.update(autocomplete="family-name")
        self.fields["email"].widget.attrs.update(autocomplete="email")
        self.fields["phone"].widget.attrs.update(autocomplete="tel", inputmode="tel")
        self.fields["website"].widget.attrs.update(autocomplete="url", placeholder="https://")
        self.fields["country"].widget.attrs.update(autocomplete="country")
        self.fields[HONEYPOT].widget.attrs.update(autocomplete="off", tabindex="-1")
        self.invitation = invitation
        if invitation is not None:
            # The CAM chose the partner type: it is fixed for the invitee.
            self.fields["partner_type"].queryset = partner_types.filter(
                pk=invitation.partner_type_id
            )
            self.fields["partner_type"].empty_label = None
            self.fields["partner_type"].initial = invitation.partner_type_id
            self.fields["email"].initial = invitation.email
        self.questions = []
        for spec in questions:
            factory = FIELD_FACTORIES.get(spec.get("kind"))
            if factory is None or not spec.get("key"):
                continue
            field = factory(spec)
            field.label = spec.get("label", "")
            field.required = bool(spec.get("required"))
            field.help_text = spec.get("help", "")
            name = f"q_{spec['key']}"
            self.fields[name] = field
            self.questions.append((name, spec))

    @property
    def question_fields(self) -> list[forms.BoundField]:
        return [self[name] for name, _ in self.questions]

    @property
    def is_bot(self) -> bool:
        return bool(self.cleaned_data.get(HONEYPOT))

    def clean_email(self) -> str:
        email = self.cleaned_data["email"].strip().lower()
        if is_disposable(email):
            raise ValidationError(
                _(
                    "Addresses at %(domain)s are disposable: please use an address you keep, "
                    "ideally your work email."
                )
                % {"domain": email.rpartition("@")[2]},
                code="disposable",
            )
        return email

    def clean_phone(self) -> str:
        phone = self.cleaned_data["phone"].strip()
        if phone and not re.fullmatch(r"[0-9+()./\- ]{5,40}", phone):
            raise ValidationError("Enter a phone number with digits, spaces, + ( ) - only.")
        return phone

    def answers(self) -> list[dict[str, Any]]:
        """The extra questions as asked, with JSON-safe answers."""
        result = []
        for name, spec in self.questions:
            value = self.cleaned_data.get(name)
            if hasattr(value, "isoformat"):
                value = value.isoformat()
            elif value is not None and not isinstance(value, (str, bool, int, float)):
                value = str(value)
            result.append({"key": spec["key"], "label": spec.get("label", ""), "value": value})
        return result


class ResendForm(forms.Form):
    email = forms.EmailField(label="Email", max_length=254)

    def clean_email(self) -> str:
        return self.cleaned_data["email"].strip().lower()
