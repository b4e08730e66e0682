"""The partner types and tiers settings page (/console/settings/partner-types/), and the
pickers and displays that read the program's catalogue."""

import pytest
from django_scopes import scope, scopes_disabled

from apps.audit.models import AuditEvent
from apps.partners.models import PartnerAccount, PartnerTier, PartnerType

pytestmark = pytest.mark.django_db

PAGE = "/console/settings/partner-types/"


def _type(program, name):
    with scopes_disabled():
        return PartnerType.objects.get(tenant=program.tenant, name=name)


def _tier(program, key):
    with scopes_disabled():
        return PartnerTier.objects.get(tenant=program.tenant, key=key)


def _state(program):
    with scopes_disabled():
        return (
            list(PartnerType.objects.filter(tenant=program.tenant).order_by("pk").values()),
            list(PartnerTier.objects.filter(tenant=program.tenant).order_by("pk").values()),
            AuditEvent.objects.filter(tenant=program.tenant).count(),
        )


# --- The page ---------------------------------------------------------------------------------


def test_admin_sees_types_tiers_their_use_and_the_forms(acme, client_for):
    response = client_for(acme, acme.admin).get(PAGE)
    assert response.status_code == 200
    body = response.content.decode()
    for text in (
        "Partner types",
        "Tiers",
        "Reseller / VAR",
        "2 partner accounts",
        "Not used yet",
        "Platinum",
        "Add partner type",
        "Add tier",
        'aria-current="page">Partner types',
    ):
        assert text in body, text
    # A type in use offers no Delete button; an unused one does.
    assert f"/console/settings/partner-types/{_type(acme, 'Reseller / VAR').pk}/delete/" not in body
    assert f"/console/settings/partner-types/{_type(acme, 'Distributor').pk}/delete/" in body


@pytest.mark.parametrize(("role", "status"), [("cam", 403), ("partner_admin", 404)])
def test_lower_roles_cannot_open_or_post(acme, client_for, role, status):
    client = client_for(acme, getattr(acme, role))
    before = _state(acme)
    assert client.get(PAGE).status_code == status
    assert client.post(PAGE, {"type-name": "Sneaky"}).status_code == status
    assert client.post(PAGE + "tiers/", {"tier-name": "Sneaky"}).status_code == status
    pk = _type(acme, "Distributor").pk
    assert client.post(f"{PAGE}{pk}/delete/").status_code == status
    assert _state(acme) == before


def test_another_programs_admin_gets_404_on_this_programs_rows(acme, globex, client_for):
    client = client_for(globex, globex.admin)
    before = _state(acme)
    type_pk, tier_pk = _type(acme, "Distributor").pk, _tier(acme, "gold").pk
    for path in (
        f"{PAGE}{type_pk}/rename/",
        f"{PAGE}{type_pk}/archive/",
        f"{PAGE}{type_pk}/delete/",
        f"{PAGE}{type_pk}/move/",
        f"{PAGE}tiers/{tier_pk}/rename/",
        f"{PAGE}tiers/{tier_pk}/archive/",
    ):
        assert client.post(path, {"name": "Hijack", "direction": "up"}).status_code == 404, path
    assert _state(acme) == before


def test_page_query_count_is_bounded(acme, client_for, django_assert_max_num_queries):
    client = client_for(acme, acme.admin)
    with scope(tenant=acme.tenant):
        from apps.partners.services import partner_tier_create, partner_type_create

        for i in range(15):
            partner_type_create(tenant=acme.tenant, actor=acme.admin, name=f"Extra {i}")
            partner_tier_create(tenant=acme.tenant, actor=acme.admin, label=f"Level {i}")
    with django_assert_max_num_queries(25):
        assert client.get(PAGE).status_code == 200


# --- Partner types ----------------------------------------------------------------------------


def test_admin_adds_a_type_and_it_is_offered_on_the_new_partner_form(acme, client_for):
    client = client_for(acme, acme.admin)
    response = client.post(PAGE, {"type-name": "Cloud Reseller"})
    assert response.status_code == 302 and response.url.endswith("#types")
    page = client.get(response.url).content.decode()
    assert "Partner type “Cloud Reseller” added" in page
    assert "Cloud Reseller" in client.get("/console/partners/new/").content.decode()


@pytest.mark.parametrize(
    ("name", "message"),
    [("distributor", "already has a partner type called"), ("", "This field is required")],
)
def test_a_bad_type_name_is_refused_on_its_field(acme, client_for, name, message):
    before = _state(acme)
    response = client_for(acme, acme.admin).post(PAGE, {"type-name": name})
    assert response.status_code == 422
    body = response.content.decode()
    assert message in body and 'aria-describedby="id_type-name-error"' in body
    assert _state(acme) == before


def test_rename_shows_the_new_name_and_a_duplicate_reopens_the_row_with_its_error(acme, client_for):
    client = client_for(acme, acme.admin)
    reseller = _type(acme, "Reseller / VAR")
    response = client.post(f"{PAGE}{reseller.pk}/rename/", {"name": "Value-Added Reseller"})
    assert response.status_code == 302
    explorer = client.get("/console/partners/").content.decode()
    assert "Value-Added Reseller" in explorer
    before = _state(acme)
    response = client.post(f"{PAGE}{reseller.pk}/rename/", {"name": "DISTRIBUTOR"})
    assert response.status_code == 422
    body = response.content.decode()
    assert "already has a partner type called" in body
    assert f'aria-describedby="type-name-{reseller.pk}-error"' in body
    assert 'value="DISTRIBUTOR"' in body
    assert _state(acme) == before


def test_archived_type_leaves_the_new_partner_form_but_stays_on_an_existing_account(
    acme, client_for
):
    client = client_for(acme, acme.admin)
    reseller = _type(acme, "Reseller / VAR")
    assert client.post(f"{PAGE}{reseller.pk}/archive/").status_code == 302
    new_form = client.get("/console/partners/new/").content.decode()
    assert f'<option value="{reseller.pk}"' not in new_form
    edit_form = client.get(f"/console/partners/{acme.partner.pk}/edit/").content.decode()
    assert f'<option value="{reseller.pk}" selected' in edit_form
    detail = client.get(f"/console/partners/{acme.partner.pk}/").content.decode()
    assert "Reseller / VAR" in detail
    # The Explorer's filter keeps it, marked, for the partners that still have it.
    assert "Reseller / VAR (archived)" in client.get("/console/partners/").content.decode()
    # Creating a partner with it is refused by the form; nothing is created.
    with scopes_disabled():
        count = PartnerAccount.objects.filter(tenant=acme.tenant).count()
    response = client.post(
        "/console/partners/new/",
        {"name": "Late Co", "partner_type": reseller.pk, "tier": "registered", "domains": ""},
    )
    assert response.status_code == 422
    with scopes_disabled():
        assert PartnerAccount.objects.filter(tenant=acme.tenant).count() == count
    # Restored: offered again.
    assert client.post(f"{PAGE}{reseller.pk}/restore/").status_code == 302
    assert f'<option value="{reseller.pk}"' in client.get("/console/partners/new/").content.decode()


def test_archived_type_leaves_the_application_form(acme, client_for):
    client = client_for(acme, acme.admin)
    distributor = _type(acme, "Distributor")
    client.post(f"{PAGE}{distributor.pk}/archive/")
    apply_page = client_for(acme).get("/apply/").content.decode()
    assert "Systems Integrator" in apply_page
    assert "Distributor" not in apply_page


def test_delete_of_a_type_in_use_is_refused_with_the_reason(acme, client_for):
    client = client_for(acme, acme.admin)
    reseller = _type(acme, "Reseller / VAR")
    before = _state(acme)
    response = client.post(f"{PAGE}{reseller.pk}/delete/", follow=True)
    body = response.content.decode()
    assert "cannot be deleted: it is used by 2 partner accounts" in body
    assert "Archive it instead" in body
    assert _state(acme) == before


def test_delete_of_an_unused_type(acme, client_for):
    client = client_for(acme, acme.admin)
    distributor = _type(acme, "Distributor")
    response = client.post(f"{PAGE}{distributor.pk}/delete/", follow=True)
    assert "Partner type “Distributor” deleted." in response.content.decode()
    with scopes_disabled():
        assert not PartnerType.objects.filter(pk=distributor.pk).exists()


def test_move_with_a_forged_direction_is_404_and_changes_nothing(acme, client_for):
    before = _state(acme)
    pk = _type(acme, "Distributor").pk
    response = client_for(acme, acme.admin).post(f"{PAGE}{pk}/move/", {"direction": "sideways"})
    assert response.status_code == 404
    assert _state(acme) == before


def test_move_up_reorders_the_pickers(acme, client_for):
    client = client_for(acme, acme.admin)
    distributor = _type(acme, "Distributor")
    integrator = _type(acme, "Systems Integrator")
    client.post(f"{PAGE}{distributor.pk}/move/", {"direction": "up"})
    body = client.get("/console/partners/new/").content.decode()
    assert body.index("Distributor") < body.index("Systems Integrator")
    assert integrator.pk  # still there


# --- Tiers --------------------------------------------------------------------------------


def test_renamed_tier_label_is_shown_in_the_explorer_and_on_the_partner(acme, client_for):
    client = client_for(acme, acme.admin)
    with scopes_disabled():
        PartnerAccount.objects.filter(pk=acme.partner.pk).update(tier="gold")
    gold = _tier(acme, "gold")
    response = client.post(f"{PAGE}tiers/{gold.pk}/rename/", {"name": "Gold Elite"})
    assert response.status_code == 302 and response.url.endswith("#tiers")
    explorer = client.get("/console/partners/").content.decode()
    assert "Gold Elite" in explorer
    assert client.get("/console/partners/?tier=gold").status_code == 200
    detail = client.get(f"/console/partners/{acme.partner.pk}/").content.decode()
    assert "Gold Elite" in detail
    with scopes_disabled():
        assert PartnerAccount.objects.get(pk=acme.partner.pk).tier == "gold"


def test_tier_added_is_offered_on_the_forms_and_the_bulk_change(acme, client_for):
    client = client_for(acme, acme.admin)
    response = client.post(PAGE + "tiers/", {"tier-name": "Diamond"})
    assert response.status_code == 302
    assert 'value="diamond"' in client.get("/console/partners/new/").content.decode()
    response = client.post(
        "/console/partners/bulk/", {"partner": [acme.partner.pk], "tier": "diamond"}
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert PartnerAccount.objects.get(pk=acme.partner.pk).tier == "diamond"


def test_archived_tier_is_refused_by_the_bulk_change_and_absent_from_new_but_kept_on_edit(
    acme, client_for
):
    client = client_for(acme, acme.admin)
    with scopes_disabled():
        PartnerAccount.objects.filter(pk=acme.partner.pk).update(tier="silver")
    silver = _tier(acme, "silver")
    client.post(f"{PAGE}tiers/{silver.pk}/archive/")
    assert 'value="silver"' not in client.get("/console/partners/new/").content.decode()
    edit_form = client.get(f"/console/partners/{acme.partner.pk}/edit/").content.decode()
    assert '<option value="silver" selected' in edit_form
    response = client.post(
        "/console/partners/bulk/", {"partner": [acme.other_partner.pk], "tier": "silver"}
    )
    assert response.status_code == 302
    with scopes_disabled():
        assert PartnerAccount.objects.get(pk=acme.other_partner.pk).tier == "registered"


def test_a_duplicate_tier_label_is_refused_on_its_field(acme, client_for):
    before = _state(acme)
    response = client_for(acme, acme.admin).post(PAGE + "tiers/", {"tier-name": "gold"})
    assert response.status_code == 422
    assert "already has a tier called" in response.content.decode()
    assert _state(acme) == before


def test_explorer_sorts_tiers_by_the_programs_order(acme, client_for):
    client = client_for(acme, acme.admin)
    with scopes_disabled():
        PartnerAccount.objects.filter(pk=acme.partner.pk).update(tier="platinum")
        PartnerAccount.objects.filter(pk=acme.other_partner.pk).update(tier="silver")
    body = client.get("/console/partners/?sort=tier").content.decode()
    assert body.index(acme.other_partner.name) < body.index(acme.partner.name)


def test_explorer_query_count_does_not_grow_with_custom_tiers(acme, client_for):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(acme, acme.admin)
    client.get("/console/partners/")  # warm the session
    with CaptureQueriesContext(connection) as default_tiers:
        client.get("/console/partners/", {"sort": "tier"})
    with scope(tenant=acme.tenant):
        from apps.partners.services import partner_tier_create

        for i in range(10):
            partner_tier_create(tenant=acme.tenant, actor=acme.admin, label=f"Level {i}")
        PartnerAccount.objects.filter(tenant=acme.tenant).update(tier="level-3")
    with CaptureQueriesContext(connection) as custom_tiers:
        body = client.get("/console/partners/", {"sort": "tier"}).content.decode()
    assert "Level 3" in body
    assert len(custom_tiers) == len(default_tiers)
