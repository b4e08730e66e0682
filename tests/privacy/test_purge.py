"""apps/home/services_privacy.py: the retention setting and the daily purge (beat task)."""

from datetime import timedelta

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from apps.applications.models import Application, Invitation, InvitationStatus
from apps.audit.models import AuditEvent
from apps.home import verbs
from apps.home.services_privacy import PrivacyError, privacy_retention_set
from apps.home.tasks import privacy_retention_purge
from apps.tenancy.models import Tenant
from tests.applications.conftest import apply_and_confirm, submit
from tests.applications.factories import InvitationFactory

pytestmark = pytest.mark.django_db


def _age(model, pk, days, **fields):
    """Set-up: make a row `days` old (and its other dates as given)."""
    when = timezone.now() - timedelta(days=days)
    with scopes_disabled():
        model.objects.filter(pk=pk).update(created_at=when, **fields)


def _exists(model, pk):
    with scopes_disabled():
        return model.objects.filter(pk=pk).exists()


def test_purge_removes_old_unconfirmed_rows_and_keeps_the_rest(acme):
    old = submit(acme, "old@initech.example").application
    recent = submit(acme, "recent@initech.example").application
    confirmed = apply_and_confirm(acme, "confirmed@initech.example").decision.application
    _age(Application, old.pk, 31)
    _age(Application, recent.pk, 29)
    _age(Application, confirmed.pk, 400)
    expired_long_ago = InvitationFactory(tenant=acme.tenant, actor=acme.cam)
    expired_lately = InvitationFactory(tenant=acme.tenant, actor=acme.cam)
    still_valid = InvitationFactory(tenant=acme.tenant, actor=acme.cam)
    revoked_long_ago = InvitationFactory(tenant=acme.tenant, actor=acme.cam)
    now = timezone.now()
    _age(Invitation, expired_long_ago.pk, 60, expires_at=now - timedelta(days=31))
    _age(Invitation, expired_lately.pk, 60, expires_at=now - timedelta(days=5))
    _age(Invitation, still_valid.pk, 40, expires_at=now + timedelta(days=5))
    _age(
        Invitation,
        revoked_long_ago.pk,
        60,
        status=InvitationStatus.REVOKED,
        revoked_at=now - timedelta(days=45),
    )

    assert privacy_retention_purge() == 3

    assert not _exists(Application, old.pk)
    assert _exists(Application, recent.pk) and _exists(Application, confirmed.pk)
    assert not _exists(Invitation, expired_long_ago.pk)
    assert not _exists(Invitation, revoked_long_ago.pk)
    assert _exists(Invitation, expired_lately.pk) and _exists(Invitation, still_valid.pk)
    with scopes_disabled():
        (event,) = AuditEvent.objects.filter(verb=verbs.PRIVACY_RETENTION_PURGED)
    assert event.tenant_id == acme.tenant.pk and event.actor_id is None
    assert event.data == {"applications": 1, "invitations": 2, "days": 30}
    # No personal data in the summary.
    assert "@" not in f"{event.actor_label} {event.target_label} {event.data}"
    # A second run finds nothing and records nothing.
    assert privacy_retention_purge() == 0
    with scopes_disabled():
        assert AuditEvent.objects.filter(verb=verbs.PRIVACY_RETENTION_PURGED).count() == 1


def test_each_program_has_its_own_retention(acme, globex):
    with scope(tenant=acme.tenant):
        privacy_retention_set(tenant=acme.tenant, actor=acme.admin, days=10)
    acme_app = submit(acme, "twenty@initech.example").application
    globex_app = submit(globex, "twenty@initech.example").application
    _age(Application, acme_app.pk, 20)
    _age(Application, globex_app.pk, 20)
    privacy_retention_purge()
    assert not _exists(Application, acme_app.pk)
    assert _exists(Application, globex_app.pk)


def test_the_retention_setting_is_checked_and_audited(acme):
    with scope(tenant=acme.tenant):
        assert privacy_retention_set(tenant=acme.tenant, actor=acme.admin, days=45) is True
        assert privacy_retention_set(tenant=acme.tenant, actor=acme.admin, days=45) is False
        for bad in (0, 3651, -5):
            with pytest.raises(PrivacyError):
                privacy_retention_set(tenant=acme.tenant, actor=acme.admin, days=bad)
        (event,) = AuditEvent.objects.filter(verb=verbs.PRIVACY_RETENTION_CHANGED)
    assert event.data == {"from": 30, "to": 45}
    with scopes_disabled():
        assert Tenant.objects.get(pk=acme.tenant.pk).privacy_retention_days == 45
