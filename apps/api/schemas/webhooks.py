"""Webhook endpoints and their deliveries: what /api/v1/webhooks accepts and returns."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any, Literal
from uuid import UUID

from ninja import Schema
from pydantic import AfterValidator, ConfigDict, Field, StrictBool, StrictStr

from apps.webhooks.events import PATTERNS

# Every event type, group pattern (`application.*`) and `*`, as the schema's enum.
EventPattern = Literal[tuple(sorted(PATTERNS))]  # type: ignore[valid-type]
DeliveryStatusValue = Literal["pending", "delivered", "failed", "given_up"]

URL_PATTERN = r"^[hH][tT][tT][pP][sS]?://[^\x20/?#@\x00-\x1f\x7f]+([/?#][^\x20\x00-\x1f\x7f]*)?$"
# One line of text, no control characters.
DESCRIPTION_PATTERN = r"^[^\x00-\x1f\x7f\u2028\u2029]*$"

_EVENT_TYPES_DESCRIPTION = (
    "What the endpoint receives: event types (`milestone.achieved`), groups (`application.*`, "
    "which includes types added to the group later) or `*` (everything). Types covered by a "
    "chosen group are dropped; the list is stored sorted."
)


def _strip(value: str) -> str:
    return value.strip()


class WebhookIn(Schema):
    """A new endpoint."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "url": "https://crm.example.com/onramp/webhooks",
                    "description": "CRM sync",
                    "event_types": ["partner.*", "milestone.achieved"],
                }
            ]
        },
    )

    url: Annotated[StrictStr, AfterValidator(_strip)] = Field(
        min_length=10,
        max_length=500,
        pattern=URL_PATTERN,
        description=(
            "Where each event is POSTed. `https://` (plain `http://` only where the platform "
            "allows it), on a public host: a URL the platform refuses (a private, loopback "
            "or link-local address, a host that does not resolve) is answered 409 "
            "`url_refused`, with the reason under `fields.url`."
        ),
    )
    description: Annotated[StrictStr, AfterValidator(_strip)] = Field(
        "",
        max_length=200,
        pattern=DESCRIPTION_PATTERN,
        description="Optional: which system receives it, who looks after it.",
    )
    event_types: list[EventPattern] = Field(
        min_length=1, max_length=40, description=_EVENT_TYPES_DESCRIPTION
    )


class WebhookPatch(Schema):
    """Changes to an endpoint: only the fields sent change."""

    model_config = ConfigDict(extra="forbid")

    url: Annotated[StrictStr, AfterValidator(_strip)] = Field(
        None,  # type: ignore[assignment]
        min_length=10,
        max_length=500,
        pattern=URL_PATTERN,
        description="A new URL (checked like a new endpoint's: 409 `url_refused`).",
    )
    description: Annotated[StrictStr, AfterValidator(_strip)] = Field(
        None,  # type: ignore[assignment]
        max_length=200,
        pattern=DESCRIPTION_PATTERN,
        description="A new description (empty to clear it).",
    )
    event_types: list[EventPattern] = Field(  # type: ignore[assignment]
        None, min_length=1, max_length=40, description=_EVENT_TYPES_DESCRIPTION
    )
    is_active: StrictBool = Field(
        None,  # type: ignore[assignment]
        description=(
            "`false` disables the endpoint (nothing is sent to it; what is queued is given "
            "up); `true` enables it again (replay what it missed from its deliveries)."
        ),
    )


class WebhookOut(Schema):
    id: int = Field(description="The endpoint's id.")
    url: str = Field(description="Where events are POSTed.")
    description: str = Field(description="What it is for.")
    event_types: list[str] = Field(description="The event types and groups it receives.")
    is_active: bool = Field(description="Whether events are sent to it.")
    disabled_at: datetime | None = Field(description="When it was disabled (UTC), if it is.")
    disabled_reason: Literal["", "manual", "failing"] = Field(
        description=(
            "Why it is disabled: `manual` (by an admin or a key), `failing` (after a day of "
            "failed deliveries); empty when active."
        )
    )
    failing_since: datetime | None = Field(
        description="The first failed attempt since the last success (UTC), while failing."
    )
    created_at: datetime = Field(description="When it was added (UTC).")


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(
        description=(
            "The signing secret (`whsec_…`), shown this once: verify each delivery's "
            "`Onramp-Signature` with it."
        )
    )


class WebhookSecretOut(Schema):
    id: int = Field(description="The endpoint's id.")
    secret: str = Field(
        description="The new signing secret, shown this once; the old one stops at once."
    )


class DeliveryOut(Schema):
    id: int = Field(description="The delivery's id.")
    webhook_id: int = Field(description="The endpoint's id.")
    event_id: UUID = Field(
        description="The event's id (`Onramp-Event-Id`): the same for every attempt."
    )
    event_type: str = Field(description="The event type.")
    partner_id: int | None = Field(description="The partner account concerned, if any.")
    status: DeliveryStatusValue = Field(
        description=(
            "`pending` (not attempted yet), `delivered` (a 2xx answer), `failed` (retrying "
            "with backoff), `given_up` (after 24 hours of failures, or the endpoint disabled)."
        )
    )
    attempts: int = Field(description="Attempts made so far.")
    last_response_code: int | None = Field(
        description="The HTTP status of the last answer (null: no answer)."
    )
    last_latency_ms: int | None = Field(description="How long the last attempt took (ms).")
    last_error: str = Field(description="Why the last attempt failed (empty if it did not).")
    created_at: datetime = Field(description="When the event was queued (UTC).")
    last_attempt_at: datetime | None = Field(description="When it was last attempted (UTC).")
    next_attempt_at: datetime | None = Field(description="When it is attempted next (UTC).")
    delivered_at: datetime | None = Field(description="When a 2xx answer came (UTC).")
    payload: dict[str, Any] = Field(description="The JSON body sent (the same every attempt).")


class DeliveryFilters(Schema):
    # Not nullable: a query string cannot say null; an absent parameter is "no filter".
    status: DeliveryStatusValue = Field(  # type: ignore[assignment]
        None, description="Only the deliveries in this status."
    )
