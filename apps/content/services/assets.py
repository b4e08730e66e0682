"""Writes for the Assets library: files and links, their audience, versions and status.
Every mutation is audited."""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from apps.audit.services import audit_record
from apps.content import verbs
from apps.content.models import (
    Asset,
    AssetAudienceAccount,
    AssetAudienceType,
    AssetCategory,
    AssetKind,
    AssetStatus,
    AssetVersion,
    Audience,
)
from apps.content.services.errors import ContentError
from apps.content.services.transitions import (
    ASSET_EVENT_VERBS,
    ASSET_TRANSITIONS,
    transition_target,
)
from apps.core.files import private_file_save, private_storage
from apps.core.uploads import CheckedUpload, UploadPolicy, storage_key
from apps.partners.catalog import tier_labels
from apps.partners.models import PartnerAccount, PartnerType
from apps.tenancy.models import Tenant

if TYPE_CHECKING:
    from apps.accounts.models import User

# What the Assets library accepts. Larger videos belong on a video host, added as a link.
ASSET_UPLOAD_POLICY = UploadPolicy(
    max_bytes=25 * 1024 * 1024,
    allowed_types=frozenset(
        {
            "pdf", "png", "jpeg", "gif", "webp", "docx", "xlsx", "pptx", "doc", "xls", "ppt",
            "txt", "csv", "mp4", "webm", "zip",
        }
    ),
)  # fmt: skip
MAX_TAGS = 12


def tags_normalise(tags: Iterable[str]) -> list[str]:
    seen: list[str] = []
    for tag in tags:
        tag = " ".join(str(tag).lower().split())[:40].strip(" ,#")
        if tag and tag not in seen:
            seen.append(tag)
    if len(seen) > MAX_TAGS:
        raise ContentError(f"Use at most {MAX_TAGS} tags.")
    return seen


def link_url_check(url: str) -> str:
    """External links: absolute http(s) URLs only (no javascript:, data:, file:, …)."""
    url = (url or "").strip()
    parts = urlsplit(url)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise ContentError("Links must be web addresses starting with http:// or https://.")
    if any(ch.isspace() or ord(ch) < 32 for ch in url) or len(url) > 2000:
        raise ContentError("That web address is not valid.")
    return url


def _lock_asset(*, tenant: Tenant, asset: Asset) -> Asset:
    return Asset.objects.select_for_update(of=("self",)).get(tenant=tenant, pk=asset.pk)


def _audience_set(
    *,
    tenant: Tenant,
    asset: Asset,
    audience: str,
    partner_types: Iterable[PartnerType],
    tiers: Iterable[str],
    accounts: Iterable[PartnerAccount],
) -> dict[str, Any]:
    """Replace the asset's audience rules; return them for the audit event."""
    if audience not in Audience.values:
        raise ContentError("Unknown audience.")
    types = {t.pk: t for t in partner_types} if audience == Audience.SELECTED else {}
    named = {a.pk: a for a in accounts} if audience == Audience.SELECTED else {}
    tier_values = sorted(set(tiers)) if audience == Audience.SELECTED else []
    if any(t.tenant_id != tenant.pk for t in types.values()) or any(
        a.tenant_id != tenant.pk for a in named.values()
    ):
        raise ContentError("Unknown partner type or partner account.")
    # Any tier the program has (an archived one an asset already targets stays valid).
    if tier_values and not set(tier_values) <= tier_labels(tenant=tenant).keys():
        raise ContentError("Unknown tier.")
    if audience == Audience.SELECTED and not (types or tier_values or named):
        raise ContentError(
            "Choose at least one partner type, tier or partner account, "
            "or make the asset visible to all partners."
        )
    AssetAudienceType.objects.filter(tenant=tenant, asset=asset).exclude(
        partner_type_id__in=types
    ).delete()
    have = set(
        AssetAudienceType.objects.filter(tenant=tenant, asset=asset).values_list(
            "partner_type_id", flat=True
        )
    )
    AssetAudienceType.objects.bulk_create(
        AssetAudienceType(tenant=tenant, asset=asset, partner_type_id=pk)
        for pk in types
        if pk not in have
    )
    AssetAudienceAccount.objects.filter(tenant=tenant, asset=asset).exclude(
        account_id__in=named
    ).delete()
    have = set(
        AssetAudienceAccount.objects.filter(tenant=tenant, asset=asset).values_list(
            "account_id", flat=True
        )
    )
    AssetAudienceAccount.objects.bulk_create(
        AssetAudienceAccount(tenant=tenant, asset=asset, account_id=pk)
        for pk in named
        if pk not in have
    )
    asset.audience = audience
    asset.audience_tiers = tier_values
    return {
        "audience": audience,
        "types": sorted(t.name for t in types.values()),
        "tiers": tier_values,
        "accounts": sorted(a.name for a in named.values()),
    }


def _version_add(
    *, tenant: Tenant, actor: User | None, asset: Asset, upload: CheckedUpload, note: str = ""
) -> AssetVersion:
    """Store the file under a new tenant-prefixed key and add the next version (asset locked)."""
    number = (
        AssetVersion.objects.filter(tenant=tenant, asset=asset).aggregate(n=Max("number"))["n"] or 0
    ) + 1
    key = storage_key(tenant_id=tenant.pk, area="assets", ext=upload.ext)
    name = private_file_save(key=key, upload=upload)
    try:
        with transaction.atomic():
            return AssetVersion.objects.create(
                tenant=tenant,
                asset=asset,
                number=number,
                file_name=name,
                original_name=upload.original_name,
                ext=upload.ext,
                content_type=upload.content_type,
                size=upload.size,
                note=note.strip()[:300],
                uploaded_by=actor,
            )
    except Exception:
        private_storage().delete(name)
        raise


@transaction.atomic
def asset_create(
    *,
    tenant: Tenant,
    actor: User | None,
    title: str,
    category: str = AssetCategory.OTHER,
    description: str = "",
    tags: Iterable[str] = (),
    upload: CheckedUpload | None = None,
    url: str = "",
    audience: str = Audience.ALL,
    partner_types: Iterable[PartnerType] = (),
    tiers: Iterable[str] = (),
    accounts: Iterable[PartnerAccount] = (),
    note: str = "",
) -> Asset:
    """Add a file (`upload`, from SafeFileField/validate_upload) or a link (`url`)."""
    if (upload is None) == (not url):
        raise ContentError("An asset is either an uploaded file or a link.")
    title = title.strip()
    if not title:
        raise ContentError("Give the asset a title.")
    if category not in AssetCategory.values:
        raise ContentError("Unknown category.")
    now = timezone.now()
    asset = Asset(
        tenant=tenant,
        title=title,
        description=description.strip(),
        category=category,
        tags=tags_normalise(tags),
        kind=AssetKind.FILE if upload is not None else AssetKind.LINK,
        url=link_url_check(url) if url else "",
        created_by=actor,
        created_at=now,
        updated_at=now,
    )
    asset.save()
    audience_data = _audience_set(
        tenant=tenant,
        asset=asset,
        audience=audience,
        partner_types=partner_types,
        tiers=tiers,
        accounts=accounts,
    )
    fields = ["audience", "audience_tiers"]
    if upload is not None:
        asset.current_version = _version_add(
            tenant=tenant, actor=actor, asset=asset, upload=upload, note=note
        )
        fields.append("current_version")
    asset.save(update_fields=fields)
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.ASSET_CREATED,
        target=asset,
        data={
            "kind": asset.kind,
            "file": upload.original_name if upload else None,
            "url": asset.url or None,
            **audience_data,
        },
    )
    return asset


@transaction.atomic
def asset_update(
    *,
    tenant: Tenant,
    actor: User | None,
    asset: Asset,
    title: str,
    description: str,
    category: str,
    tags: Iterable[str],
    audience: str,
    partner_types: Iterable[PartnerType] = (),
    tiers: Iterable[str] = (),
    accounts: Iterable[PartnerAccount] = (),
    url: str | None = None,
) -> Asset:
    """Change an asset's details and audience (its file changes only by asset_replace_file)."""
    asset = _lock_asset(tenant=tenant, asset=asset)
    title = title.strip()
    if not title:
        raise ContentError("Give the asset a title.")
    if category not in AssetCategory.values:
        raise ContentError("Unknown category.")
    new = {
        "title": title,
        "description": description.strip(),
        "category": category,
        "tags": tags_normalise(tags),
    }
    if url is not None and asset.kind == AssetKind.LINK:
        new["url"] = link_url_check(url)
    before_audience = (asset.audience, list(asset.audience_tiers))
    before_types = set(
        AssetAudienceType.objects.filter(tenant=tenant, asset=asset).values_list(
            "partner_type_id", flat=True
        )
    )
    before_accounts = set(
        AssetAudienceAccount.objects.filter(tenant=tenant, asset=asset).values_list(
            "account_id", flat=True
        )
    )
    changed: dict[str, Any] = {}
    for field, value in new.items():
        if getattr(asset, field) != value:
            changed[field] = {"from": getattr(asset, field), "to": value}
            setattr(asset, field, value)
    partner_types = list(partner_types)
    accounts = list(accounts)
    audience_data = _audience_set(
        tenant=tenant,
        asset=asset,
        audience=audience,
        partner_types=partner_types,
        tiers=tiers,
        accounts=accounts,
    )
    after_types = {t.pk for t in partner_types} if audience == Audience.SELECTED else set()
    after_accounts = {a.pk for a in accounts} if audience == Audience.SELECTED else set()
    if (
        before_audience != (asset.audience, list(asset.audience_tiers))
        or before_types != after_types
        or before_accounts != after_accounts
    ):
        changed["audience"] = audience_data
    if not changed:
        return asset
    asset.updated_at = timezone.now()
    asset.save(update_fields=[*new.keys(), "audience", "audience_tiers", "updated_at"])
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.ASSET_UPDATED,
        target=asset,
        data={"changed": changed},
    )
    return asset


@transaction.atomic
def asset_replace_file(
    *, tenant: Tenant, actor: User | None, asset: Asset, upload: CheckedUpload, note: str = ""
) -> AssetVersion:
    """Upload a new file for the asset. The previous versions stay, with their files."""
    asset = _lock_asset(tenant=tenant, asset=asset)
    if asset.kind != AssetKind.FILE:
        raise ContentError("A link has no file to replace.")
    previous = asset.current_version
    version = _version_add(tenant=tenant, actor=actor, asset=asset, upload=upload, note=note)
    asset.current_version = version
    asset.updated_at = timezone.now()
    asset.save(update_fields=["current_version", "updated_at"])
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.ASSET_FILE_REPLACED,
        target=asset,
        data={
            "from": previous.number if previous else None,
            "to": version.number,
            "file": version.original_name,
        },
    )
    return version


def _asset_transition(*, tenant: Tenant, actor: User | None, asset: Asset, event: str) -> Asset:
    asset = _lock_asset(tenant=tenant, asset=asset)
    target = transition_target(
        ASSET_TRANSITIONS,
        event=event,
        status=asset.status,
        refusal=f"This asset is {asset.get_status_display().lower()}.",
    )
    previous = asset.status
    asset.status = target
    asset.archived_at = timezone.now() if target == AssetStatus.ARCHIVED else None
    asset.save(update_fields=["status", "archived_at"])
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=ASSET_EVENT_VERBS[event],
        target=asset,
        data={"from": previous, "to": target},
    )
    return asset


@transaction.atomic
def asset_archive(*, tenant: Tenant, actor: User | None, asset: Asset) -> Asset:
    """Take the asset out of the portal. Its versions, files and open history are kept."""
    return _asset_transition(tenant=tenant, actor=actor, asset=asset, event="archive")


@transaction.atomic
def asset_restore(*, tenant: Tenant, actor: User | None, asset: Asset) -> Asset:
    return _asset_transition(tenant=tenant, actor=actor, asset=asset, event="restore")
