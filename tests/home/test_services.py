import pytest
from django.test import Client
from django_scopes import scope, scopes_disabled

from apps.applications.models import ProgramSettings
from apps.audit.models import AuditEvent
from apps.home.services import ProgramError, program_complete, program_create
from apps.milestones.models import Milestone, Track
from apps.partners.models import PartnerType
from apps.tenancy.models import Membership, Role, Tenant, TenantHost

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _outbox_inline():
    """Emails go through the outbox (apps/outbox): here its nudged task runs inline, after
    the commit, as a worker would run it."""
    from config.celery import app

    app.conf.task_always_eager = True
    yield
    app.conf.task_always_eager = False


def _create(**overrides):
    args = {
        "actor": None,
        "slug": "newco",
        "name": "Newco Partners",
        "hostnames": ["newco.localhost", "partners.newco.localhost"],
        "admin_email": "Owner@Newco.test",
    }
    args.update(overrides)
    return program_create(**args)


def test_program_create_makes_a_complete_program(mailoutbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        tenant = _create()
    with scopes_disabled():
        hosts = list(TenantHost.objects.filter(tenant=tenant).values_list("hostname", "is_primary"))
    assert sorted(hosts) == [("newco.localhost", True), ("partners.newco.localhost", False)]
    with scope(tenant=tenant):
        assert PartnerType.objects.filter(tenant=tenant).count() == 6
        assert Milestone.objects.filter(tenant=tenant).exists()
        assert Track.objects.filter(tenant=tenant).exists()
        assert ProgramSettings.objects.filter(tenant=tenant).count() == 1
        admin = Membership.objects.select_related("user").get(tenant=tenant)
        verbs = set(AuditEvent.objects.filter(tenant=tenant).values_list("verb", flat=True))
    assert admin.role == Role.PROGRAM_ADMIN and admin.user.email == "owner@newco.test"
    assert not admin.user.has_usable_password()
    assert verbs == {"program.created", "milestones.template_installed", "staff.added"}
    (mail,) = mailoutbox
    assert mail.to == ["owner@newco.test"]
    assert "Newco Partners" in mail.subject
    # The link is on the primary host: allauth's single-use, expiring reset key.
    assert "http://newco.localhost/accounts/password/reset/key/" in mail.body


def test_the_email_goes_out_only_after_the_commit(mailoutbox, django_capture_on_commit_callbacks):
    from django_scopes import scopes_disabled

    from apps.outbox.models import OutboxMessage

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        tenant = _create()
    # Nothing left before the commit: the welcome email is an outbox row, nudged after it.
    assert mailoutbox == [] and callbacks
    with scopes_disabled():
        (message,) = OutboxMessage.objects.filter(tenant=tenant, kind="home.program_admin_email")
    assert message.status == "pending"


def test_an_existing_user_gets_a_membership_not_a_second_account(
    acme, mailoutbox, django_capture_on_commit_callbacks
):
    from django.contrib.auth import get_user_model

    users = get_user_model().objects.count()
    with django_capture_on_commit_callbacks(execute=True):
        tenant = _create(admin_email=acme.admin.email.upper())
    assert get_user_model().objects.count() == users
    with scopes_disabled():
        roles = dict(Membership.objects.filter(user=acme.admin).values_list("tenant__slug", "role"))
    assert roles == {"acme": Role.PROGRAM_ADMIN, "newco": Role.PROGRAM_ADMIN}
    (mail,) = mailoutbox
    # They already have a password: a sign-in link, no reset key.
    assert "/accounts/password/reset/key/" not in mail.body
    assert "http://newco.localhost/accounts/login/" in mail.body
    assert tenant.slug == "newco"


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"slug": "acme"}, "already exists"),
        ({"hostnames": ["partners.newco.localhost", "ACME.localhost"]}, "acme.localhost"),
        ({"admin_email": "not-an-email"}, "not a valid email"),
        ({"slug": "no spaces"}, "not a valid slug"),
        ({"hostnames": ["bad host"]}, "not a valid hostname"),
        ({"hostnames": ["a.test", "a.test"]}, "twice"),
        ({"hostnames": []}, "at least one host"),
    ],
)
def test_refusals_change_nothing(acme, state, mailoutbox, overrides, message):
    before = state()
    with pytest.raises(ProgramError, match=message):
        _create(**overrides)
    assert state() == before
    assert mailoutbox == []


def test_completion_installs_only_what_is_missing_and_twice_changes_nothing(state):
    from apps.tenancy.services import tenant_create

    tenant = tenant_create(slug="bare", name="Bare", hostnames=["bare.localhost"])
    installed = program_complete(tenant=tenant)
    assert installed["partner_types"] == 6 and installed["settings"] == 1
    assert installed["tiers"] == 4
    assert installed["milestones"] > 0 and installed["tracks"] > 0
    after_first = state()
    assert program_complete(tenant=tenant) == {
        "partner_types": 0,
        "tiers": 0,
        "milestones": 0,
        "tracks": 0,
        "settings": 0,
    }
    assert state() == after_first  # not even an audit event


def test_completion_keeps_what_the_program_edited(acme, unscoped):
    with scope(tenant=acme.tenant):
        ProgramSettings.objects.filter(tenant=acme.tenant).update(auto_onboarding=True)
        PartnerType.objects.filter(tenant=acme.tenant, name="Distributor").update(name="Distis")
    program_complete(tenant=acme.tenant)
    with scope(tenant=acme.tenant):
        assert ProgramSettings.objects.get(tenant=acme.tenant).auto_onboarding
        assert PartnerType.objects.filter(tenant=acme.tenant, name="Distis").exists()
        # A renamed (or removed) default type does not come back.
        assert not PartnerType.objects.filter(tenant=acme.tenant, name="Distributor").exists()


def test_a_created_program_serves_the_application_form(
    mailoutbox, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        _create()
    response = Client(headers={"host": "partners.newco.localhost"}).get("/apply/")
    assert response.status_code == 200
    assert b"Reseller / VAR" in response.content
    assert Tenant.objects.filter(slug="newco").exists()
