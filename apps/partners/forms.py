from django import forms

from apps.partners.models import PartnerStatus, Region, Tier
from apps.partners.selectors import EXPLORER_SORTS, ExplorerFilters


class ExplorerFilterForm(forms.Form):
    """The Partner Explorer's query string. Unknown values are dropped, never trusted."""

    q = forms.CharField(required=False, max_length=200, label="Search")
    type = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Type")
    tier = forms.ChoiceField(required=False, label="Tier")
    cam = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="CAM")
    status = forms.ChoiceField(required=False, label="Status")
    region = forms.ChoiceField(required=False, label="Region")
    activation = forms.ChoiceField(
        required=False,
        label="Activation",
        choices=[
            ("", "Any activation"),
            ("activated", "Activated"),
            ("not_activated", "Not activated yet"),
            ("dark", "Dark partners"),
        ],
    )
    sort = forms.ChoiceField(required=False, choices=[(k, k) for k in EXPLORER_SORTS])

    def __init__(self, *args, partner_types, managers, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [("", "All types")] + [(t.pk, t.name) for t in partner_types]
        self.fields["tier"].choices = [("", "All tiers"), *Tier.choices]
        self.fields["cam"].choices = [("", "All CAMs")] + [
            (m.user_id, m.user.get_full_name()) for m in managers
        ]
        self.fields["status"].choices = [("", "Any status"), *PartnerStatus.choices]
        self.fields["region"].choices = [("", "All regions"), *Region.choices]

    def filters(self) -> ExplorerFilters:
        if not self.is_bound:
            return ExplorerFilters()
        if not self.is_valid():
            # Keep whatever parts were valid; a forged value only drops that filter.
            data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        else:
            data = self.cleaned_data
        return ExplorerFilters(
            q=data.get("q") or "",
            partner_type=data.get("type"),
            tier=data.get("tier") or "",
            cam=data.get("cam"),
            status=data.get("status") or "",
            region=data.get("region") or "",
            activation=data.get("activation") or "",
            sort=data.get("sort") or "name",
        )
