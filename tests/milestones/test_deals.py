"""A partner's deals: `deal.*` events grouped by reference, with their stage and the
"stalled in submission" flag, on the Milestones tab; deals logged by hand need a reference."""

import pytest
import time_machine
from django_scopes import scope

from apps.milestones.models import AlertRule, RuleCondition
from apps.milestones.selectors.deals import partner_deals
from apps.milestones.services import MilestoneError, milestone_event_record, partner_activity_log
from apps.partners.models import PartnerEvent
from tests.milestones.conftest import alerts, day, sweep

pytestmark = pytest.mark.django_db


def _url(program, suffix=""):
    return f"/console/partners/{program.partner.pk}/milestones/{suffix}"


def _deal(program, type_, reference, at, data=None, actor=None, account=None):
    with time_machine.travel(at, tick=False), scope(tenant=program.tenant):
        milestone_event_record(
            tenant=program.tenant,
            account_id=(account or program.partner).pk,
            type=type_,
            source="api",
            reference=reference,
            data=data or {},
            actor=actor,
        )


def _deals(program, at, account=None):
    with time_machine.travel(at, tick=False), scope(tenant=program.tenant):
        return {
            d.reference: d
            for d in partner_deals(tenant=program.tenant, account=account or program.partner)
        }


@pytest.fixture
def deals(acme, tracked):
    """DR-1 registered day 20 and approved day 30; DR-2 registered day 25, nothing since;
    DR-3 registered day 40 and rejected day 41; DR-5 progressed without a registration."""
    _deal(acme, "deal.registered", "DR-1", day(20), {"name": "Initech renewal", "amount": 48000})
    _deal(acme, "deal.registered", "DR-2", day(25), {"customer": "Hooli"}, actor=acme.partner_user)
    _deal(acme, "deal.approved", "DR-1", day(30), {"amount": 52000, "currency": "EUR"})
    _deal(acme, "deal.registered", "DR-3", day(40))
    _deal(acme, "deal.rejected", "DR-3", day(41))
    _deal(acme, "deal.progressed", "DR-5", day(42))
    # Another partner's deal never shows.
    _deal(acme, "deal.registered", "DR-9", day(20), account=acme.other_partner)


def test_deals_are_grouped_by_reference_with_their_stage(acme, deals):
    found = _deals(acme, day(50))
    assert set(found) == {"DR-1", "DR-2", "DR-3", "DR-5"}
    one, two, three, five = found["DR-1"], found["DR-2"], found["DR-3"], found["DR-5"]
    assert (one.stage, str(one.stage_label)) == ("approved", "Approved")
    assert one.registered_at == day(20) and one.last_event_at == day(30)
    assert one.name == "Initech renewal" and one.amount == 52000 and one.currency == "EUR"
    assert one.events == 2 and not one.in_submission
    assert two.stage == "submitted" and two.in_submission and two.customer == "Hooli"
    assert two.registered_by == acme.partner_user and two.no_update_days == 25
    assert three.stage == "rejected" and not three.in_submission
    assert five.stage == "progressed" and five.registered_at is None and not five.in_submission
    # Most recently active first.
    with time_machine.travel(day(50), tick=False), scope(tenant=acme.tenant):
        ordered = partner_deals(tenant=acme.tenant, account=acme.partner)
    assert [d.reference for d in ordered] == ["DR-5", "DR-3", "DR-1", "DR-2"]


def test_a_deal_is_stalled_once_the_tracks_stalled_rule_is_due(acme, deals):
    # The rule "Deal stalled in submission at day 75" reads deals registered by then.
    assert not _deals(acme, day(74))["DR-2"].stalled
    assert _deals(acme, day(75))["DR-2"].stalled
    assert not _deals(acme, day(75))["DR-1"].stalled
    # A deal registered after the rule's day waits without being "stalled".
    _deal(acme, "deal.registered", "DR-4", day(80))
    late = _deals(acme, day(90))["DR-4"]
    assert late.in_submission and not late.stalled and late.no_update_days == 10
    # The alert agrees with the flag.
    sweep(day(75))
    assert "Deal stalled in submission at day 75" in [a.rule.label for a in alerts(acme)]


def test_a_later_event_ends_the_submission(acme, deals):
    _deal(acme, "deal.progressed", "DR-2", day(60))
    two = _deals(acme, day(80))["DR-2"]
    assert two.stage == "progressed" and not two.in_submission and not two.stalled


def test_without_a_stalled_rule_a_waiting_deal_has_no_update_since_registration(
    acme, client_for, deals
):
    with scope(tenant=acme.tenant):
        AlertRule.objects.filter(tenant=acme.tenant, condition=RuleCondition.STALLED).update(
            active=False
        )
    two = _deals(acme, day(80))["DR-2"]
    assert two.in_submission and not two.stalled
    with time_machine.travel(day(80), tick=False):
        body = client_for(acme, acme.cam).get(_url(acme)).content.decode()
    assert "No update since registration" in body
    assert "Stalled in submission" not in body


def test_the_selector_reads_in_two_queries(acme, deals, django_assert_max_num_queries):
    for i in range(10):
        _deal(acme, "deal.registered", f"DX-{i}", day(50))
    with (
        time_machine.travel(day(80), tick=False),
        scope(tenant=acme.tenant),
        django_assert_max_num_queries(2),
    ):
        assert len(partner_deals(tenant=acme.tenant, account=acme.partner)) == 14


def test_the_tab_lists_deals_with_their_stage(acme, client_for, deals):
    with time_machine.travel(day(76), tick=False):
        response = client_for(acme, acme.cam).get(_url(acme))
    body = response.content.decode()
    assert response.status_code == 200
    assert 'id="deals"' in body
    for text in ("DR-1", "Initech renewal", "Approved", "Rejected", "Stalled in submission"):
        assert text in body
    assert "DR-9" not in body


def test_the_deals_card_has_an_empty_state(acme, client_for, tracked):
    body = client_for(acme, acme.cam).get(_url(acme)).content.decode()
    assert "No deal registered yet" in body


# --- Deals logged by hand -----------------------------------------------------------------


def _deal_events(program):
    with scope(tenant=program.tenant):
        return list(
            PartnerEvent.objects.filter(tenant=program.tenant, type__startswith="deal.").order_by(
                "id"
            )
        )


@pytest.mark.parametrize(
    "activity", ["deal_registered", "deal_approved", "deal_rejected", "deal_progressed"]
)
def test_a_deal_activity_needs_a_reference(acme, client_for, tracked, activity):
    client = client_for(acme, acme.cam)
    with time_machine.travel(day(30), tick=False):
        refused = client.post(_url(acme, "log/"), {"activity": activity, "deal_reference": " "})
        assert refused.status_code == 422
        assert "Give the deal" in refused.content.decode()
        assert _deal_events(acme) == []
        done = client.post(_url(acme, "log/"), {"activity": activity, "deal_reference": "DR-77"})
    assert done.status_code == 302
    (event,) = _deal_events(acme)
    assert event.reference == "DR-77" and event.recorded_by == acme.cam
    assert event.source == "console"


def test_a_deal_logged_by_hand_moves_through_its_stages(acme, client_for, tracked):
    client = client_for(acme, acme.cam)
    with time_machine.travel(day(30), tick=False):
        client.post(_url(acme, "log/"), {"activity": "deal_registered", "deal_reference": "H-1"})
    with time_machine.travel(day(35), tick=False):
        client.post(_url(acme, "log/"), {"activity": "deal_approved", "deal_reference": "H-1"})
        body = client.get(_url(acme)).content.decode()
    deal = _deals(acme, day(35))["H-1"]
    assert deal.stage == "approved" and deal.registered_by == acme.cam
    assert "Deal approved: H-1" in body


def test_the_service_refuses_a_deal_without_a_reference(acme, tracked):
    with scope(tenant=acme.tenant), pytest.raises(MilestoneError):
        partner_activity_log(
            tenant=acme.tenant, actor=acme.cam, account=acme.partner, activity="deal_rejected"
        )
    assert _deal_events(acme) == []


def test_other_tenants_and_partner_users_cannot_log_deals(acme, globex, client_for, tracked):
    for program, user in ((acme, acme.partner_admin), (globex, globex.admin)):
        response = client_for(program, user).post(
            _url(acme, "log/"), {"activity": "deal_registered", "deal_reference": "X-1"}
        )
        assert response.status_code == 404
    assert _deal_events(acme) == []
