"""/api/v1/alerts: the alerts the milestone sweep raised for the partners' channel managers,
and acknowledging one as the API key, through the inbox's service
(apps/milestones/services/alerts.py). The key sees every alert of its program."""

from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Field, Path, Query, Router, Schema

from apps.api.auth import scoped
from apps.api.errors import CONFLICT, NOT_FOUND, ApiError, ErrorOut
from apps.api.pagination import PageParams, keyset_page, page_of
from apps.api.schemas.alerts import AlertOut, AlertStatusValue
from apps.api.schemas.common import ID_MAX
from apps.api.selectors_alerts import api_alert_get, api_alerts
from apps.milestones.models import Alert
from apps.milestones.services import AlertError, alert_acknowledge

router = Router(tags=["Alerts"])

READ = "onboarding:read"
WRITE = "onboarding:write"

AlertId = Annotated[int, Path(ge=1, le=ID_MAX, description="The alert's id.")]
AlertPage = page_of(AlertOut, name="AlertPage")
_ORDER = ("-due_at", "-id")


class AlertFilters(Schema):
    # Not nullable: a query string cannot say null; an absent parameter is "no filter".
    partner_id: int = Field(  # type: ignore[assignment]
        None, ge=1, le=ID_MAX, description="Only the alerts of this partner account."
    )
    status: AlertStatusValue = Field(  # type: ignore[assignment]
        None,
        description=(
            "Only alerts in this status: `open`, `acknowledged` or `resolved` (a snoozed "
            "alert keeps its status; see `snoozed_until`)."
        ),
    )
    milestone: str = Field(  # type: ignore[assignment]
        None,
        max_length=60,
        pattern=r"^[-a-zA-Z0-9_]+$",
        description="Only the alerts of this milestone, by key (e.g. `first-deal`).",
    )


def _alert(alert: Alert) -> dict[str, Any]:
    milestone = alert.rule.milestone
    return {
        "id": alert.pk,
        "partner_id": alert.account_id,
        "status": alert.status,
        "kind": alert.rule.kind,
        "label": alert.rule.label,
        "milestone": {"id": milestone.pk, "key": milestone.key, "name": milestone.name},
        "due_at": alert.due_at,
        "raised_at": alert.raised_at,
        "snoozed_until": alert.snoozed_until,
        "acknowledged_at": alert.acknowledged_at,
        "resolved_at": alert.resolved_at,
    }


@router.get(
    "",
    auth=scoped(READ),
    response={200: AlertPage, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    operation_id="alerts_list",
    summary="List alerts",
    description=(
        "The program's milestone alerts, latest due first, filtered by `partner_id`, "
        "`status` and `milestone` (key), one page at a time (`cursor`, `limit`). Scope "
        "`onboarding:read`."
    ),
)
def alerts_list(
    request: HttpRequest, page: Query[PageParams], filters: Query[AlertFilters]
) -> dict[str, Any]:
    rows = api_alerts(
        tenant=request.tenant,  # type: ignore[attr-defined]
        partner_id=filters.partner_id,
        status=filters.status,
        milestone=filters.milestone,
    )
    return keyset_page(
        rows,
        cursor=page.cursor,
        limit=page.limit,
        order=_ORDER,
        transform=lambda items: [_alert(item) for item in items],
    )


@router.post(
    "/{alert_id}/acknowledge",
    auth=scoped(WRITE),
    response={
        200: AlertOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
    },
    operation_id="alert_acknowledge",
    summary="Acknowledge an alert",
    description=(
        "Acknowledges an open alert, as a channel manager does in the inbox: `open` → "
        "`acknowledged`, audited with the API key as the actor. 409 `conflict` when the alert "
        "is not open. Scope `onboarding:write`."
    ),
)
def alert_acknowledge_endpoint(request: HttpRequest, alert_id: AlertId) -> dict[str, Any]:
    tenant = request.tenant  # type: ignore[attr-defined]
    if api_alert_get(tenant=tenant, alert_id=alert_id) is None:
        raise ApiError(404, NOT_FOUND, _("No alert with that id."))
    try:
        alert_acknowledge(tenant=tenant, actor=request.api_key, alert_id=alert_id)  # type: ignore[attr-defined]
    except AlertError as exc:
        raise ApiError(409, CONFLICT, str(exc)) from exc
    alert = api_alert_get(tenant=tenant, alert_id=alert_id)
    if alert is None:  # its partner's track was switched meanwhile
        raise ApiError(404, NOT_FOUND, _("No alert with that id."))
    return _alert(alert)
