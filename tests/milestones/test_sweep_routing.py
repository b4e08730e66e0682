"""Who hears about a partner's milestone alerts: its active CAM, else every active admin.

The sweep's "review package ready" notice, the daily alert digest and the inbox's
Unassigned filter all follow one rule (apps.partners.selectors.responsible_staff*): never
nobody, never a deactivated person.
"""

import pytest
import time_machine
from django_scopes import scope, scopes_disabled

from apps.home.services import staff_active_set, staff_member_add
from apps.milestones.selectors.alerts import digest_recipients_all_tenants
from apps.milestones.tasks import alert_digest_send_task, alert_digests_send
from apps.notifications.models import Notification
from apps.partners.models import PartnerAccount
from apps.partners.selectors import responsible_staff_by_account_all_tenants
from apps.tenancy.models import Membership, Role
from tests.milestones.conftest import alerts, day, start_tracking, sweep

pytestmark = pytest.mark.django_db

REVIEW = "milestone_review_ready"
DIGEST = "milestone_alert_digest"


@pytest.fixture
def gone_admin(acme):
    """Besides acme.admin: a second active admin (admin2@) and a deactivated one (returned)."""
    with scope(tenant=acme.tenant):
        staff_member_add(
            tenant=acme.tenant, actor=acme.admin, email="admin2@acme.test", role=Role.PROGRAM_ADMIN
        )
        gone = staff_member_add(
            tenant=acme.tenant, actor=acme.admin, email="gone@acme.test", role=Role.PROGRAM_ADMIN
        )
        staff_active_set(tenant=acme.tenant, actor=acme.admin, membership_id=gone.pk, active=False)
    return gone.user


def _cam_none(program):
    with scope(tenant=program.tenant):
        PartnerAccount.objects.filter(pk=program.partner.pk).update(cam=None)


def _cam_deactivated(program):
    with scope(tenant=program.tenant):
        membership = Membership.objects.get(tenant=program.tenant, user=program.cam)
        staff_active_set(
            tenant=program.tenant, actor=program.admin, membership_id=membership.pk, active=False
        )


UNASSIGN = {"no CAM": _cam_none, "CAM deactivated": _cam_deactivated}
ADMINS = {"admin@acme.test", "admin2@acme.test"}


def _recipients(program, kind):
    with scope(tenant=program.tenant):
        return sorted(
            Notification.objects.filter(tenant=program.tenant, kind=kind).values_list(
                "recipient__email", flat=True
            )
        )


# --- The sweep's review-ready notice -------------------------------------------------------


def test_cam_active_the_review_notice_goes_to_the_cam_only(acme, gone_admin):
    start_tracking(acme)
    sweep(day(75))
    assert _recipients(acme, REVIEW) == ["cam@acme.test"]


@pytest.mark.parametrize("unassign", UNASSIGN.values(), ids=UNASSIGN.keys())
def test_without_an_active_cam_the_review_notice_goes_to_every_active_admin(
    acme, gone_admin, unassign
):
    start_tracking(acme)
    unassign(acme)
    sweep(day(75))
    # Once each; never the deactivated CAM, never the deactivated admin.
    assert _recipients(acme, REVIEW) == sorted(ADMINS)


def test_a_sweep_over_two_programs_routes_each_partner_in_its_own(acme, globex, gone_admin):
    start_tracking(acme)
    start_tracking(globex)
    _cam_deactivated(acme)
    sweep(day(75))
    assert _recipients(acme, REVIEW) == sorted(ADMINS)
    assert _recipients(globex, REVIEW) == ["cam@globex.test"]


def test_the_all_tenants_form_costs_two_queries(
    acme, globex, gone_admin, django_assert_max_num_queries
):
    _cam_none(acme)
    _cam_deactivated(globex)
    ids = [acme.partner.pk, acme.other_partner.pk, globex.partner.pk, globex.other_partner.pk]
    with django_assert_max_num_queries(2):
        by_account = responsible_staff_by_account_all_tenants(account_ids=ids)
    emails = {pk: sorted(u.email for u in users) for pk, users in by_account.items()}
    assert emails == {
        acme.partner.pk: sorted(ADMINS),
        acme.other_partner.pk: ["cam@acme.test"],
        globex.partner.pk: ["admin@globex.test"],
        globex.other_partner.pk: ["admin@globex.test"],
    }


# --- The daily alert digest ----------------------------------------------------------------


def _run_digests(at, monkeypatch):
    """The hourly beat task, with the digests it queued in the outbox sent inline."""
    from tests.outbox.helpers import queued_by

    with time_machine.travel(at, tick=False):
        queued = [
            (tenant_id, payload["user_id"])
            for tenant_id, payload in queued_by(alert_digests_send, kind="milestones.alert_digest")
        ]
        for args in queued:
            alert_digest_send_task(*args)
    return queued


@pytest.fixture
def swept(acme, gone_admin):
    """Both acme partners (the CAM's) tracked from T0 with open alerts at day 20."""
    start_tracking(acme)
    start_tracking(acme, acme.other_partner)
    sweep(day(20))


def test_cam_active_only_the_cam_gets_the_digest(acme, swept, monkeypatch):
    queued = _run_digests(day(21).replace(hour=8), monkeypatch)
    assert queued == [(acme.tenant.pk, acme.cam.pk)]
    assert _recipients(acme, DIGEST) == ["cam@acme.test"]


def test_unassigned_partners_alerts_go_to_the_admins_digest(acme, swept, monkeypatch):
    _cam_none(acme)  # acme.partner unassigned; other_partner still the CAM's
    _run_digests(day(21).replace(hour=8), monkeypatch)
    assert _recipients(acme, DIGEST) == sorted([*ADMINS, "cam@acme.test"])
    with scope(tenant=acme.tenant):
        admin_digest = Notification.objects.get(kind=DIGEST, recipient=acme.admin)
        cam_digest = Notification.objects.get(kind=DIGEST, recipient=acme.cam)
    assert acme.partner.name in admin_digest.email_html
    assert acme.other_partner.name not in admin_digest.email_html
    assert acme.other_partner.name in cam_digest.email_html
    assert acme.partner.name not in cam_digest.email_html


def test_a_deactivated_cam_gets_no_digest_their_partners_go_to_the_admins(
    acme, swept, gone_admin, monkeypatch
):
    _cam_deactivated(acme)
    with time_machine.travel(day(21).replace(hour=8), tick=False):
        today = day(21).date()
        recipients = digest_recipients_all_tenants(today=today)
        assert (acme.tenant.pk, acme.cam.pk) not in recipients
        assert (acme.tenant.pk, gone_admin.pk) not in recipients
        # Even a task queued for them before the deactivation sends nothing.
        assert alert_digest_send_task(acme.tenant.pk, acme.cam.pk) == 0
        assert alert_digest_send_task(acme.tenant.pk, gone_admin.pk) == 0
    _run_digests(day(21).replace(hour=8), monkeypatch)
    assert _recipients(acme, DIGEST) == sorted(ADMINS)
    with scope(tenant=acme.tenant):
        digest = Notification.objects.get(kind=DIGEST, recipient=acme.admin)
    open_alerts = alerts(acme, status="open")
    assert digest.email_subject == f"{len(open_alerts)} open alerts on 2 partners"
    # Once a day each.
    assert _run_digests(day(21).replace(hour=9), monkeypatch) == []


def test_digest_recipients_cost_two_queries(acme, globex, swept, django_assert_max_num_queries):
    start_tracking(globex)
    sweep(day(20))
    _cam_none(acme)
    _cam_deactivated(globex)
    with django_assert_max_num_queries(2):
        recipients = digest_recipients_all_tenants(today=day(21).date())
    with scopes_disabled():
        expected = {
            (acme.tenant.pk, acme.admin.pk),
            (acme.tenant.pk, acme.cam.pk),  # still the active CAM of other_partner
            (globex.tenant.pk, globex.admin.pk),
        } | {
            (acme.tenant.pk, m.user_id)
            for m in Membership.objects.filter(user__email="admin2@acme.test")
        }
    assert set(recipients) == expected


# --- The inbox: admins see unassigned partners' alerts -------------------------------------


def test_the_inbox_unassigned_filter_includes_a_deactivated_cams_partners(acme, client_for, swept):
    _cam_deactivated(acme)
    with time_machine.travel(day(20), tick=False):
        response = client_for(acme, acme.admin).get("/console/alerts/", {"cam": "none"})
    assert response.status_code == 200
    rows = list(response.context["page"].object_list)
    assert rows and {a.account_id for a in rows} == {acme.partner.pk, acme.other_partner.pk}
    assert "Unassigned partners" in response.text
    # A partner with an active CAM is not "unassigned".
    with scope(tenant=acme.tenant):
        Membership.objects.filter(user=acme.cam).update(is_active=True)
    with time_machine.travel(day(20), tick=False):
        response = client_for(acme, acme.admin).get("/console/alerts/", {"cam": "none"})
    assert list(response.context["page"].object_list) == []
