"""Writes of the partners app, one module per noun; every public name is re-exported here.

- accounts.py: accounts, domains, users, default partner types
- events.py: the partner event log, and the set-based writes for the milestones sweep
- status.py: suspend and reactivate
- editing.py: add and edit an account by hand
- bulk.py: bulk changes from the Explorer's selection
- catalog.py: the program's partner types (settings); catalog_tiers.py: its tiers
- importing.py: CSV import (stash, apply); importing_plan.py / importing_rows.py: the dry run
"""

from apps.partners.services.accounts import (
    normalise_domain,
    partner_account_create,
    partner_domain_add,
    partner_types_install_defaults,
    partner_user_add,
)
from apps.partners.services.bulk import (
    BULK_UPDATE_MAX,
    partner_accounts_bulk_update,
)
from apps.partners.services.catalog import (
    CatalogNameTaken,
    partner_type_archive,
    partner_type_create,
    partner_type_delete,
    partner_type_move,
    partner_type_rename,
    partner_type_restore,
    partner_type_usage,
)
from apps.partners.services.catalog_tiers import (
    partner_tier_archive,
    partner_tier_create,
    partner_tier_move,
    partner_tier_rename,
    partner_tier_require,
    partner_tier_restore,
    partner_tiers_install_defaults,
)
from apps.partners.services.editing import (
    PartnerDomainError,
    PartnerEditConflict,
    partner_account_add,
    partner_account_update,
    partner_account_version,
)
from apps.partners.services.errors import (
    PartnerError,
)
from apps.partners.services.events import (
    PARTNER_EVENT_ROW_COLUMNS,
    SqlQuery,
    partner_accounts_activate_many,
    partner_accounts_mark_dark_many,
    partner_event_record,
    partner_events_record_many,
)
from apps.partners.services.status import (
    PARTNER_STATUS_TRANSITIONS,
    PARTNER_STATUS_VERBS,
    REASON_MAX_LENGTH,
    StatusTable,
    partner_account_require_active,
    partner_reactivate,
    partner_status_events,
    partner_suspend,
)
from apps.partners.verbs import EVENT_SOURCES

__all__ = [
    "PartnerError",
    "partner_types_install_defaults",
    "normalise_domain",
    "partner_account_create",
    "partner_domain_add",
    "partner_user_add",
    "partner_event_record",
    "SqlQuery",
    "PARTNER_EVENT_ROW_COLUMNS",
    "partner_events_record_many",
    "partner_accounts_activate_many",
    "partner_accounts_mark_dark_many",
    "StatusTable",
    "PARTNER_STATUS_TRANSITIONS",
    "PARTNER_STATUS_VERBS",
    "REASON_MAX_LENGTH",
    "partner_status_events",
    "partner_suspend",
    "partner_reactivate",
    "partner_account_require_active",
    "PartnerDomainError",
    "PartnerEditConflict",
    "partner_account_version",
    "partner_account_add",
    "partner_account_update",
    "BULK_UPDATE_MAX",
    "partner_accounts_bulk_update",
    "EVENT_SOURCES",
    "CatalogNameTaken",
    "partner_type_create",
    "partner_type_rename",
    "partner_type_archive",
    "partner_type_restore",
    "partner_type_delete",
    "partner_type_move",
    "partner_type_usage",
    "partner_tiers_install_defaults",
    "partner_tier_create",
    "partner_tier_rename",
    "partner_tier_archive",
    "partner_tier_restore",
    "partner_tier_move",
    "partner_tier_require",
]

# CSV import of partner accounts (issue 10, point 5).
from apps.partners.services.importing import (  # noqa: E402
    ImportResult,
    partner_import_apply,
    partner_import_discard,
    partner_import_stash,
    partner_import_unstash,
)
from apps.partners.services.importing_parse import (  # noqa: E402
    IMPORT_MAX_BYTES,
    IMPORT_MAX_ROWS,
    ImportFileError,
    partner_import_parse,
    partner_import_template_rows,
)
from apps.partners.services.importing_plan import (  # noqa: E402
    ImportPlan,
    PartnerImportRefused,
    PartnerImportStale,
    partner_import_plan,
)

__all__ += [
    "IMPORT_MAX_BYTES",
    "IMPORT_MAX_ROWS",
    "ImportFileError",
    "ImportPlan",
    "ImportResult",
    "PartnerImportRefused",
    "PartnerImportStale",
    "partner_import_parse",
    "partner_import_template_rows",
    "partner_import_plan",
    "partner_import_apply",
    "partner_import_stash",
    "partner_import_unstash",
    "partner_import_discard",
]

# Saved Partner Explorer views (issue 11, point 2).
from apps.partners.services.saved_views import (  # noqa: E402
    SavedViewNameTaken,
    saved_view_create,
    saved_view_delete,
    saved_view_rename,
)

__all__ += [
    "SavedViewNameTaken",
    "saved_view_create",
    "saved_view_rename",
    "saved_view_delete",
]
