"""apps/content/services/assets.py and the Asset.status transition table."""

import pytest
from django.core.files.storage import storages
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from apps.audit.models import AuditEvent
from apps.content.models import Asset, AssetStatus, AssetVersion, Audience
from apps.content.services import (
    ContentError,
    InvalidTransition,
    asset_archive,
    asset_create,
    asset_replace_file,
    asset_restore,
    asset_update,
)
from apps.content.services.transitions import (
    ASSET_EVENT_VERBS,
    ASSET_TRANSITIONS,
    asset_events,
)
from apps.partners.models import PartnerType, Tier
from tests.content.factories import checked, file_asset, link_asset, pdf_bytes, png_bytes

pytestmark = pytest.mark.django_db


def _verbs(program):
    with scopes_disabled():
        return list(
            AuditEvent.objects.filter(tenant=program.tenant)
            .filter(verb__startswith="asset.")
            .order_by("id")
            .values_list("verb", flat=True)
        )


def test_file_asset_is_stored_under_a_tenant_prefixed_key(acme):
    asset = file_asset(acme, title="  Partner guide ", tags=["Pricing", "pricing", " EMEA "])
    with scopes_disabled():
        version = asset.current_version
        assert asset.title == "Partner guide"
        assert asset.tags == ["pricing", "emea"]
        assert version.number == 1
        assert version.file_name.startswith(f"tenants/{acme.tenant.pk}/assets/")
        assert version.file_name.endswith(".pdf")
        assert "guide" not in version.file_name  # the user's file name never reaches the key
        assert version.original_name == "guide.pdf"
        assert version.uploaded_by == acme.cam
        with storages["default"].open(version.file_name) as handle:
            assert handle.read() == pdf_bytes()
    assert _verbs(acme) == ["asset.created"]


def test_link_asset_accepts_only_http_urls(acme):
    asset = link_asset(acme, url="https://brand.example.com/kit?x=1")
    assert asset.is_link and asset.current_version is None
    for bad in [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "ftp://files.example.com/a",
        "file:///etc/passwd",
        "//evil.example.com",
        "https://",
        "https://exa mple.com/\n",
    ]:
        with pytest.raises(ContentError), scope(tenant=acme.tenant):
            asset_create(tenant=acme.tenant, actor=acme.cam, title="Bad", url=bad)


def test_asset_is_a_file_or_a_link_never_both(acme):
    with scope(tenant=acme.tenant), pytest.raises(ContentError):
        asset_create(
            tenant=acme.tenant,
            actor=acme.cam,
            title="Both",
            url="https://x.example.com",
            upload=checked(),
        )
    with scope(tenant=acme.tenant), pytest.raises(ContentError):
        asset_create(tenant=acme.tenant, actor=acme.cam, title="Neither")


def test_replacing_the_file_keeps_every_version(acme):
    asset = file_asset(acme)
    with scope(tenant=acme.tenant):
        v2 = asset_replace_file(
            tenant=acme.tenant,
            actor=acme.admin,
            asset=asset,
            upload=checked("guide-v2.pdf", pdf_bytes("Second edition")),
            note="Second edition",
        )
        v3 = asset_replace_file(
            tenant=acme.tenant, actor=acme.cam, asset=asset, upload=checked("logo.png", png_bytes())
        )
        versions = list(AssetVersion.objects.filter(asset=asset).order_by("number"))
        asset.refresh_from_db()
    assert [v.number for v in versions] == [1, 2, 3]
    assert asset.current_version_id == v3.pk
    assert v2.note == "Second edition" and v2.uploaded_by == acme.admin
    assert len({v.file_name for v in versions}) == 3
    storage = storages["default"]
    for version in versions:
        assert storage.exists(version.file_name)  # previous files are kept
    with storage.open(versions[1].file_name) as handle:
        assert handle.read() == pdf_bytes("Second edition")
    assert _verbs(acme) == ["asset.created", "asset.file_replaced", "asset.file_replaced"]
    with scopes_disabled():
        event = AuditEvent.objects.filter(verb="asset.file_replaced").order_by("id").last()
    assert event.data == {"from": 2, "to": 3, "file": "logo.png"}


def test_a_link_has_no_file_to_replace(acme):
    asset = link_asset(acme)
    with scope(tenant=acme.tenant), pytest.raises(ContentError):
        asset_replace_file(tenant=acme.tenant, actor=acme.cam, asset=asset, upload=checked())


def test_update_changes_details_and_audience_and_audits_the_change(acme):
    asset = file_asset(acme)
    with scope(tenant=acme.tenant):
        msp = PartnerType.objects.get(tenant=acme.tenant, name="Managed Service Provider")
        asset_update(
            tenant=acme.tenant,
            actor=acme.cam,
            asset=asset,
            title="Partner guide 2025",
            description="New",
            category="sales",
            tags=["guide"],
            audience=Audience.SELECTED,
            partner_types=[msp],
            tiers=[Tier.GOLD],
            accounts=[acme.other_partner],
        )
        asset.refresh_from_db()
        event = AuditEvent.objects.filter(verb="asset.updated").get()
        # Saving the same values again changes nothing and writes no event.
        asset_update(
            tenant=acme.tenant,
            actor=acme.cam,
            asset=asset,
            title="Partner guide 2025",
            description="New",
            category="sales",
            tags=["guide"],
            audience=Audience.SELECTED,
            partner_types=[msp],
            tiers=[Tier.GOLD],
            accounts=[acme.other_partner],
        )
        assert AuditEvent.objects.filter(verb="asset.updated").count() == 1
    assert asset.title == "Partner guide 2025" and asset.audience_tiers == ["gold"]
    assert event.data["changed"]["title"] == {"from": "Partner guide", "to": "Partner guide 2025"}
    assert event.data["changed"]["audience"]["types"] == ["Managed Service Provider"]
    assert event.data["changed"]["audience"]["accounts"] == ["Acme Partner Two"]


def test_selected_audience_needs_someone_and_rejects_foreign_rows(acme, globex):
    with scope(tenant=acme.tenant), pytest.raises(ContentError, match="at least one"):
        asset_create(
            tenant=acme.tenant,
            actor=acme.cam,
            title="Nobody",
            url="https://x.example.com",
            audience=Audience.SELECTED,
        )
    with scopes_disabled():
        foreign_type = PartnerType.objects.filter(tenant=globex.tenant).first()
    with scope(tenant=acme.tenant), pytest.raises(ContentError, match="Unknown"):
        asset_create(
            tenant=acme.tenant,
            actor=acme.cam,
            title="Foreign",
            url="https://x.example.com",
            audience=Audience.SELECTED,
            partner_types=[foreign_type],
        )
    with scope(tenant=acme.tenant), pytest.raises(ContentError, match="Unknown"):
        asset_create(
            tenant=acme.tenant,
            actor=acme.cam,
            title="Foreign account",
            url="https://x.example.com",
            audience=Audience.SELECTED,
            accounts=[globex.partner],
        )
    with scopes_disabled():
        assert not Asset.objects.filter(title__in=["Nobody", "Foreign", "Foreign account"]).exists()


def test_archive_and_restore_follow_the_transition_table(acme):
    asset = file_asset(acme)
    with scope(tenant=acme.tenant):
        asset_archive(tenant=acme.tenant, actor=acme.cam, asset=asset)
        with pytest.raises(InvalidTransition):
            asset_archive(tenant=acme.tenant, actor=acme.cam, asset=asset)
        asset.refresh_from_db()
        assert asset.status == AssetStatus.ARCHIVED and asset.archived_at is not None
        asset_restore(tenant=acme.tenant, actor=acme.cam, asset=asset)
        with pytest.raises(InvalidTransition):
            asset_restore(tenant=acme.tenant, actor=acme.cam, asset=asset)
        asset.refresh_from_db()
    assert asset.status == AssetStatus.ACTIVE and asset.archived_at is None
    assert _verbs(acme) == ["asset.created", "asset.archived", "asset.restored"]


# The transition table, walked: every (event, status) pair --------------------------------------

ASSET_EVENT_SERVICES = {"archive": asset_archive, "restore": asset_restore}


def test_every_asset_event_has_a_service():
    assert set(ASSET_EVENT_SERVICES) == set(ASSET_TRANSITIONS) == set(ASSET_EVENT_VERBS)


@pytest.mark.parametrize("event", sorted(ASSET_TRANSITIONS))
@pytest.mark.parametrize("status", AssetStatus.values)
def test_asset_event_from_each_status_follows_the_table(acme, status, event):
    asset = link_asset(acme)
    archived_at = timezone.now() if status == AssetStatus.ARCHIVED else None
    with scopes_disabled():
        Asset.objects.filter(pk=asset.pk).update(status=status, archived_at=archived_at)
    sources, target = ASSET_TRANSITIONS[event]
    service = ASSET_EVENT_SERVICES[event]
    with scope(tenant=acme.tenant):
        asset.refresh_from_db()
        assert (event in asset_events(asset)) == (status in sources)
        if status in sources:
            service(tenant=acme.tenant, actor=acme.cam, asset=asset)
        else:
            with pytest.raises(InvalidTransition):
                service(tenant=acme.tenant, actor=acme.cam, asset=asset)
        asset.refresh_from_db()
    if status in sources:
        assert asset.status == target
        assert (asset.archived_at is not None) == (target == AssetStatus.ARCHIVED)
        assert _verbs(acme)[-1] == f"asset.{event}d"
    else:
        assert (asset.status, asset.archived_at) == (status, archived_at)
        assert _verbs(acme) == ["asset.created"]
