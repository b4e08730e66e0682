"""The partner's company profile (/portal/profile/): who may read and edit it, its
completion percentage, its logo, the `profile.completed` event, the console card and the
program's required fields (/console/settings/profile/)."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scope

from apps.audit.models import AuditEvent
from apps.partners.models import PartnerAccount, PartnerEvent, PartnerProfile, ProfileSettings
from apps.partners.profile_fields import DEFAULT_REQUIRED_FIELDS
from apps.partners.selectors_profile import (
    partner_profile_completion,
    partner_profile_for_account,
    profile_required_fields,
)
from apps.partners.services.profile import partner_profile_update
from tests.conftest import in_scope, race
from tests.content.factories import png_bytes

pytestmark = pytest.mark.django_db

URL = "/portal/profile/"
SETTINGS_URL = "/console/settings/profile/"

COMPLETE = {
    "company_name": "Acme Partner One Ltd",
    "display_name": "Acme Partner One",
    "website": "https://one.acme.test",
    "phone": "+1 555 0100",
    "description": "Managed firewalls for clinics.",
    "address_line1": "1 Main Street",
    "address_line2": "",
    "city": "Springfield",
    "postal_code": "12345",
    "region": "IL",
    "country": "us",
    "sales_name": "Sam Sales",
    "sales_email": "sam@one.acme.test",
    "sales_phone": "",
    "marketing_name": "Mia Marketing",
    "marketing_email": "mia@one.acme.test",
    "marketing_phone": "",
    "technical_name": "Tom Tech",
    "technical_email": "tom@one.acme.test",
    "technical_phone": "",
}


@pytest.fixture(autouse=True)
def _private_media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _profile(program):
    with scope(tenant=program.tenant):
        return PartnerProfile.objects.filter(account=program.partner).first()


def _events(program, type_):
    with scope(tenant=program.tenant):
        return PartnerEvent.objects.filter(account=program.partner, type=type_).count()


def _audits(program, verb="partner.profile_updated"):
    with scope(tenant=program.tenant):
        return list(AuditEvent.objects.filter(tenant=program.tenant, verb=verb).order_by("pk"))


# --- The portal page -------------------------------------------------------------------------


def test_admin_sees_a_form_prefilled_from_the_account(acme, client_for):
    with scope(tenant=acme.tenant):
        PartnerAccount.objects.filter(pk=acme.partner.pk).update(
            website="https://one.acme.test", country="DE"
        )
    response = client_for(acme, acme.partner_admin).get(URL)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'value="Acme Partner One"' in body
    assert 'value="https://one.acme.test"' in body
    assert 'value="DE"' in body
    assert "Save profile" in body
    assert f'href="{URL}" aria-current="page"' in body  # the portal nav's "Company profile"
    # Company name, website and country prefilled: 3 of the 8 default required fields.
    assert "Profile 37% complete" in body
    assert "Sales contact" in body and "Still missing" in body
    assert _profile(acme) is None  # created lazily, by the first save


def test_admin_saves_the_profile_audited_on_the_timeline(acme, client_for):
    client = client_for(acme, acme.partner_admin)
    partial = {**COMPLETE, "technical_name": "", "technical_email": ""}
    response = client.post(URL, partial)
    assert response.status_code == 302 and response["Location"] == URL
    profile = _profile(acme)
    assert profile.city == "Springfield" and profile.country == "US"
    page = client.get(URL).content.decode()
    assert "Profile 87% complete" in page and "Technical contact" in page
    [audit] = _audits(acme)
    assert audit.partner_id == acme.partner.pk and audit.actor == acme.partner_admin
    assert audit.data["to"]["city"] == "Springfield" and audit.data["from"]["city"] == ""
    assert "display_name" not in audit.data["from"]  # prefilled value unchanged
    timeline = client_for(acme, acme.cam).get(f"/console/partners/{acme.partner.pk}/")
    assert "Updated the company profile of" in timeline.content.decode()
    assert _events(acme, "profile.completed") == 0


def test_saving_the_same_values_again_changes_and_audits_nothing(acme, client_for):
    client = client_for(acme, acme.partner_admin)
    client.post(URL, COMPLETE)
    client.post(URL, COMPLETE)
    assert len(_audits(acme)) == 1


def test_a_complete_profile_records_profile_completed_exactly_once(acme, client_for):
    client = client_for(acme, acme.partner_admin)
    client.post(URL, COMPLETE)
    assert _events(acme, "profile.completed") == 1
    client.post(URL, {**COMPLETE, "city": "Shelbyville"})
    assert _events(acme, "profile.completed") == 1
    with scope(tenant=acme.tenant):
        event = PartnerEvent.objects.get(account=acme.partner, type="profile.completed")
    assert event.source == "portal" and event.recorded_by == acme.partner_admin
    assert event.idempotency_key == f"profile-completed:{acme.partner.pk}"
    assert "Profile 100% complete" in client.get(URL).content.decode()


@pytest.mark.django_db(transaction=True)
def test_two_admins_completing_at_once_record_one_event(acme, unscoped):
    from apps.partners.services import partner_user_add
    from apps.tenancy.models import Role

    second = partner_user_add(
        tenant=acme.tenant,
        actor=acme.cam,
        account=acme.partner,
        email="second@one.acme.test",
        role=Role.PARTNER_ADMIN,
    ).membership.user

    results = race(
        *(
            in_scope(
                acme.tenant,
                partner_profile_update,
                actor=actor,
                account_id=acme.partner.pk,
                values=COMPLETE,
            )
            for actor in (acme.partner_admin, second)
        )
    )
    assert not [r for r in results if isinstance(r, Exception)], results
    assert sorted(r.completed_now for r in results) == [False, True]
    assert PartnerProfile.objects.filter(account=acme.partner).count() == 1
    assert PartnerEvent.objects.filter(account=acme.partner, type="profile.completed").count() == 1


def test_partner_user_reads_without_a_form_and_cannot_post(acme, client_for):
    acme_admin = client_for(acme, acme.partner_admin)
    acme_admin.post(URL, {**COMPLETE, "technical_name": ""})
    client = client_for(acme, acme.partner_user)
    response = client.get(URL)
    body = response.content.decode()
    assert response.status_code == 200
    assert "Springfield" in body and "Sam Sales" in body
    assert "<form" not in body.split('class="content"', 1)[1].split("</main>")[0]
    assert "Profile 87% complete" in body
    before = _profile(acme)
    refused = client.post(URL, {**COMPLETE, "city": "Hacked"})
    assert refused.status_code == 403
    assert _profile(acme).city == before.city and len(_audits(acme)) == 1


def test_staff_are_refused_the_portal_page(acme, client_for):
    assert client_for(acme, acme.cam).get(URL).status_code == 404
    assert client_for(acme, acme.admin).post(URL, COMPLETE).status_code == 404
    assert _profile(acme) is None


def test_another_tenant_and_anonymous_are_refused(acme, globex, client_for):
    stranger = client_for(acme, globex.partner_admin)
    assert stranger.get(URL).status_code == 404
    assert stranger.post(URL, COMPLETE).status_code == 404
    anonymous = client_for(acme).get(URL)
    assert anonymous.status_code == 302 and "/accounts/login/" in anonymous["Location"]
    assert _profile(acme) is None


def test_another_partner_sees_only_its_own_profile(acme, client_for):
    client_for(acme, acme.partner_admin).post(URL, COMPLETE)
    other = client_for(acme, acme.other_partner_user)
    body = other.get(URL).content.decode()
    assert "Springfield" not in body and 'value="Acme Partner Two"' in body
    other.post(URL, {**COMPLETE, "city": "Elsewhere"})
    assert _profile(acme).city == "Springfield"
    with scope(tenant=acme.tenant):
        assert PartnerProfile.objects.get(account=acme.other_partner).city == "Elsewhere"
    assert other.get(URL + "logo/").status_code == 404


def test_a_suspended_partner_is_turned_away(acme, client_for):
    with scope(tenant=acme.tenant):
        PartnerAccount.objects.filter(pk=acme.partner.pk).update(status="suspended")
    client = client_for(acme, acme.partner_admin)
    response = client.post(URL, COMPLETE)
    assert response.status_code == 302 and response["Location"] == "/portal/suspended/"
    assert _profile(acme) is None


def test_invalid_input_changes_nothing(acme, client_for):
    client = client_for(acme, acme.partner_admin)
    client.post(URL, COMPLETE)
    response = client.post(
        URL, {**COMPLETE, "city": "Elsewhere", "country": "U1", "sales_email": "nope"}
    )
    assert response.status_code == 422
    body = response.content.decode()
    assert "two-letter country code" in body and "valid email" in body
    assert _profile(acme).city == "Springfield" and len(_audits(acme)) == 1


# --- Logo ----------------------------------------------------------------------------------


def test_a_logo_is_stored_served_and_replaced(
    acme, client_for, settings, django_capture_on_commit_callbacks
):
    client = client_for(acme, acme.partner_admin)
    response = client.post(URL, {**COMPLETE, "logo": SimpleUploadedFile("Mark.PNG", png_bytes())})
    assert response.status_code == 302
    first = _profile(acme).logo.name
    assert first.startswith(f"tenants/{acme.tenant.pk}/partner-logos/")
    served = client_for(acme, acme.partner_user).get(URL + "logo/")
    assert served["Content-Type"] == "image/png"
    assert b"".join(served.streaming_content) == png_bytes()
    assert client_for(acme, acme.cam).get(URL + "logo/").status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, {**COMPLETE, "logo": SimpleUploadedFile("new.png", png_bytes())})
    second = _profile(acme).logo.name
    assert second != first
    assert not (Path(settings.MEDIA_ROOT) / first).exists()
    assert (Path(settings.MEDIA_ROOT) / second).exists()
    assert _audits(acme)[-1].data["to"] == {"logo": "new.png"}
    with django_capture_on_commit_callbacks(execute=True):
        client.post(URL, {**COMPLETE, "remove_logo": "on"})
    assert _profile(acme).logo.name == ""
    assert not (Path(settings.MEDIA_ROOT) / second).exists()


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            ".svg files are not accepted",
        ),
        ("logo.png", b"<html><script>alert(1)</script></html>", "does not match"),
        ("logo.png", png_bytes() + b"\x00" * (1024 * 1024), "larger than 1 MB"),
    ],
)
def test_bad_logos_are_refused_and_nothing_is_saved(
    acme, client_for, settings, name, data, message
):
    response = client_for(acme, acme.partner_admin).post(
        URL, {**COMPLETE, "logo": SimpleUploadedFile(name, data)}
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert _profile(acme) is None and _audits(acme) == []
    assert _events(acme, "profile.completed") == 0
    assert not (Path(settings.MEDIA_ROOT) / "tenants").exists()


def test_an_oversized_request_is_refused_before_reading_it(acme, client_for, settings):
    big = png_bytes() + b"\x00" * (3 * 1024 * 1024)
    response = client_for(acme, acme.partner_admin).post(
        URL, {**COMPLETE, "logo": SimpleUploadedFile("logo.png", big)}
    )
    assert response.status_code == 413
    assert "larger than 1 MB" in response.content.decode()
    assert _profile(acme) is None
    assert not (Path(settings.MEDIA_ROOT) / "tenants").exists()


def test_a_required_logo_counts_towards_completion(acme, client_for, unscoped):
    ProfileSettings.objects.create(tenant=acme.tenant, required_fields=["city", "logo"])
    client = client_for(acme, acme.partner_admin)
    client.post(URL, COMPLETE)
    assert _events(acme, "profile.completed") == 0
    assert "Profile 50% complete" in client.get(URL).content.decode()
    client.post(URL, {**COMPLETE, "logo": SimpleUploadedFile("logo.png", png_bytes())})
    assert _events(acme, "profile.completed") == 1


# --- Completion ----------------------------------------------------------------------------


def test_completion_percentage(acme, unscoped):
    profile = partner_profile_for_account(acme.tenant, acme.partner)
    assert partner_profile_completion(profile, []) == 100
    assert partner_profile_completion(profile, ["company_name"]) == 100
    assert partner_profile_completion(profile, ["company_name", "city", "unknown"]) == 50
    profile.sales_name = "Sam"
    assert partner_profile_completion(profile, ["sales_contact"]) == 0  # needs the email too
    profile.sales_email = "sam@one.acme.test"
    assert partner_profile_completion(profile, ["sales_contact"]) == 100
    assert partner_profile_completion(profile, ["city", "region", "website"]) == 0
    assert profile_required_fields(tenant=acme.tenant) == list(DEFAULT_REQUIRED_FIELDS)


def test_portal_page_query_count(acme, client_for, django_assert_max_num_queries):
    client = client_for(acme, acme.partner_admin)
    client.post(URL, COMPLETE)
    client.get(URL)
    # session, user, membership, partner account, settings, profile, unread notifications,
    # + the nav's own (other programs).
    with django_assert_max_num_queries(10):
        assert client.get(URL).status_code == 200


# --- Console -------------------------------------------------------------------------------


def test_console_partner_page_shows_the_profile_card(acme, client_for):
    client = client_for(acme, acme.cam)
    body = client.get(f"/console/partners/{acme.partner.pk}/").content.decode()
    assert "Company profile" in body and "not filled in its profile yet" in body
    client_for(acme, acme.partner_admin).post(URL, {**COMPLETE, "marketing_email": ""})
    body = client.get(f"/console/partners/{acme.partner.pk}/").content.decode()
    assert "87% complete" in body and "Marketing contact" in body
    assert "sam@one.acme.test" in body and "Tom Tech" in body


# --- Program setting -----------------------------------------------------------------------


def test_program_admin_chooses_the_required_fields(acme, client_for):
    client = client_for(acme, acme.admin)
    page = client.get(SETTINGS_URL)
    assert page.status_code == 200
    assert 'value="sales_contact" ' in page.content.decode().replace("checked", "")
    response = client.post(SETTINGS_URL, {"required_fields": ["city", "logo", "bogus"]})
    assert response.status_code == 422  # an unknown choice is refused
    response = client.post(SETTINGS_URL, {"required_fields": ["city", "logo"]})
    assert response.status_code == 302 and response["Location"] == SETTINGS_URL
    with scope(tenant=acme.tenant):
        assert profile_required_fields(tenant=acme.tenant) == ["city", "logo"]
    [audit] = _audits(acme, "partner.profile_settings_changed")
    assert audit.data == {"from": list(DEFAULT_REQUIRED_FIELDS), "to": ["city", "logo"]}
    client.post(SETTINGS_URL, {"required_fields": ["logo", "city"]})
    assert len(_audits(acme, "partner.profile_settings_changed")) == 1


def test_no_required_fields_is_a_complete_profile_at_next_save(acme, client_for):
    client_for(acme, acme.admin).post(SETTINGS_URL, {})
    assert _events(acme, "profile.completed") == 0  # nothing retro-recorded
    client = client_for(acme, acme.partner_admin)
    assert "Profile 100% complete" in client.get(URL).content.decode()
    client.post(URL, {**COMPLETE, "city": ""})
    assert _events(acme, "profile.completed") == 1


def test_settings_are_for_program_admins_only(acme, globex, client_for):
    assert client_for(acme, acme.cam).get(SETTINGS_URL).status_code == 403
    assert client_for(acme, acme.cam).post(SETTINGS_URL, {}).status_code == 403
    assert client_for(acme, acme.partner_admin).get(SETTINGS_URL).status_code == 404
    assert client_for(acme, globex.admin).post(SETTINGS_URL, {}).status_code == 404
    with scope(tenant=acme.tenant):
        assert not ProfileSettings.objects.exists()


def test_settings_link_in_the_settings_nav(acme, client_for):
    body = client_for(acme, acme.admin).get("/console/settings/").content.decode()
    assert f'href="{SETTINGS_URL}"' in body


def test_console_partner_page_query_count_with_a_profile(
    acme, client_for, django_assert_max_num_queries, unscoped
):
    ProfileSettings.objects.create(tenant=acme.tenant, required_fields=["city", "sales_contact"])
    with scope(tenant=acme.tenant):
        partner_profile_update(
            tenant=acme.tenant,
            actor=acme.partner_admin,
            account_id=acme.partner.pk,
            values=COMPLETE,
        )
    client = client_for(acme, acme.cam)
    client.get("/console/")
    # The page's bound (tests/partners/test_views.py): the card is one query.
    with django_assert_max_num_queries(11):
        response = client.get(f"/console/partners/{acme.partner.pk}/")
    assert "Tom Tech" in response.content.decode()
