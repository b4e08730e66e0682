"""Shapes of the partners resource (`/api/v1/partners`): partner accounts, their domains,
users and invitations. One definition gives the validation, the OpenAPI document and the docs.

Texts that reach the database refuse what PostgreSQL or the console would refuse (a NUL, a
line break or an invisible control character in a name), in the schema itself, so a client
(and the schema fuzzer) sees the rule before it sends anything.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal

from ninja import Field, Schema
from pydantic import ConfigDict

# Control and format characters (Unicode Cc, the usual Cf, line and paragraph separators):
# what `apps.core.text.single_line_validator` refuses in the console's names.
_CONTROL = (
    r"\x00-\x1f\x7f-\x9f\u00ad\u061c\u180e\u200b-\u200f\u2028-\u202e\u2060-\u206f"
    r"\ufeff\ufff9-\ufffb"
)
# One line of plain text with at least one visible character (leading spaces are trimmed).
SINGLE_LINE = rf"^ *[^\s{_CONTROL}][^{_CONTROL}]*$"
# Any text without control characters (a search term, a reason).
PLAIN_TEXT = rf"^[^{_CONTROL}]*$"
# Host names and addresses as Django's `validate_email` accepts them (ASCII: a client sends
# an internationalised domain in its punycode form).
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_HOST = rf"(?:{_LABEL}\.)+[A-Za-z0-9][A-Za-z0-9-]{{0,61}}[A-Za-z0-9]"
_ATOM = r"[-!#$%&'*+/=?^_`{|}~0-9A-Za-z]+"
# An email domain as the console takes it (`normalise_domain`): a leading @ and a trailing
# dot are dropped, letters are lower-cased.
DOMAIN = rf"^@?{_HOST}\.?$"
# Django's EmailValidator: the last label of an address's domain is letters (or punycode).
_EMAIL_TLD = r"(?:[A-Za-z][A-Za-z-]{0,61}[A-Za-z]|[Xx][Nn]--[A-Za-z0-9]{1,59})"
EMAIL = rf"^{_ATOM}(?:\.{_ATOM})*@{_LABEL}(?:\.{_LABEL})*\.{_EMAIL_TLD}$"
TIER_KEY = r"^[-a-zA-Z0-9_]+$"
# An RFC 3339 date and time with its offset, e.g. 2026-11-28T17:00:00Z (a query parameter:
# checked as text, so that a number is not taken for a Unix time).
DATE_TIME = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,9})?"
    r"(Z|[+-][0-9]{2}:[0-9]{2})$"
)
DomainName = Annotated[
    str, Field(max_length=253, pattern=DOMAIN, description="An email domain, e.g. example.com.")
]

Region = Literal["na", "latam", "emea", "apac"]
PartnerStatusValue = Literal["active", "suspended"]
PartnerRole = Literal["partner_admin", "partner_user"]
Sort = Literal["name", "-name", "created", "-created"]
Activation = Literal["activated", "not_activated", "dark"]
Overdue = Literal["overdue", "alert", "on_track", "not_tracked"]


# --- Output ---------------------------------------------------------------------------------


class PartnerTypeRef(Schema):
    id: int = Field(description="The partner type's id.")
    name: str = Field(description="The partner type's name, e.g. “Reseller / VAR”.")


class StaffRef(Schema):
    id: int = Field(description="The staff member's user id.")
    email: str = Field(description="Their email address.")
    name: str = Field(description="Their full name (empty when they have not given one).")


class PartnerOut(Schema):
    id: int = Field(description="The partner account's id.")
    name: str = Field(description="The company name.")
    type: PartnerTypeRef = Field(description="The partner type.")
    tier: str = Field(description="The key of the account's tier in the program's catalogue.")
    region: Region | None = Field(description="The sales region, or null.")
    country: str | None = Field(description="ISO 3166 country code, or null.")
    status: PartnerStatusValue = Field(
        description="`active`, or `suspended` (its users cannot use the portal)."
    )
    cam: StaffRef | None = Field(description="The assigned channel manager, or null.")
    domains: list[str] = Field(description="The account's email domains, alphabetically.")
    website: str | None = Field(description="The company website, or null.")
    created_at: datetime = Field(description="When the account was created (UTC).")
    activated_at: datetime | None = Field(
        description="When the partner completed its activation milestones (UTC), or null."
    )


class PartnerDetailOut(PartnerOut):
    dark_since: datetime | None = Field(
        description="Since when the partner is past its activation window without "
        "activating (a dark partner), or null."
    )
    version: str = Field(
        description="A digest of the editable fields: send it back as `version` in a PATCH "
        "to refuse the change (409) if someone changed the account in between."
    )


class PartnerPage(Schema):
    data: list[PartnerOut] = Field(description="The partner accounts of this page.")
    next_cursor: str | None = Field(
        description="Pass it as `cursor` to read the next page; null on the last page."
    )


class DomainOut(Schema):
    id: int = Field(description="The domain's id.")
    domain: str = Field(description="The email domain, lower case, e.g. example.com.")


class DomainList(Schema):
    data: list[DomainOut] = Field(description="The account's domains, alphabetically.")


class PartnerUserOut(Schema):
    id: int = Field(
        description="The partner user's id within this account (also the id of their "
        "invitation while it is pending)."
    )
    email: str = Field(description="Their email address.")
    first_name: str = Field(description="Their first name (may be empty).")
    last_name: str = Field(description="Their last name (may be empty).")
    role: PartnerRole = Field(description="`partner_admin` or `partner_user`.")
    status: Literal["active", "invited", "deactivated"] = Field(
        description="`invited`: has not set a password yet; `active`: can sign in; "
        "`deactivated`: removed from the account (or their invitation was revoked)."
    )
    created_at: datetime = Field(description="When they were added to the account (UTC).")


class PartnerUserPage(Schema):
    data: list[PartnerUserOut] = Field(description="The account's users, oldest first.")
    next_cursor: str | None = Field(
        description="Pass it as `cursor` to read the next page; null on the last page."
    )


class InvitationOut(Schema):
    id: int = Field(description="The invitation's id (the invited partner user's id).")
    email: str = Field(description="The invited address.")
    role: PartnerRole = Field(description="The role they join with.")
    status: Literal["pending", "accepted", "revoked"] = Field(
        description="`pending`: sent, no password set yet; `accepted`: they set a password; "
        "`revoked`: withdrawn before they accepted."
    )
    created_at: datetime = Field(description="When they were first invited (UTC).")


class InvitationPage(Schema):
    data: list[InvitationOut] = Field(description="The invitations of this page, oldest first.")
    next_cursor: str | None = Field(
        description="Pass it as `cursor` to read the next page; null on the last page."
    )


# --- The list's query ------------------------------------------------------------------------

ID_MAX = 2**63 - 1


class PartnerFilters(Schema):
    cursor: str | None = Field(
        None,
        max_length=2000,
        description="The `next_cursor` of the previous page (opaque); omit for the first page.",
    )
    limit: int = Field(50, ge=1, le=100, description="Partners per page (1–100).")
    q: str | None = Field(
        None,
        max_length=200,
        pattern=PLAIN_TEXT,
        description="Search: partners whose name or one of whose domains contains this text "
        "(case-insensitive).",
    )
    type_id: int | None = Field(None, ge=1, le=ID_MAX, description="Partner type id.")
    tier: str | None = Field(
        None, max_length=20, pattern=r"^[-a-zA-Z0-9_]*$", description="Tier key."
    )
    status: PartnerStatusValue | None = Field(None, description="`active` or `suspended`.")
    region: Region | None = Field(None, description="Sales region.")
    cam_id: int | None = Field(
        None, ge=1, le=ID_MAX, description="Partners of this channel manager (user id)."
    )
    unassigned: bool = Field(
        False,
        description="Only partners without an active channel manager (none, or one who is no "
        "longer active staff).",
    )
    activation: Activation | None = Field(
        None, description="`activated`, `not_activated` or `dark` (past the activation window)."
    )
    stage: str | None = Field(
        None,
        max_length=20,
        pattern=r"^([0-9]{1,18}|completed|none)$",
        description="Partners at this onboarding stage (a stage id), `completed` (onboarding "
        "finished) or `none` (not enrolled).",
    )
    stalled: int | None = Field(
        None,
        ge=1,
        le=3650,
        description="Partners in their current stage for more than this many days.",
    )
    overdue: Overdue | None = Field(
        None,
        description="`overdue` (an overdue milestone), `alert` (an open alert), `on_track` "
        "(nothing overdue) or `not_tracked` (no milestone tracking).",
    )
    created_since: str | None = Field(
        None,
        pattern=DATE_TIME,
        json_schema_extra={"format": "date-time"},
        description="Partners created at or after this time (RFC 3339, e.g. 2026-11-28T17:00:00Z).",
    )
    sort: Sort = Field(
        "name",
        description="Order: `name` (A–Z), `-name`, `created` (oldest first) or `-created`. "
        "Ties are broken by id, so pages never repeat or skip a partner.",
    )


# --- Input ----------------------------------------------------------------------------------


class PartnerCreateIn(Schema):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(
        min_length=1, max_length=200, pattern=SINGLE_LINE, description="The company name."
    )
    type_id: int | None = Field(
        default=None,
        ge=1,
        le=2**53,
        description="The partner type's id (or give `type_name`; neither: the program's "
        "first partner type).",
    )
    type_name: str | None = Field(
        default=None,
        min_length=1,
        max_length=100,
        pattern=SINGLE_LINE,
        description="The partner type's name (case-insensitive), instead of `type_id`.",
    )
    tier: str | None = Field(
        default=None,
        min_length=1,
        max_length=20,
        pattern=TIER_KEY,
        description="The tier's key; the program's first tier (usually `registered`) if omitted.",
    )
    region: Region | None = Field(default=None, description="The sales region.")
    domains: list[DomainName] = Field(
        default_factory=list,
        max_length=50,
        description="Email domains of the company. Free email providers (gmail.com, …) and "
        "domains of another partner account are refused.",
    )
    cam_id: int | None = Field(
        default=None,
        ge=1,
        le=2**53,
        description="The channel manager's user id (an active staff member). Give `cam_id` or "
        "`cam_email`, or neither for an unassigned partner.",
    )
    cam_email: str | None = Field(
        default=None,
        max_length=254,
        pattern=EMAIL,
        description="The channel manager's email address, instead of `cam_id`.",
    )


class PartnerUpdateIn(Schema):
    """Only the fields given change; `null` clears the CAM and the region."""

    model_config = ConfigDict(extra="forbid")

    type_id: int | None = Field(
        default=None, ge=1, le=2**53, description="The new partner type's id (null: unchanged)."
    )
    tier: str | None = Field(
        default=None,
        min_length=1,
        max_length=20,
        pattern=TIER_KEY,
        description="The new tier's key (null: unchanged).",
    )
    region: Region | None = Field(default=None, description="The region; null for none.")
    domains: list[DomainName] | None = Field(
        default=None,
        max_length=50,
        description="The complete new list of domains, replacing the current ones (null: "
        "unchanged).",
    )
    cam_id: int | None = Field(
        default=None,
        ge=1,
        le=2**53,
        description="The channel manager's user id; null to unassign.",
    )
    cam_email: str | None = Field(
        default=None,
        max_length=254,
        pattern=EMAIL,
        description="The channel manager's email address, instead of `cam_id`.",
    )
    version: str | None = Field(
        default=None,
        max_length=64,
        pattern=r"^[0-9a-f]*$",
        description="The `version` read with the partner: if given and the account changed "
        "since, nothing is saved (409).",
    )


class StatusChangeIn(Schema):
    model_config = ConfigDict(extra="forbid")

    reason: str = Field(
        default="",
        max_length=500,
        pattern=PLAIN_TEXT,
        description="Why (kept in the audit log and the partner's timeline).",
    )


class DomainIn(Schema):
    model_config = ConfigDict(extra="forbid")

    domain: str = Field(
        max_length=253, pattern=DOMAIN, description="The email domain, e.g. example.com."
    )


class InvitationIn(Schema):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=254, pattern=EMAIL, description="The address to invite.")
    role: PartnerRole = Field(
        default="partner_user", description="`partner_admin` or `partner_user`."
    )
    first_name: str = Field(
        default="", max_length=150, pattern=PLAIN_TEXT, description="Their first name."
    )
    last_name: str = Field(
        default="", max_length=150, pattern=PLAIN_TEXT, description="Their last name."
    )
