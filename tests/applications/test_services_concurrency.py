"""People deciding the same application at the same moment, on the real database."""

import pytest
from django_scopes import scope

from apps.applications.models import Application, ApplicationStatus
from apps.applications.services import (
    ApplicationError,
    InvalidTransition,
    application_add_to_account,
    application_approve,
    application_confirm,
    application_reject,
    application_team_add,
    application_team_decline,
)
from apps.audit.models import AuditEvent
from apps.partners.models import PartnerAccount, PartnerUser
from tests.applications.conftest import (
    apply_and_confirm,
    configure,
    issue_token,
    reseller,
    submit,
)
from tests.conftest import in_scope, race

pytestmark = pytest.mark.django_db(transaction=True)

S = ApplicationStatus


def _decisions(program, application):
    with scope(tenant=program.tenant):
        return list(
            AuditEvent.objects.filter(
                target_id=str(application.pk),
                verb__in=[
                    "application.approved",
                    "application.added",
                    "application.rejected",
                    "application.declined",
                ],
            ).values_list("verb", flat=True)
        )


@pytest.mark.parametrize("round_", range(3))
def test_two_cams_approving_at_once_create_one_account(acme, round_):
    app = apply_and_confirm(acme, f"peter{round_}@initech.example").application
    with scope(tenant=acme.tenant):
        before = PartnerAccount.objects.count()
    results = race(
        in_scope(acme.tenant, application_approve, actor=acme.cam, application_id=app.pk),
        in_scope(acme.tenant, application_approve, actor=acme.admin, application_id=app.pk),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and isinstance(errors[0], InvalidTransition), results
    assert "already approved as a new partner" in str(errors[0])
    with scope(tenant=acme.tenant):
        assert PartnerAccount.objects.count() == before + 1
        assert PartnerUser.objects.filter(membership__user__email=app.email).count() == 1
    assert _decisions(acme, app) == ["application.approved"]


def test_approve_racing_reject_makes_one_decision(acme):
    app = apply_and_confirm(acme, "peter@initech.example").application
    results = race(
        in_scope(acme.tenant, application_approve, actor=acme.cam, application_id=app.pk),
        in_scope(
            acme.tenant,
            application_reject,
            actor=acme.admin,
            application_id=app.pk,
            reason="no",
        ),
    )
    assert sum(isinstance(r, InvalidTransition) for r in results) == 1, results
    decisions = _decisions(acme, app)
    assert len(decisions) == 1
    with scope(tenant=acme.tenant):
        status = Application.objects.get(pk=app.pk).status
    assert (status, decisions[0]) in {
        (S.APPROVED, "application.approved"),
        (S.REJECTED, "application.rejected"),
    }


@pytest.mark.parametrize("round_", range(3))
def test_partner_admin_racing_a_cam_one_wins(acme, round_):
    configure(acme, domain_matching=True)
    app = apply_and_confirm(acme, f"newbie{round_}@one.acme.test").application
    results = race(
        in_scope(
            acme.tenant, application_team_add, actor=acme.partner_admin, application_id=app.pk
        ),
        in_scope(
            acme.tenant,
            application_add_to_account,
            actor=acme.cam,
            application_id=app.pk,
            account_id=acme.other_partner.pk,
        ),
    )
    assert sum(isinstance(r, InvalidTransition) for r in results) == 1, results
    with scope(tenant=acme.tenant):
        links = list(PartnerUser.objects.filter(membership__user__email=app.email))
        final = Application.objects.get(pk=app.pk)
    assert len(links) == 1 and links[0].account_id == final.partner_account_id
    assert final.decided_via in ("portal", "console")
    assert _decisions(acme, app) == ["application.added"]


def test_partner_admin_declining_while_a_cam_approves(acme):
    configure(acme, domain_matching=True)
    app = apply_and_confirm(acme, "newbie@one.acme.test").application
    results = race(
        in_scope(
            acme.tenant, application_team_decline, actor=acme.partner_admin, application_id=app.pk
        ),
        in_scope(acme.tenant, application_approve, actor=acme.cam, application_id=app.pk),
    )
    assert sum(isinstance(r, InvalidTransition) for r in results) == 1, results
    assert len(_decisions(acme, app)) == 1


def test_a_double_clicked_confirmation_confirms_and_decides_once(acme):
    configure(acme, auto_onboarding=True)
    app = submit(acme, "peter@initech.example").application
    token = issue_token(acme, app)
    results = race(
        in_scope(acme.tenant, application_confirm, token=token),
        in_scope(acme.tenant, application_confirm, token=token),
    )
    assert sorted(r.state for r in results) == ["already_confirmed", "confirmed"], results
    with scope(tenant=acme.tenant):
        assert PartnerAccount.objects.filter(name="Initech").count() == 1
        assert AuditEvent.objects.filter(verb="application.confirmed").count() == 1


def test_the_same_address_submitted_twice_at_once_makes_one_application(acme):
    from apps.applications.services import Applicant, application_submit

    def make(company):
        return in_scope(
            acme.tenant,
            application_submit,
            applicant=Applicant(
                email="peter@initech.example",
                first_name="Peter",
                last_name="Gibbons",
                company=company,
                partner_type=reseller(acme),
            ),
        )

    results = race(make("One"), make("Two"), make("Three"))
    assert not any(isinstance(r, Exception) for r in results), results
    assert sorted(r.outcome for r in results) == ["new", "updated", "updated"]
    with scope(tenant=acme.tenant):
        assert Application.objects.filter(email="peter@initech.example").count() == 1


def test_concurrent_approvals_spread_over_the_cams(acme):
    from apps.home.services import staff_member_add
    from apps.tenancy.models import Role

    with scope(tenant=acme.tenant):
        cam2 = staff_member_add(
            tenant=acme.tenant,
            actor=acme.admin,
            email="cam2@acme.test",
            role=Role.CHANNEL_MANAGER,
        ).user
    apps = [
        apply_and_confirm(acme, f"p{i}@c{i}.example", company=f"C{i}").application for i in range(2)
    ]
    results = race(
        *(
            in_scope(acme.tenant, application_approve, actor=acme.admin, application_id=a.pk)
            for a in apps
        )
    )
    assert not any(isinstance(r, ApplicationError) for r in results), results
    with scope(tenant=acme.tenant):
        cams = sorted(
            PartnerAccount.objects.filter(name__in=["C0", "C1"]).values_list("cam_id", flat=True)
        )
    assert cams == sorted([acme.cam.pk, cam2.pk])
