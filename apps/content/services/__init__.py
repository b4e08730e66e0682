"""Writes of the content app: the Assets library (`assets`), the Help center (`articles`) and
open/read events (`opens`). The transition tables are in `transitions`.

The names other modules use are re-exported here; new code may import the exact module.
"""

from apps.content.services.articles import (
    SEARCH_CONFIG,
    article_publish,
    article_save,
    article_unpublish,
)
from apps.content.services.assets import (
    ASSET_UPLOAD_POLICY,
    MAX_TAGS,
    asset_archive,
    asset_create,
    asset_replace_file,
    asset_restore,
    asset_update,
    link_url_check,
    tags_normalise,
)
from apps.content.services.errors import ContentError, InvalidTransition
from apps.content.services.opens import content_open_record
from apps.content.services.transitions import (
    ARTICLE_TRANSITIONS,
    ASSET_TRANSITIONS,
    article_events,
    asset_events,
)

__all__ = [
    "ARTICLE_TRANSITIONS",
    "ASSET_TRANSITIONS",
    "ASSET_UPLOAD_POLICY",
    "MAX_TAGS",
    "SEARCH_CONFIG",
    "ContentError",
    "InvalidTransition",
    "article_events",
    "article_publish",
    "article_save",
    "article_unpublish",
    "asset_archive",
    "asset_create",
    "asset_events",
    "asset_replace_file",
    "asset_restore",
    "asset_update",
    "content_open_record",
    "link_url_check",
    "tags_normalise",
]
