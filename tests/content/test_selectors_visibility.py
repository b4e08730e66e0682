"""Who sees which asset: the one selector, and the portal pages that rely on it."""

import pytest
from django_scopes import scope, scopes_disabled

from apps.content.models import Audience
from apps.content.selectors import assets_visible_to
from apps.content.services import asset_archive
from apps.partners.models import PartnerAccount, PartnerType, Tier
from tests.content.factories import file_asset, link_asset

pytestmark = pytest.mark.django_db


@pytest.fixture
def library(acme, globex):
    with scopes_disabled():
        PartnerAccount.objects.filter(pk=acme.partner.pk).update(tier=Tier.GOLD)
        acme.partner.refresh_from_db()
        types = {t.name: t for t in PartnerType.objects.filter(tenant=acme.tenant)}
    msp, reseller = types["Managed Service Provider"], types["Reseller / VAR"]
    selected = {"audience": Audience.SELECTED}
    assets = {
        "all": file_asset(acme, "For everyone"),
        "link": link_asset(acme, "Everyone's link"),
        "msp": file_asset(acme, "MSP only", partner_types=[msp], **selected),
        "reseller": file_asset(acme, "Resellers", partner_types=[reseller], **selected),
        "gold": file_asset(acme, "Gold tier", tiers=[Tier.GOLD, Tier.PLATINUM], **selected),
        "reseller_platinum": file_asset(
            acme, "Platinum resellers", partner_types=[reseller], tiers=[Tier.PLATINUM], **selected
        ),
        "named_other": file_asset(acme, "Named: two", accounts=[acme.other_partner], **selected),
        "msp_or_named": file_asset(
            acme, "MSP + named one", partner_types=[msp], accounts=[acme.partner], **selected
        ),
        "archived": file_asset(acme, "Archived"),
        "globex": file_asset(globex, "Globex material"),
    }
    with scope(tenant=acme.tenant):
        asset_archive(tenant=acme.tenant, actor=acme.cam, asset=assets["archived"])
    return assets


def _visible(program, account):
    with scope(tenant=program.tenant):
        return set(
            assets_visible_to(tenant=program.tenant, partner_account=account).values_list(
                "title", flat=True
            )
        )


def test_the_visibility_rule(acme, library):
    assert _visible(acme, acme.partner) == {
        "For everyone",
        "Everyone's link",
        "Resellers",
        "Gold tier",
        "MSP + named one",
    }
    assert _visible(acme, acme.other_partner) == {
        "For everyone",
        "Everyone's link",
        "Resellers",
        "Named: two",
    }


def test_visibility_is_one_query(acme, library, django_assert_num_queries):
    with django_assert_num_queries(1), scope(tenant=acme.tenant):
        rows = list(assets_visible_to(tenant=acme.tenant, partner_account=acme.partner))
    assert len(rows) == 5


def test_no_account_or_another_tenants_account_sees_nothing(acme, globex, library):
    assert _visible(acme, None) == set()
    assert _visible(acme, globex.partner) == set()


@pytest.mark.parametrize("suffix", ["", "open/", "download/"])
def test_portal_pages_follow_the_rule(acme, library, client_for, suffix):
    client = client_for(acme, acme.partner_user)
    expected = {
        "all": 200,
        "reseller": 200,
        "gold": 200,
        "msp_or_named": 200,
        "msp": 404,  # another partner type
        "reseller_platinum": 404,  # another tier
        "named_other": 404,  # another partner account
        "archived": 404,  # archived assets are gone from the portal
        "globex": 404,  # another tenant
    }
    for key, status in expected.items():
        response = client.get(f"/portal/assets/{library[key].pk}/{suffix}")
        assert response.status_code == status, (key, suffix, response.status_code)


def test_portal_list_shows_only_visible_assets(acme, library, client_for):
    response = client_for(acme, acme.other_partner_user).get("/portal/assets/")
    titles = {a.title for a in response.context["page"].object_list}
    assert titles == {"For everyone", "Everyone's link", "Resellers", "Named: two"}
    html = response.content.decode()
    assert "MSP only" not in html and "Archived" not in html and "Globex" not in html


def test_another_tenants_partner_gets_404_on_its_own_host(acme, globex, library, client_for):
    client = client_for(globex, globex.partner_user)
    for key in ("all", "link", "reseller"):
        for suffix in ("", "open/", "download/"):
            assert client.get(f"/portal/assets/{library[key].pk}/{suffix}").status_code == 404
