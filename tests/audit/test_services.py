import pytest
from django.db import DatabaseError, transaction
from django_scopes import scope

from apps.audit.models import AuditEvent, AuditLogIsAppendOnly
from apps.audit.selectors import audit_events_for_partner
from apps.audit.services import audit_record

pytestmark = pytest.mark.django_db


def test_record_keeps_actor_verb_target_and_data(acme):
    with scope(tenant=acme.tenant):
        event = audit_record(
            tenant=acme.tenant,
            actor=acme.cam,
            verb="partner.user_role_changed",
            target=acme.partner,
            data={"from": "a", "to": "b"},
            partner_id=acme.partner.pk,
        )
        event.refresh_from_db()
    assert event.actor_label == acme.cam.email
    assert event.target_type == "partners.partneraccount"
    assert event.target_id == str(acme.partner.pk)
    assert event.data == {"from": "a", "to": "b"}


def test_system_actor_is_labelled(acme):
    with scope(tenant=acme.tenant):
        event = audit_record(
            tenant=acme.tenant, actor=None, verb="partner.activated", target=acme.partner
        )
    assert event.actor_label == "system"


def test_model_refuses_update_and_delete(acme):
    with scope(tenant=acme.tenant):
        event = AuditEvent.objects.filter(tenant=acme.tenant).first()
        event.verb = "tampered"
        with pytest.raises(AuditLogIsAppendOnly):
            event.save()
        with pytest.raises(AuditLogIsAppendOnly):
            event.delete()


@pytest.mark.parametrize("operation", ["update", "delete"])
def test_database_refuses_update_and_delete_by_any_path(acme, operation):
    with scope(tenant=acme.tenant):
        rows = AuditEvent.objects.filter(tenant=acme.tenant)
        count = rows.count()
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic():
            if operation == "update":
                rows.update(verb="tampered")
            else:
                rows.delete()
        assert rows.count() == count
        assert not rows.filter(verb="tampered").exists()


def test_partner_timeline_is_per_partner_and_newest_first(acme, globex):
    with scope(tenant=acme.tenant):
        audit_record(
            tenant=acme.tenant,
            actor=acme.cam,
            verb="milestone.checked_off",
            target=acme.partner,
            partner_id=acme.partner.pk,
        )
        timeline = list(audit_events_for_partner(tenant=acme.tenant, partner_id=acme.partner.pk))
    verbs = [e.verb for e in timeline]
    assert verbs[0] == "milestone.checked_off"
    assert "partner.created" in verbs
    assert all(e.partner_id == acme.partner.pk for e in timeline)
    assert all(e.tenant_id == acme.tenant.pk for e in timeline)
