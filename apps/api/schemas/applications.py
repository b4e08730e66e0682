"""Shapes of the applications resource (`/api/v1/applications`): what a prospect sent through
the public form (or an invitation), where it stands, and the decision on it."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from ninja import Field, Schema
from pydantic import ConfigDict

from apps.api.schemas.common import ID_MAX, LONG_TEXT

ApplicationStatusValue = Literal[
    "unconfirmed", "pending", "approved", "added", "rejected", "declined"
]
SourceValue = Literal["self", "invited"]
RuleValue = Literal[
    "manual", "auto_onboarding", "domain_matched", "domain_unmatched", "public_domain"
]
DecidedViaValue = Literal["auto", "console", "portal", "api"]


class AppliedPartnerType(Schema):
    id: int = Field(description="The partner type's id.")
    name: str = Field(description="The partner type's name, e.g. “Reseller / VAR”.")


class ApplicationAnswerOut(Schema):
    key: str = Field(description="The question's key in the program's form.")
    label: str = Field(description="The question as it was asked.")
    value: Any = Field(description="The applicant's answer (text, number, date, choice, …).")


class ApplicationDecisionOut(Schema):
    rule: RuleValue | None = Field(
        description=(
            "The row of the program's decision table that applied after confirmation: "
            "`manual`, `auto_onboarding`, `domain_matched`, `domain_unmatched`, "
            "`public_domain` (null before confirmation)."
        )
    )
    decided_at: datetime | None = Field(description="When it was decided, or null while open.")
    decided_via: DecidedViaValue | None = Field(
        description=(
            "How it was decided: `auto` (the decision table), `console` (a channel manager), "
            "`portal` (the matched partner's admin), `api` (an API key); null while open."
        )
    )
    reason: str = Field(description="The reason given with a rejection or decline (may be empty).")
    partner_id: int | None = Field(
        description="The partner account the applicant joined (approved or added), or null."
    )
    matched_partner_id: int | None = Field(
        description=(
            "The partner account that owns the applicant's email domain (domain matching), "
            "proposed for the applicant; null when none."
        )
    )
    review_note: str = Field(
        description="Why an automatic approval did not go through (empty when it did or none ran)."
    )


class ApplicationSummaryOut(Schema):
    id: int = Field(description="The application's id.")
    status: ApplicationStatusValue = Field(
        description=(
            "`unconfirmed` (email not confirmed yet), `pending` (waiting for a decision), "
            "`approved` (new partner account), `added` (joined an existing account), "
            "`rejected`, `declined` (by the matched partner's admin)."
        )
    )
    source: SourceValue = Field(description="`self` (public form) or `invited`.")
    email: str = Field(description="The applicant's email address.")
    first_name: str = Field(description="The applicant's first name.")
    last_name: str = Field(description="The applicant's last name.")
    company: str = Field(description="The company applying.")
    country: str | None = Field(description="ISO 3166 country code, or null.")
    partner_type: AppliedPartnerType = Field(description="The partner type applied for.")
    created_at: datetime = Field(description="When the application was submitted.")
    confirmed_at: datetime | None = Field(
        description="When the applicant confirmed their email address, or null."
    )
    decision: ApplicationDecisionOut = Field(
        description="The decision (fields null while undecided)."
    )


class ApplicationOut(ApplicationSummaryOut):
    website: str = Field(description="The company's website (may be empty).")
    phone: str = Field(description="The applicant's phone number (may be empty).")
    message: str = Field(description="The applicant's message (may be empty).")
    answers: list[ApplicationAnswerOut] = Field(
        description="The program's extra questions as they were asked, with the answers."
    )
    updated_at: datetime = Field(description="When the application last changed.")


# --- Input ----------------------------------------------------------------------------------


class ApplicationApproveIn(Schema):
    model_config = ConfigDict(extra="forbid")

    partner_type_id: int | None = Field(
        None,
        ge=1,
        le=ID_MAX,
        description=(
            "Approve as a partner of this type (one of the program's partner types); by "
            "default the type applied for."
        ),
    )


class ApplicationRejectIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        "",
        max_length=2000,
        pattern=LONG_TEXT,
        description="Why the application is rejected (kept with the decision and audited).",
    )
    notify_applicant: bool = Field(
        False, description="Email the applicant the program's rejection message."
    )
