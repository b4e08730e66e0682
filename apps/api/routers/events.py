"""/api/v1/events: send a partner event (an LMS certification, a CRM deal), list events."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Header, Query, Router
from ninja.responses import Status

from apps.api.auth import scoped
from apps.api.errors import INVALID, NOT_FOUND, ApiError, ErrorOut
from apps.api.pagination import PageParams, keyset_page, page_of
from apps.api.schemas.events import (
    IDEMPOTENCY_KEY_PATTERN,
    MAX_IDEMPOTENCY_KEY,
    EventCreatedOut,
    EventFilters,
    EventIn,
    EventOut,
)
from apps.api.selectors import event_partner_find, event_user_find, events_for
from apps.milestones.models import Milestone
from apps.milestones.services import milestone_event_record
from apps.partners.models import PartnerEvent, PartnerStatus

router = Router(tags=["Events"])

EventPage = page_of(EventOut)
PARTNER_SUSPENDED = "partner_suspended"
IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"


def _event(event: PartnerEvent, **extra: Any) -> dict[str, Any]:
    return {
        "id": event.pk,
        "partner_id": event.account_id,
        "type": event.type,
        "occurred_at": event.occurred_at,
        "recorded_at": event.created_at,
        "reference": event.reference,
        "data": event.data,
        "source": event.source,
        "user": event.recorded_by.email if event.recorded_by_id else None,
        **extra,
    }


@router.post(
    "",
    auth=scoped("events:write"),
    operation_id="event_create",
    summary="Record an event for a partner",
    description=(
        "Append an event to the partner's log and apply it at once: the milestones it "
        "completes and the alerts it resolves come back in the response.\n\n"
        "Send an `Idempotency-Key` header with every request: retrying a request with the "
        "same key records one event and answers 200 with the event first recorded; the same "
        "key for a different event is refused with 422 `idempotency_key_reused`. Identify the "
        "partner by `partner_id` or by one of its email domains (`partner_domain`). Name the "
        "partner's user the event is for with `user` (their email): a certification passed "
        "or a module completed then counts for that user and for the account. A suspended "
        "partner's events are refused (409 `partner_suspended`)."
    ),
    response={
        201: EventCreatedOut,
        200: EventCreatedOut,
        400: ErrorOut,
        401: ErrorOut,
        403: ErrorOut,
        404: ErrorOut,
        409: ErrorOut,
        422: ErrorOut,
    },
)
def event_create(
    request: HttpRequest,
    payload: EventIn,
    idempotency_key: str = Header(  # type: ignore[assignment]
        None,
        alias="Idempotency-Key",
        min_length=1,
        max_length=MAX_IDEMPOTENCY_KEY,
        pattern=IDEMPOTENCY_KEY_PATTERN,
        description=(
            f"A unique string per event (printable ASCII, at most {MAX_IDEMPOTENCY_KEY} "
            "characters): a retry with the same key records nothing new."
        ),
    ),
) -> Status:
    tenant = request.tenant  # type: ignore[attr-defined]
    account = event_partner_find(
        tenant=tenant, partner_id=payload.partner_id, domain=payload.partner_domain
    )
    if account is None:
        raise ApiError(404, NOT_FOUND, _("No partner of this program has that id or domain."))
    if account.status == PartnerStatus.SUSPENDED:
        raise ApiError(
            409,
            PARTNER_SUSPENDED,
            _("This partner is suspended: its events complete nothing until it is reactivated."),
        )
    user = None
    if payload.user is not None:
        user = event_user_find(tenant=tenant, account=account, email=payload.user)
        if user is None:
            raise ApiError(
                400,
                INVALID,
                _("The request is not valid."),
                fields={"user": [_("Not an active user of this partner account.")]},
            )
    result = milestone_event_record(
        tenant=tenant,
        account_id=account.pk,
        type=payload.type,
        source="api",
        # The user the event is for: it counts for them and for the account.
        actor=user,
        occurred_at=payload.occurred_at,
        reference=payload.reference,
        data=payload.data,
        idempotency_key=f"api:{idempotency_key}" if idempotency_key else "",
    )
    event = result.event
    if not result.created and (
        event.account_id != account.pk
        or event.type != payload.type
        or event.reference != payload.reference[:200]
        or event.recorded_by_id != (user.pk if user else None)
    ):
        raise ApiError(
            422,
            IDEMPOTENCY_KEY_REUSED,
            _("This Idempotency-Key was already used for a different event."),
        )
    completed = (
        list(
            Milestone.objects.filter(
                tenant=tenant, pk__in=result.completed_milestone_ids
            ).values_list("key", flat=True)
        )
        if result.completed_milestone_ids
        else []
    )
    body = _event(
        event, milestones_completed=completed, alerts_resolved=len(result.resolved_alert_ids)
    )
    return Status(201 if result.created else 200, body)


@router.get(
    "",
    auth=scoped("partners:read"),
    operation_id="events_list",
    summary="List partner events",
    description=(
        "The program's partner events, newest first: those sent through the API and those "
        "Onramp records itself (onboarding, content, console). Filter by partner, type and "
        "time; page with `cursor`."
    ),
    response={200: EventPage, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
)
def events_list(
    request: HttpRequest, page: Query[PageParams], filters: Query[EventFilters]
) -> dict[str, Any]:
    events = events_for(
        tenant=request.tenant,  # type: ignore[attr-defined]
        partner_id=filters.partner_id,
        type=filters.type,
        since=filters.since,
    )
    return keyset_page(
        events,
        cursor=page.cursor,
        limit=page.limit,
        order=("-id",),
        transform=lambda rows: [_event(row) for row in rows],
    )
