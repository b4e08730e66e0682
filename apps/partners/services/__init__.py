"""Writes of the partners app, one module per noun; every public name is re-exported here.

- accounts.py: accounts, domains, users, default partner types
- events.py: the partner event log, and the set-based writes for the milestones sweep
- status.py: suspend and reactivate
- editing.py: add and edit an account by hand
- bulk.py: bulk changes from the Explorer's selection
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
]
