"""Activation, dark partners and the Partner Explorer's filters on them."""

from datetime import timedelta

import pytest
import time_machine
from django_scopes import scope

from apps.audit.models import AuditEvent
from apps.milestones.models import PartnerTrack
from apps.milestones.services import milestone_event_record
from apps.partners.models import PartnerAccount
from tests.milestones.conftest import day, start_tracking, sweep

pytestmark = pytest.mark.django_db


def _event(program, type_, at, reference="", account=None):
    with time_machine.travel(at, tick=False), scope(tenant=program.tenant):
        return milestone_event_record(
            tenant=program.tenant,
            account_id=(account or program.partner).pk,
            type=type_,
            source="api",
            reference=reference,
        )


def _account(program, account=None):
    with scope(tenant=program.tenant):
        return PartnerAccount.objects.get(pk=(account or program.partner).pk)


def test_a_partner_is_activated_when_its_activation_milestones_are_complete(acme, tracked):
    # Reseller / VAR: the sales certification and the first deal.
    assert _event(acme, "certification.passed", day(20), "sales").activated is False
    assert _account(acme).activated_at is None
    assert _event(acme, "deal.registered", day(30)).activated is True
    assert _account(acme).activated_at == day(30)
    with scope(tenant=acme.tenant):
        assert PartnerTrack.objects.get(account=acme.partner).activated_at == day(30)
        assert AuditEvent.objects.filter(
            verb="partner.activated", partner_id=acme.partner.pk
        ).exists()
    # Past the window it never goes dark.
    sweep(day(70))
    assert _account(acme).dark_since is None


def test_past_the_window_without_activation_a_partner_goes_dark_once(acme, tracked):
    sweep(day(60) - timedelta(seconds=1))
    assert _account(acme).dark_since is None
    assert sweep(day(60)).partners_dark == 1
    assert _account(acme).dark_since == day(60)
    assert sweep(day(61)).partners_dark == 0
    # Activating later clears the flag.
    _event(acme, "certification.passed", day(62), "sales")
    _event(acme, "deal.registered", day(63))
    account = _account(acme)
    assert account.activated_at == day(63) and account.dark_since is None


def test_explorer_filters_activated_and_dark_partners(acme, client_for):
    start_tracking(acme)
    start_tracking(acme, acme.other_partner)
    _event(acme, "certification.passed", day(10), "sales")
    _event(acme, "deal.registered", day(11))
    sweep(day(61))
    client = client_for(acme, acme.cam)

    def names(activation):
        response = client.get("/console/partners/", {"activation": activation})
        assert response.status_code == 200
        return [p.name for p in response.context["page"].object_list]

    assert names("activated") == [acme.partner.name]
    assert names("dark") == [acme.other_partner.name]
    assert names("not_activated") == [acme.other_partner.name]
    assert set(names("")) == {acme.partner.name, acme.other_partner.name}
    assert len(names("bogus")) == 2  # a forged value drops the filter
    page = client.get("/console/partners/", {"activation": "dark"}).content.decode()
    assert ">Dark</span>" in page
