"""The content app's audit verbs and partner event types, with their wording."""

from django.utils.translation import gettext_lazy as _

from apps.audit.vocabulary import audit_verb
from apps.partners.verbs import event_type

# Audit verbs -------------------------------------------------------------------------------

ASSET_CREATED = audit_verb("asset.created", _("Added the asset <strong>{target}</strong>"))
ASSET_UPDATED = audit_verb("asset.updated", _("Edited the asset <strong>{target}</strong>"))
ASSET_FILE_REPLACED = audit_verb(
    "asset.file_replaced", _("Uploaded version {to} of <strong>{target}</strong>")
)
ASSET_ARCHIVED = audit_verb("asset.archived", _("Archived the asset <strong>{target}</strong>"))
ASSET_RESTORED = audit_verb("asset.restored", _("Restored the asset <strong>{target}</strong>"))
ARTICLE_CREATED = audit_verb("article.created", _("Wrote the article <strong>{target}</strong>"))
ARTICLE_UPDATED = audit_verb("article.updated", _("Edited the article <strong>{target}</strong>"))
ARTICLE_PUBLISHED = audit_verb(
    "article.published", _("Published the article <strong>{target}</strong>")
)
ARTICLE_UNPUBLISHED = audit_verb(
    "article.unpublished", _("Unpublished the article <strong>{target}</strong>")
)

# Partner events (a partner user opened something in the library) ------------------------

ASSET_DOWNLOADED_EVENT = event_type("asset.downloaded", _("Downloaded an asset"))
ASSET_VIEWED_EVENT = event_type("asset.viewed", _("Opened an asset"))
ARTICLE_READ_EVENT = event_type("article.read", _("Read a help article"))
