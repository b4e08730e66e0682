"""Writes of the applications app: intake (form, confirmation), decisions, invitations,
the program's settings, and the emails to applicants."""

from apps.applications.services.decisions import (  # noqa: F401
    Decision,
    application_decide,
    decision_rule,
)
from apps.applications.services.emails import (  # noqa: F401
    application_confirmation_issue,
    application_email_deliver,
    invitation_email_deliver,
)
from apps.applications.services.errors import (  # noqa: F401
    ApplicationError,
    InvalidTransition,
)
from apps.applications.services.intake import (  # noqa: F401
    Applicant,
    Confirmation,
    Submission,
    application_confirm,
    application_confirmation_resend,
    application_submit,
)
from apps.applications.services.invitations import (  # noqa: F401
    InvitationBatch,
    invitation_resend,
    invitation_revoke,
    invitations_send,
)
from apps.applications.services.program import (  # noqa: F401
    cam_for_new_partner,
    program_settings_install,
    program_settings_update,
)
from apps.applications.services.reviews import (  # noqa: F401
    BULK_MAX,
    BulkResult,
    application_add_to_account,
    application_approve,
    application_reject,
    application_team_add,
    application_team_decline,
    applications_bulk_decide,
)
from apps.applications.services.transitions import (  # noqa: F401
    INVITATION_TRANSITIONS,
    TRANSITIONS,
    application_events,
    invitation_events,
)
