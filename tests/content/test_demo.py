import pytest
from django.core.files.storage import storages
from django.core.management import call_command
from django_scopes import scope, scopes_disabled

from apps.content.models import Article, Asset
from apps.content.selectors import articles_search, assets_visible_to
from apps.partners.models import PartnerAccount
from apps.tenancy.models import Tenant

pytestmark = pytest.mark.django_db


def test_seed_demo_adds_content_that_northwind_can_use(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    call_command("seed_demo")
    with scopes_disabled():
        acme = Tenant.objects.get(slug="acme")
        northwind = PartnerAccount.objects.get(tenant=acme, name="Northwind Solutions")
    with scope(tenant=acme):
        assert Asset.objects.filter(tenant=acme).count() == 5
        assert Article.objects.filter(tenant=acme, status="published").count() == 4
        visible = set(
            assets_visible_to(tenant=acme, partner_account=northwind).values_list(
                "title", flat=True
            )
        )
        pdf = Asset.objects.get(tenant=acme, title="Partner program overview").current_version
        found = [a.title for a in articles_search(tenant=acme, q="deal registration")]
    assert visible == {
        "Partner program overview",
        "Partner brand kit",
        "Price list for Gold and Platinum partners",
        "Product demo video",
    }
    with storages["default"].open(pdf.file_name) as handle:
        data = handle.read()
    assert data.startswith(b"%PDF-1.4") and data.rstrip().endswith(b"%%EOF")
    assert found[0] == "How deal registration works"
