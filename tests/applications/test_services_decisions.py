"""DOMAIN §3's decision table, row by row, through `application_decide` (run by the
confirmation), and what an approval does."""

import pytest
from django.contrib.auth import get_user_model
from django_scopes import scope

from apps.applications.models import ApplicationStatus, DecisionRule
from apps.applications.services import decision_rule
from apps.audit.models import AuditEvent
from apps.notifications.models import Notification
from apps.partners.models import PartnerAccount, PartnerDomain, PartnerUser
from apps.partners.services import partner_domain_add
from apps.tenancy.models import Membership, Role
from tests.applications.conftest import apply_and_confirm, configure, reload

pytestmark = pytest.mark.django_db

S = ApplicationStatus


def _decide(program, email, **kwargs):
    result = apply_and_confirm(program, email, **kwargs)
    assert result.state == "confirmed", result
    return result.decision


# --- The table, as a pure function --------------------------------------------------------


@pytest.mark.parametrize(
    ("auto", "matching", "kind", "expected"),
    [
        (False, False, "unmatched", (S.PENDING, DecisionRule.MANUAL)),
        (False, False, "public", (S.PENDING, DecisionRule.MANUAL)),
        (True, False, "unmatched", (S.APPROVED, DecisionRule.AUTO_ONBOARDING)),
        (True, False, "public", (S.APPROVED, DecisionRule.AUTO_ONBOARDING)),
        (False, True, "matched", (S.PENDING, DecisionRule.DOMAIN_MATCHED)),
        (True, True, "matched", (S.PENDING, DecisionRule.DOMAIN_MATCHED)),
        (False, True, "unmatched", (S.APPROVED, DecisionRule.DOMAIN_UNMATCHED)),
        (True, True, "unmatched", (S.APPROVED, DecisionRule.DOMAIN_UNMATCHED)),
        (False, True, "public", (S.PENDING, DecisionRule.PUBLIC_DOMAIN)),
        (True, True, "public", (S.PENDING, DecisionRule.PUBLIC_DOMAIN)),
    ],
)
def test_decision_rule_is_the_table(auto, matching, kind, expected):
    assert decision_rule(auto_onboarding=auto, domain_matching=matching, domain_kind=kind) == (
        expected
    )


# --- Row 1: auto-onboarding off, domain matching off: Pending ------------------------------


@pytest.mark.parametrize("email", ["peter@initech.example", "peter@gmail.com", "x@one.acme.test"])
def test_row1_both_off_any_domain_is_pending(acme, email):
    configure(acme, auto_onboarding=False, domain_matching=False)
    decision = _decide(acme, email)
    app = reload(acme, decision.application)
    assert (app.status, app.rule) == (S.PENDING, DecisionRule.MANUAL)
    assert app.matched_account is None  # matching is off: nothing is proposed
    assert app.partner_account is None


def test_no_settings_row_means_both_off(acme):
    decision = _decide(acme, "peter@initech.example")
    assert decision.outcome == S.PENDING and decision.rule == DecisionRule.MANUAL


# --- Row 2: auto-onboarding on, domain matching off: Approved, new account ------------------


@pytest.mark.parametrize("email", ["peter@initech.example", "peter@gmail.com", "x@one.acme.test"])
def test_row2_auto_on_matching_off_any_domain_is_approved(acme, email):
    configure(acme, auto_onboarding=True, domain_matching=False)
    decision = _decide(acme, email, company=f"Company of {email}")
    app = reload(acme, decision.application)
    assert (app.status, app.rule) == (S.APPROVED, DecisionRule.AUTO_ONBOARDING)
    assert app.partner_account.name == f"Company of {email}"
    assert app.partner_account not in (acme.partner, acme.other_partner)


# --- Row 3: domain matching on, the domain belongs to a partner: Pending, proposed ---------


@pytest.mark.parametrize("auto", [False, True])
def test_row3_matching_domain_is_pending_with_the_partner_proposed(acme, auto):
    configure(acme, auto_onboarding=auto, domain_matching=True)
    decision = _decide(acme, "newbie@one.acme.test")
    app = reload(acme, decision.application)
    assert (app.status, app.rule) == (S.PENDING, DecisionRule.DOMAIN_MATCHED)
    assert app.matched_account == acme.partner
    with scope(tenant=acme.tenant):
        assert PartnerAccount.objects.filter(tenant=acme.tenant).count() == 2  # nothing new


def test_row3_a_partner_with_two_domains_matches_on_either(acme):
    configure(acme, domain_matching=True)
    with scope(tenant=acme.tenant):
        partner_domain_add(
            tenant=acme.tenant, actor=acme.admin, account=acme.partner, domain="acme-one.example"
        )
    first = reload(acme, _decide(acme, "a@one.acme.test").application)
    second = reload(acme, _decide(acme, "b@acme-one.example").application)
    assert first.matched_account == second.matched_account == acme.partner
    assert first.status == second.status == S.PENDING


def test_row3_match_is_case_insensitive(acme):
    configure(acme, domain_matching=True)
    app = reload(acme, _decide(acme, "Newbie@ONE.Acme.Test").application)
    assert app.email == "newbie@one.acme.test"
    assert app.matched_account == acme.partner


def test_row3_partner_admins_are_told(acme):
    configure(acme, domain_matching=True)
    _decide(acme, "newbie@one.acme.test", first="Nora", last="New")
    with scope(tenant=acme.tenant):
        notes = Notification.objects.filter(kind="application_team_request")
        assert [n.recipient for n in notes] == [acme.partner_admin]
        assert notes[0].title == "Nora New asked to join Acme Partner One"


# --- Row 4: domain matching on, no partner owns the domain: Approved, new account ----------


@pytest.mark.parametrize("auto", [False, True])
def test_row4_unknown_domain_is_approved_as_new_partner(acme, auto):
    configure(acme, auto_onboarding=auto, domain_matching=True)
    decision = _decide(acme, "peter@initech.example")
    app = reload(acme, decision.application)
    assert (app.status, app.rule) == (S.APPROVED, DecisionRule.DOMAIN_UNMATCHED)
    assert app.matched_account is None
    with scope(tenant=acme.tenant):
        domains = list(
            PartnerDomain.objects.filter(account=app.partner_account).values_list(
                "domain", flat=True
            )
        )
    assert domains == ["initech.example"]


# --- Row 5: domain matching on, a public mail provider: Pending, never matched -------------


@pytest.mark.parametrize("auto", [False, True])
@pytest.mark.parametrize("domain", ["gmail.com", "outlook.com", "proton.me", "163.com"])
def test_row5_public_mail_domain_is_pending_and_never_matches(acme, auto, domain):
    configure(acme, auto_onboarding=auto, domain_matching=True)
    decision = _decide(acme, f"peter@{domain}")
    app = reload(acme, decision.application)
    assert (app.status, app.rule) == (S.PENDING, DecisionRule.PUBLIC_DOMAIN)
    assert app.matched_account is None


def test_row5_public_domain_never_matches_even_if_a_partner_owns_it(acme):
    configure(acme, auto_onboarding=True, domain_matching=True)
    with scope(tenant=acme.tenant):  # held from before the list knew it (services refuse it)
        PartnerDomain.objects.create(
            tenant=acme.tenant, account=acme.other_partner, domain="gmail.com"
        )
    app = reload(acme, _decide(acme, "peter@gmail.com").application)
    assert app.rule == DecisionRule.PUBLIC_DOMAIN and app.matched_account is None


def test_the_public_provider_list_is_the_programs(acme):
    configure(acme, domain_matching=True, public_mail_domains=["corp-mail.example"])
    custom = reload(acme, _decide(acme, "a@corp-mail.example").application)
    assert custom.rule == DecisionRule.PUBLIC_DOMAIN
    # The maintained list always counts: the program adds to it, never removes from it.
    yahoo = reload(acme, _decide(acme, "b@yahoo.com", company="Yahoo person").application)
    assert yahoo.rule == DecisionRule.PUBLIC_DOMAIN and yahoo.status == S.PENDING


# --- What an approval does -----------------------------------------------------------------


def test_approval_creates_account_admin_enrollment_cam_audit_and_notifies(
    acme, eager, mailoutbox, django_capture_on_commit_callbacks
):
    from tests.onboarding.conftest import DEFAULT_SPEC, build_pipeline

    build_pipeline(acme, stages_spec=DEFAULT_SPEC)
    configure(acme, domain_matching=True)
    with django_capture_on_commit_callbacks(execute=True):
        decision = _decide(
            acme, "peter@initech.example", country="DE", first="Peter", last="Gibbons"
        )
    app = reload(acme, decision.application)
    account = app.partner_account
    with scope(tenant=acme.tenant):
        account = PartnerAccount.objects.select_related("partner_type", "cam").get(pk=account.pk)
        assert account.status == "active"
        assert account.partner_type.name == "Reseller / VAR"
        assert (account.country, account.region) == ("DE", "emea")
        assert account.website == "https://initech.example"
        assert account.cam == acme.cam
        link = PartnerUser.objects.select_related("membership__user").get(account=account)
        user = link.membership.user
        assert link.membership.role == Role.PARTNER_ADMIN
        assert (user.email, user.first_name, user.last_name) == (
            "peter@initech.example",
            "Peter",
            "Gibbons",
        )
        assert not user.has_usable_password()
        assert account.enrollments.get().current_stage.name == "Company details"
        verbs = set(AuditEvent.objects.filter(tenant=acme.tenant).values_list("verb", flat=True))
        assert {
            "application.received",
            "application.confirmed",
            "application.approved",
            "partner.created",
            "partner.domain_added",
            "partner.user_added",
            "onboarding.enrolled",
        } <= verbs
        approved = AuditEvent.objects.get(verb="application.approved")
        assert approved.data["from"] == "pending" and approved.data["to"] == "approved"
        assert approved.partner_id == account.pk
        assert Notification.objects.filter(recipient=acme.cam, kind="partner_assigned").exists()
    welcome = [m for m in mailoutbox if m.to == ["peter@initech.example"]]
    assert len(welcome) == 1
    assert "/accounts/password/reset/key/" in welcome[0].body
    assert welcome[0].alternatives[0][1] == "text/html"


def test_approval_without_a_pipeline_still_approves(acme):
    configure(acme, auto_onboarding=True)
    app = reload(acme, _decide(acme, "peter@initech.example").application)
    assert app.status == S.APPROVED
    from apps.onboarding.models import Enrollment

    with scope(tenant=acme.tenant):
        assert not Enrollment.objects.filter(partner_account_id=app.partner_account_id).exists()


def test_public_domain_is_not_added_to_the_new_account(acme):
    configure(acme, auto_onboarding=True)
    app = reload(acme, _decide(acme, "peter@gmail.com").application)
    assert app.status == S.APPROVED
    with scope(tenant=acme.tenant):
        assert not PartnerDomain.objects.filter(account=app.partner_account).exists()


def test_owned_domain_stays_with_its_owner(acme):
    from apps.applications.services import application_approve

    configure(acme, domain_matching=True)
    app = _decide(acme, "newbie@one.acme.test").application
    with scope(tenant=acme.tenant):
        application_approve(tenant=acme.tenant, actor=acme.cam, application_id=app.pk)
        app = reload(acme, app)
        assert not PartnerDomain.objects.filter(account=app.partner_account).exists()
        assert PartnerDomain.objects.get(domain="one.acme.test").account == acme.partner


def test_automatic_approval_refused_by_a_rule_leaves_it_pending_with_a_note(acme):
    """The address became a member of another partner between submit and confirm."""
    from apps.partners.services import partner_user_add

    configure(acme, auto_onboarding=True)
    from tests.applications.conftest import issue_token, submit

    submission = submit(acme, "late@initech.example")
    with scope(tenant=acme.tenant):
        partner_user_add(
            tenant=acme.tenant,
            actor=acme.cam,
            account=acme.other_partner,
            email="late@initech.example",
        )
    from tests.applications.conftest import confirm

    result = confirm(acme, issue_token(acme, submission.application))
    app = reload(acme, result.application)
    assert app.status == S.PENDING
    assert "another partner account" in app.review_note
    with scope(tenant=acme.tenant):
        assert PartnerAccount.objects.filter(tenant=acme.tenant).count() == 2


# --- CAM assignment ------------------------------------------------------------------------


def _cams(acme, n):
    from apps.home.services import staff_member_add

    with scope(tenant=acme.tenant):
        return [
            staff_member_add(
                tenant=acme.tenant,
                actor=acme.admin,
                email=f"cam{i}@acme.test",
                role=Role.CHANNEL_MANAGER,
                first_name=f"Cam{i}",
            ).user
            for i in range(2, 2 + n)
        ]


def test_round_robin_gives_the_least_recently_assigned_cam(acme):
    cam2, cam3 = _cams(acme, 2)
    configure(acme, auto_onboarding=True)
    got = []
    for i in range(6):
        app = reload(acme, _decide(acme, f"p{i}@company{i}.example", company=f"C{i}").application)
        got.append(app.partner_account.cam_id)
    assert got == [acme.cam.pk, cam2.pk, cam3.pk] * 2


def test_round_robin_skips_inactive_cams_and_program_admins(acme):
    (cam2,) = _cams(acme, 1)
    with scope(tenant=acme.tenant):
        Membership.objects.filter(tenant=acme.tenant, user=acme.cam).update(is_active=False)
    configure(acme, auto_onboarding=True)
    cams = {
        reload(
            acme, _decide(acme, f"p{i}@c{i}.example", company=f"C{i}").application
        ).partner_account.cam_id
        for i in range(3)
    }
    assert cams == {cam2.pk}


def test_region_mapping_assigns_the_regions_cam(acme):
    cam2, cam3 = _cams(acme, 2)
    configure(acme, auto_onboarding=True, cam_assignment="region", region_cams={"emea": cam3.pk})
    german = reload(acme, _decide(acme, "a@de.example", country="DE", company="DE").application)
    french = reload(acme, _decide(acme, "b@fr.example", country="FR", company="FR").application)
    assert german.partner_account.cam_id == french.partner_account.cam_id == cam3.pk
    # No CAM for North America: round-robin among the others (cam3 was just used twice).
    us = reload(acme, _decide(acme, "c@us.example", country="US", company="US").application)
    assert us.partner_account.cam_id == acme.cam.pk


def test_no_active_cam_leaves_the_partner_unassigned(acme):
    with scope(tenant=acme.tenant):
        Membership.objects.filter(tenant=acme.tenant, role=Role.CHANNEL_MANAGER).update(
            is_active=False
        )
    configure(acme, auto_onboarding=True)
    app = reload(acme, _decide(acme, "a@x.example").application)
    assert app.status == S.APPROVED and app.partner_account.cam_id is None


def test_user_model_identity_is_reused_across_programs(acme, globex):
    """An address known in another program becomes a member here; its password is kept."""
    configure(acme, auto_onboarding=True)
    existing = globex.partner_admin
    app = reload(acme, _decide(acme, existing.email, company="Globex One in Acme").application)
    assert app.status == S.APPROVED
    assert get_user_model().objects.filter(email__iexact=existing.email).count() == 1
    existing.refresh_from_db()
    assert existing.has_usable_password()
