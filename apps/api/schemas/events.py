"""Partner events: the one definition of what POST /api/v1/events accepts and returns.

The OpenAPI document is generated from these classes, so the schema and the validation
cannot disagree (they did, when both were written by hand: `occurred_at: null` and an
empty `partner_domain`).
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Annotated, Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils import timezone
from ninja import Schema
from pydantic import (
    AfterValidator,
    ConfigDict,
    Field,
    StrictStr,
    model_validator,
)

from apps.api.errors import field_error
from apps.api.schemas import JsonInt, UtcDatetime, without_default

EVENT_TYPE_PATTERN = r"^[a-z][a-z0-9_]*(\.[a-z0-9_]+)+$"
RESERVED_PATTERN = r"^(onboarding|milestone)\."
RESERVED_PREFIXES = ("onboarding.", "milestone.")
# No "\s": its meaning differs between the schema's regex dialect and pydantic's (U+0085).
DOMAIN_PATTERN = r"^@?[^@\x00-\x20\x7f]+$"
MAX_DATA_BYTES = 16_384
MAX_USER_EMAIL = 254
MAX_IDEMPOTENCY_KEY = 96
# Printable ASCII, no space at either end.
IDEMPOTENCY_KEY_PATTERN = r"^[!-~]([ -~]*[!-~])?$"
FUTURE_TOLERANCE = timedelta(minutes=5)


def _not_in_future(value: datetime) -> datetime:
    if value > timezone.now() + FUTURE_TOLERANCE:
        raise ValueError("In the future.")
    return value


def _not_reserved(value: str) -> str:
    if value.startswith(RESERVED_PREFIXES):
        raise ValueError("onboarding.* and milestone.* are reserved.")
    return value


def _small_json(value: dict[str, Any]) -> dict[str, Any]:
    if len(json.dumps(value)) > MAX_DATA_BYTES:
        raise ValueError(f"At most {MAX_DATA_BYTES} bytes of JSON.")
    return value


def _email(value: str) -> str:
    value = value.strip().lower()
    try:
        validate_email(value)
    except DjangoValidationError as exc:
        raise ValueError("An email address, like dana@contoso.com.") from exc
    return value


def _domain(value: str) -> str:
    return value.strip().lower().lstrip("@").rstrip(".")


OccurredAt = Annotated[UtcDatetime, AfterValidator(_not_in_future)]


class EventIn(Schema):
    """An event for one partner, named by `partner_id` or by one of its email domains."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "oneOf": [{"required": ["partner_id"]}, {"required": ["partner_domain"]}],
            "examples": [
                {
                    "partner_domain": "contoso.test",
                    "type": "certification.passed",
                    "reference": "sales",
                    "occurred_at": "2026-03-02T14:30:00Z",
                    "user": "dana@contoso.test",
                    "data": {"course": "Sales Foundations", "score": 92},
                }
            ],
        },
    )

    partner_id: JsonInt = Field(
        None,  # type: ignore[assignment]
        ge=1,
        json_schema_extra=without_default,
        description="The partner's id. Give exactly one of `partner_id`, `partner_domain`.",
    )
    partner_domain: Annotated[StrictStr, AfterValidator(_domain)] = Field(
        None,  # type: ignore[assignment]
        min_length=1,
        max_length=253,
        pattern=DOMAIN_PATTERN,
        json_schema_extra=without_default,
        description=(
            "One of the partner's email domains, like `contoso.com` (case and a leading @ "
            "do not matter). Give exactly one of `partner_id`, `partner_domain`."
        ),
    )
    type: Annotated[StrictStr, AfterValidator(_not_reserved)] = Field(
        max_length=80,
        pattern=EVENT_TYPE_PATTERN,
        json_schema_extra={"not": {"pattern": RESERVED_PATTERN}},
        description=(
            "Lower-case, dotted. Milestones of the default template react to "
            "`profile.completed`, `call.logged`, `certification.attempted`, "
            "`certification.passed` (reference `sales` or `technical`), `deal.registered`, "
            "`mdf.requested`, `campaign.started`, `asset.downloaded`, `review.scheduled`, "
            "`review.held`, `plan.documented`, `module.completed`. `onboarding.*` and "
            "`milestone.*` are reserved."
        ),
    )
    occurred_at: OccurredAt | None = Field(
        None,
        description=(
            "When it happened: RFC 3339 with a time zone, not more than 5 minutes in the "
            "future. Absent or null: now."
        ),
    )
    reference: Annotated[StrictStr, AfterValidator(str.strip)] = Field(
        "",
        max_length=200,
        description="Your id of the thing (a course, a deal): `sales`, `DR-1042`.",
    )
    data: Annotated[dict[str, Any], AfterValidator(_small_json)] = Field(
        default_factory=dict,
        description=f"Free JSON object, at most {MAX_DATA_BYTES} bytes.",
    )
    user: (
        Annotated[
            StrictStr,
            Field(max_length=MAX_USER_EMAIL, json_schema_extra={"format": "email"}),
            AfterValidator(_email),
        ]
        | None
    ) = Field(
        None,
        description=(
            "Optional: the email of the partner's user the event is for. It must be an "
            "active user of that partner account (else 400, field `user`); the event is "
            "recorded as theirs, so it counts for them and for the account. Without it the "
            "event counts for the account only."
        ),
    )

    @model_validator(mode="after")
    def _one_partner(self) -> EventIn:
        if (self.partner_id is None) == (self.partner_domain is None):
            raise field_error("partner", "Give exactly one of partner_id, partner_domain.")
        return self


class EventOut(Schema):
    id: int = Field(description="The event's id.")
    partner_id: int = Field(description="The partner's id.")
    type: str = Field(description="The event type.")
    occurred_at: datetime = Field(description="When it happened (UTC).")
    recorded_at: datetime = Field(description="When Onramp recorded it (UTC).")
    reference: str = Field(description="The reference sent with it.")
    data: dict[str, Any] = Field(description="The JSON object sent with it.")
    source: str = Field(
        description=(
            "Who recorded it: `api` for events sent through the API; `onboarding`, "
            "`console`, `content`, … for events Onramp records itself."
        )
    )
    user: str | None = Field(description="The email of the partner's user it is for, if any.")


class EventCreatedOut(EventOut):
    milestones_completed: list[str] = Field(
        description="Keys of the milestones this event completed."
    )
    alerts_resolved: int = Field(description="How many of the partner's alerts it resolved.")


class EventFilters(Schema):
    # Not nullable: a query string cannot say null; absent is the "no filter".
    partner_id: int = Field(  # type: ignore[assignment]
        None, ge=1, json_schema_extra=without_default, description="Only this partner's events."
    )
    type: str = Field(  # type: ignore[assignment]
        None, max_length=80, json_schema_extra=without_default, description="Only this type."
    )
    since: UtcDatetime = Field(  # type: ignore[assignment]
        None,
        json_schema_extra=without_default,
        description="Only events that occurred at or after this time (RFC 3339).",
    )
