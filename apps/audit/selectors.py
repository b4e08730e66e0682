from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q, QuerySet

from apps.audit.models import AuditEvent
from apps.tenancy.models import STAFF_ROLES, Membership, Tenant


def audit_events_for_partner(*, tenant, partner_id: int, limit: int = 200):
    return AuditEvent.objects.filter(tenant=tenant, partner_id=partner_id).select_related("actor")[
        :limit
    ]


def audit_events_for_tenant(*, tenant):
    return AuditEvent.objects.filter(tenant=tenant).order_by("-created_at", "-id")


# The audit log page (/console/audit/), its CSV export and the partner timeline's pages:
# keyset pages over (-created_at, -id), never OFFSET, so a page costs the same at any depth
# and an event recorded between two pages neither repeats nor hides a row.

LOG_PAGE_SIZE = 50
TIMELINE_PAGE_SIZE = 50
_CURSOR_FORMAT = "%Y-%m-%dT%H:%M:%S.%fZ"


@dataclass(frozen=True)
class Cursor:
    """A position in the log: the (created_at, id) of an event, written `<UTC ISO>,<id>`."""

    created_at: datetime
    id: int

    def encode(self) -> str:
        return f"{self.created_at.astimezone(UTC).strftime(_CURSOR_FORMAT)},{self.id}"

    @classmethod
    def decode(cls, value: str | None) -> Cursor | None:
        """The cursor a query-string value holds, or None for anything malformed."""
        if not value:
            return None
        stamp, comma, ident = value.partition(",")
        if not comma or not ident.isdigit() or len(ident) > 19:
            return None
        try:
            created_at = datetime.strptime(stamp, _CURSOR_FORMAT).replace(tzinfo=UTC)
        except ValueError:
            return None
        return cls(created_at=created_at, id=int(ident))

    @classmethod
    def of(cls, event: AuditEvent) -> Cursor:
        return cls(created_at=event.created_at, id=event.pk)


@dataclass(frozen=True)
class AuditFilters:
    """What the audit log shows; every value already checked against the program."""

    partner_ids: tuple[int, ...] = ()  # one partner, or the few a name search matched
    actor_id: int | None = None  # a user of the program
    system: bool = False  # only the events nobody did (actor is None)
    verb: str = ""
    since: datetime | None = None  # inclusive
    until: datetime | None = None  # exclusive

    def as_data(self) -> dict[str, Any]:
        """The filters as JSON-ready data (the export's own audit event)."""
        data: dict[str, Any] = {}
        if self.partner_ids:
            data["partner_ids"] = list(self.partner_ids)
        if self.actor_id is not None:
            data["actor_id"] = self.actor_id
        if self.system:
            data["actor"] = "system"
        if self.verb:
            data["verb"] = self.verb
        if self.since is not None:
            data["since"] = self.since.isoformat()
        if self.until is not None:
            data["until"] = self.until.isoformat()
        return data


@dataclass
class AuditPage:
    """One keyset page: its events, newest first, and the cursors of the pages around it
    (None where there is none)."""

    events: list[AuditEvent]
    newer: Cursor | None = None
    older: Cursor | None = None
    is_first: bool = True


def audit_log_queryset(*, tenant: Tenant, filters: AuditFilters) -> QuerySet[AuditEvent]:
    """The program's audit events the filters select, newest first."""
    events = AuditEvent.objects.filter(tenant=tenant)
    if len(filters.partner_ids) == 1:
        events = events.filter(partner_id=filters.partner_ids[0])
    elif filters.partner_ids:
        events = events.filter(partner_id__in=filters.partner_ids)
    if filters.system:
        events = events.filter(actor__isnull=True)
    elif filters.actor_id is not None:
        events = events.filter(actor_id=filters.actor_id)
    if filters.verb:
        events = events.filter(verb=filters.verb)
    if filters.since is not None:
        events = events.filter(created_at__gte=filters.since)
    if filters.until is not None:
        events = events.filter(created_at__lt=filters.until)
    return events.order_by("-created_at", "-id")


def _older_than(events: QuerySet[AuditEvent], cursor: Cursor) -> QuerySet[AuditEvent]:
    # The plain bound on created_at lets PostgreSQL start the index scan at the cursor.
    return events.filter(created_at__lte=cursor.created_at).filter(
        Q(created_at__lt=cursor.created_at) | Q(id__lt=cursor.id)
    )


def _newer_than(events: QuerySet[AuditEvent], cursor: Cursor) -> QuerySet[AuditEvent]:
    return events.filter(created_at__gte=cursor.created_at).filter(
        Q(created_at__gt=cursor.created_at) | Q(id__gt=cursor.id)
    )


def _keyset_page(
    events: QuerySet[AuditEvent],
    *,
    before: Cursor | None,
    after: Cursor | None,
    size: int,
) -> AuditPage:
    """One query: `size` events older than `before`, or newer than `after` (the page above),
    or the newest ones. A "newer" page that reaches the top is the first page."""
    if after is not None and before is None:
        rows = list(_newer_than(events, after).order_by("created_at", "id")[: size + 1])
        if len(rows) > size:
            rows = rows[:size][::-1]
            return AuditPage(
                events=rows, newer=Cursor.of(rows[0]), older=Cursor.of(rows[-1]), is_first=False
            )
        # Nothing above this page: show the newest events.
    if before is not None:
        rows = list(_older_than(events, before)[: size + 1])
        page = rows[:size]
        return AuditPage(
            events=page,
            newer=Cursor.of(page[0]) if page else before,
            older=Cursor.of(page[-1]) if len(rows) > size else None,
            is_first=False,
        )
    rows = list(events[: size + 1])
    page = rows[:size]
    return AuditPage(events=page, older=Cursor.of(page[-1]) if len(rows) > size else None)


def audit_log_page(
    *,
    tenant: Tenant,
    filters: AuditFilters,
    before: Cursor | None = None,
    after: Cursor | None = None,
    size: int = LOG_PAGE_SIZE,
) -> AuditPage:
    """One page of the audit log (one query, actors joined)."""
    events = audit_log_queryset(tenant=tenant, filters=filters).select_related("actor")
    return _keyset_page(events, before=before, after=after, size=size)


def audit_timeline_page(
    *,
    tenant: Tenant,
    partner_id: int,
    before: Cursor | None = None,
    size: int = TIMELINE_PAGE_SIZE,
) -> AuditPage:
    """One page of a partner's timeline, newest first (one query)."""
    events = AuditEvent.objects.filter(tenant=tenant, partner_id=partner_id)
    events = events.select_related("actor").order_by("-created_at", "-id")
    return _keyset_page(events, before=before, after=None, size=size)


# The CSV export's columns from the database (no model instances): the view adds the
# wording and the partner's name.
EXPORT_FIELDS = (
    "created_at",
    "actor__email",
    "actor__first_name",
    "actor__last_name",
    "actor_label",
    "verb",
    "target_type",
    "target_id",
    "target_label",
    "partner_id",
    "data",
)


def audit_log_export_rows(*, tenant: Tenant, filters: AuditFilters) -> QuerySet[Any]:
    """The filtered log as tuples of `EXPORT_FIELDS`, newest first; iterate it with
    `.iterator(chunk_size=…)` (a server-side cursor) to stream any number of rows."""
    return audit_log_queryset(tenant=tenant, filters=filters).values_list(*EXPORT_FIELDS)


def audit_actor_choices(*, tenant: Tenant) -> list[tuple[str, str]]:
    """The program's staff as `(email, name)`, for the actor filter's suggestions (one
    query). Any member of the program (a partner user too) can be typed in."""
    members = (
        Membership.objects.filter(tenant=tenant, role__in=list(STAFF_ROLES))
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__email")
    )
    return [(m.user.email, m.user.get_full_name() or m.user.email) for m in members]


def audit_actor_find(*, tenant: Tenant, email: str) -> int | None:
    """The id of the program member with this email (any role, active or not), else None."""
    return (
        Membership.objects.filter(tenant=tenant, user__email__iexact=email.strip())
        .values_list("user_id", flat=True)
        .first()
    )
