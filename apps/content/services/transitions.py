"""The transition tables of Asset.status and Article.status, and what they allow.

One shape, as in the applications app: `{event: (allowed source statuses, target status)}`.
Services read targets from these tables; the console's buttons are computed from them.
"""

from __future__ import annotations

from apps.content import verbs
from apps.content.models import Article, ArticleStatus, Asset, AssetStatus
from apps.content.services.errors import InvalidTransition

Table = dict[str, tuple[frozenset[str], str]]

# The only allowed changes of Asset.status: event -> (from statuses, to status).
ASSET_TRANSITIONS: Table = {
    "archive": (frozenset({AssetStatus.ACTIVE}), AssetStatus.ARCHIVED),
    "restore": (frozenset({AssetStatus.ARCHIVED}), AssetStatus.ACTIVE),
}
# The audit verb each Asset.status event records.
ASSET_EVENT_VERBS: dict[str, str] = {
    "archive": verbs.ASSET_ARCHIVED,
    "restore": verbs.ASSET_RESTORED,
}
# The only allowed changes of Article.status: event -> (from statuses, to status).
ARTICLE_TRANSITIONS: Table = {
    "publish": (frozenset({ArticleStatus.DRAFT}), ArticleStatus.PUBLISHED),
    "unpublish": (frozenset({ArticleStatus.PUBLISHED}), ArticleStatus.DRAFT),
}
# The audit verb each Article.status event records.
ARTICLE_EVENT_VERBS: dict[str, str] = {
    "publish": verbs.ARTICLE_PUBLISHED,
    "unpublish": verbs.ARTICLE_UNPUBLISHED,
}


def events_allowed(table: Table, status: str) -> frozenset[str]:
    """The events of `table` that a row in `status` allows."""
    return frozenset(event for event, (sources, _target) in table.items() if status in sources)


def transition_target(table: Table, *, event: str, status: str, refusal: str) -> str:
    """The status `event` leads to from `status`; InvalidTransition(refusal) if not allowed."""
    sources, target = table[event]
    if status not in sources:
        raise InvalidTransition(refusal)
    return target


def asset_events(asset: Asset) -> frozenset[str]:
    """What the console may do with the asset's status now ("archive", "restore")."""
    return events_allowed(ASSET_TRANSITIONS, asset.status)


def article_events(article: Article | None) -> frozenset[str]:
    """What the console may do with the article's status now; a new article is a draft."""
    status = article.status if article is not None else ArticleStatus.DRAFT
    return events_allowed(ARTICLE_TRANSITIONS, status)
