"""apps/content/views_assets.py: the Assets library in the console and the portal, through HTTP."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scopes_disabled

from apps.content.models import Asset, AssetVersion, ContentOpen
from apps.partners.models import PartnerType
from tests.content.factories import article, file_asset, link_asset, pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db

MZ_EXE = b"MZ\x90\x00" + b"\x00" * 300


def _stored_files(program) -> list[Path]:
    root = Path(settings.MEDIA_ROOT) / "tenants" / str(program.tenant.pk)
    return sorted(p for p in root.rglob("*") if p.is_file()) if root.exists() else []


# Console: assets ------------------------------------------------------------------------------


def test_cam_uploads_a_file_asset(acme, client_for):
    client = client_for(acme, acme.cam)
    assert "Upload a file" in client.get("/console/assets/new/").content.decode()
    with scopes_disabled():
        msp = PartnerType.objects.get(tenant=acme.tenant, name="Managed Service Provider")
    response = client.post(
        "/console/assets/new/",
        {
            "title": "Q3 price list",
            "description": "List prices",
            "category": "pricing",
            "tags": "pricing, q3",
            "audience": "selected",
            "partner_types": [msp.pk],
            "tiers": ["gold"],
            "accounts": "two.acme.test\nAcme Partner One",
            "file": SimpleUploadedFile("../../prices.pdf", pdf_bytes(), "text/html"),
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    with scopes_disabled():
        asset = Asset.objects.get(title="Q3 price list")
        version = asset.current_version
        assert set(asset.audience_account_rows.values_list("account_id", flat=True)) == {
            acme.partner.pk,
            acme.other_partner.pk,
        }
    assert response["Location"] == f"/console/assets/{asset.pk}/"
    assert asset.tags == ["pricing", "q3"] and asset.audience_tiers == ["gold"]
    assert version.content_type == "application/pdf"  # sniffed, not the client's text/html
    assert version.original_name == "prices.pdf"
    assert re.fullmatch(rf"tenants/{acme.tenant.pk}/assets/[0-9a-f]{{32}}\.pdf", version.file_name)
    page = client.get(response["Location"]).content.decode()
    assert "Q3 price list" in page and "prices.pdf" in page and "Version history" in page


def test_cam_adds_a_link(acme, client_for):
    client = client_for(acme, acme.cam)
    response = client.post(
        "/console/assets/new/?kind=link",
        {
            "title": "Demo video",
            "category": "training",
            "audience": "all",
            "url": "https://video.example.com/demo",
        },
    )
    assert response.status_code == 302
    bad = client.post(
        "/console/assets/new/?kind=link",
        {"title": "Bad", "category": "training", "audience": "all", "url": "javascript:alert(1)"},
    )
    assert bad.status_code == 422
    with scopes_disabled():
        assert list(Asset.objects.values_list("title", flat=True)) == ["Demo video"]


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("invoice.pdf", MZ_EXE, "does not match its .pdf extension"),
        ("setup.exe", MZ_EXE, ".exe files are not accepted"),
        ("empty.pdf", b"", "The file is empty."),
        ("logo.svg", b"<svg onload=alert(1)/>", ".svg files are not accepted"),
        ("logo.png", b"<html><script>x</script>", "does not match its .png extension"),
    ],
)
def test_refused_uploads_show_a_form_error_and_store_nothing(acme, client_for, name, data, message):
    client = client_for(acme, acme.cam)
    response = client.post(
        "/console/assets/new/",
        {
            "title": "Bad",
            "category": "other",
            "audience": "all",
            "file": SimpleUploadedFile(name, data),
        },
    )
    assert response.status_code == 422
    html = response.content.decode().replace("&#x27;", "'").replace("’", "'")
    assert message.replace("’", "'") in html
    assert 'value="Bad"' in html  # the rest of the form is kept
    with scopes_disabled():
        assert not Asset.objects.exists() and not AssetVersion.objects.exists()
    assert _stored_files(acme) == []


def test_oversized_request_body_is_refused_cleanly(acme, client_for, monkeypatch):
    from apps.content import views_assets
    from apps.core.uploads import UploadPolicy

    small = UploadPolicy(max_bytes=1024, allowed_types=frozenset({"pdf"}))
    monkeypatch.setattr(views_assets, "ASSET_UPLOAD_POLICY", small)
    client = client_for(acme, acme.cam)
    big = b"%PDF-1.4\n" + b"0" * (small.max_request_bytes + 10)
    response = client.post(
        "/console/assets/new/",
        {
            "title": "Huge",
            "category": "other",
            "audience": "all",
            "file": SimpleUploadedFile("huge.pdf", big),
        },
    )
    assert response.status_code == 413
    assert "larger than 1 KB" in response.content.decode()
    existing = file_asset(acme)
    response = client.post(
        f"/console/assets/{existing.pk}/replace/", {"file": SimpleUploadedFile("huge.pdf", big)}
    )
    assert response.status_code == 413
    with scopes_disabled():
        assert list(Asset.objects.values_list("title", flat=True)) == ["Partner guide"]
        assert AssetVersion.objects.count() == 1
    assert len(_stored_files(acme)) == 1


def test_replace_archive_restore_through_the_console(acme, client_for):
    asset = file_asset(acme)
    client = client_for(acme, acme.cam)
    response = client.post(
        f"/console/assets/{asset.pk}/replace/",
        {"file": SimpleUploadedFile("guide-v2.png", png_bytes()), "note": "Now an image"},
    )
    assert response.status_code == 302
    page = client.get(f"/console/assets/{asset.pk}/").content.decode()
    assert "guide-v2.png" in page and "Now an image" in page and "v2" in page
    assert client.post(f"/console/assets/{asset.pk}/archive/").status_code == 302
    assert "This asset is archived" in client.get(f"/console/assets/{asset.pk}/").content.decode()
    listed = client.get("/console/assets/").context["page"].object_list
    assert list(listed) == []
    archived = client.get("/console/assets/", {"status": "archived"}).context["page"].object_list
    assert [a.pk for a in archived] == [asset.pk]
    assert client.post(f"/console/assets/{asset.pk}/restore/").status_code == 302
    with scopes_disabled():
        asset.refresh_from_db()
        assert asset.status == "active" and asset.current_version.number == 2


def test_console_edit_details_and_audience(acme, client_for):
    asset = file_asset(acme)
    client = client_for(acme, acme.cam)
    response = client.post(
        f"/console/assets/{asset.pk}/",
        {
            "title": "Renamed",
            "category": "sales",
            "tags": "a, b",
            "audience": "selected",
            "accounts": "nobody.example",
        },
    )
    assert response.status_code == 422
    assert "No partner account is called" in response.content.decode().replace("“", '"')
    response = client.post(
        f"/console/assets/{asset.pk}/",
        {"title": "Renamed", "category": "sales", "tags": "a, b", "audience": "selected"},
    )
    assert response.status_code == 422
    assert "at least one partner type" in response.content.decode()
    response = client.post(
        f"/console/assets/{asset.pk}/",
        {
            "title": "Renamed",
            "category": "sales",
            "tags": "a, b",
            "audience": "selected",
            "tiers": ["gold", "platinum"],
        },
    )
    assert response.status_code == 302
    with scopes_disabled():
        asset.refresh_from_db()
    assert asset.title == "Renamed" and asset.audience_tiers == ["gold", "platinum"]


def test_console_search_and_filters(acme, client_for):
    file_asset(acme, "Price list", tags=["pricing"])
    file_asset(acme, "Pitch deck", description="The pitch for CIOs", category="sales")
    link_asset(acme, "Brand kit")
    client = client_for(acme, acme.cam)

    def titles(**params):
        return sorted(a.title for a in client.get("/console/assets/", params).context["page"])

    assert titles() == ["Brand kit", "Pitch deck", "Price list"]
    assert titles(q="pricing") == ["Price list"]
    assert titles(q="cios") == ["Pitch deck"]
    assert titles(kind="link") == ["Brand kit"]
    assert titles(category="sales") == ["Pitch deck"]
    assert titles(category="nonsense", sort="password") == ["Brand kit", "Pitch deck", "Price list"]
    htmx = client.get("/console/assets/", {"q": "brand"}, HTTP_HX_REQUEST="true")
    assert "<html" not in htmx.content.decode() and "Brand kit" in htmx.content.decode()


def test_staff_can_download_any_version_without_recording_an_open(acme, client_for):
    asset = file_asset(acme)
    client = client_for(acme, acme.admin)
    response = client.get(
        f"/console/assets/{asset.pk}/versions/{asset.current_version_id}/", {"download": "1"}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment")
    assert b"".join(response.streaming_content) == pdf_bytes()
    with scopes_disabled():
        assert not ContentOpen.objects.exists()


# Portal: events and file responses ------------------------------------------------------------


def _opens(program):
    with scopes_disabled():
        return list(
            ContentOpen.objects.filter(tenant=program.tenant)
            .order_by("id")
            .values_list("kind", "user_id", "partner_account_id", "asset_id", "article_id")
        )


def test_each_open_download_and_read_records_one_event(acme, client_for):
    asset = file_asset(acme)
    link = link_asset(acme)
    doc = article(acme, title="Welcome")
    client = client_for(acme, acme.partner_user)
    assert client.get("/portal/assets/").status_code == 200
    assert client.get(f"/portal/assets/{asset.pk}/").status_code == 200
    assert _opens(acme) == []  # browsing and the detail page are not opens
    client.get(f"/portal/assets/{asset.pk}/open/")
    client.get(f"/portal/assets/{asset.pk}/download/")
    client.get(f"/portal/assets/{asset.pk}/download/")
    response = client.get(f"/portal/assets/{link.pk}/open/")
    assert response.status_code == 302 and response["Location"] == "https://brand.example.com/kit"
    assert client.get(f"/portal/assets/{link.pk}/download/").status_code == 404
    client.get(f"/portal/help/{doc.slug}/")
    client_for(acme, acme.partner_admin).get(f"/portal/help/{doc.slug}/")
    user, account, admin = acme.partner_user.pk, acme.partner.pk, acme.partner_admin.pk
    assert _opens(acme) == [
        ("view", user, account, asset.pk, None),
        ("download", user, account, asset.pk, None),
        ("download", user, account, asset.pk, None),
        ("view", user, account, link.pk, None),
        ("read", user, account, None, doc.pk),
        ("read", admin, account, None, doc.pk),
    ]
    with scopes_disabled():
        assert ContentOpen.objects.filter(asset=asset).first().asset_version_id == (
            asset.current_version_id
        )
    # The partner's library marks what the account has opened.
    page = client.get("/portal/assets/").context["page"]
    assert {a.title: a.opened for a in page} == {"Partner guide": True, "Brand kit": True}


def test_local_file_response_headers(acme, client_for):
    asset = file_asset(acme)
    client = client_for(acme, acme.partner_user)
    inline = client.get(f"/portal/assets/{asset.pk}/open/")
    assert inline.status_code == 200
    assert inline["Content-Type"] == "application/pdf"
    assert inline["Content-Disposition"] == 'inline; filename="guide.pdf"'
    assert inline["X-Content-Type-Options"] == "nosniff"
    assert "private" in inline["Cache-Control"] and "no-store" in inline["Cache-Control"]
    assert b"".join(inline.streaming_content) == pdf_bytes()
    download = client.get(f"/portal/assets/{asset.pk}/download/")
    assert download["Content-Disposition"] == 'attachment; filename="guide.pdf"'
    assert download["X-Content-Type-Options"] == "nosniff"
    assert "private" in download["Cache-Control"]


def test_types_that_are_not_safe_inline_are_always_attachments(acme, client_for):
    from tests.content.factories import checked, ooxml_bytes

    asset = file_asset(acme, upload=checked("deck.docx", ooxml_bytes()))
    response = client_for(acme, acme.partner_user).get(f"/portal/assets/{asset.pk}/open/")
    assert response["Content-Disposition"] == 'attachment; filename="deck.docx"'


def test_the_edit_page_offers_the_status_changes_the_table_allows(acme, client_for):
    asset = file_asset(acme)
    client = client_for(acme, acme.cam)
    page = client.get(f"/console/assets/{asset.pk}/").content.decode()
    assert f"/console/assets/{asset.pk}/archive/" in page
    assert f"/console/assets/{asset.pk}/restore/" not in page
    client.post(f"/console/assets/{asset.pk}/archive/")
    page = client.get(f"/console/assets/{asset.pk}/").content.decode()
    assert f"/console/assets/{asset.pk}/restore/" in page
    assert f"/console/assets/{asset.pk}/archive/" not in page
