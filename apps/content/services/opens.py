"""Writes of the open/read events: a partner user viewed or downloaded an asset, or read
an article."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.db import transaction

from apps.content.models import Article, Asset, ContentOpen, OpenKind
from apps.content.services.errors import ContentError
from apps.partners.models import PartnerAccount
from apps.tenancy.models import Tenant

if TYPE_CHECKING:
    from apps.accounts.models import User


@transaction.atomic
def content_open_record(
    *,
    tenant: Tenant,
    user: User,
    partner_account: PartnerAccount,
    asset: Asset | None = None,
    article: Article | None = None,
    kind: str,
) -> ContentOpen:
    """Record that a partner user viewed or downloaded an asset, or read an article.

    One row per open. Higher layers (onboarding's View asset / Read article actions,
    milestones) read these rows through `selectors.content_opens_since`; there is no signal.
    `kind` is "view" or "download" for an asset, "read" for an article.
    """
    if (asset is None) == (article is None):
        raise ContentError("Record the opening of exactly one asset or article.")
    if asset is not None and kind not in (OpenKind.VIEW, OpenKind.DOWNLOAD):
        raise ContentError("An asset is viewed or downloaded.")
    if article is not None and kind != OpenKind.READ:
        raise ContentError("An article is read.")
    target = asset or article
    if target.tenant_id != tenant.pk or partner_account.tenant_id != tenant.pk:
        raise ContentError("The object belongs to another program.")
    return ContentOpen.objects.create(
        tenant=tenant,
        user=user,
        partner_account=partner_account,
        asset=asset,
        asset_version_id=asset.current_version_id if asset is not None else None,
        article=article,
        kind=kind,
    )
