"""Milestone tracking and partner events made through the services, as the product makes them.

The program must have the milestone template (the `milestone_template` fixture)."""

from __future__ import annotations

from typing import Any

import factory
from django_scopes import scope

from apps.milestones.models import PartnerTrack
from apps.milestones.services import milestone_event_record, partner_track_start
from apps.partners.models import PartnerEvent


class PartnerTrackFactory(factory.Factory):
    """`partner_track_start` for `account` (required), by `actor` (a staff member or None),
    from `enrolled_at` (default: now)."""

    class Meta:
        model = PartnerTrack

    tenant = factory.SelfAttribute("account.tenant")
    actor = None
    enrolled_at = None

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kwargs: Any) -> PartnerTrack:
        with scope(tenant=kwargs["tenant"]):
            return partner_track_start(**kwargs)


class PartnerEventFactory(factory.Factory):
    """`milestone_event_record` of one event of `account` (required)."""

    class Meta:
        model = PartnerEvent

    tenant = factory.SelfAttribute("account.tenant")
    type = "profile.completed"
    source = "api"
    reference = ""
    data = factory.Dict({})

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kwargs: Any) -> PartnerEvent:
        account = kwargs.pop("account")
        with scope(tenant=kwargs["tenant"]):
            return milestone_event_record(account_id=account.pk, **kwargs).event
