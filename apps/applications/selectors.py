"""Reads of the applications app. Every function takes the tenant and filters by it."""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from apps.applications.models import (
    Application,
    ApplicationSource,
    ApplicationStatus,
    Invitation,
    InvitationStatus,
    ProgramSettings,
)
from apps.applications.tokens import INVITE_SALT, INVITE_TTL, TokenExpired, TokenInvalid, token_read
from apps.audit.models import AuditEvent
from apps.partners.models import PartnerAccount, PartnerDomain, PartnerUser
from apps.tenancy.models import Membership, Role


def program_settings_get(*, tenant) -> ProgramSettings:
    """The program's settings, or unsaved defaults when an admin never saved any."""
    row = ProgramSettings.objects.filter(tenant=tenant).first()
    return row if row is not None else ProgramSettings(tenant=tenant)


# The settings a decision has already read (see `program_settings_in_hand`).
_settings_in_hand: ContextVar[ProgramSettings | None] = ContextVar(
    "program_settings_in_hand", default=None
)


@contextmanager
def program_settings_in_hand(settings: ProgramSettings) -> Iterator[None]:
    """Inside, the free-mail checks of lower layers (a partner domain being added) use these
    settings instead of reading them again: one read per decision."""
    token = _settings_in_hand.set(settings)
    try:
        yield
    finally:
        _settings_in_hand.reset(token)


def program_free_mail_domains(tenant) -> list[str]:
    """The program's own free-mail domains (its settings), for apps/core/emaildomains.py."""
    known = _settings_in_hand.get()
    if known is not None and known.tenant_id == tenant.pk:
        return list(known.public_mail_domains or [])
    return list(
        ProgramSettings.objects.filter(tenant=tenant)
        .values_list("public_mail_domains", flat=True)
        .first()
        or []
    )


@dataclass(frozen=True)
class QueueFilters:
    status: str = ApplicationStatus.PENDING  # "" for every status
    partner_type: int | None = None
    source: str = ""
    matched: str = ""  # "yes" / "no" / ""
    q: str = ""


def application_queue(*, tenant, filters: QueueFilters) -> QuerySet[Application]:
    rows = Application.objects.filter(tenant=tenant)
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.partner_type:
        rows = rows.filter(partner_type_id=filters.partner_type)
    if filters.source in ApplicationSource.values:
        rows = rows.filter(source=filters.source)
    if filters.matched == "yes":
        rows = rows.filter(matched_account__isnull=False)
    elif filters.matched == "no":
        rows = rows.filter(matched_account__isnull=True)
    if filters.q:
        term = filters.q.strip()
        rows = rows.filter(
            Q(company__icontains=term)
            | Q(email__icontains=term)
            | Q(last_name__icontains=term)
            | Q(first_name__icontains=term)
        )
    return rows.order_by("-created_at", "-id")


def application_queue_rows(*, queryset: QuerySet[Application]) -> QuerySet[Application]:
    """What a page of the queue shows, in one query."""
    return queryset.select_related(
        "partner_type", "matched_account", "partner_account", "decided_by"
    ).defer("answers", "message")


def application_status_counts(*, tenant) -> dict[str, int]:
    counts = dict(
        Application.objects.filter(tenant=tenant)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    return {status: counts.get(status, 0) for status in ApplicationStatus.values}


PENDING_COUNT_TTL = 300  # seconds; every change of a pending application also clears it


def pending_count_key(tenant_id: int) -> str:
    return f"applications:pending-count:{tenant_id}"


def applications_pending_count(*, tenant) -> int:
    """Pending applications (the console's nav badge), kept in the cache between changes."""
    from django.core.cache import cache

    key = pending_count_key(tenant.pk)
    count = cache.get(key)
    if count is None:
        count = Application.objects.filter(tenant=tenant, status=ApplicationStatus.PENDING).count()
        cache.set(key, count, PENDING_COUNT_TTL)
    return count


def pending_badge():
    """The console nav's badge, read with the other badges in one cache GET (registered in
    apps.py; apps/core/nav_badges.py); kept under the same key `pending_changed` clears."""
    from apps.core.nav_badges import NavBadge

    def applies(request) -> bool:
        membership = getattr(request, "membership", None)
        return membership is not None and bool(membership.is_staff_role)

    return NavBadge(
        name="applications",
        applies=applies,
        value_key=lambda request: pending_count_key(request.tenant.pk),
        compute=lambda request: Application.objects.filter(
            tenant=request.tenant, status=ApplicationStatus.PENDING
        ).count(),
        ttl=PENDING_COUNT_TTL,
        preset="_pending_applications",  # the queue page counts it itself (views_console.py)
    )


def application_get(*, tenant, pk: int) -> Application:
    return Application.objects.select_related(
        "partner_type",
        "matched_account",
        "matched_account__partner_type",
        "matched_account__cam",
        "partner_account",
        "decided_by",
        "invitation",
        "invitation__invited_by",
    ).get(tenant=tenant, pk=pk)


def application_history(*, tenant, application: Application) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(
            tenant=tenant,
            target_type=Application._meta.label_lower,
            target_id=str(application.pk),
        ).order_by("created_at", "id")
    )


def account_summary(*, tenant, account: PartnerAccount) -> dict:
    """The matched partner account as the application page shows it."""
    return {
        "account": account,
        "domains": list(
            PartnerDomain.objects.filter(tenant=tenant, account=account)
            .order_by("domain")
            .values_list("domain", flat=True)
        ),
        "users": PartnerUser.objects.filter(tenant=tenant, account=account).count(),
    }


def account_choices(*, tenant, q: str, limit: int = 8) -> list[PartnerAccount]:
    """Partner accounts whose name or domain contains `q`, for "Add to an existing account"."""
    term = (q or "").strip()
    if len(term) < 2:
        return []
    domain_ids = PartnerDomain.objects.filter(tenant=tenant, domain__icontains=term).values(
        "account_id"
    )[:limit]
    return list(
        PartnerAccount.objects.filter(tenant=tenant)
        .filter(Q(name__icontains=term) | Q(pk__in=domain_ids))
        .select_related("partner_type")
        .order_by("name", "id")[:limit]
    )


def partner_account_find(*, tenant, pk) -> PartnerAccount | None:
    try:
        pk = int(pk)
    except (TypeError, ValueError):
        return None
    return (
        PartnerAccount.objects.filter(tenant=tenant, pk=pk).select_related("partner_type").first()
    )


def team_requests(*, tenant, account: PartnerAccount) -> QuerySet[Application]:
    """Pending applicants whose email domain belongs to `account` (for its partner admins)."""
    return (
        Application.objects.filter(
            tenant=tenant, matched_account=account, status=ApplicationStatus.PENDING
        )
        .select_related("partner_type")
        .order_by("created_at", "id")
    )


def team_request_get(*, tenant, account: PartnerAccount, pk: int) -> Application | None:
    """An application that matched `account` (any status), or None."""
    return Application.objects.filter(tenant=tenant, matched_account=account, pk=pk).first()


def team_requests_decided(*, tenant, account: PartnerAccount, limit: int = 20):
    """Recent decisions on applicants who matched `account`, whoever made them."""
    return list(
        Application.objects.filter(
            tenant=tenant,
            matched_account=account,
            status__in=[
                ApplicationStatus.APPROVED,
                ApplicationStatus.ADDED,
                ApplicationStatus.REJECTED,
                ApplicationStatus.DECLINED,
            ],
        )
        .select_related("decided_by", "partner_account")
        .order_by("-decided_at", "-id")[:limit]
    )


def partner_admins_of(*, tenant, account_id: int):
    return [
        link.membership.user
        for link in PartnerUser.objects.filter(
            tenant=tenant,
            account_id=account_id,
            membership__role=Role.PARTNER_ADMIN,
            membership__is_active=True,
            membership__user__is_active=True,
        ).select_related("membership__user")
    ]


def is_member(*, tenant, email: str) -> bool:
    return Membership.objects.filter(
        tenant=tenant, user__email__iexact=email, is_active=True
    ).exists()


def invitation_get(*, tenant, pk: int) -> Invitation | None:
    return Invitation.objects.filter(tenant=tenant, pk=pk).first()


def invitations_list(*, tenant, state: str = "") -> QuerySet[Invitation]:
    rows = Invitation.objects.filter(tenant=tenant)
    now = timezone.now()
    if state == "pending":
        rows = rows.filter(status=InvitationStatus.PENDING, expires_at__gt=now)
    elif state == "expired":
        rows = rows.filter(status=InvitationStatus.PENDING, expires_at__lte=now)
    elif state in (InvitationStatus.ACCEPTED, InvitationStatus.REVOKED):
        rows = rows.filter(status=state)
    return rows.select_related("partner_type", "invited_by").order_by("-created_at", "-id")


def application_from_invitation(*, tenant, invitation: Invitation) -> Application | None:
    return (
        Application.objects.filter(tenant=tenant, invitation=invitation)
        .select_related("partner_type")
        .order_by("-id")
        .first()
    )


def invitation_accepted_applications(*, tenant, invitation_ids: list[int]) -> dict[int, int]:
    """invitation id -> the id of the application made from it."""
    return dict(
        Application.objects.filter(tenant=tenant, invitation_id__in=invitation_ids)
        .order_by("invitation_id", "-id")
        .distinct("invitation_id")
        .values_list("invitation_id", "id")
    )


def channel_managers(*, tenant):
    """Active channel managers (the round-robin pool), by name."""
    return (
        Membership.objects.filter(tenant=tenant, role=Role.CHANNEL_MANAGER, is_active=True)
        .select_related("user")
        .order_by("user__first_name", "user__last_name", "user__email")
    )


# What an invitation link found.
VALID = "valid"
EXPIRED = "expired"
USED = "used"
REVOKED = "revoked"
INVALID = "invalid"


@dataclass(frozen=True)
class InvitationLink:
    state: str
    invitation: Invitation | None = None


def invitation_open(*, tenant, token: str) -> InvitationLink:
    """What an invitation link points at, and whether it may still be used."""
    try:
        digest = token_read(token, salt=INVITE_SALT, ttl=INVITE_TTL)
    except TokenExpired:
        return InvitationLink(EXPIRED)
    except TokenInvalid:
        return InvitationLink(INVALID)
    invitation = (
        Invitation.objects.filter(tenant=tenant, token_hash=digest)
        .select_related("partner_type", "invited_by")
        .first()
    )
    if invitation is None:
        # Unknown here (another program's link, or one replaced by a resend).
        return InvitationLink(INVALID)
    if invitation.status == InvitationStatus.REVOKED:
        return InvitationLink(REVOKED, invitation)
    if invitation.status != InvitationStatus.PENDING:
        return InvitationLink(USED, invitation)
    if invitation.expires_at <= timezone.now():
        return InvitationLink(EXPIRED, invitation)
    return InvitationLink(VALID, invitation)
