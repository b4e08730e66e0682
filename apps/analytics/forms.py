"""The filters of /console/analytics/ (a GET form: the filters stay in the URL, shareable)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.analytics.panels import AnalyticsFilters
from apps.onboarding.selectors import pipelines_for
from apps.partners.catalog import tier_filter_choices
from apps.partners.models import Region
from apps.partners.selectors import partner_types_for

if TYPE_CHECKING:
    from apps.tenancy.models import Membership, Tenant


class AnalyticsFilterForm(forms.Form):
    """Pipeline, partner type, tier, region, CAM and enrollment period. The choices are the
    program's own; a value that is not one of them (or a malformed date) drops that filter
    only, never the page."""

    pipeline = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label=_("Pipeline")
    )
    type = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label=_("Partner type")
    )
    tier = forms.ChoiceField(required=False, label=_("Tier"))
    region = forms.ChoiceField(required=False, label=_("Region"))
    cam = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label=_("Channel manager")
    )
    enrolled_from = forms.DateField(
        required=False,
        label=_("Enrolled from"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )
    enrolled_to = forms.DateField(
        required=False,
        label=_("Enrolled to"),
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(
        self, *args: Any, tenant: Tenant, managers: list[Membership], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self._choice_field("pipeline").choices = [("", _("Busiest pipeline"))] + [
            (p.pk, p.name) for p in pipelines_for(tenant=tenant)
        ]
        # Archived types and tiers stay: their partners are still in the figures.
        self._choice_field("type").choices = [("", _("All types"))] + [
            (t.pk, _("%(name)s (archived)") % {"name": t.name} if t.archived_at else t.name)
            for t in partner_types_for(tenant=tenant)
        ]
        self._choice_field("tier").choices = [
            ("", _("All tiers")),
            *tier_filter_choices(tenant=tenant),
        ]
        self._choice_field("region").choices = [("", _("All regions")), *Region.choices]
        self._choice_field("cam").choices = [("", _("All channel managers"))] + [
            (m.user_id, m.user.get_full_name() or m.user.email) for m in managers
        ]

    def _choice_field(self, name: str) -> forms.ChoiceField:
        field = self.fields[name]
        assert isinstance(field, forms.ChoiceField)
        return field

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("enrolled_from"), data.get("enrolled_to")
        if start and end and end < start:
            self.add_error("enrolled_to", _("The end of the period is before its start."))
        return data

    def filters(self) -> AnalyticsFilters:
        """The filters the valid fields give (an invalid one is left out: "any")."""
        if not self.is_bound:
            return AnalyticsFilters()
        self.is_valid()
        for name in self.errors:
            if name in self.fields:  # tie the message to its field
                self.fields[name].widget.attrs.update(
                    {"aria-invalid": "true", "aria-describedby": f"id_{name}_error"}
                )
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        return AnalyticsFilters(
            pipeline=data.get("pipeline"),
            partner_type=data.get("type"),
            tier=data.get("tier") or "",
            region=data.get("region") or "",
            cam=data.get("cam"),
            enrolled_from=data.get("enrolled_from"),
            enrolled_to=data.get("enrolled_to"),
        )
