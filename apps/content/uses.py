"""Where the content of the library is used by the layers above (a registry they fill in).

Content sits below onboarding, so it cannot ask the pipelines which of their actions open an
asset or an article. Onboarding registers a finder in its AppConfig.ready
(`content_use_register`); the console's archive and unpublish views call `content_uses` to
warn the admin and list the pipelines that still send partners to that content.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from django.contrib import messages
from django.utils.translation import gettext as _

if TYPE_CHECKING:
    from django.http import HttpRequest

    from apps.content.models import Article, Asset
    from apps.tenancy.models import Tenant


@dataclass(frozen=True)
class ContentUse:
    """One place that sends partners to the content: e.g. a pipeline and its actions."""

    name: str
    items: list[str] = field(default_factory=list)
    url: str = ""

    def __str__(self) -> str:
        if not self.items:
            return self.name
        return f"{self.name} ({', '.join(self.items)})"


# A finder is called with tenant= and exactly one of asset= / article= (the other is None).
UseFinder = Callable[..., list[ContentUse]]
USE_FINDERS: list[UseFinder] = []


def content_use_register(finder: UseFinder) -> UseFinder:
    """Add `finder` to the places asked where content is used (idempotent)."""
    if finder not in USE_FINDERS:
        USE_FINDERS.append(finder)
    return finder


def content_uses(
    *, tenant: Tenant, asset: Asset | None = None, article: Article | None = None
) -> list[ContentUse]:
    """Every registered place that uses `asset` or `article`."""
    uses: list[ContentUse] = []
    for finder in USE_FINDERS:
        uses.extend(finder(tenant=tenant, asset=asset, article=article))
    return uses


def content_uses_warn(
    request: HttpRequest,
    *,
    tenant: Tenant,
    asset: Asset | None = None,
    article: Article | None = None,
) -> list[ContentUse]:
    """After content left the portal: a warning message naming the pipelines that use it."""
    uses = content_uses(tenant=tenant, asset=asset, article=article)
    if uses:
        title = asset.title if asset is not None else article.title if article else ""
        messages.warning(
            request,
            _(
                "Partners can no longer open “%(title)s”, but onboarding actions still send "
                "them to it, in these pipelines: %(uses)s. Choose other content for these "
                "actions in the pipeline builder."
            )
            % {"title": title, "uses": "; ".join(str(use) for use in uses)},
        )
    return uses
