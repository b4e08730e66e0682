"""Forms of the partner types and tiers settings page. Shape only: the services check the
rules (a name unique in the program, at least one active type and tier)."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.text import single_line_validator
from apps.partners.services.catalog import TYPE_NAME_MAX_LENGTH
from apps.partners.services.catalog_tiers import TIER_LABEL_MAX_LENGTH


class PartnerTypeNameForm(forms.Form):
    """Add a partner type, or rename one."""

    name = forms.CharField(
        validators=[single_line_validator],
        label=_("Name"),
        max_length=TYPE_NAME_MAX_LENGTH,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Cloud Reseller")}),
    )


class PartnerTierNameForm(forms.Form):
    """Add a tier, or rename one (its key stays)."""

    name = forms.CharField(
        validators=[single_line_validator],
        label=_("Name"),
        max_length=TIER_LABEL_MAX_LENGTH,
        widget=forms.TextInput(attrs={"placeholder": _("e.g. Diamond")}),
    )


class MoveForm(forms.Form):
    direction = forms.ChoiceField(choices=[("up", _("Up")), ("down", _("Down"))])
