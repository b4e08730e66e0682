"""/api/v1/webhooks: the program's webhook endpoints and their deliveries, managed with a key
holding `webhooks:manage`, through the same services as the console
(apps/webhooks/services.py), audited as the key."""

from __future__ import annotations

from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Path, Query, Router
from ninja.responses import Status

from apps.api.auth import scoped
from apps.api.errors import CONFLICT, NOT_FOUND, ApiError, ErrorOut
from apps.api.pagination import PageParams, keyset_page, page_of
from apps.api.schemas.common import ID_MAX
from apps.api.schemas.webhooks import (
    DeliveryFilters,
    DeliveryOut,
    WebhookCreatedOut,
    WebhookIn,
    WebhookOut,
    WebhookPatch,
    WebhookSecretOut,
)
from apps.webhooks.models import WebhookDelivery, WebhookEndpoint
from apps.webhooks.selectors import (
    webhook_deliveries_for,
    webhook_delivery_get,
    webhook_endpoint_get,
    webhook_endpoints_for,
)
from apps.webhooks.services import (
    WebhookError,
    WebhookInvalid,
    WebhookNotFound,
    webhook_delivery_replay,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_disable,
    webhook_endpoint_enable,
    webhook_endpoint_secret_roll,
    webhook_endpoint_send_test,
    webhook_endpoint_update,
)

router = Router(tags=["Webhooks"])

SCOPE = "webhooks:manage"
URL_REFUSED = "url_refused"

WebhookId = Annotated[int, Path(ge=1, le=ID_MAX, description="The endpoint's id.")]
DeliveryId = Annotated[int, Path(ge=1, le=ID_MAX, description="The delivery's id.")]
WebhookPage = page_of(WebhookOut, name="WebhookPage")
DeliveryPage = page_of(DeliveryOut, name="WebhookDeliveryPage")

_ONE = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
_WRITE = {400: ErrorOut, **_ONE, 409: ErrorOut}


def _webhook(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.pk,
        "url": endpoint.url,
        "description": endpoint.description,
        "event_types": list(endpoint.event_types),
        "is_active": endpoint.is_active,
        "disabled_at": endpoint.disabled_at,
        "disabled_reason": endpoint.disabled_reason,
        "failing_since": endpoint.failing_since,
        "created_at": endpoint.created_at,
    }


def _delivery(delivery: WebhookDelivery) -> dict[str, Any]:
    return {
        "id": delivery.pk,
        "webhook_id": delivery.endpoint_id,
        "event_id": delivery.event_id,
        "event_type": delivery.event_type,
        "partner_id": delivery.partner_id,
        "status": delivery.status,
        "attempts": delivery.attempts,
        "last_response_code": delivery.last_response_code,
        "last_latency_ms": delivery.last_latency_ms,
        "last_error": delivery.last_error,
        "created_at": delivery.created_at,
        "last_attempt_at": delivery.last_attempt_at,
        "next_attempt_at": delivery.next_attempt_at,
        "delivered_at": delivery.delivered_at,
        "payload": delivery.payload,
    }


def _endpoint_or_404(request: HttpRequest, webhook_id: int) -> WebhookEndpoint:
    endpoint = webhook_endpoint_get(tenant=request.tenant, endpoint_id=webhook_id)  # type: ignore[attr-defined]
    if endpoint is None:
        raise ApiError(404, NOT_FOUND, _("No webhook endpoint with that id."))
    return endpoint


def _refusal(exc: WebhookError) -> ApiError:
    """A service's refusal as the API answers it: 404 for an id, 409 for the rest (a URL
    the platform refuses has its own code and names the field)."""
    if isinstance(exc, WebhookNotFound):
        return ApiError(404, NOT_FOUND, str(exc))
    if isinstance(exc, WebhookInvalid):
        code = URL_REFUSED if exc.field == "url" else CONFLICT
        return ApiError(409, code, str(exc), fields={exc.field: [str(exc)]})
    return ApiError(409, CONFLICT, str(exc))


@router.get(
    "",
    auth=scoped(SCOPE),
    response={200: WebhookPage, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    operation_id="webhooks_list",
    summary="List webhook endpoints",
    description="The program's webhook endpoints, oldest first (their secrets are never shown).",
)
def webhooks_list(request: HttpRequest, page: Query[PageParams]) -> dict[str, Any]:
    return keyset_page(
        webhook_endpoints_for(tenant=request.tenant),  # type: ignore[attr-defined]
        cursor=page.cursor,
        limit=page.limit,
        order=("id",),
        transform=lambda rows: [_webhook(row) for row in rows],
    )


@router.post(
    "",
    auth=scoped(SCOPE),
    response={201: WebhookCreatedOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 409: ErrorOut},
    operation_id="webhook_create",
    summary="Add a webhook endpoint",
    description=(
        "A new active endpoint. The answer carries its signing `secret`, shown this once. "
        "A URL the platform refuses (https required; private, loopback and link-local "
        "addresses refused, the host must resolve) is 409 `url_refused`; a program has at "
        "most 20 endpoints (409 `conflict`)."
    ),
)
def webhook_create(request: HttpRequest, payload: WebhookIn) -> Status:
    try:
        created = webhook_endpoint_create(
            tenant=request.tenant,  # type: ignore[attr-defined]
            actor=request.api_key,  # type: ignore[attr-defined]
            url=payload.url,
            description=payload.description,
            event_types=list(payload.event_types),
        )
    except WebhookError as exc:
        raise _refusal(exc) from exc
    return Status(201, {**_webhook(created.endpoint), "secret": created.secret})


@router.get(
    "/{webhook_id}",
    auth=scoped(SCOPE),
    response={200: WebhookOut, 400: ErrorOut, **_ONE},
    operation_id="webhook_get",
    summary="Get a webhook endpoint",
    description="One endpoint (404 for an id of another program).",
)
def webhook_get(request: HttpRequest, webhook_id: WebhookId) -> dict[str, Any]:
    return _webhook(_endpoint_or_404(request, webhook_id))


@router.patch(
    "/{webhook_id}",
    auth=scoped(SCOPE),
    response={200: WebhookOut, **_WRITE},
    operation_id="webhook_update",
    summary="Change a webhook endpoint",
    description=(
        "Change its URL, description or event types, or disable (`is_active: false`) or "
        "enable it. Only the fields sent change; audited with before and after."
    ),
)
def webhook_update(
    request: HttpRequest, webhook_id: WebhookId, payload: WebhookPatch
) -> dict[str, Any]:
    endpoint = _endpoint_or_404(request, webhook_id)
    tenant, actor = request.tenant, request.api_key  # type: ignore[attr-defined]
    try:
        if (
            payload.url is not None
            or payload.event_types is not None
            or (payload.description is not None)
        ):
            endpoint = webhook_endpoint_update(
                tenant=tenant,
                actor=actor,
                endpoint_id=endpoint.pk,
                url=payload.url,
                description=payload.description,
                event_types=list(payload.event_types) if payload.event_types else None,
            )
        if payload.is_active is not None and payload.is_active != endpoint.is_active:
            toggle = webhook_endpoint_enable if payload.is_active else webhook_endpoint_disable
            endpoint = toggle(tenant=tenant, actor=actor, endpoint_id=endpoint.pk)
    except WebhookError as exc:
        raise _refusal(exc) from exc
    return _webhook(endpoint)


@router.delete(
    "/{webhook_id}",
    auth=scoped(SCOPE),
    response={204: None, 400: ErrorOut, **_ONE},
    operation_id="webhook_delete",
    summary="Delete a webhook endpoint",
    description="Nothing more is sent to it; it and its deliveries are gone from the API.",
)
def webhook_delete(request: HttpRequest, webhook_id: WebhookId) -> Status:
    endpoint = _endpoint_or_404(request, webhook_id)
    try:
        webhook_endpoint_delete(
            tenant=request.tenant,  # type: ignore[attr-defined]
            actor=request.api_key,  # type: ignore[attr-defined]
            endpoint_id=endpoint.pk,
        )
    except WebhookError as exc:
        raise _refusal(exc) from exc
    return Status(204, None)


@router.post(
    "/{webhook_id}/roll-secret",
    auth=scoped(SCOPE),
    response={200: WebhookSecretOut, 400: ErrorOut, **_ONE},
    operation_id="webhook_secret_roll",
    summary="Roll a webhook endpoint's secret",
    description=(
        "A new signing secret, shown this once; deliveries are signed with it from now on "
        "and the old one stops verifying at once."
    ),
)
def webhook_secret_roll(request: HttpRequest, webhook_id: WebhookId) -> dict[str, Any]:
    endpoint = _endpoint_or_404(request, webhook_id)
    try:
        rolled = webhook_endpoint_secret_roll(
            tenant=request.tenant,  # type: ignore[attr-defined]
            actor=request.api_key,  # type: ignore[attr-defined]
            endpoint_id=endpoint.pk,
        )
    except WebhookError as exc:
        raise _refusal(exc) from exc
    return {"id": endpoint.pk, "secret": rolled.secret}


@router.post(
    "/{webhook_id}/test",
    auth=scoped(SCOPE),
    response={202: DeliveryOut, 400: ErrorOut, **_ONE, 409: ErrorOut},
    operation_id="webhook_test",
    summary="Send a test event",
    description=(
        "Queue a `webhook.test` event to the endpoint, whatever it subscribes to; follow it "
        "in its deliveries. 409 when the endpoint is disabled."
    ),
)
def webhook_test(request: HttpRequest, webhook_id: WebhookId) -> Status:
    endpoint = _endpoint_or_404(request, webhook_id)
    try:
        delivery = webhook_endpoint_send_test(
            tenant=request.tenant,  # type: ignore[attr-defined]
            actor=request.api_key,  # type: ignore[attr-defined]
            endpoint_id=endpoint.pk,
        )
    except WebhookError as exc:
        raise _refusal(exc) from exc
    return Status(202, _delivery(delivery))


@router.get(
    "/{webhook_id}/deliveries",
    auth=scoped(SCOPE),
    response={200: DeliveryPage, 400: ErrorOut, **_ONE},
    operation_id="webhook_deliveries_list",
    summary="List an endpoint's deliveries",
    description=(
        "The endpoint's delivery log, newest first: status, attempts, last response code "
        "and latency, and the payload sent. Filter by `status`."
    ),
)
def webhook_deliveries_list(
    request: HttpRequest,
    webhook_id: WebhookId,
    page: Query[PageParams],
    filters: Query[DeliveryFilters],
) -> dict[str, Any]:
    endpoint = _endpoint_or_404(request, webhook_id)
    rows = webhook_deliveries_for(tenant=request.tenant, endpoint=endpoint)  # type: ignore[attr-defined]
    if filters.status is not None:
        rows = rows.filter(status=filters.status)
    return keyset_page(
        rows.order_by(),
        cursor=page.cursor,
        limit=page.limit,
        order=("-created_at", "-id"),
        transform=lambda items: [_delivery(item) for item in items],
    )


@router.post(
    "/{webhook_id}/deliveries/{delivery_id}/replay",
    auth=scoped(SCOPE),
    response={202: DeliveryOut, 400: ErrorOut, **_ONE, 409: ErrorOut},
    operation_id="webhook_delivery_replay",
    summary="Replay a delivery",
    description=(
        "Send the event again now, with the same event id (receivers de-duplicate on it) and "
        "a fresh 24 hours of retries, whatever its status. 409 when the endpoint is disabled."
    ),
)
def webhook_delivery_replay_view(
    request: HttpRequest, webhook_id: WebhookId, delivery_id: DeliveryId
) -> Status:
    endpoint = _endpoint_or_404(request, webhook_id)
    tenant = request.tenant  # type: ignore[attr-defined]
    if (
        webhook_delivery_get(tenant=tenant, delivery_id=delivery_id, endpoint_id=endpoint.pk)
        is None
    ):
        raise ApiError(404, NOT_FOUND, _("No delivery with that id for this endpoint."))
    try:
        delivery = webhook_delivery_replay(
            tenant=tenant,
            actor=request.api_key,  # type: ignore[attr-defined]
            delivery_id=delivery_id,
            endpoint_id=endpoint.pk,
        )
    except WebhookError as exc:
        raise _refusal(exc) from exc
    return Status(202, _delivery(delivery))
