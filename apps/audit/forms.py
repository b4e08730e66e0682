"""The audit log's filters (its query string). A value that does not belong to the program
drops that filter with an error on its field; it never widens what is shown."""

from __future__ import annotations

import zoneinfo
from datetime import datetime, time, timedelta, tzinfo
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.audit.directory import partner_names, partner_search
from apps.audit.selectors import AuditFilters, audit_actor_find
from apps.audit.vocabulary import AUDIT_VERBS, audit_verb_groups
from apps.tenancy.models import Tenant

SYSTEM = "system"
# A name search narrows the log to at most this many partners (and offers them to pick).
PARTNER_MATCHES = 20


def tenant_zone(tenant: Tenant) -> tzinfo:
    """The program's time zone (UTC when unset or unknown)."""
    try:
        return zoneinfo.ZoneInfo(getattr(tenant, "time_zone", "") or "UTC")
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


class AuditLogFilterForm(forms.Form):
    partner = forms.IntegerField(required=False, min_value=1, widget=forms.HiddenInput)
    partner_q = forms.CharField(required=False, max_length=200, label=_("Partner"))
    actor = forms.CharField(required=False, max_length=254, label=_("Who"))
    verb = forms.ChoiceField(required=False, label=_("What"))
    since = forms.DateField(
        required=False, label=_("From"), widget=forms.DateInput(attrs={"type": "date"})
    )
    until = forms.DateField(
        required=False, label=_("To"), widget=forms.DateInput(attrs={"type": "date"})
    )

    def __init__(self, *args: Any, tenant: Tenant, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.zone = tenant_zone(tenant)
        self.fields["verb"].choices = [("", _("Any change")), *audit_verb_groups()]
        self.actor_id: int | None = None  # the member `actor` names
        self.partner_name = ""  # the one partner filtered on, named
        self.partner_matches: list[tuple[int, str]] = []  # several partners a search matched

    def clean_partner(self) -> int | None:
        partner_id = self.cleaned_data.get("partner")
        if partner_id is None:
            return None
        names = partner_names(tenant=self.tenant, ids=[partner_id])
        if partner_id not in names:
            # Another program's partner, or none: the same answer, nothing shown of it.
            raise forms.ValidationError(_("This partner is not in the program."))
        self.partner_name = names[partner_id]
        return partner_id

    def clean_actor(self) -> str:
        actor = (self.cleaned_data.get("actor") or "").strip()
        if not actor or actor.casefold() == SYSTEM:
            return actor.casefold()
        self.actor_id = audit_actor_find(tenant=self.tenant, email=actor)
        if self.actor_id is None:
            raise forms.ValidationError(_("No one in this program has this email address."))
        return actor

    def clean_verb(self) -> str:
        verb = self.cleaned_data.get("verb") or ""
        if verb and verb not in AUDIT_VERBS:
            raise forms.ValidationError(_("Unknown change."))
        return verb

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        since, until = data.get("since"), data.get("until")
        if since and until and since > until:
            self.add_error("until", _("The end date is before the start date."))
        return data

    def _start_of(self, day: Any) -> datetime:
        return datetime.combine(day, time.min, tzinfo=self.zone)

    def filters(self) -> AuditFilters:
        """The filters the valid fields give (an invalid field is left out)."""
        if not self.is_bound:
            return AuditFilters()
        self.is_valid()
        data = {k: v for k, v in self.cleaned_data.items() if k not in self.errors}
        partner_ids: tuple[int, ...] = ()
        if data.get("partner"):
            partner_ids = (data["partner"],)
        elif query := data.get("partner_q"):
            matches = partner_search(tenant=self.tenant, query=query, limit=PARTNER_MATCHES)
            if not matches:
                self.add_error("partner_q", _("No partner’s name contains this."))
            elif len(matches) == 1:
                partner_ids, self.partner_name = (matches[0][0],), matches[0][1]
            else:
                self.partner_matches = matches
                partner_ids = tuple(pk for pk, _name in matches)
        actor = data.get("actor") or ""
        since, until = data.get("since"), data.get("until")
        chosen = str(data.get("verb") or "")
        return AuditFilters(
            partner_ids=partner_ids,
            system=actor == SYSTEM,
            actor_id=self.actor_id if actor and actor != SYSTEM else None,
            verb=chosen,
            since=self._start_of(since) if since else None,
            until=self._start_of(until + timedelta(days=1)) if until else None,
        )
