"""/api/v1/partners/{partner_id}/milestones: a partner's milestone track, each milestone's
state and dates, and its alerts not resolved yet; read through the same selector as the
console's Milestones tab (apps/milestones/selectors/timeline.py)."""

from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Router

from apps.api.auth import scoped
from apps.api.errors import NOT_FOUND, ApiError, ErrorOut
from apps.api.schemas.common import ID_MAX
from apps.api.schemas.milestones import PartnerMilestonesOut
from apps.api.selectors_onboarding import api_partner_get
from apps.milestones.selectors.timeline import MilestoneRow, partner_milestone_timeline

router = Router(tags=["Milestones"])

READ = "onboarding:read"

PartnerId = Annotated[int, Path(ge=1, le=ID_MAX, description="The partner account's id.")]


def _milestone(row: MilestoneRow) -> dict[str, Any]:
    item, milestone = row.item, row.milestone
    return {
        "id": milestone.pk,
        "key": milestone.key,
        "name": milestone.name,
        "phase": milestone.phase,
        "state": row.state,
        "counts_for_activation": row.for_activation,
        "starts_at": item.starts_at,
        "due_at": item.due_at,
        "achieved_at": item.completed_at,
        "progress": item.progress,
        "alerts": [
            {
                "id": alert.pk,
                "status": alert.status,
                "kind": alert.rule.kind,
                "label": alert.rule.label,
                "due_at": alert.due_at,
                "snoozed_until": alert.snoozed_until,
            }
            for alert in row.alerts
        ],
    }


@router.get(
    "/{partner_id}/milestones",
    auth=scoped(READ),
    response={
        200: PartnerMilestonesOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
    },
    operation_id="partner_milestones_get",
    summary="Get a partner's milestone status",
    description=(
        "The partner's milestone track (activation window, activated or dark) and each "
        "milestone's state (`done`, `overdue`, `current`, `upcoming`), target window, due "
        "date, achieved date and alerts not resolved yet. `track` is null and `milestones` "
        "empty for a partner without milestone tracking. Scope `onboarding:read`."
    ),
)
def partner_milestones_get(request: HttpRequest, partner_id: PartnerId) -> dict[str, Any]:
    tenant = request.tenant  # type: ignore[attr-defined]
    account = api_partner_get(tenant=tenant, partner_id=partner_id)
    if account is None:
        raise ApiError(404, NOT_FOUND, _("No partner with that id."))
    timeline = partner_milestone_timeline(tenant=tenant, account=account)
    if timeline is None:
        return {"partner_id": account.pk, "track": None, "done": 0, "total": 0, "milestones": []}
    partner_track = timeline["partner_track"]
    return {
        "partner_id": account.pk,
        "track": {
            "id": partner_track.track.pk,
            "partner_type": partner_track.track.partner_type.name,
            "activation_window_days": partner_track.track.activation_window_days,
            "enrolled_at": partner_track.enrolled_at,
            "activation_due_at": partner_track.activation_due_at,
            "activated_at": partner_track.activated_at,
            "dark_at": partner_track.dark_at,
        },
        "done": timeline["done"],
        "total": timeline["total"],
        "milestones": [_milestone(row) for row in timeline["rows"]],
    }
