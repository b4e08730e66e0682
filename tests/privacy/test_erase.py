"""apps/home/services_privacy.py: erasing a person, and apps/home/privacy.py: what is held
and the export."""

import json
import os

import pytest
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import DatabaseError, connection, transaction
from django_scopes import scope, scopes_disabled

from apps.audit.models import AuditEvent
from apps.home import verbs
from apps.home.privacy import person_export, person_resolve
from apps.home.services_privacy import (
    PersonNotFound,
    PrivacyError,
    person_erase,
    pseudonym,
)
from apps.partners.models import PartnerAccount
from apps.tenancy.models import Membership, Role
from tests.conftest import in_scope, race
from tests.privacy.helpers import FIRST, LAST, applicant_only, rich_person, scan, submit

pytestmark = pytest.mark.django_db
User = get_user_model()


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)


def _erase(program, key, email, actor=None):
    with scope(tenant=program.tenant):
        return person_erase(
            tenant=program.tenant, actor=actor or program.admin, key=key, confirm_email=email
        )


def _export(program, key):
    with scope(tenant=program.tenant):
        person = person_resolve(tenant=program.tenant, key=key)
        assert person is not None
        return person_export(tenant=program.tenant, person=person)


def test_export_holds_the_persons_data_and_nobody_elses(acme, globex):
    subject = rich_person(acme)
    # The same email applied to another program, and another person applied here.
    submit(globex, subject.email, first=FIRST, last=LAST, company="Globex Side Co")
    submit(acme, "someone.else@initech.example", first="Otto", last="Other", company="Other Co")
    document = _export(acme, f"u{subject.user.pk}")
    text = json.dumps(document)
    assert document["person"]["user"]["email"] == subject.email
    assert document["person"]["user"]["first_name"] == FIRST
    records = document["records"]
    assert [m["role"] for m in records["tenancy.membership"]] == [Role.PARTNER_USER]
    assert len(records["partners.partneruser"]) == 1
    (application,) = records["applications.application"]
    assert application["company"] == "Quartermaine Trading"
    assert "confirm_token_hash" not in application  # secrets left out
    assert records["notifications.notification"]
    assert records["onboarding.actionfile"][0]["file"] == subject.file_name
    assert records["onboarding.actionfile"][0]["original_name"] == "w9.pdf"
    assert any(p["submission"] for p in records["onboarding.actionprogress"])
    assert records["audit.auditevent"]
    # Only this program, only this person.
    assert all(row.get("tenant_id") is None for rows in records.values() for row in rows)
    assert "Globex Side Co" not in text and "someone.else@" not in text and "Otto" not in text
    assert acme.other_partner_user.email not in text
    assert document["program"]["slug"] == "acme"


def test_erased_person_is_found_nowhere_but_as_a_pseudonym(
    acme, globex, django_capture_on_commit_callbacks
):
    subject = rich_person(acme)
    submit(globex, subject.email, first=FIRST, last=LAST, company="Globex Side Co")
    needles = [subject.email, FIRST, LAST]
    with scopes_disabled():
        assert scan(acme.tenant, needles)  # the scan sees them before
        globex_before = scan(globex.tenant, needles, identities=False)
    path = os.path.join(settings.MEDIA_ROOT, subject.file_name)
    assert os.path.exists(path)

    with django_capture_on_commit_callbacks(execute=True):
        result = _erase(acme, f"u{subject.user.pk}", subject.email)

    name, email = pseudonym(tenant=acme.tenant, email=subject.email)
    assert result.pseudonym == name
    with scopes_disabled():
        assert scan(acme.tenant, needles) == []
        assert scan(acme.tenant, [name])  # named by the pseudonym
        # Another program's data about the same email is its own business.
        assert scan(globex.tenant, needles, identities=False) == globex_before
        user = User.objects.get(pk=subject.user.pk)
        assert (user.email, user.get_full_name(), user.is_active) == (email, name, False)
        assert not user.has_usable_password()
        assert not Membership.objects.filter(user=user).exists()
        # Audit rows stay: the partner user's events now name the pseudonym.
        events = AuditEvent.objects.filter(tenant=acme.tenant, actor=user)
        assert events.exists() and {e.actor_label for e in events} == {email}
        erased = AuditEvent.objects.get(tenant=acme.tenant, verb=verbs.PRIVACY_PERSON_ERASED)
        assert erased.data["person"] == name and erased.actor_id == acme.admin.pk
    assert not os.path.exists(path)  # the file went after the commit
    assert person_resolve_in(acme, f"u{subject.user.pk}") is None


def person_resolve_in(program, key):
    with scope(tenant=program.tenant):
        return person_resolve(tenant=program.tenant, key=key)


def test_a_member_of_another_program_keeps_their_account_there(acme, globex):
    subject = rich_person(acme)
    with scopes_disabled():
        Membership.objects.create(
            tenant=globex.tenant, user=subject.user, role=Role.CHANNEL_MANAGER
        )
    _erase(acme, f"u{subject.user.pk}", subject.email)
    name, email = pseudonym(tenant=acme.tenant, email=subject.email)
    with scopes_disabled():
        user = User.objects.get(pk=subject.user.pk)
        assert (user.email, user.first_name, user.is_active) == (subject.email, FIRST, True)
        assert Membership.objects.filter(user=user, tenant=globex.tenant).exists()
        assert not Membership.objects.filter(user=user, tenant=acme.tenant).exists()
        stand_in = User.objects.get(email=email)
        assert stand_in.get_full_name() == name and not stand_in.is_active
        assert not AuditEvent.objects.filter(tenant=acme.tenant, actor=user).exists()
        assert AuditEvent.objects.filter(tenant=acme.tenant, actor=stand_in).exists()
        # Only the identity tables still know them (for the other program).
        hits = scan(acme.tenant, [subject.email, FIRST, LAST])
        assert {table for table, _, _ in hits} <= {"accounts_user", "account_emailaddress"}


def test_an_applicant_without_a_user_is_erased_by_their_application(acme, globex):
    application = applicant_only(acme)
    other = applicant_only(acme, email="keep.me@initech.example", last="Keeper")
    applicant_only(globex)  # same email, other program
    _erase(acme, f"a{application.pk}", application.email)
    with scopes_disabled():
        assert scan(acme.tenant, [application.email, "Vexbridge"]) == []
        assert scan(globex.tenant, [application.email])
        from apps.applications.models import Application

        assert Application.objects.filter(pk=other.pk).exists()


def test_the_last_program_admin_cannot_be_erased(acme):
    with pytest.raises(PrivacyError, match="last active program admin"):
        _erase(acme, f"u{acme.admin.pk}", acme.admin.email, actor=acme.cam)
    with pytest.raises(PrivacyError, match="cannot erase yourself"):
        _erase(acme, f"u{acme.admin.pk}", acme.admin.email)
    with scopes_disabled():
        assert User.objects.get(pk=acme.admin.pk).is_active
        assert not AuditEvent.objects.filter(verb=verbs.PRIVACY_PERSON_ERASED).exists()


def test_a_wrong_confirmation_changes_nothing(acme, state):
    subject = rich_person(acme)
    before = state()
    with pytest.raises(PrivacyError):
        _erase(acme, f"u{subject.user.pk}", "someone@else.test")
    assert state() == before


def test_erasing_twice_is_harmless(acme):
    subject = rich_person(acme)
    _erase(acme, f"u{subject.user.pk}", subject.email)
    with pytest.raises(PersonNotFound):
        _erase(acme, f"u{subject.user.pk}", subject.email)
    with scopes_disabled():
        assert AuditEvent.objects.filter(verb=verbs.PRIVACY_PERSON_ERASED).count() == 1


def test_another_programs_person_is_not_found(acme, globex):
    with pytest.raises(PersonNotFound):
        _erase(globex, f"u{acme.partner_user.pk}", acme.partner_user.email, actor=globex.admin)
    for key in ("x1", "u", "u0", "a-1", f"u{acme.partner_user.pk}/"):
        assert person_resolve_in(acme, key) is None


def test_erasing_a_cam_clears_their_partners_and_keeps_the_history(acme):
    _erase(acme, f"u{acme.cam.pk}", acme.cam.email)
    with scopes_disabled():
        assert PartnerAccount.objects.get(pk=acme.partner.pk).cam_id is None
        assert scan(acme.tenant, [acme.cam.email, "Casey Cam"]) == []
        assert AuditEvent.objects.filter(tenant=acme.tenant, actor_id=acme.cam.pk).exists()


def test_the_audit_log_still_refuses_other_changes(acme):
    with scopes_disabled():
        event = AuditEvent.objects.filter(tenant=acme.tenant).first()
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE audit_auditevent SET actor_label = 'x' WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('onramp.audit_erasure', 'on', true)")
        cursor.execute("UPDATE audit_auditevent SET verb = 'x' WHERE id = %s", [event.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SELECT set_config('onramp.audit_erasure', 'on', true)")
        cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])


@pytest.mark.django_db(transaction=True)
def test_two_erasures_at_once_erase_once(acme):
    subject = rich_person(acme)
    key = f"u{subject.user.pk}"
    results = race(
        *[
            in_scope(
                acme.tenant, person_erase, actor=acme.admin, key=key, confirm_email=subject.email
            )
            for _ in range(2)
        ]
    )
    assert sum(isinstance(r, PersonNotFound) for r in results) == 1, results
    with scopes_disabled():
        assert AuditEvent.objects.filter(verb=verbs.PRIVACY_PERSON_ERASED).count() == 1
