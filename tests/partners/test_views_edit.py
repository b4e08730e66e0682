"""Adding a partner account by hand and editing one (console)."""

import pytest
from django_scopes import scope

from apps.audit.models import AuditEvent
from apps.home.services import staff_member_add
from apps.partners.models import PartnerAccount, PartnerDomain, PartnerType, Tier
from apps.partners.services import partner_account_version
from apps.tenancy.models import Membership, Role

pytestmark = pytest.mark.django_db


def _reseller(program):
    return PartnerType.objects.get(tenant=program.tenant, name="Reseller / VAR")


def _msp(program):
    return PartnerType.objects.get(tenant=program.tenant, name="Managed Service Provider")


def _new_data(program, **overrides):
    data = {
        "name": "Northwind Traders",
        "partner_type": _reseller(program).pk,
        "tier": "silver",
        "domains": "Northwind.test\nnorthwind.example, @nw.test",
        "region": "emea",
        "cam": program.cam.pk,
    }
    data.update(overrides)
    return data


def _edit_data(program, account, **overrides):
    domains = list(account.domains.values_list("domain", flat=True))
    data = {
        "partner_type": account.partner_type_id,
        "tier": account.tier,
        "region": account.region,
        "cam": account.cam_id or "",
        "domains": "\n".join(domains),
        "version": partner_account_version(account=account, domains=domains),
    }
    data.update(overrides)
    return data


def _domains(account):
    return sorted(PartnerDomain.objects.filter(account=account).values_list("domain", flat=True))


# --- New partner ------------------------------------------------------------------------


def test_new_page_shows_the_labels_and_the_button(acme, client_for):
    response = client_for(acme, acme.cam).get("/console/partners/new/")
    assert response.status_code == 200
    body = response.content.decode()
    for label in ("Company name", "Partner type", "Tier", "Email domains", "Create partner"):
        assert label in body


def test_explorer_links_to_new_partner(acme, client_for):
    body = client_for(acme, acme.admin).get("/console/partners/").content.decode()
    assert 'href="/console/partners/new/"' in body


def test_admin_creates_a_partner_with_several_domains(acme, client_for, unscoped):
    response = client_for(acme, acme.admin).post("/console/partners/new/", _new_data(acme))
    account = PartnerAccount.objects.get(tenant=acme.tenant, name="Northwind Traders")
    assert response.status_code == 302
    assert response["Location"] == f"/console/partners/{account.pk}/"
    assert (account.tier, account.region, account.cam_id) == ("silver", "emea", acme.cam.pk)
    assert _domains(account) == ["northwind.example", "northwind.test", "nw.test"]
    assert AuditEvent.objects.filter(
        tenant=acme.tenant, verb="partner.created", partner_id=account.pk
    ).exists()


def test_cam_can_create_a_partner(acme, client_for, unscoped):
    response = client_for(acme, acme.cam).post(
        "/console/partners/new/", _new_data(acme, cam="", region="", domains="")
    )
    assert response.status_code == 302
    account = PartnerAccount.objects.get(tenant=acme.tenant, name="Northwind Traders")
    assert account.cam is None
    assert _domains(account) == []


@pytest.mark.parametrize(
    ("domains", "message"),
    [
        ("northwind.test\ngmail.com", "gmail.com is a free email provider"),
        ("northwind.test, one.acme.test", "one.acme.test already belongs to the partner"),
        ("not a domain/", "is not an email domain"),
    ],
)
def test_bad_domains_are_refused_and_nothing_is_created(
    acme, client_for, unscoped, domains, message
):
    before = AuditEvent.objects.count()
    response = client_for(acme, acme.admin).post(
        "/console/partners/new/", _new_data(acme, domains=domains)
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert not PartnerAccount.objects.filter(name="Northwind Traders").exists()
    assert not PartnerDomain.objects.filter(domain="northwind.test").exists()
    assert AuditEvent.objects.count() == before


def test_the_duplicate_message_names_the_other_account(acme, client_for, unscoped):
    response = client_for(acme, acme.admin).post(
        "/console/partners/new/", _new_data(acme, domains="two.acme.test")
    )
    assert response.status_code == 422
    assert "Acme Partner Two" in response.content.decode()


def test_another_programs_domain_is_free_here(acme, globex, client_for, unscoped):
    response = client_for(acme, acme.admin).post(
        "/console/partners/new/", _new_data(acme, domains="one.globex.test")
    )
    assert response.status_code == 302


def test_new_form_refuses_a_missing_name_and_another_tenants_type(
    acme, globex, client_for, unscoped
):
    client = client_for(acme, acme.admin)
    assert client.post("/console/partners/new/", _new_data(acme, name="")).status_code == 422
    foreign = _reseller(globex).pk
    response = client.post("/console/partners/new/", _new_data(acme, partner_type=foreign))
    assert response.status_code == 422
    assert not PartnerAccount.objects.filter(name="Northwind Traders").exists()


def test_an_inactive_staff_member_cannot_be_chosen_as_cam(acme, client_for, unscoped):
    Membership.objects.filter(tenant=acme.tenant, user=acme.cam).update(is_active=False)
    response = client_for(acme, acme.admin).post("/console/partners/new/", _new_data(acme))
    assert response.status_code == 422
    assert not PartnerAccount.objects.filter(name="Northwind Traders").exists()


@pytest.mark.parametrize("role", ["partner_admin", "partner_user"])
def test_partner_users_cannot_open_the_pages(acme, client_for, unscoped, role):
    client = client_for(acme, getattr(acme, role))
    assert client.get("/console/partners/new/").status_code in (403, 404)
    assert client.post("/console/partners/new/", _new_data(acme)).status_code in (403, 404)
    edit = f"/console/partners/{acme.partner.pk}/edit/"
    assert client.get(edit).status_code in (403, 404)
    response = client.post(edit, _edit_data(acme, acme.partner, tier="gold"))
    assert response.status_code in (403, 404)
    assert not PartnerAccount.objects.filter(name="Northwind Traders").exists()
    assert PartnerAccount.objects.get(pk=acme.partner.pk).tier == Tier.REGISTERED


# --- Edit -------------------------------------------------------------------------------


def test_detail_page_links_to_edit(acme, client_for):
    body = client_for(acme, acme.cam).get(f"/console/partners/{acme.partner.pk}/").content
    assert f'href="/console/partners/{acme.partner.pk}/edit/"'.encode() in body


def test_edit_changes_fields_and_domains_with_an_audited_before_and_after(
    acme, client_for, unscoped
):
    account = acme.partner
    data = _edit_data(
        acme,
        account,
        partner_type=_msp(acme).pk,
        tier="gold",
        region="apac",
        cam=acme.admin.pk,
        domains="one.acme.test\nsecond.acme.test",
    )
    response = client_for(acme, acme.cam).post(f"/console/partners/{account.pk}/edit/", data)
    assert response.status_code == 302
    # A new type: on to the page that offers its pipeline and track (tests/milestones).
    assert response["Location"] == f"/console/partners/{account.pk}/type-change/"
    account.refresh_from_db()
    assert (account.partner_type_id, account.tier, account.region, account.cam_id) == (
        _msp(acme).pk,
        "gold",
        "apac",
        acme.admin.pk,
    )
    assert _domains(account) == ["one.acme.test", "second.acme.test"]
    event = AuditEvent.objects.get(verb="partner.updated", partner_id=account.pk)
    assert event.actor == acme.cam
    assert event.data["from"] == {
        "partner_type": "Reseller / VAR",
        "tier": "registered",
        "region": "",
        "cam": acme.cam.email,
        "domains": ["one.acme.test"],
    }
    assert event.data["to"] == {
        "partner_type": "Managed Service Provider",
        "tier": "gold",
        "region": "apac",
        "cam": acme.admin.email,
        "domains": ["one.acme.test", "second.acme.test"],
    }
    # The timeline on the partner page shows it.
    body = client_for(acme, acme.cam).get(f"/console/partners/{account.pk}/").content.decode()
    assert "Edited partner account" in body


def test_edit_removes_a_domain(acme, client_for, unscoped):
    account = acme.partner
    data = _edit_data(acme, account, domains="")
    response = client_for(acme, acme.admin).post(f"/console/partners/{account.pk}/edit/", data)
    assert response.status_code == 302
    assert _domains(account) == []


def test_saving_unchanged_values_records_nothing(acme, client_for, unscoped):
    before = AuditEvent.objects.count()
    account = acme.partner
    response = client_for(acme, acme.admin).post(
        f"/console/partners/{account.pk}/edit/", _edit_data(acme, account)
    )
    assert response.status_code == 302
    assert AuditEvent.objects.count() == before


@pytest.mark.parametrize(
    ("domains", "message"),
    [
        ("one.acme.test\nhotmail.com", "hotmail.com is a free email provider"),
        ("one.acme.test\ntwo.acme.test", "two.acme.test already belongs to the partner"),
    ],
)
def test_edit_refuses_bad_domains_and_changes_nothing(acme, client_for, unscoped, domains, message):
    account = acme.partner
    before = AuditEvent.objects.count()
    data = _edit_data(acme, account, tier="gold", domains=domains)
    response = client_for(acme, acme.admin).post(f"/console/partners/{account.pk}/edit/", data)
    assert response.status_code == 422
    assert message in response.content.decode()
    account.refresh_from_db()
    assert account.tier == Tier.REGISTERED
    assert _domains(account) == ["one.acme.test"]
    assert _domains(acme.other_partner) == ["two.acme.test"]
    assert AuditEvent.objects.count() == before


def test_a_stale_edit_is_refused_and_the_first_one_kept(acme, client_for, unscoped):
    """Two admins open the form; the second save must not overwrite the first silently."""
    account = acme.partner
    first = _edit_data(acme, account, tier="gold")
    second = _edit_data(acme, account, region="emea")  # opened at the same time
    url = f"/console/partners/{account.pk}/edit/"
    assert client_for(acme, acme.admin).post(url, first).status_code == 302
    response = client_for(acme, acme.cam).post(url, second)
    assert response.status_code == 409
    assert "Someone else changed" in response.content.decode()
    account.refresh_from_db()
    assert (account.tier, account.region) == ("gold", "")
    assert AuditEvent.objects.filter(verb="partner.updated", partner_id=account.pk).count() == 1
    # The form shown again carries the current values and version: resubmitting it works.
    version = response.context["form"].initial["version"]
    again = client_for(acme, acme.cam).post(url, {**second, "tier": "gold", "version": version})
    assert again.status_code == 302
    account.refresh_from_db()
    assert (account.tier, account.region) == ("gold", "emea")


def test_a_missing_version_is_a_form_error(acme, client_for, unscoped):
    account = acme.partner
    data = _edit_data(acme, account, tier="gold")
    del data["version"]
    response = client_for(acme, acme.admin).post(f"/console/partners/{account.pk}/edit/", data)
    assert response.status_code == 422
    account.refresh_from_db()
    assert account.tier == Tier.REGISTERED


def test_an_inactive_cam_is_kept_but_cannot_be_newly_chosen(acme, client_for, unscoped):
    account = acme.partner
    Membership.objects.filter(tenant=acme.tenant, user=acme.cam).update(is_active=False)
    client = client_for(acme, acme.admin)
    url = f"/console/partners/{account.pk}/edit/"
    # Kept when unchanged (the form lists the current CAM, marked inactive).
    assert "(inactive)" in client.get(url).content.decode()
    assert client.post(url, _edit_data(acme, account, tier="gold")).status_code == 302
    other = acme.other_partner
    Membership.objects.filter(tenant=acme.tenant, user=acme.cam).update(is_active=True)
    PartnerAccount.objects.filter(pk=other.pk).update(cam=None)
    other.refresh_from_db()
    Membership.objects.filter(tenant=acme.tenant, user=acme.cam).update(is_active=False)
    response = client.post(
        f"/console/partners/{other.pk}/edit/", _edit_data(acme, other, cam=acme.cam.pk)
    )
    assert response.status_code == 422
    other.refresh_from_db()
    assert other.cam is None


def test_another_tenants_partner_is_404(acme, globex, client_for, unscoped):
    client = client_for(acme, acme.admin)
    url = f"/console/partners/{globex.partner.pk}/edit/"
    assert client.get(url).status_code == 404
    assert client.post(url, _edit_data(globex, globex.partner, tier="gold")).status_code == 404
    globex.partner.refresh_from_db()
    assert globex.partner.tier == Tier.REGISTERED


def test_edit_page_query_count_is_bounded(acme, client_for, django_assert_max_num_queries):
    with scope(tenant=acme.tenant):
        for i in range(15):
            staff_member_add(
                tenant=acme.tenant,
                actor=None,
                email=f"cam{i}@acme.test",
                role=Role.CHANNEL_MANAGER,
                first_name=f"Cam{i}",
                last_name="X",
            )
    client = client_for(acme, acme.admin)
    url = f"/console/partners/{acme.partner.pk}/edit/"
    client.get(url)
    with django_assert_max_num_queries(20):
        assert client.get(url).status_code == 200
    with django_assert_max_num_queries(20):
        assert client.get("/console/partners/new/").status_code == 200
