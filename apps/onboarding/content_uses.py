"""Which pipelines send partners to an asset or an article (registered with apps.content.uses
in OnboardingConfig.ready): the content console warns the admin who archives or unpublishes it."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.urls import reverse
from django.utils.translation import gettext as _

from apps.content.uses import ContentUse
from apps.onboarding.models import Action

if TYPE_CHECKING:
    from apps.content.models import Article, Asset
    from apps.tenancy.models import Tenant


def pipeline_uses_of_content(
    *, tenant: Tenant, asset: Asset | None = None, article: Article | None = None
) -> list[ContentUse]:
    """The pipelines whose live actions open `asset` or `article` (one query), each with the
    titles of those actions; archived pipelines too (their partners still carry on)."""
    if asset is None and article is None:
        return []
    actions = Action.objects.filter(
        tenant=tenant, archived_at__isnull=True, stage__archived_at__isnull=True
    )
    actions = actions.filter(asset=asset) if asset is not None else actions.filter(article=article)
    rows = actions.order_by(
        "stage__pipeline__name",
        "stage__pipeline_id",
        "stage__position",
        "stage_id",
        "position",
        "id",
    ).values_list(
        "stage__pipeline_id", "stage__pipeline__name", "stage__pipeline__archived_at", "title"
    )
    uses: dict[int, tuple[str, bool, list[str]]] = {}
    for pipeline_id, name, archived_at, title in rows:
        uses.setdefault(pipeline_id, (name, archived_at is not None, []))[2].append(title)
    return [
        ContentUse(
            name=_("%(name)s (archived)") % {"name": name} if archived else name,
            items=titles,
            url="" if archived else reverse("pipelines:detail", args=[pipeline_id]),
        )
        for pipeline_id, (name, archived, titles) in uses.items()
    ]
