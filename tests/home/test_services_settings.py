from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, transaction
from django_scopes import scope, scopes_disabled

from apps.audit.models import AuditEvent
from apps.core.uploads import validate_upload
from apps.home.services_settings import (
    LOGO_POLICY,
    SettingsError,
    brand_colour_check,
    contrast_ratio,
    hostname_normalise,
    program_logo_remove,
    program_logo_set,
    program_settings_update,
    ratio_text,
    relative_luminance,
    tenant_host_add,
    tenant_host_make_primary,
    tenant_host_remove,
)
from apps.tenancy.models import Tenant, TenantHost
from apps.tenancy.selectors import tenant_absolute_url, tenant_for_host_all_tenants
from tests.conftest import in_scope, race
from tests.content.factories import png_bytes

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _private_media_root(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path / "media")


def _events(tenant, verb):
    with scopes_disabled():
        return list(AuditEvent.objects.filter(tenant=tenant, verb=verb).order_by("id"))


def _hosts(tenant):
    return list(
        TenantHost.objects.filter(tenant=tenant)
        .order_by("hostname")
        .values_list("hostname", "is_primary")
    )


def _update(program, **changes):
    tenant = program.tenant
    values = {
        "name": tenant.name,
        "brand_color": tenant.brand_color,
        "support_email": tenant.support_email,
        "time_zone": tenant.time_zone,
        "language": tenant.language,
        **changes,
    }
    with scope(tenant=tenant):
        return program_settings_update(tenant=tenant, actor=program.admin, **values)


# Contrast ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("colour", "ratio"),
    [
        ("#ffffff", "1.00:1"),
        ("#000000", "21.00:1"),
        ("#4f46e5", "6.28:1"),
        ("#ffcc00", "1.51:1"),
        ("#767676", "4.54:1"),  # the lightest grey that passes AA on white
        ("#777777", "4.47:1"),
    ],
)
def test_contrast_ratio_with_white_matches_wcag(colour, ratio):
    assert ratio_text(contrast_ratio(colour, "#ffffff")) == ratio
    assert contrast_ratio(colour, "#ffffff") == contrast_ratio("#ffffff", colour)


def test_relative_luminance_ends():
    assert relative_luminance("#000000") == 0
    assert relative_luminance("#ffffff") == pytest.approx(1)


def test_brand_colour_check():
    assert brand_colour_check(" #4F46E5 ") == "#4f46e5"
    assert brand_colour_check("#767676") == "#767676"
    with pytest.raises(SettingsError, match=r"1\.51:1.*4\.5:1") as exc:
        brand_colour_check("#ffcc00")
    assert exc.value.field == "brand_color"
    with pytest.raises(SettingsError, match=r"4\.47:1"):
        brand_colour_check("#777777")
    with pytest.raises(SettingsError, match="like #4f46e5"):
        brand_colour_check("red")


# Name, colour, email, time zone, language -------------------------------------------------


def test_settings_update_changes_and_audits_before_and_after(acme):
    changed = _update(
        acme,
        name="  Acme   Partner Network ",
        brand_color="#0F766E",
        support_email="Partners@Acme.test",
        time_zone="Europe/Paris",
        language="fr",
    )
    assert set(changed) == {"name", "brand_color", "support_email", "time_zone", "language"}
    tenant = Tenant.objects.get(pk=acme.tenant.pk)
    assert (tenant.name, tenant.brand_color, tenant.support_email) == (
        "Acme Partner Network",
        "#0f766e",
        "partners@acme.test",
    )
    assert (tenant.time_zone, tenant.language) == ("Europe/Paris", "fr")
    (event,) = _events(tenant, "program.settings_changed")
    assert event.actor == acme.admin
    assert event.data["from"]["name"] == "Acme Program"
    assert event.data["to"]["time_zone"] == "Europe/Paris"
    assert event.data["from"]["language"] == "en"
    # The same values again change nothing and record nothing.
    assert _update(acme, name="Acme Partner Network") == []
    assert len(_events(tenant, "program.settings_changed")) == 1


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("brand_color", "#ffcc00"),
        ("brand_color", "#12345"),
        ("name", "   "),
        ("support_email", "not-an-email"),
        ("time_zone", "Mars/Olympus"),
        ("time_zone", "US/Eastern"),  # a legacy alias: canonical names only
        ("language", "xx"),
    ],
)
def test_bad_settings_change_nothing(acme, field, value):
    before = Tenant.objects.filter(pk=acme.tenant.pk).values().get()
    with pytest.raises(SettingsError) as exc:
        _update(acme, **{field: value})
    assert exc.value.field == field
    assert Tenant.objects.filter(pk=acme.tenant.pk).values().get() == before
    assert _events(acme.tenant, "program.settings_changed") == []


# Hostnames --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Partners.Acme.COM", "partners.acme.com"),
        (" partners.acme.com. ", "partners.acme.com"),
        ("bücher.example", "xn--bcher-kva.example"),
    ],
)
def test_hostname_normalise(raw, expected):
    assert hostname_normalise(raw) == expected


@pytest.mark.parametrize(
    "raw",
    [
        "https://partners.acme.com",
        "partners.acme.com/apply",
        "partners.acme.com:8443",
        "localhost",
        "-bad.acme.com",
        "under_score.acme.com",
        "10.0.0.1",
        "a" * 64 + ".com",
        "",
        "localhost.",
    ],
)
def test_bad_hostnames_are_refused(raw):
    with pytest.raises(SettingsError):
        hostname_normalise(raw)


def test_the_platform_host_is_refused(settings):
    settings.BASE_DOMAIN = "onramp.example"
    with pytest.raises(SettingsError, match="platform"):
        hostname_normalise("Onramp.example")


def test_add_a_host_serves_the_program_at_once(acme):
    with scope(tenant=acme.tenant):
        row = tenant_host_add(tenant=acme.tenant, actor=acme.admin, hostname="Partners.Acme.com")
    assert (row.hostname, row.is_primary) == ("partners.acme.com", False)
    assert tenant_for_host_all_tenants(hostname="partners.acme.com") == acme.tenant
    (event,) = _events(acme.tenant, "program.host_added")
    assert event.data == {"host": "partners.acme.com", "from": None, "to": "partners.acme.com"}


def test_a_host_of_another_program_is_refused(acme, globex):
    before = _hosts(acme.tenant)
    with scope(tenant=acme.tenant), pytest.raises(SettingsError, match="another program"):
        tenant_host_add(tenant=acme.tenant, actor=acme.admin, hostname="GLOBEX.localhost")
    assert _hosts(acme.tenant) == before
    with scope(tenant=acme.tenant), pytest.raises(SettingsError, match="already one of this"):
        tenant_host_add(tenant=acme.tenant, actor=acme.admin, hostname="acme.localhost")
    assert _events(acme.tenant, "program.host_added") == []


def test_the_database_refuses_a_hostname_twice(acme, globex):
    with pytest.raises(IntegrityError), transaction.atomic():
        TenantHost.objects.create(tenant=globex.tenant, hostname="acme.localhost")


@pytest.mark.django_db(transaction=True)
def test_two_programs_adding_the_same_host_at_once_one_wins(acme, globex):
    results = race(
        in_scope(acme.tenant, tenant_host_add, actor=acme.admin, hostname="shared.example.com"),
        in_scope(globex.tenant, tenant_host_add, actor=globex.admin, hostname="shared.example.com"),
    )
    winners = [r for r in results if isinstance(r, TenantHost)]
    losers = [r for r in results if isinstance(r, SettingsError)]
    assert len(winners) == 1 and len(losers) == 1, results
    assert "another program" in losers[0].message
    assert TenantHost.objects.filter(hostname="shared.example.com").count() == 1
    assert len(_events(winners[0].tenant, "program.host_added")) == 1


@pytest.mark.django_db(transaction=True)
def test_two_admins_of_one_program_adding_the_same_host_add_it_once(acme):
    results = race(
        in_scope(acme.tenant, tenant_host_add, actor=acme.admin, hostname="twice.example.com"),
        in_scope(acme.tenant, tenant_host_add, actor=acme.admin, hostname="twice.example.com"),
    )
    assert sorted(type(r).__name__ for r in results) == ["SettingsError", "TenantHost"], results
    assert TenantHost.objects.filter(hostname="twice.example.com").count() == 1
    assert len(_events(acme.tenant, "program.host_added")) == 1


def test_make_primary_swaps_and_email_links_follow(acme, globex):
    with scope(tenant=acme.tenant):
        row = tenant_host_add(tenant=acme.tenant, actor=acme.admin, hostname="partners.acme.com")
        tenant_host_make_primary(tenant=acme.tenant, actor=acme.admin, host_id=row.pk)
    assert _hosts(acme.tenant) == [("acme.localhost", False), ("partners.acme.com", True)]
    assert tenant_absolute_url(tenant=acme.tenant, path="/portal/") == (
        "http://partners.acme.com/portal/"
    )
    (event,) = _events(acme.tenant, "program.host_primary_changed")
    assert event.data == {"from": "acme.localhost", "to": "partners.acme.com"}
    # Again: nothing changes, nothing recorded.
    with scope(tenant=acme.tenant):
        tenant_host_make_primary(tenant=acme.tenant, actor=acme.admin, host_id=row.pk)
    assert len(_events(acme.tenant, "program.host_primary_changed")) == 1
    # Another program's host is not found.
    other = TenantHost.objects.get(tenant=globex.tenant)
    with scope(tenant=acme.tenant), pytest.raises(TenantHost.DoesNotExist):
        tenant_host_make_primary(tenant=acme.tenant, actor=acme.admin, host_id=other.pk)
    assert TenantHost.objects.get(pk=other.pk).is_primary


@pytest.mark.django_db(transaction=True)
def test_two_admins_choosing_different_primaries_leave_exactly_one(acme):
    with scope(tenant=acme.tenant):
        a = tenant_host_add(tenant=acme.tenant, actor=acme.admin, hostname="a.acme.com")
        b = tenant_host_add(tenant=acme.tenant, actor=acme.admin, hostname="b.acme.com")
    results = race(
        in_scope(acme.tenant, tenant_host_make_primary, actor=acme.admin, host_id=a.pk),
        in_scope(acme.tenant, tenant_host_make_primary, actor=acme.admin, host_id=b.pk),
    )
    assert all(isinstance(r, TenantHost) for r in results), results
    assert TenantHost.objects.filter(tenant=acme.tenant, is_primary=True).count() == 1


def test_remove_a_host_and_its_refusals(acme, globex):
    with scope(tenant=acme.tenant):
        extra = tenant_host_add(tenant=acme.tenant, actor=acme.admin, hostname="old.acme.com")
    primary = TenantHost.objects.get(tenant=acme.tenant, is_primary=True)
    with scope(tenant=acme.tenant):
        with pytest.raises(SettingsError, match="primary"):
            tenant_host_remove(
                tenant=acme.tenant, actor=acme.admin, host_id=primary.pk, current_host="x.test"
            )
        with pytest.raises(SettingsError, match="right now"):
            tenant_host_remove(
                tenant=acme.tenant,
                actor=acme.admin,
                host_id=extra.pk,
                current_host="OLD.acme.com:8000",
            )
        with pytest.raises(TenantHost.DoesNotExist):
            tenant_host_remove(
                tenant=acme.tenant,
                actor=acme.admin,
                host_id=TenantHost.objects.get(tenant=globex.tenant).pk,
                current_host="acme.localhost",
            )
        assert _hosts(acme.tenant) == [("acme.localhost", True), ("old.acme.com", False)]
        removed = tenant_host_remove(
            tenant=acme.tenant, actor=acme.admin, host_id=extra.pk, current_host="acme.localhost"
        )
    assert removed == "old.acme.com"
    assert _hosts(acme.tenant) == [("acme.localhost", True)]
    assert tenant_for_host_all_tenants(hostname="old.acme.com") is None
    (event,) = _events(acme.tenant, "program.host_removed")
    assert event.data == {"host": "old.acme.com", "from": "old.acme.com", "to": None}


def test_the_last_host_is_never_removed(acme):
    TenantHost.objects.filter(tenant=acme.tenant).update(is_primary=False)
    only = TenantHost.objects.get(tenant=acme.tenant)
    with scope(tenant=acme.tenant), pytest.raises(SettingsError, match="at least one"):
        tenant_host_remove(
            tenant=acme.tenant, actor=acme.admin, host_id=only.pk, current_host="elsewhere.test"
        )
    assert TenantHost.objects.filter(tenant=acme.tenant).count() == 1


# Logo -------------------------------------------------------------------------------------


def _logo(name="logo.png", data=None):
    return validate_upload(SimpleUploadedFile(name, data or png_bytes()), LOGO_POLICY)


def test_logo_set_replace_and_remove(acme, settings, django_capture_on_commit_callbacks):
    root = Path(settings.MEDIA_ROOT)
    with scope(tenant=acme.tenant):
        first = program_logo_set(tenant=acme.tenant, actor=acme.admin, upload=_logo())
    assert first.startswith(f"tenants/{acme.tenant.pk}/branding/") and first.endswith(".png")
    assert (root / first).read_bytes() == png_bytes()
    tenant = Tenant.objects.get(pk=acme.tenant.pk)
    assert tenant.logo.name == first and tenant.logo_src.startswith("/branding/logo/?v=")
    with django_capture_on_commit_callbacks(execute=True), scope(tenant=acme.tenant):
        second = program_logo_set(tenant=acme.tenant, actor=acme.admin, upload=_logo("new.png"))
    assert not (root / first).exists() and (root / second).exists()
    assert Tenant.objects.get(pk=acme.tenant.pk).logo_src != tenant.logo_src
    with django_capture_on_commit_callbacks(execute=True), scope(tenant=acme.tenant):
        program_logo_remove(tenant=acme.tenant, actor=acme.admin)
    assert not (root / second).exists()
    assert Tenant.objects.get(pk=acme.tenant.pk).logo.name == ""
    events = _events(acme.tenant, "program.logo_changed")
    assert [(e.data["from"], e.data["to"]) for e in events] == [
        ("", first),
        (first, second),
        (second, ""),
    ]
    assert events[1].data["file"] == "new.png"


def test_logo_src_falls_back_to_logo_url(acme):
    tenant = acme.tenant
    assert tenant.logo_src == ""
    tenant.logo_url = "https://cdn.acme.test/logo.png"
    assert tenant.logo_src == "https://cdn.acme.test/logo.png"


def test_a_logo_that_fails_to_save_leaves_no_file(acme, settings, monkeypatch):
    import apps.home.services_settings as services

    def broken(**kwargs):
        raise IntegrityError("boom")

    monkeypatch.setattr(services, "audit_record", broken)
    with scope(tenant=acme.tenant), pytest.raises(IntegrityError):
        program_logo_set(tenant=acme.tenant, actor=acme.admin, upload=_logo())
    assert Tenant.objects.get(pk=acme.tenant.pk).logo.name == ""
    branding = Path(settings.MEDIA_ROOT) / "tenants" / str(acme.tenant.pk) / "branding"
    assert not branding.exists() or list(branding.iterdir()) == []
