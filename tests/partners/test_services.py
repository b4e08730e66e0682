import pytest
from django_scopes import scope

from apps.partners.models import PartnerType, PartnerUser
from apps.partners.services import (
    PartnerError,
    partner_account_create,
    partner_domain_add,
    partner_user_add,
)
from apps.tenancy.models import Role

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
