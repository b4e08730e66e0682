"""Route samples for the isolation walker (tests/tenancy/test_isolation.py)."""

from apps.applications.models import Application, Invitation


def setup(program):
    """A pending application matching the program's partner, an unconfirmed one with a live
    confirmation link, and an open invitation with a live link."""
    from django_scopes import scope

    from apps.applications.services import invitations_send
    from apps.applications.tokens import INVITE_SALT, token_issue
    from tests.applications.conftest import (
        apply_and_confirm,
        configure,
        issue_token,
        reseller,
        submit,
    )

    configure(program, domain_matching=True)
    apply_and_confirm(program, f"newbie@one.{program.tenant.slug}.test", company="Newbie")
    unconfirmed = submit(program, "walker@initech.example").application
    program._applications_confirm_token = issue_token(program, unconfirmed)
    with scope(tenant=program.tenant):
        (invitation,) = invitations_send(
            tenant=program.tenant,
            actor=program.cam,
            emails=["invitee@contoso.example"],
            partner_type=reseller(program),
        ).sent
        issued = token_issue(salt=INVITE_SALT)
        Invitation.objects.filter(pk=invitation.pk).update(token_hash=issued.digest)
    program._applications_invite_token = issued.token


def samples(program):
    application = (
        Application.objects.filter(tenant=program.tenant, matched_account=program.partner)
        .order_by("id")
        .first()
    )
    invitation = Invitation.objects.filter(tenant=program.tenant).order_by("id").first()
    pk = {"pk": application.pk}
    return {
        "applications_console:detail": pk,
        "applications_console:approve": pk,
        "applications_console:add": pk,
        "applications_console:reject": pk,
        "applications_console:invitation_resend": {"pk": invitation.pk},
        "applications_console:invitation_revoke": {"pk": invitation.pk},
        "applications_portal:add": pk,
        "applications_portal:decline": pk,
        "applications_public:confirm": {"token": program._applications_confirm_token},
        "applications_public:invitation": {"token": program._applications_invite_token},
    }


_samples_before_team = samples


def samples(program):  # noqa: F811 - extends the samples above with the team page's
    from apps.partners.models import PartnerUser

    member = PartnerUser.objects.get(tenant=program.tenant, membership__user=program.partner_user)
    return {
        **_samples_before_team(program),
        "applications_team:role": {"pk": member.pk},
        "applications_team:remove": {"pk": member.pk},
    }


_samples_before_partner_users = samples


def samples(program):  # noqa: F811 - extends the samples above with the console's Users card
    from apps.partners.models import PartnerUser

    member = PartnerUser.objects.get(tenant=program.tenant, membership__user=program.partner_user)
    ids = {"partner_id": program.partner.pk, "member_id": member.pk}
    return {
        **_samples_before_partner_users(program),
        "partner_users:invite": {"partner_id": program.partner.pk},
        "partner_users:resend": ids,
        "partner_users:role": ids,
        "partner_users:deactivate": ids,
        "partner_users:reactivate": ids,
    }
