"""The CAM alert inbox at /console/alerts/."""

from datetime import date, timedelta

import pytest
import time_machine
from django_scopes import scope

from apps.audit.models import AuditEvent
from apps.home.services import staff_member_add
from apps.milestones.models import Alert, AlertStatus
from apps.partners.models import PartnerType
from apps.partners.services import partner_account_create
from apps.tenancy.models import Role
from tests.milestones.conftest import alerts, day, start_tracking, sweep

pytestmark = pytest.mark.django_db

INBOX = "/console/alerts/"


@pytest.fixture
def second_cam(acme):
    with scope(tenant=acme.tenant):
        return staff_member_add(
            tenant=acme.tenant,
            actor=acme.admin,
            email="cam2@acme.test",
            role=Role.CHANNEL_MANAGER,
            first_name="Riley",
            last_name="Other",
        ).user


@pytest.fixture
def inbox(acme, second_cam):
    """acme's partner (Casey's) and an MSP of Riley's, both tracked from T0, swept at day 20."""
    with scope(tenant=acme.tenant):
        msp = partner_account_create(
            tenant=acme.tenant,
            actor=acme.admin,
            name="Riley's MSP",
            partner_type=PartnerType.objects.get(name="Managed Service Provider"),
            cam=second_cam,
        )
    start_tracking(acme)
    start_tracking(acme, msp)
    sweep(day(20))
    return msp


def _client(acme, client_for, user):
    return client_for(acme, user)


def _get(client, at=None, **params):
    with time_machine.travel(at or day(20), tick=False):
        return client.get(INBOX, params)


def test_a_cam_sees_only_their_own_partners_alerts(acme, client_for, inbox):
    response = _get(client_for(acme, acme.cam))
    assert response.status_code == 200
    rows = list(response.context["page"].object_list)
    assert rows and {a.account_id for a in rows} == {acme.partner.pk}
    assert b"Riley&#x27;s MSP" not in response.content
    # Nothing changes with a forged filter: CAMs have no CAM filter.
    rows = list(_get(client_for(acme, acme.cam), cam="").context["page"].object_list)
    assert {a.account_id for a in rows} == {acme.partner.pk}


def test_a_program_admin_sees_every_alert_and_can_narrow_by_cam(
    acme, client_for, inbox, second_cam
):
    client = client_for(acme, acme.admin)
    rows = list(_get(client).context["page"].object_list)
    assert {a.account_id for a in rows} == {acme.partner.pk, inbox.pk}
    rows = list(_get(client, cam=str(second_cam.pk)).context["page"].object_list)
    assert {a.account_id for a in rows} == {inbox.pk}
    assert list(_get(client, cam="mine").context["page"].object_list) == []


def test_filters_by_rule_partner_type_and_age(acme, client_for, inbox):
    client = client_for(acme, acme.admin)
    welcome = next(a for a in alerts(acme, acme.partner) if a.rule.label.startswith("Welcome"))
    rows = list(_get(client, rule=welcome.rule_id).context["page"].object_list)
    assert {a.rule.label for a in rows} == {welcome.rule.label} and len(rows) >= 1
    with scope(tenant=acme.tenant):
        type_id = PartnerType.objects.get(name="Managed Service Provider").pk
    rows = list(_get(client, type=type_id).context["page"].object_list)
    assert {a.account_id for a in rows} == {inbox.pk}
    # At day 20: profile (day 5) and welcome (day 7) are over 7 days old, orientation not.
    recent = list(_get(client, age="week").context["page"].object_list)
    assert {a.rule.day for a in recent} == {14}
    older = list(_get(client, age="month").context["page"].object_list)
    assert {a.rule.day for a in older} == {5, 7}
    # A forged value drops only that filter.
    assert _get(client, age="forever", type="x").status_code == 200


def test_the_alert_filter_matches_the_same_rule_on_every_track(acme, client_for, inbox):
    client = client_for(acme, acme.admin)
    welcome = next(a for a in alerts(acme, acme.partner) if a.rule.label.startswith("Welcome"))
    rows = list(_get(client, rule=welcome.rule_id).context["page"].object_list)
    assert {a.account_id for a in rows} == {acme.partner.pk, inbox.pk}
    choices = _get(client).context["form"].fields["rule"].choices
    labels = [label for _value, label in choices]
    assert len(labels) == len(set(labels))


def test_acknowledge(acme, client_for, inbox):
    alert = alerts(acme, acme.partner)[0]
    client = client_for(acme, acme.cam)
    with time_machine.travel(day(20), tick=False):
        response = client.post(f"{INBOX}{alert.pk}/acknowledge/", {"next": INBOX})
    assert response.status_code == 302 and response["Location"] == INBOX
    with scope(tenant=acme.tenant):
        alert.refresh_from_db()
        assert AuditEvent.objects.filter(verb="alert.acknowledged").count() == 1
    assert alert.status == AlertStatus.ACKNOWLEDGED and alert.acknowledged_by == acme.cam
    open_ids = {a.pk for a in _get(client).context["page"].object_list}
    assert alert.pk not in open_ids
    acknowledged = _get(client, status="acknowledged").context["page"].object_list
    assert [a.pk for a in acknowledged] == [alert.pk]
    # Twice is refused with a message, and changes nothing.
    with time_machine.travel(day(20), tick=False):
        client.post(f"{INBOX}{alert.pk}/acknowledge/", HTTP_HX_REQUEST="true")
    with scope(tenant=acme.tenant):
        assert AuditEvent.objects.filter(verb="alert.acknowledged").count() == 1


def test_acknowledge_with_htmx_returns_the_row(acme, client_for, inbox):
    alert = alerts(acme, acme.partner)[0]
    with time_machine.travel(day(20), tick=False):
        response = client_for(acme, acme.cam).post(
            f"{INBOX}{alert.pk}/acknowledge/", HTTP_HX_REQUEST="true"
        )
    assert response.status_code == 200
    body = response.content.decode()
    assert body.lstrip().startswith(f'<tr id="alert-{alert.pk}"')
    assert "Acknowledged" in body


def test_snooze_hides_an_alert_until_its_date(acme, client_for, inbox):
    alert = alerts(acme, acme.partner)[0]
    client = client_for(acme, acme.cam)
    until = (day(20) + timedelta(days=3)).date()
    with time_machine.travel(day(20), tick=False):
        response = client.post(f"{INBOX}{alert.pk}/snooze/", {"until": until.isoformat()})
    assert response.status_code == 302
    assert alert.pk not in {a.pk for a in _get(client).context["page"].object_list}
    assert [a.pk for a in _get(client, status="snoozed").context["page"].object_list] == [alert.pk]
    before = _get(client, at=day(22)).context["counts"]["open"]
    back = _get(client, at=day(23))
    assert alert.pk in {a.pk for a in back.context["page"].object_list}
    assert back.context["counts"]["open"] == before + 1


def test_snooze_needs_a_future_date(acme, client_for, inbox):
    alert = alerts(acme, acme.partner)[0]
    with time_machine.travel(day(20), tick=False):
        response = client_for(acme, acme.cam).post(
            f"{INBOX}{alert.pk}/snooze/", {"until": date(2020, 1, 1).isoformat()}
        )
    assert response.status_code == 302
    with scope(tenant=acme.tenant):
        alert.refresh_from_db()
    assert alert.snoozed_until is None


def test_resolved_alerts_move_to_the_resolved_tab(acme, client_for, inbox):
    from apps.milestones.services import milestone_event_record

    with time_machine.travel(day(21), tick=False), scope(tenant=acme.tenant):
        milestone_event_record(
            tenant=acme.tenant,
            account_id=acme.partner.pk,
            type="call.logged",
            source="console",
            reference="welcome",
            actor=acme.cam,
        )
    client = client_for(acme, acme.cam)
    resolved = _get(client, at=day(21), status="resolved").context["page"].object_list
    assert [a.rule.label for a in resolved] == ["Welcome call not logged at day 7"]
    response = _get(client, at=day(21), status="resolved")
    assert b"Resolved" in response.content


def test_a_cam_cannot_act_on_another_cams_alert(acme, client_for, inbox):
    other = alerts(acme, inbox)[0]
    client = client_for(acme, acme.cam)
    for action in ("acknowledge", "snooze"):
        response = client.post(f"{INBOX}{other.pk}/{action}/", {"until": "2030-01-01"})
        assert response.status_code == 404
    with scope(tenant=acme.tenant):
        other.refresh_from_db()
    assert other.status == AlertStatus.OPEN and other.snoozed_until is None


def test_another_tenant_and_partner_users_get_404(acme, globex, client_for, inbox):
    alert = alerts(acme, acme.partner)[0]
    # Another tenant's admin, on their own host, aiming at acme's alert.
    client = client_for(globex, globex.admin)
    response = client.get(INBOX)
    assert response.status_code == 200 and list(response.context["page"].object_list) == []
    assert client.post(f"{INBOX}{alert.pk}/acknowledge/").status_code == 404
    assert client.post(f"{INBOX}{alert.pk}/snooze/", {"until": "2030-01-01"}).status_code == 404
    # ... and on acme's host, where they are a stranger.
    assert client_for(acme, globex.admin).get(INBOX).status_code == 404
    for user in (acme.partner_admin, acme.partner_user):
        client = client_for(acme, user)
        assert client.get(INBOX).status_code == 404
        assert client.post(f"{INBOX}{alert.pk}/acknowledge/").status_code == 404
    with scope(tenant=acme.tenant):
        assert Alert.objects.get(pk=alert.pk).status == AlertStatus.OPEN


def test_the_nav_shows_the_open_alert_count(acme, client_for, inbox):
    with time_machine.travel(day(20), tick=False):
        response = client_for(acme, acme.cam).get("/console/")
    body = response.content.decode()
    count = len(alerts(acme, acme.partner))
    assert f'{count}<span class="sr-only"> open</span>' in body


def test_the_inbox_query_count_does_not_grow_with_alerts(
    acme, client_for, inbox, django_assert_max_num_queries
):
    client = client_for(acme, acme.admin)
    with time_machine.travel(day(20), tick=False):
        client.get(INBOX)
        with django_assert_max_num_queries(16) as captured:
            client.get(INBOX)
        few = len(captured)
    with scope(tenant=acme.tenant):
        reseller = PartnerType.objects.get(name="Reseller / VAR")
        for i in range(30):
            account = partner_account_create(
                tenant=acme.tenant,
                actor=acme.admin,
                name=f"Bulk {i}",
                partner_type=reseller,
                cam=acme.cam,
            )
            start_tracking(acme, account)
    sweep(day(20))
    with time_machine.travel(day(20), tick=False), django_assert_max_num_queries(few):
        response = client.get(INBOX)
    assert len(response.context["page"].object_list) == 25
