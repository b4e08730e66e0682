"""Invitations: sending (pasted list or CSV), the prefilled form, resend, revoke, expiry."""

from datetime import timedelta

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from django_scopes import scope

from apps.applications.models import (
    Application,
    ApplicationSource,
    ApplicationStatus,
    Invitation,
    InvitationStatus,
)
from apps.applications.services import (
    InvalidTransition,
    invitation_resend,
    invitation_revoke,
    invitations_send,
)
from tests.applications.conftest import apply_and_confirm, links_in, path_of, reseller, submit

pytestmark = pytest.mark.django_db


def _send(program, emails, **kwargs):
    with scope(tenant=program.tenant):
        return invitations_send(
            tenant=program.tenant,
            actor=program.cam,
            emails=emails,
            partner_type=kwargs.pop("partner_type", None) or reseller(program),
            **kwargs,
        )


def _link(mailoutbox, email) -> str:
    mail = [m for m in mailoutbox if m.to == [email]][-1]
    return path_of(next(u for u in links_in(mail) if "/apply/invitation/" in u))


@pytest.fixture
def invite(acme, eager, mailoutbox, django_capture_on_commit_callbacks):
    """Invite an address; returns (invitation, link path)."""

    def make(email="jane@contoso.example", **kwargs):
        with django_capture_on_commit_callbacks(execute=True):
            batch = _send(acme, [email], **kwargs)
        invitation = (batch.sent + batch.resent)[0]
        return invitation, _link(mailoutbox, email)

    return make


def _form(program, email, **overrides):
    data = {
        "company": "Contoso",
        "first_name": "Jane",
        "last_name": "Doe",
        "email": email,
        "partner_type": reseller(program).pk,
        "country": "GB",
    }
    data.update(overrides)
    return data


def test_invitation_email_links_to_a_prefilled_form_marked_invited(acme, client_for, invite):
    invitation, link = invite(note="Looking forward to working with you")
    assert invitation.status == InvitationStatus.PENDING
    response = client_for(acme).get(link)
    assert response.status_code == 200
    html = response.content.decode()
    assert "You’re invited" in html
    assert 'value="jane@contoso.example"' in html
    assert "Casey Cam" in html


def test_applying_with_the_invited_address_confirms_it_and_decides(acme, client_for, invite):
    invitation, link = invite()
    client = client_for(acme)
    response = client.post(link, _form(acme, "jane@contoso.example"))
    assert response.status_code == 302 and response["Location"] == link
    with scope(tenant=acme.tenant):
        app = Application.objects.get(email="jane@contoso.example")
        invitation.refresh_from_db()
    assert app.source == ApplicationSource.INVITED and app.invitation_id == invitation.pk
    assert app.confirmed_at is not None and app.status == ApplicationStatus.PENDING
    assert invitation.status == InvitationStatus.ACCEPTED
    page = client.get(link)
    assert page.status_code == 200 and b"under review" in page.content
    # The link is single-use: a second application through it is refused.
    again = client.post(link, _form(acme, "jane@contoso.example"))
    assert again.status_code == 200 and b"under review" in again.content
    with scope(tenant=acme.tenant):
        assert Application.objects.count() == 1


def test_applying_with_another_address_needs_confirmation(acme, client_for, invite, mailoutbox):
    _, link = invite()
    response = client_for(acme).post(link, _form(acme, "jane.doe@contoso.example"))
    assert response.status_code == 302 and response["Location"] == "/apply/sent/"
    with scope(tenant=acme.tenant):
        app = Application.objects.get()
    assert app.status == ApplicationStatus.UNCONFIRMED and app.source == "invited"


def test_the_invitation_fixes_the_partner_type(acme, client_for, invite):
    with scope(tenant=acme.tenant):
        from apps.partners.models import PartnerType

        msp = PartnerType.objects.get(tenant=acme.tenant, name="Managed Service Provider")
    _, link = invite(partner_type=msp)
    response = client_for(acme).post(
        link, _form(acme, "jane@contoso.example", partner_type=reseller(acme).pk)
    )
    assert response.status_code == 422
    ok = client_for(acme).post(link, _form(acme, "jane@contoso.example", partner_type=msp.pk))
    assert ok.status_code == 302


def test_an_expired_invitation_gets_a_clear_page(acme, client_for, invite):
    _, link = invite()
    with time_machine.travel(timezone.now() + timedelta(days=14, minutes=1)):
        response = client_for(acme).get(link)
        assert response.status_code == 410
        assert b"This invitation has expired" in response.content
        post = client_for(acme).post(link, _form(acme, "jane@contoso.example"))
        assert post.status_code == 410
    with scope(tenant=acme.tenant):
        assert not Application.objects.exists()


def test_a_revoked_invitation_stops_working_at_once(acme, client_for, invite):
    invitation, link = invite()
    with scope(tenant=acme.tenant):
        invitation_revoke(tenant=acme.tenant, actor=acme.cam, invitation_id=invitation.pk)
    response = client_for(acme).get(link)
    assert response.status_code == 410 and b"withdrawn" in response.content
    assert client_for(acme).post(link, _form(acme, "jane@contoso.example")).status_code == 410
    with scope(tenant=acme.tenant):
        assert not Application.objects.exists()
        with pytest.raises(InvalidTransition):
            invitation_revoke(tenant=acme.tenant, actor=acme.cam, invitation_id=invitation.pk)
        with pytest.raises(InvalidTransition):
            invitation_resend(tenant=acme.tenant, actor=acme.cam, invitation_id=invitation.pk)


def test_revoking_while_the_invitee_submits_refuses_the_submission(acme, client_for, invite):
    """The form was opened before the revoke and posted after it."""
    invitation, link = invite()
    with scope(tenant=acme.tenant):
        from apps.applications.services import Applicant, ApplicationError, application_submit

        invitation_revoke(tenant=acme.tenant, actor=acme.cam, invitation_id=invitation.pk)
        with pytest.raises(ApplicationError):
            application_submit(
                tenant=acme.tenant,
                applicant=Applicant(
                    email="jane@contoso.example",
                    first_name="Jane",
                    last_name="Doe",
                    company="Contoso",
                    partner_type=reseller(acme),
                ),
                invitation=invitation,
                email_verified=True,
            )
        assert not Application.objects.exists()


def test_resend_issues_a_new_link_and_a_new_expiry(
    acme, client_for, invite, mailoutbox, django_capture_on_commit_callbacks
):
    invitation, old_link = invite()
    with time_machine.travel(timezone.now() + timedelta(days=10)):
        with scope(tenant=acme.tenant), django_capture_on_commit_callbacks(execute=True):
            invitation_resend(tenant=acme.tenant, actor=acme.cam, invitation_id=invitation.pk)
        new_link = _link(mailoutbox, "jane@contoso.example")
    assert new_link != old_link
    assert client_for(acme).get(old_link).status_code == 404
    with time_machine.travel(timezone.now() + timedelta(days=20)):
        assert client_for(acme).get(new_link).status_code == 200
    with scope(tenant=acme.tenant):
        invitation.refresh_from_db()
    assert invitation.send_count == 2


def test_inviting_again_resends_the_open_invitation(acme, invite):
    first, _ = invite()
    second, _ = invite()
    assert first.pk == second.pk
    with scope(tenant=acme.tenant):
        assert Invitation.objects.count() == 1


def test_members_and_applicants_are_skipped(acme, eager):
    apply_and_confirm(acme, "pending@contoso.example")
    submit(acme, "unconfirmed@contoso.example")
    batch = _send(
        acme,
        [
            acme.partner_user.email,
            "pending@contoso.example",
            "UNCONFIRMED@contoso.example",
            "new@contoso.example",
            "new@contoso.example",
        ],
    )
    assert [i.email for i in batch.sent] == ["new@contoso.example"]
    assert [e for e, _ in batch.skipped] == [
        acme.partner_user.email,
        "pending@contoso.example",
        "unconfirmed@contoso.example",
    ]


def test_console_invites_a_pasted_list_and_a_csv(acme, client_for, eager, mailoutbox):
    client = client_for(acme, acme.cam)
    csv = SimpleUploadedFile(
        "contacts.csv",
        b"Name,Email,Company\nAna,ana@fabrikam.example,Fabrikam\nBo,<bo@tailspin.example>,Tail\n",
        content_type="text/csv",
    )
    response = client.post(
        "/console/applications/invitations/",
        {
            "emails": "raj@contoso.example, li@woodgrove.example\nnot-an-address",
            "partner_type": reseller(acme).pk,
        },
    )
    assert response.status_code == 422
    assert b"not email addresses: not-an-address" in response.content
    response = client.post(
        "/console/applications/invitations/",
        {
            "emails": "raj@contoso.example, li@woodgrove.example",
            "csv_file": csv,
            "partner_type": reseller(acme).pk,
            "note": "Welcome!",
        },
    )
    assert response.status_code == 302
    with scope(tenant=acme.tenant):
        emails = sorted(Invitation.objects.values_list("email", flat=True))
    assert emails == [
        "ana@fabrikam.example",
        "bo@tailspin.example",
        "li@woodgrove.example",
        "raj@contoso.example",
    ]
    page = client.get("/console/applications/invitations/")
    assert page.status_code == 200 and b"raj@contoso.example" in page.content


def test_a_csv_that_is_not_text_is_refused(acme, client_for):
    client = client_for(acme, acme.cam)
    fake = SimpleUploadedFile("list.csv", b"MZ\x90\x00binary", content_type="text/csv")
    response = client.post(
        "/console/applications/invitations/",
        {"csv_file": fake, "partner_type": reseller(acme).pk},
    )
    assert response.status_code == 422
    with scope(tenant=acme.tenant):
        assert not Invitation.objects.exists()


def test_console_resend_and_revoke(acme, client_for, invite):
    invitation, _ = invite()
    client = client_for(acme, acme.cam)
    url = f"/console/applications/invitations/{invitation.pk}/"
    listing = client.get("/console/applications/invitations/").content.decode()
    assert url + "resend/" in listing and url + "revoke/" in listing
    assert client.post(url + "resend/").status_code == 302
    assert client.post(url + "revoke/").status_code == 302
    with scope(tenant=acme.tenant):
        invitation.refresh_from_db()
    assert invitation.status == InvitationStatus.REVOKED
    response = client.post(url + "revoke/", follow=True)
    assert b"already revoked" in response.content
    listing = client.get("/console/applications/invitations/").content.decode()
    assert url + "resend/" not in listing and url + "revoke/" not in listing  # the table says so


def test_an_invitee_who_became_a_member_meanwhile_gets_the_neutral_page(acme, client_for, invite):
    from apps.partners.services import partner_user_add

    _, link = invite()
    with scope(tenant=acme.tenant):
        partner_user_add(
            tenant=acme.tenant, actor=acme.cam, account=acme.partner, email="jane@contoso.example"
        )
    response = client_for(acme).post(link, _form(acme, "jane@contoso.example"))
    assert response.status_code == 302 and response["Location"] == "/apply/sent/"
    with scope(tenant=acme.tenant):
        assert not Application.objects.exists()
