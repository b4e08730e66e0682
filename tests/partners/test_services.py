import pytest
from django_scopes import scope

from apps.audit.models import AuditEvent
from apps.partners import services as partner_services
from apps.partners.models import PartnerAccount, PartnerStatus, PartnerType, PartnerUser
from apps.partners.services import (
    PARTNER_STATUS_TRANSITIONS,
    PartnerError,
    partner_account_create,
    partner_domain_add,
    partner_reactivate,
    partner_status_events,
    partner_suspend,
    partner_user_add,
)
from apps.tenancy.models import Role
from tests.conftest import in_scope, race

pytestmark = pytest.mark.django_db


def test_new_program_starts_with_the_six_partner_types(acme):
    with scope(tenant=acme.tenant):
        names = list(PartnerType.objects.filter(tenant=acme.tenant).values_list("name", flat=True))
    assert names == [
        "Reseller / VAR",
        "Managed Service Provider",
        "Systems Integrator",
        "Distributor",
        "Referral / Agent",
        "Technology / Alliance",
    ]


def test_a_domain_belongs_to_one_account_per_tenant(acme, globex):
    with scope(tenant=acme.tenant):
        with pytest.raises(PartnerError, match="already belongs"):
            partner_domain_add(
                tenant=acme.tenant,
                actor=acme.cam,
                account=acme.other_partner,
                domain="ONE.acme.test",
            )
        partner_domain_add(
            tenant=acme.tenant, actor=acme.cam, account=acme.partner, domain="second.example"
        )
        assert sorted(acme.partner.domains.values_list("domain", flat=True)) == [
            "one.acme.test",
            "second.example",
        ]
    with scope(tenant=globex.tenant):
        # Another tenant may own the same domain.
        partner_domain_add(
            tenant=globex.tenant, actor=globex.cam, account=globex.partner, domain="one.acme.test"
        )


@pytest.mark.parametrize("bad", ["", "not a domain", "nodot", "a/b.com"])
def test_bad_domains_are_refused(acme, bad):
    with scope(tenant=acme.tenant), pytest.raises(PartnerError):
        partner_domain_add(tenant=acme.tenant, actor=acme.cam, account=acme.partner, domain=bad)


def test_partner_user_belongs_to_exactly_one_account(acme):
    with scope(tenant=acme.tenant):
        with pytest.raises(PartnerError, match="another partner account"):
            partner_user_add(
                tenant=acme.tenant,
                actor=acme.cam,
                account=acme.other_partner,
                email=acme.partner_user.email,
            )
        with pytest.raises(PartnerError, match="staff"):
            partner_user_add(
                tenant=acme.tenant, actor=acme.cam, account=acme.partner, email=acme.cam.email
            )
        assert PartnerUser.objects.filter(membership__user=acme.partner_user).count() == 1


def test_account_of_another_tenants_type_is_refused(acme, globex):
    with scope(tenant=globex.tenant):
        foreign = PartnerType.objects.filter(tenant=globex.tenant).first()
    with scope(tenant=acme.tenant), pytest.raises(PartnerError):
        partner_account_create(tenant=acme.tenant, actor=acme.admin, name="X", partner_type=foreign)


def test_assigning_a_cam_notifies_them(acme, unscoped):
    from apps.notifications.models import Notification

    assert Notification.objects.filter(
        recipient=acme.cam, kind="partner_assigned", title__contains="Acme Partner One"
    ).exists()


def test_role_change_is_audited_once(acme):
    from apps.audit.models import AuditEvent

    with scope(tenant=acme.tenant):
        before = AuditEvent.objects.count()
        partner_user_add(
            tenant=acme.tenant,
            actor=acme.cam,
            account=acme.partner,
            email=acme.partner_user.email,
            role=Role.PARTNER_USER,
        )
        assert AuditEvent.objects.count() == before  # nothing changed, nothing recorded
        partner_user_add(
            tenant=acme.tenant,
            actor=acme.cam,
            account=acme.partner,
            email=acme.partner_user.email,
            role=Role.PARTNER_ADMIN,
        )
        assert AuditEvent.objects.filter(verb="partner.user_role_changed").count() == 1


def test_partner_events_are_idempotent_by_key(acme):
    from apps.partners.models import PartnerEvent
    from apps.partners.services import partner_event_record

    with scope(tenant=acme.tenant):
        first, created = partner_event_record(
            tenant=acme.tenant,
            account_id=acme.partner.pk,
            type="Deal.Registered",
            source="api",
            idempotency_key="crm-123",
        )
        again, created_again = partner_event_record(
            tenant=acme.tenant,
            account_id=acme.partner.pk,
            type="deal.registered",
            source="api",
            idempotency_key="crm-123",
        )
        assert created and not created_again and first.pk == again.pk
        assert first.type == "deal.registered"
        with pytest.raises(PartnerError):
            partner_event_record(
                tenant=acme.tenant, account_id=acme.partner.pk, type="x", source="carrier-pigeon"
            )
        assert PartnerEvent.objects.filter(type="deal.registered").count() == 1


# --- Suspend and reactivate ------------------------------------------------------------------


def _status_events(program):

    with scope(tenant=program.tenant):
        return list(
            AuditEvent.objects.filter(
                tenant=program.tenant,
                partner_id=program.partner.pk,
                verb__in=["partner.suspended", "partner.reactivated"],
            )
            .order_by("pk")
            .values_list("verb", "data")
        )


def test_suspend_then_reactivate_is_audited_with_from_and_to(acme):

    with scope(tenant=acme.tenant):
        account = partner_suspend(
            tenant=acme.tenant, actor=acme.cam, account_id=acme.partner.pk, reason=" Unpaid "
        )
        assert account.status == PartnerStatus.SUSPENDED
        account.refresh_from_db()
        assert account.status == PartnerStatus.SUSPENDED
        account = partner_reactivate(
            tenant=acme.tenant, actor=acme.admin, account_id=acme.partner.pk
        )
        account.refresh_from_db()
        assert account.status == PartnerStatus.ACTIVE
    assert _status_events(acme) == [
        ("partner.suspended", {"from": "active", "to": "suspended", "reason": "Unpaid"}),
        ("partner.reactivated", {"from": "suspended", "to": "active"}),
    ]


@pytest.mark.parametrize(
    ("service", "status"),
    [("partner_suspend", "suspended"), ("partner_reactivate", "active")],
)
def test_refused_transitions_change_nothing(acme, service, status):

    with scope(tenant=acme.tenant):
        PartnerAccount.objects.filter(pk=acme.partner.pk).update(status=status)
        before = AuditEvent.objects.filter(tenant=acme.tenant).count()
        with pytest.raises(PartnerError, match=f"already {status}"):
            getattr(partner_services, service)(
                tenant=acme.tenant, actor=acme.cam, account_id=acme.partner.pk
            )
        assert PartnerAccount.objects.get(pk=acme.partner.pk).status == status
        assert AuditEvent.objects.filter(tenant=acme.tenant).count() == before


def test_the_transition_table_drives_the_buttons(acme):

    assert set(PARTNER_STATUS_TRANSITIONS) == {"suspend", "reactivate"}
    for status in PartnerStatus:
        acme.partner.status = status
        events = partner_status_events(acme.partner)
        assert len(events) == 1
        (event,) = events
        sources, target = PARTNER_STATUS_TRANSITIONS[event]
        assert status in sources and target != status


@pytest.mark.parametrize("who", ["partner_admin", "partner_user", "other_partner_user", None])
def test_only_staff_can_suspend(acme, who):

    actor = getattr(acme, who) if who else None
    with scope(tenant=acme.tenant):
        with pytest.raises(PartnerError, match="Only the program’s staff"):
            partner_suspend(tenant=acme.tenant, actor=actor, account_id=acme.partner.pk)
        assert PartnerAccount.objects.get(pk=acme.partner.pk).status == PartnerStatus.ACTIVE


def test_staff_of_another_program_cannot_suspend(acme, globex):

    with (
        scope(tenant=acme.tenant),
        pytest.raises(PartnerError, match="Only the program’s staff"),
    ):
        partner_suspend(tenant=acme.tenant, actor=globex.admin, account_id=acme.partner.pk)
    # The other program's own staff, aiming at this program's account: unknown there.
    with (
        scope(tenant=globex.tenant),
        pytest.raises(PartnerError, match="Unknown partner account"),
    ):
        partner_suspend(tenant=globex.tenant, actor=globex.admin, account_id=acme.partner.pk)
    with scope(tenant=acme.tenant):
        assert PartnerAccount.objects.get(pk=acme.partner.pk).status == PartnerStatus.ACTIVE


@pytest.mark.django_db(transaction=True)
def test_two_cams_racing_to_suspend_suspend_once(acme):

    results = race(
        in_scope(acme.tenant, partner_suspend, actor=acme.cam, account_id=acme.partner.pk),
        in_scope(acme.tenant, partner_suspend, actor=acme.admin, account_id=acme.partner.pk),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], PartnerError), results
    assert "already suspended" in str(errors[0])
    with scope(tenant=acme.tenant):
        assert PartnerAccount.objects.get(pk=acme.partner.pk).status == PartnerStatus.SUSPENDED
    assert [verb for verb, _ in _status_events(acme)] == ["partner.suspended"]


# --- Adding and editing accounts by hand (partner_account_add / partner_account_update) ----


def _version(account):
    from apps.partners.models import PartnerDomain

    domains = PartnerDomain.objects.filter(account=account).values_list("domain", flat=True)
    return partner_services.partner_account_version(account=account, domains=list(domains))


def test_account_add_normalises_and_deduplicates_domains(acme):
    with scope(tenant=acme.tenant):
        reseller = PartnerType.objects.get(tenant=acme.tenant, name="Reseller / VAR")
        account = partner_services.partner_account_add(
            tenant=acme.tenant,
            actor=acme.cam,
            name=" Northwind ",
            partner_type=reseller,
            tier="gold",
            domains=["NorthWind.test.", "@northwind.test", "nw.test"],
        )
        assert account.name == "Northwind"
        assert sorted(account.domains.values_list("domain", flat=True)) == [
            "northwind.test",
            "nw.test",
        ]


@pytest.mark.parametrize(
    ("domain", "message"),
    [("GMAIL.com", "free email provider"), ("two.acme.test", "Acme Partner Two")],
)
def test_account_add_refuses_free_mail_and_taken_domains(acme, domain, message):
    with scope(tenant=acme.tenant):
        reseller = PartnerType.objects.get(tenant=acme.tenant, name="Reseller / VAR")
        with pytest.raises(partner_services.PartnerDomainError, match=message):
            partner_services.partner_account_add(
                tenant=acme.tenant,
                actor=acme.admin,
                name="Northwind",
                partner_type=reseller,
                tier="registered",
                domains=["northwind.test", domain],
            )
        assert not PartnerAccount.objects.filter(name="Northwind").exists()


def test_account_add_and_update_are_for_staff_only(acme):
    with scope(tenant=acme.tenant):
        reseller = PartnerType.objects.get(tenant=acme.tenant, name="Reseller / VAR")
        with pytest.raises(PartnerError, match="staff"):
            partner_services.partner_account_add(
                tenant=acme.tenant,
                actor=acme.partner_admin,
                name="Northwind",
                partner_type=reseller,
                tier="registered",
            )
        with pytest.raises(PartnerError, match="staff"):
            partner_services.partner_account_update(
                tenant=acme.tenant,
                actor=acme.partner_admin,
                account_id=acme.partner.pk,
                version=_version(acme.partner),
                partner_type=reseller,
                tier="gold",
            )


def test_update_of_another_tenants_account_is_refused(acme, globex):
    with scope(tenant=acme.tenant):
        reseller = PartnerType.objects.get(tenant=acme.tenant, name="Reseller / VAR")
        with pytest.raises(PartnerError, match="Unknown partner account"):
            partner_services.partner_account_update(
                tenant=acme.tenant,
                actor=acme.admin,
                account_id=globex.partner.pk,
                version="x",
                partner_type=reseller,
                tier="gold",
            )


@pytest.mark.django_db(transaction=True)
def test_two_admins_editing_at_once_one_wins_the_other_is_told(acme):
    with scope(tenant=acme.tenant):
        account = PartnerAccount.objects.select_related("partner_type").get(pk=acme.partner.pk)
        version = _version(account)
        partner_type = account.partner_type
    common = {
        "actor": acme.admin,
        "account_id": account.pk,
        "version": version,
        "partner_type": partner_type,
        "domains": ["one.acme.test"],
        "cam": acme.cam,
    }
    results = race(
        in_scope(acme.tenant, partner_services.partner_account_update, tier="gold", **common),
        in_scope(acme.tenant, partner_services.partner_account_update, tier="silver", **common),
    )
    conflicts = [r for r in results if isinstance(r, partner_services.PartnerEditConflict)]
    saved = [r for r in results if isinstance(r, PartnerAccount)]
    assert len(conflicts) == 1
    assert len(saved) == 1
    with scope(tenant=acme.tenant):
        account.refresh_from_db()
        assert account.tier == saved[0].tier
        events = AuditEvent.objects.filter(verb="partner.updated", partner_id=account.pk)
        assert [e.data["to"] for e in events] == [{"tier": saved[0].tier}]


# --- partner_accounts_bulk_update (issue 10, point 2) ---------------------------------------


def _bulk(program, **kwargs):
    with scope(tenant=program.tenant):
        return partner_services.partner_accounts_bulk_update(
            tenant=program.tenant, actor=program.admin, **kwargs
        )


def test_bulk_update_assigns_cam_and_tier_audited_and_notified(acme, unscoped):
    from apps.notifications.models import Notification

    ids = [acme.partner.pk, acme.other_partner.pk]
    PartnerAccount.objects.filter(pk=acme.other_partner.pk).update(cam=None, tier="gold")
    notified = Notification.objects.filter(recipient=acme.cam, kind="partner_assigned")
    before = notified.count()
    changed = _bulk(acme, account_ids=ids, tier="gold", cam_id=acme.cam.pk)
    # Partner One keeps its CAM and gets gold; Partner Two gets the CAM and keeps gold.
    assert sorted(a.pk for a in changed) == sorted(ids)
    assert set(PartnerAccount.objects.filter(pk__in=ids).values_list("cam_id", "tier")) == {
        (acme.cam.pk, "gold")
    }
    one = AuditEvent.objects.get(verb="partner.updated", partner_id=acme.partner.pk)
    assert one.data["from"] == {"tier": "registered"} and one.data["to"] == {"tier": "gold"}
    assert one.actor == acme.admin
    two = AuditEvent.objects.get(verb="partner.updated", partner_id=acme.other_partner.pk)
    assert two.data["from"] == {"cam": None} and two.data["to"] == {"cam": acme.cam.email}
    assert notified.count() == before + 1  # for Partner Two only


def test_bulk_assigning_several_partners_sends_one_message(acme, unscoped):
    from apps.notifications.models import Notification

    ids = [acme.partner.pk, acme.other_partner.pk]
    PartnerAccount.objects.filter(pk__in=ids).update(cam=None)
    before = Notification.objects.filter(recipient=acme.cam).count()
    changed = _bulk(acme, account_ids=ids, cam_id=acme.cam.pk)
    assert len(changed) == 2
    new = Notification.objects.filter(recipient=acme.cam).order_by("-id")
    assert new.count() == before + 1  # one for the selection, not one per partner
    message = new.first()
    assert message.kind == "partners_assigned"
    assert "2 partners" in message.title
    assert acme.partner.name in message.body and acme.other_partner.name in message.body
    assert message.url.endswith(f"?cam={acme.cam.pk}")


def test_bulk_update_with_nothing_to_change_records_nothing(acme, unscoped):
    before = AuditEvent.objects.count()
    assert _bulk(acme, account_ids=[acme.partner.pk], cam_id=acme.cam.pk) == []
    assert AuditEvent.objects.count() == before


def test_bulk_update_refuses_another_tenants_ids_and_changes_nothing(acme, globex, unscoped):
    with pytest.raises(PartnerError):
        _bulk(acme, account_ids=[acme.partner.pk, globex.partner.pk], tier="platinum")
    assert not PartnerAccount.objects.filter(tier="platinum").exists()
    assert not AuditEvent.objects.filter(verb="partner.updated").exists()


def test_bulk_update_refuses_an_inactive_or_foreign_cam(acme, globex, unscoped):
    from apps.tenancy.models import Membership

    Membership.objects.filter(tenant=acme.tenant, user=acme.cam).update(is_active=False)
    for cam in (acme.cam, globex.cam, acme.partner_user):
        with pytest.raises(PartnerError):
            _bulk(acme, account_ids=[acme.other_partner.pk], cam_id=cam.pk)
    PartnerAccount.objects.filter(pk=acme.other_partner.pk).update(cam=None)
    with pytest.raises(PartnerError):
        _bulk(acme, account_ids=[acme.other_partner.pk], cam_id=acme.cam.pk)
    assert PartnerAccount.objects.get(pk=acme.other_partner.pk).cam_id is None


def test_bulk_update_limits_and_staff_only(acme, unscoped):
    with pytest.raises(PartnerError):
        _bulk(acme, account_ids=[], tier="gold")
    with pytest.raises(PartnerError):
        _bulk(acme, account_ids=range(1, 502), tier="gold")
    with pytest.raises(PartnerError):
        _bulk(acme, account_ids=[acme.partner.pk])
    with pytest.raises(PartnerError):
        _bulk(acme, account_ids=[acme.partner.pk], tier="diamond")
    with scope(tenant=acme.tenant), pytest.raises(PartnerError):
        partner_services.partner_accounts_bulk_update(
            tenant=acme.tenant, actor=acme.partner_admin, account_ids=[acme.partner.pk], tier="gold"
        )
    assert not PartnerAccount.objects.filter(tier="gold").exists()
