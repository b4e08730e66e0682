import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.text import single_line_validator
from apps.partners.explorer_registry import explorer_filters
from apps.partners.models import PartnerStatus, PartnerType, Region, Tier
from apps.partners.selectors import EXPLORER_SORTS, ExplorerFilters
from apps.tenancy.models import Membership

# The Explorer's CAM filter value for partners without an active CAM.
UNASSIGNED = "unassigned"


class ExplorerFilterForm(forms.Form):
    """The Partner Explorer's query string. Unknown values are dropped, never trusted."""

    q = forms.CharField(required=False, max_length=200, label="Search")
    type = forms.TypedChoiceField(required=False, coerce=int, empty_value=None, label="Type")
    tier = forms.ChoiceField(required=False, label="Tier")
    cam = forms.ChoiceField(required=False, label="CAM")
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

    def __init__(self, *args, partner_types, managers, tiers=None, tenant=None, **kwargs):
        super().__init__(*args, **kwargs)
        # Filters other apps register (stage, stalled, overdue): their choices are this
        # program's, so only a form given the tenant offers them.
        self.registered = explorer_filters() if tenant is not None else []
        for registered in self.registered:
            self.fields[registered.name] = forms.ChoiceField(
                required=False, label=registered.label, choices=registered.choices(tenant)
            )
        # Archived types and tiers stay in the filters: their accounts are still there.
        self.fields["type"].choices = [("", "All types")] + [
            (t.pk, _("%(name)s (archived)") % {"name": t.name} if t.archived_at else t.name)
            for t in partner_types
        ]
        self.fields["tier"].choices = [("", "All tiers"), *(tiers or Tier.choices)]
        self.fields["cam"].choices = [
            ("", "All CAMs"),
            (UNASSIGNED, _("Unassigned")),
        ] + [(str(m.user_id), m.user.get_full_name()) for m in managers]
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
            cam=int(cam) if (cam := data.get("cam")) and cam != UNASSIGNED else None,
            unassigned=data.get("cam") == UNASSIGNED,
            status=data.get("status") or "",
            region=data.get("region") or "",
            activation=data.get("activation") or "",
            sort=data.get("sort") or "name",
            extra=tuple((f.name, str(data[f.name])) for f in self.registered if data.get(f.name)),
        )

    def registered_fields(self) -> list[forms.BoundField]:
        """The registered filters' fields, in registration order (for the template)."""
        return [self[f.name] for f in self.registered]


def _split_domains(value: str) -> list[str]:
    """Domains typed one per line, or separated by commas or spaces."""
    return [part for part in re.split(r"[\s,;]+", value or "") if part]


class PartnerAccountForm(forms.Form):
    """Add a partner account by hand, or (with `version`) edit one. Shape only: the services
    check the rules (free-mail domains, domains of another account, active CAM)."""

    name = forms.CharField(
        label=_("Company name"), max_length=200, validators=[single_line_validator]
    )
    partner_type = forms.TypedChoiceField(label=_("Partner type"), coerce=int)
    tier = forms.ChoiceField(label=_("Tier"))
    domains = forms.CharField(
        label=_("Email domains"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3, "spellcheck": "false"}),
        help_text=_(
            "The domains of the company’s email addresses, one per line or separated by "
            "commas (e.g. example.com). Free email providers are refused."
        ),
    )
    region = forms.ChoiceField(label=_("Region"), required=False)
    cam = forms.TypedChoiceField(
        label=_("Channel manager"), required=False, coerce=int, empty_value=None
    )
    version = forms.CharField(widget=forms.HiddenInput, required=False)

    def __init__(
        self,
        *args: Any,
        partner_types: list[PartnerType],
        managers: list[Membership],
        editing: bool = False,
        current_cam: Any = None,
        tiers: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.partner_types = {t.pk: t for t in partner_types}
        # The program's catalogue (apps.partners.catalog.tier_choices); the default set if
        # the caller has none to give.
        tier_options = list(tiers) if tiers is not None else list(Tier.choices)
        self.fields["tier"].choices = tier_options
        keys = [key for key, _label in tier_options]
        if keys:
            self.fields["tier"].initial = Tier.REGISTERED if Tier.REGISTERED in keys else keys[0]
        self.managers = {m.user_id: m.user for m in managers}
        self.fields["partner_type"].choices = [(t.pk, t.name) for t in partner_types]
        self.fields["region"].choices = [("", _("No region")), *Region.choices]
        self.fields["cam"].choices = [("", _("Unassigned"))] + [
            (m.user_id, m.user.get_full_name() or m.user.email) for m in managers
        ]
        if current_cam is not None and current_cam.pk not in self.managers:
            # Kept while the account is edited; only an active member can be newly chosen.
            self.managers[current_cam.pk] = current_cam
            label = current_cam.get_full_name() or current_cam.email
            self.fields["cam"].choices = [
                *self.fields["cam"].choices,
                (current_cam.pk, _("%s (inactive)") % label),
            ]
        if editing:
            del self.fields["name"]
            self.fields["version"].required = True
        else:
            del self.fields["version"]

    def clean_domains(self) -> list[str]:
        domains = _split_domains(self.cleaned_data.get("domains", ""))
        if len(domains) > 50:
            raise forms.ValidationError(_("At most 50 domains per account."))
        return domains

    def service_kwargs(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "partner_type": self.partner_types[data["partner_type"]],
            "tier": data["tier"],
            "region": data.get("region") or "",
            "cam": self.managers.get(data["cam"]) if data.get("cam") else None,
            "domains": data["domains"],
        }


class _AccountIdsField(forms.TypedMultipleChoiceField):
    """Any positive integer ids: the service refuses those not of this tenant."""

    def valid_value(self, value: Any) -> bool:
        return str(value).isdigit() and len(str(value)) < 19


class PartnerBulkForm(forms.Form):
    """The Explorer's bulk change: the selected accounts, a CAM to assign and/or a tier.
    Shape only: the service checks the rules (this tenant's accounts, an active CAM)."""

    partner = _AccountIdsField(coerce=int, required=True)
    cam = forms.TypedChoiceField(
        required=False, coerce=int, empty_value=None, label=_("Assign CAM")
    )
    tier = forms.ChoiceField(required=False, label=_("Set tier"))

    def __init__(
        self,
        *args: Any,
        managers: Any,
        tiers: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["cam"].choices = [("", _("Keep CAM"))] + [
            (m.user_id, m.user.get_full_name() or m.user.email) for m in managers
        ]
        self.fields["tier"].choices = [("", _("Keep tier")), *(tiers or Tier.choices)]
