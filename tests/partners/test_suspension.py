"""Suspension enforced everywhere (DOMAIN §8): a suspended account's users can sign in only to
a page saying so: no portal page, no notifications, no download, no team management, no
action; staff and other accounts are unaffected; reactivating resumes where they were.

(The API refusing a suspended partner's events is tested in tests/api/test_views.py; the
sweep raising no alert for one in tests/milestones/test_services_sweep.py.)
"""

import pytest
from django_scopes import scope, scopes_disabled

from apps.content.models import ContentOpen
from apps.notifications.models import Notification
from apps.notifications.services import notification_create
from apps.onboarding.models import ActionFile, ActionProgress, Enrollment
from apps.partners.models import PartnerStatus
from apps.partners.services import partner_reactivate, partner_suspend
from apps.tenancy import access
from apps.tenancy.models import Membership
from tests.onboarding.conftest import DEFAULT_SPEC, EnrollmentFactory, Journey, build_pipeline

pytestmark = pytest.mark.django_db


@pytest.fixture
def onboarding(acme):
    """acme's partner enrolled in the default test pipeline (as tests/onboarding's journey)."""
    pipeline, stages, actions = build_pipeline(acme, stages_spec=DEFAULT_SPEC)
    enrollment = EnrollmentFactory(actor=acme.cam, account=acme.partner)
    return Journey(pipeline=pipeline, stages=stages, actions=actions, enrollment=enrollment)


SUSPENDED = "/portal/suspended/"


def _suspend(program):
    with scope(tenant=program.tenant):
        partner_suspend(tenant=program.tenant, actor=program.cam, account_id=program.partner.pk)


def _reactivate(program):
    with scope(tenant=program.tenant):
        partner_reactivate(tenant=program.tenant, actor=program.cam, account_id=program.partner.pk)


def _notify(program, user):
    with scope(tenant=program.tenant):
        return notification_create(
            tenant=program.tenant,
            recipient=user,
            kind="stage_moved",
            url="/portal/",
            email=False,
            context={"stage": "Contract", "pipeline": "Reseller onboarding"},
        )


def _refused(response):
    return response.status_code == 302 and response["Location"] == SUSPENDED


# --- Every door --------------------------------------------------------------------------


def _partner_routes():
    """Every product route a partner user could open: the portal's and the shared ones."""
    from tests.tenancy.test_isolation import product_routes

    return [
        (route, name, callback.access)
        for route, callback, name in product_routes()
        if callback.access in (access.PORTAL, access.PORTAL_ADMIN, access.AUTHENTICATED)
        and name != "partners_portal:suspended"
    ]


@pytest.mark.usefixtures("milestone_template")
@pytest.mark.parametrize("who", ["partner_admin", "partner_user"])
def test_every_url_a_partner_user_can_open_sends_a_suspended_one_to_the_suspended_page(
    acme, client_for, who
):
    from tests.tenancy.test_isolation import _fingerprint, _path, _samples

    user = getattr(acme, who)
    _notify(acme, user)  # the notification routes aim at the user's own notification
    samples = _samples(acme)
    routes = _partner_routes()
    names = {name for _, name, _ in routes}
    assert {
        "notifications:list",
        "notifications:read",
        "notifications:read_all",
        "content_portal:asset_download",
        "onboarding_portal:file",
        "applications_team:team",
        "applications_portal:requests",
    } <= names
    _suspend(acme)
    client = client_for(acme, user)
    before = _fingerprint()
    for route, name, rule in routes:
        path = _path(route, samples.get(name, {}))
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            if rule == access.PORTAL_ADMIN and who == "partner_user":
                assert response.status_code == 403, (method, path, response.status_code)
                continue
            assert _refused(response), (method, path, response.status_code)
    # Nothing was read, downloaded, completed, invited or removed.
    assert _fingerprint() == before


# --- Notifications -----------------------------------------------------------------------


def test_notifications_are_closed_while_suspended_and_open_again_after(acme, client_for):
    note = _notify(acme, acme.partner_user)
    client = client_for(acme, acme.partner_user)
    assert client.get("/notifications/").status_code == 200
    _suspend(acme)
    assert _refused(client.get("/notifications/"))
    assert _refused(client.post(f"/notifications/{note.pk}/read/"))
    assert _refused(client.post("/notifications/read-all/"))
    with scope(tenant=acme.tenant):
        assert Notification.objects.get(pk=note.pk).read_at is None
    _reactivate(acme)
    page = client.get("/notifications/")
    assert page.status_code == 200 and note.title in page.text
    assert client.post(f"/notifications/{note.pk}/read/").status_code == 302
    with scope(tenant=acme.tenant):
        assert Notification.objects.get(pk=note.pk).read_at is not None


def test_staff_and_other_accounts_keep_their_notifications(acme, client_for):
    _suspend(acme)
    for user in (acme.admin, acme.cam, acme.other_partner_user):
        assert client_for(acme, user).get("/notifications/").status_code == 200, user.email


def test_a_suspended_accounts_users_are_not_notified(acme, onboarding):
    from apps.onboarding.services import action_complete, action_request_changes

    legal = onboarding.progress("Legal details")
    with scope(tenant=acme.tenant):
        action_complete(
            tenant=acme.tenant,
            actor=acme.partner_user,
            progress_id=legal.pk,
            submission={"legal_name": "x"},
        )
    _suspend(acme)
    with scope(tenant=acme.tenant):
        action_request_changes(
            tenant=acme.tenant, actor=acme.cam, progress_id=legal.pk, comment="Fix it"
        )
        kinds = set(
            Notification.objects.filter(
                recipient__in=[acme.partner_user, acme.partner_admin]
            ).values_list("kind", flat=True)
        )
    assert "action_changes_requested" not in kinds


# --- Downloads ---------------------------------------------------------------------------


def test_library_files_are_refused_and_nothing_is_recorded(acme, client_for):
    from tests.content.factories import file_asset

    asset = file_asset(acme, title="Price list")
    client = client_for(acme, acme.partner_user)
    _suspend(acme)
    for suffix in ("download/", "open/", ""):
        assert _refused(client.get(f"/portal/assets/{asset.pk}/{suffix}")), suffix
    with scope(tenant=acme.tenant):
        assert not ContentOpen.objects.filter(tenant=acme.tenant).exists()
    _reactivate(acme)
    response = client.get(f"/portal/assets/{asset.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content).startswith(b"%PDF")


def test_own_uploads_are_refused(acme, client_for):
    from tests.onboarding.isolation import setup

    setup(acme)  # the partner admin uploaded a W-9
    with scope(tenant=acme.tenant):
        file = ActionFile.objects.get(tenant=acme.tenant)
    client = client_for(acme, acme.partner_admin)
    _suspend(acme)
    assert _refused(client.get(f"/portal/onboarding/files/{file.pk}/"))
    _reactivate(acme)
    response = client.get(f"/portal/onboarding/files/{file.pk}/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"%PDF-1.4 test"


# --- Team pages --------------------------------------------------------------------------


def test_a_suspended_partner_admin_cannot_manage_the_team(acme, client_for):
    client = client_for(acme, acme.partner_admin)
    assert client.get("/portal/team/").status_code == 200
    _suspend(acme)
    with scopes_disabled():
        members = Membership.objects.count()
    assert _refused(client.get("/portal/team/"))
    assert _refused(client.get("/portal/team-requests/"))
    response = client.post(
        "/portal/team/invite/",
        {"email": "new@one.acme.test", "role": "partner_user", "first_name": "N", "last_name": "U"},
    )
    assert _refused(response)
    with scopes_disabled():
        assert Membership.objects.count() == members


# --- Signing in ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "password"),
    [("partner_admin", "pw-padmin-123456"), ("partner_user", "pw-puser-123456")],
)
def test_after_sign_in_a_suspended_user_lands_on_the_suspended_page(
    acme, client_for, who, password
):
    _suspend(acme)
    client = client_for(acme)
    response = client.post(
        "/accounts/login/",
        {"login": getattr(acme, who).email, "password": password},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == SUSPENDED
    assert response.status_code == 403
    assert "Your partner account is suspended" in response.text
    # The home page sends them there too.
    assert client.get("/")["Location"] == "/portal/"
    assert _refused(client.get("/portal/"))


def test_after_sign_in_an_active_user_lands_on_the_portal(acme, client_for):
    client = client_for(acme)
    response = client.post(
        "/accounts/login/",
        {"login": acme.partner_user.email, "password": "pw-puser-123456"},
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/portal/"
    assert response.status_code == 200


# --- Reactivation resumes where they were --------------------------------------------------


def _state(program, onboarding):
    with scope(tenant=program.tenant):
        enrollment = Enrollment.objects.get(pk=onboarding.enrollment.pk)
        actions = {
            p.action_id: (p.status, p.submission, p.submission_round, p.completed_at)
            for p in ActionProgress.objects.filter(enrollment=enrollment)
        }
        return (enrollment.status, enrollment.current_stage_id, actions)


def test_reactivation_resumes_where_they_were(acme, client_for, onboarding):
    from apps.onboarding.services import action_skip

    onboarding.complete(acme, "Legal details", validate=False)  # waiting for approval
    with scope(tenant=acme.tenant):
        action_skip(
            tenant=acme.tenant, actor=acme.cam, progress_id=onboarding.progress("Tax form").pk
        )
    before = _state(acme, onboarding)
    assert before[1] == onboarding.stages[0].pk
    assert sorted(status for status, *_ in before[2].values()) == [
        "pending",
        "pending",
        "skipped",
        "waiting_for_approval",
    ]

    client = client_for(acme, acme.partner_user)
    _suspend(acme)
    legal = onboarding.progress("Legal details")
    assert _refused(client.get("/portal/onboarding/"))
    assert _refused(client.post(f"/portal/onboarding/actions/{legal.pk}/", {"legal_name": "Y"}))
    assert _state(acme, onboarding) == before
    with scope(tenant=acme.tenant):
        account = type(acme.partner).objects.get(pk=acme.partner.pk)
    assert account.status == PartnerStatus.SUSPENDED

    _reactivate(acme)
    assert _state(acme, onboarding) == before
    page = client.get("/portal/onboarding/")
    assert page.status_code == 200
    assert "Legal details" in page.text
