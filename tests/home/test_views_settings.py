from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django_scopes import scopes_disabled

from apps.audit.models import AuditEvent
from apps.tenancy.models import Tenant, TenantHost
from tests.content.factories import png_bytes

pytestmark = pytest.mark.django_db

URL = "/console/settings/"


@pytest.fixture(autouse=True)
def _private_media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _general(program, **changes):
    tenant = Tenant.objects.get(pk=program.tenant.pk)
    return {
        "name": tenant.name,
        "support_email": tenant.support_email,
        "brand_color": tenant.brand_color,
        "time_zone": tenant.time_zone,
        "language": tenant.language,
        **changes,
    }


def _tenant_row(program):
    return Tenant.objects.filter(pk=program.tenant.pk).values().get()


def _host_rows(program):
    return sorted(
        TenantHost.objects.filter(tenant=program.tenant).values_list("hostname", "is_primary")
    )


def _audit_count(program):
    with scopes_disabled():
        return AuditEvent.objects.filter(tenant=program.tenant, verb__startswith="program.").count()


def test_admin_sees_the_settings_page(acme, client_for, django_assert_max_num_queries):
    for i in range(12):
        TenantHost.objects.create(tenant=acme.tenant, hostname=f"h{i}.acme.test")
    client = client_for(acme, acme.admin)
    with django_assert_max_num_queries(20):
        response = client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    for label in (
        "Program name",
        "Brand colour",
        "Support email",
        "Time zone",
        "Default language",
        "Add a custom domain",
        "Upload logo",
        "Save settings",
        "h11.acme.test",
        "Europe",
        "Français",
    ):
        assert label in html, label
    # The settings sub-navigation, with the pages that exist.
    assert 'href="/console/settings/team/"' in html
    assert 'href="/console/settings/api-keys/"' in html
    assert 'href="/console/settings/milestones/"' in html
    assert 'aria-current="page">General' in html
    # The current host has no Remove button; the primary has no Make primary button.
    assert html.count(">Make primary<") == 12
    assert "6.28:1" in html
    assert f'href="{URL}"' in client.get("/console/").content.decode()
    assert 'href="/console/settings/"' in client.get("/console/settings/team/").content.decode()


def test_a_cam_is_refused_everything(acme, client_for, state):
    client = client_for(acme, acme.cam)
    host = TenantHost.objects.get(tenant=acme.tenant)
    before = state()
    assert client.get(URL).status_code == 403
    assert client.post(URL, _general(acme, name="Hijacked")).status_code == 403
    assert client.post(URL + "hosts/", {"hostname": "evil.example.com"}).status_code == 403
    assert client.post(f"{URL}hosts/{host.pk}/primary/").status_code == 403
    assert client.post(f"{URL}hosts/{host.pk}/remove/").status_code == 403
    logo = SimpleUploadedFile("logo.png", png_bytes())
    assert client.post(URL + "logo/", {"logo": logo}).status_code == 403
    assert client.post(URL + "logo/remove/").status_code == 403
    assert state() == before
    assert f'href="{URL}"' not in client.get("/console/").content.decode()


@pytest.mark.parametrize("role", ["partner_admin", "partner_user"])
def test_partners_get_404(acme, client_for, role):
    client = client_for(acme, getattr(acme, role))
    assert client.get(URL).status_code == 404
    assert client.post(URL, _general(acme, name="Hijacked")).status_code == 404
    assert _tenant_row(acme)["name"] == "Acme Program"


def test_another_programs_admin_gets_404_and_cannot_touch_its_hosts(acme, globex, client_for):
    # On acme's host: a stranger.
    stranger = Client(headers={"host": acme.host})
    stranger.force_login(globex.admin)
    assert stranger.get(URL).status_code == 404
    assert stranger.post(URL, _general(acme, name="Hijacked")).status_code == 404
    # On globex's own host, aiming at acme's host rows.
    client = client_for(globex, globex.admin)
    acme_host = TenantHost.objects.get(tenant=acme.tenant)
    assert client.post(f"{URL}hosts/{acme_host.pk}/primary/").status_code == 404
    assert client.post(f"{URL}hosts/{acme_host.pk}/remove/").status_code == 404
    assert _host_rows(acme) == [("acme.localhost", True)]
    assert _tenant_row(acme)["name"] == "Acme Program"


def test_save_general_settings(acme, client_for):
    client = client_for(acme, acme.admin)
    response = client.post(
        URL,
        _general(
            acme,
            name="Acme Partner Network",
            brand_color="0F766E",
            support_email="partners@acme.test",
            time_zone="America/New_York",
            language="de",
        ),
    )
    assert response.status_code == 302 and response["Location"] == URL + "#general"
    row = _tenant_row(acme)
    assert row["name"] == "Acme Partner Network" and row["brand_color"] == "#0f766e"
    assert (row["time_zone"], row["language"]) == ("America/New_York", "de")
    page = client.get(URL).content.decode()
    assert "Settings saved." in page and "Acme Partner Network" in page
    # The portal follows the brand colour.
    portal = client_for(acme, acme.partner_admin).get("/portal/").content.decode()
    assert "--brand: #0f766e" in portal


def test_short_hex_is_expanded(acme, client_for):
    client_for(acme, acme.admin).post(URL, _general(acme, brand_color="#36c"))
    assert _tenant_row(acme)["brand_color"] == "#3366cc"


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"brand_color": "#ffcc00"}, "contrast ratio of 1.51:1"),
        ({"brand_color": "#777777"}, "4.47:1"),
        ({"brand_color": "blue"}, "like #4f46e5"),
        ({"name": ""}, "This field is required"),
        ({"support_email": "nope"}, "valid email"),
        ({"time_zone": "Mars/Olympus"}, "Select a valid choice"),
        ({"language": "xx"}, "Select a valid choice"),
    ],
)
def test_bad_settings_are_refused_with_the_reason(acme, client_for, changes, message):
    before = _tenant_row(acme)
    response = client_for(acme, acme.admin).post(URL, _general(acme, **changes))
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html and "field--error" in html
    assert _tenant_row(acme) == before
    assert _audit_count(acme) == 1  # program.created only


# Logo -------------------------------------------------------------------------------------


def test_upload_a_logo_it_shows_in_the_headers(acme, client_for, settings):
    client = client_for(acme, acme.admin)
    response = client.post(URL + "logo/", {"logo": SimpleUploadedFile("Logo.PNG", png_bytes())})
    assert response.status_code == 302 and response["Location"] == URL + "#logo"
    tenant = Tenant.objects.get(pk=acme.tenant.pk)
    src = tenant.logo_src
    assert src.startswith("/branding/logo/?v=")
    assert (Path(settings.MEDIA_ROOT) / tenant.logo.name).exists()
    # Served to anyone on the program's host, as an image that cannot be sniffed into HTML.
    anonymous = client_for(acme)
    served = anonymous.get(src)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["X-Content-Type-Options"] == "nosniff"
    assert "immutable" in served["Cache-Control"]
    assert b"".join(served.streaming_content) == png_bytes()
    assert "immutable" not in anonymous.get("/branding/logo/?v=old")["Cache-Control"]
    # Shown in the sign-in page, the portal and the console.
    assert f'src="{src}"' in anonymous.get("/accounts/login/").content.decode()
    assert f'src="{src}"' in client_for(acme, acme.partner_user).get("/portal/").content.decode()
    assert f'src="{src}"' in client.get("/console/").content.decode()
    # Removed: back to the initial.
    assert client.post(URL + "logo/remove/").status_code == 302
    assert Tenant.objects.get(pk=acme.tenant.pk).logo.name == ""
    assert anonymous.get("/branding/logo/").status_code == 404


def test_another_programs_logo_is_not_served(acme, globex, client_for):
    client_for(acme, acme.admin).post(
        URL + "logo/", {"logo": SimpleUploadedFile("logo.png", png_bytes())}
    )
    assert client_for(globex).get("/branding/logo/").status_code == 404


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        (
            "logo.svg",
            b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>',
            ".svg files are not accepted",
        ),
        ("logo.png", b"<html><script>alert(1)</script></html>", "does not match"),
        ("logo.gif", b"GIF89a" + b"\x00" * 20, ".gif files are not accepted"),
        ("logo.pdf", b"%PDF-1.4\n", ".pdf files are not accepted"),
        ("logo.png", b"", "empty"),
        ("logo.png", png_bytes() + b"\x00" * (1024 * 1024), "larger than 1 MB"),
    ],
)
def test_bad_logos_are_refused_and_nothing_is_stored(
    acme, client_for, settings, name, data, message
):
    before = _tenant_row(acme)
    response = client_for(acme, acme.admin).post(
        URL + "logo/", {"logo": SimpleUploadedFile(name, data)}
    )
    assert response.status_code == 422
    assert message in response.content.decode()
    assert _tenant_row(acme) == before
    assert not (Path(settings.MEDIA_ROOT) / "tenants").exists()


def test_an_oversized_request_is_refused_before_reading_it(acme, client_for, settings):
    big = png_bytes() + b"\x00" * (3 * 1024 * 1024)
    response = client_for(acme, acme.admin).post(
        URL + "logo/", {"logo": SimpleUploadedFile("logo.png", big)}
    )
    assert response.status_code == 413
    assert "larger than 1 MB" in response.content.decode()
    assert _tenant_row(acme)["logo"] == ""


# Hostnames --------------------------------------------------------------------------------


def test_add_a_custom_domain_and_it_serves_at_once(acme, client_for, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "partners.acme.com"]
    client = client_for(acme, acme.admin)
    response = client.post(URL + "hosts/", {"hostname": " Partners.ACME.com "})
    assert response.status_code == 302 and response["Location"] == URL + "#hosts"
    assert _host_rows(acme) == [("acme.localhost", True), ("partners.acme.com", False)]
    page = Client(headers={"host": "partners.acme.com"}).get("/accounts/login/")
    assert page.status_code == 200 and b"Acme Program" in page.content
    html = client.get(URL).content.decode()
    assert "partners.acme.com" in html and "Not enabled on the server yet" not in html


def test_a_host_outside_allowed_hosts_is_flagged(acme, client_for):
    client = client_for(acme, acme.admin)
    client.post(URL + "hosts/", {"hostname": "partners.acme.com"})
    assert "Not enabled on the server yet" in client.get(URL).content.decode()


@pytest.mark.parametrize(
    ("hostname", "message"),
    [
        ("globex.localhost", "already used by another program"),
        ("acme.localhost", "already one of this program"),
        ("https://partners.acme.com/", "no https://"),
        ("not a host", "not a valid address"),
        ("", "This field is required"),
    ],
)
def test_bad_hosts_are_refused_with_the_reason(acme, globex, client_for, hostname, message):
    response = client_for(acme, acme.admin).post(URL + "hosts/", {"hostname": hostname})
    assert response.status_code == 422
    html = response.content.decode()
    assert message in html and 'aria-invalid="true"' in html
    assert _host_rows(acme) == [("acme.localhost", True)]
    assert _host_rows(globex) == [("globex.localhost", True)]


def test_choose_the_primary_then_remove_the_old_one(acme, client_for, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "partners.acme.com"]
    client = client_for(acme, acme.admin)
    client.post(URL + "hosts/", {"hostname": "partners.acme.com"})
    new = TenantHost.objects.get(hostname="partners.acme.com")
    old = TenantHost.objects.get(hostname="acme.localhost")
    response = client.post(f"{URL}hosts/{new.pk}/primary/")
    assert response.status_code == 302
    assert _host_rows(acme) == [("acme.localhost", False), ("partners.acme.com", True)]
    # Not the host the admin is on.
    refused = client.post(f"{URL}hosts/{old.pk}/remove/")
    assert refused.status_code == 422 and "You are using acme.localhost" in refused.content.decode()
    # Through the new address it can go.
    there = Client(headers={"host": "partners.acme.com"})
    there.force_login(acme.admin)
    assert there.post(f"{URL}hosts/{old.pk}/remove/").status_code == 302
    assert _host_rows(acme) == [("partners.acme.com", True)]
    assert Client(headers={"host": "acme.localhost"}).get("/accounts/login/").status_code == 404


def test_the_primary_cannot_be_removed(acme, client_for):
    client = client_for(acme, acme.admin)
    client.post(URL + "hosts/", {"hostname": "other.acme.com"})
    primary = TenantHost.objects.get(hostname="acme.localhost")
    response = client.post(f"{URL}hosts/{primary.pk}/remove/")
    assert response.status_code == 422
    assert "primary address; make another address primary first" in response.content.decode()
    assert len(_host_rows(acme)) == 2


def test_get_on_an_action_is_not_allowed(acme, client_for):
    host = TenantHost.objects.get(tenant=acme.tenant)
    client = client_for(acme, acme.admin)
    assert client.get(f"{URL}hosts/{host.pk}/remove/").status_code == 405
    assert client.get(URL + "hosts/").status_code == 405
