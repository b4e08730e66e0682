from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import (
    BooleanField,
    Exists,
    ExpressionWrapper,
    F,
    Func,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.fields.json import KT
from django.db.models.functions import Lower
from django_scopes import scopes_disabled

from apps.partners.explorer_registry import explorer_filter
from apps.partners.models import (
    PartnerAccount,
    PartnerDomain,
    PartnerEvent,
    PartnerStatus,
    PartnerTier,
    PartnerType,
    PartnerUser,
)
from apps.tenancy.models import STAFF_ROLES, Membership, Role, Tenant

EXPLORER_SORTS = {
    "name": (Lower("name").asc(), "id"),
    "-name": (Lower("name").desc(), "-id"),
    "created": ("created_at", "id"),
    "-created": ("-created_at", "-id"),
    "type": ("partner_type__position", Lower("name").asc(), "id"),
    "-type": ("-partner_type__position", Lower("name").desc(), "-id"),
    "tier": ("tier_position", Lower("name").asc(), "id"),
    "-tier": (F("tier_position").desc(nulls_first=True), Lower("name").desc(), "-id"),
}


@dataclass(frozen=True)
class ExplorerFilters:
    q: str = ""
    partner_type: int | None = None
    tier: str = ""
    cam: int | None = None
    # No CAM, or one who is no longer an active staff member (a deactivated CAM's partners).
    unassigned: bool = False
    status: str = ""
    region: str = ""
    activation: str = ""  # "activated", "not_activated" or "dark" (milestones writes both)
    sort: str = "name"
    # Registered filters (apps/partners/explorer_registry.py): (parameter, checked value).
    extra: tuple[tuple[str, str], ...] = ()


class _AnyArray(Func):
    """`<pk> = ANY(ARRAY(<subquery>))`: the subquery runs once (an InitPlan) and the
    accounts are then read by primary key."""

    output_field = BooleanField()
    conditional = True

    def as_sql(self, compiler: Any, connection: Any, **extra: Any) -> tuple[str, list[Any]]:  # type: ignore[override]
        column, subquery = self.get_source_expressions()
        column_sql, column_params = compiler.compile(column)
        sub_sql, sub_params = compiler.compile(subquery)
        return f"{column_sql} = ANY(ARRAY({sub_sql}))", [*column_params, *sub_params]


def partner_search_condition(*, tenant: Tenant, q: str) -> Func:
    """Accounts whose name or one of whose domains contains `q` (case-insensitive): a UNION
    of the two trigram-indexed lookups (UPPER(name), UPPER(domain)), read as an array. An
    `IN (subquery)` or an OR across both tables lets PostgreSQL hash-join or walk every
    account of the program instead."""
    term = q.strip()
    by_name = (
        PartnerAccount.objects.filter(tenant=tenant, name__icontains=term).order_by().values("pk")
    )
    by_domain = (
        PartnerDomain.objects.filter(tenant=tenant, domain__icontains=term)
        .order_by()
        .values("account_id")
    )
    return _AnyArray(F("pk"), Subquery(by_name.union(by_domain)))


def partner_explorer_filtered(
    *, tenant: Tenant, filters: ExplorerFilters, search: bool = True
) -> QuerySet[PartnerAccount]:
    """The accounts the filters select, unordered (`search=False`: without the search term,
    which the Explorer's pages apply themselves: apps/partners/selectors_explorer.py)."""
    rows = PartnerAccount.objects.filter(tenant=tenant)
    if filters.q and search:
        rows = rows.filter(partner_search_condition(tenant=tenant, q=filters.q))
    if filters.partner_type:
        rows = rows.filter(partner_type_id=filters.partner_type)
    if filters.tier:
        rows = rows.filter(tier=filters.tier)
    if filters.cam:
        rows = rows.filter(cam_id=filters.cam)
    if filters.unassigned:
        # The same rule as the routing of approvals and alerts (responsible_staff).
        rows = rows.filter(Q(cam__isnull=True) | ~active_cam_exists())
    if filters.status:
        rows = rows.filter(status=filters.status)
    if filters.region:
        rows = rows.filter(region=filters.region)
    if filters.activation == "activated":
        rows = rows.filter(activated_at__isnull=False)
    elif filters.activation == "not_activated":
        rows = rows.filter(activated_at__isnull=True)
    elif filters.activation == "dark":
        rows = rows.filter(dark_since__isnull=False)
    for name, value in filters.extra:
        registered = explorer_filter(name)
        if registered is not None and value:
            rows = registered.apply(rows, value, tenant=tenant)
    return rows


def partner_explorer_queryset(*, tenant, filters: ExplorerFilters) -> QuerySet[PartnerAccount]:
    """The accounts the filters select, in the sort's order (the CSV export)."""
    rows = partner_explorer_filtered(tenant=tenant, filters=filters)
    if filters.sort in ("tier", "-tier"):
        # The program's order of its tiers (their position), not the keys' alphabet.
        position = PartnerTier.objects.filter(tenant=tenant, key=OuterRef("tier")).values(
            "position"
        )[:1]
        return rows.annotate(tier_position=Subquery(position)).order_by(
            *EXPLORER_SORTS[filters.sort]
        )
    return rows.order_by(*EXPLORER_SORTS.get(filters.sort, EXPLORER_SORTS["name"]))


def partner_explorer_page_rows(*, tenant, queryset: QuerySet[PartnerAccount]):
    """The rows of one page with what the table shows, in a constant number of queries."""
    return queryset.select_related("partner_type", "cam").prefetch_related(
        Prefetch(
            "domains",
            queryset=PartnerDomain.objects.filter(tenant=tenant).order_by("domain"),
        )
    )


def partner_explorer_export_rows(*, tenant, queryset: QuerySet[PartnerAccount]):
    """Flat tuples for the CSV export, streamed in chunks."""
    return queryset.values_list(
        "id",
        "name",
        "partner_type__name",
        "tier",
        "country",
        "region",
        "cam__email",
        "status",
        "created_at",
        "activated_at",
    )


def partner_types_for(*, tenant) -> QuerySet[PartnerType]:
    return PartnerType.objects.filter(tenant=tenant).order_by("position", "name")


def channel_managers_for(*, tenant: Tenant) -> QuerySet[Membership]:
    """Staff who can be assigned partners (program admins and CAMs)."""
    return (
        Membership.objects.filter(tenant=tenant, role__in=STAFF_ROLES, is_active=True)
        .select_related("user")
        .order_by("user__first_name", "user__email")
    )


def partner_account_get(*, tenant, pk: int) -> PartnerAccount:
    return PartnerAccount.objects.select_related("partner_type", "cam").get(tenant=tenant, pk=pk)


def partner_users_of(*, tenant, account: PartnerAccount):
    return (
        PartnerUser.objects.filter(tenant=tenant, account=account)
        .select_related("membership__user")
        .order_by("membership__user__email")
    )


_ACCOUNT_CACHE = "_partner_account_of_membership"


def partner_account_of_membership(*, membership: Membership) -> PartnerAccount | None:
    """The partner account of a partner-role membership, read once per membership instance
    (like Django's related-object cache): a request's membership is one object, so the portal's
    suspension gate and the view share one query."""
    if membership.role not in (Role.PARTNER_ADMIN, Role.PARTNER_USER):
        return None
    if _ACCOUNT_CACHE not in membership.__dict__:
        link = (
            PartnerUser.objects.filter(tenant_id=membership.tenant_id, membership=membership)
            .select_related("account", "account__partner_type")
            .first()
        )
        membership.__dict__[_ACCOUNT_CACHE] = link.account if link else None
    account: PartnerAccount | None = membership.__dict__[_ACCOUNT_CACHE]
    return account


# --- Set-based reads for higher layers (the milestones sweep) --------------------------------


def partner_event_rows_all_tenants(
    *,
    since: datetime | None = None,
    event_ids: Collection[int] | None = None,
    account_ids: Collection[int] | None = None,
    every: bool = False,
) -> QuerySet[PartnerEvent, dict[str, Any]]:
    """Events as rows (id, tenant_id, account_id, type, reference, occurred_at,
    recorded_by_id, category: a content open's asset category), unordered, for a higher
    layer's set-based statement to read as a subquery: those recorded since `since`, with
    these ids, of these accounts, or `every` one for a correlated subquery (one of the
    four). Platform code: every tenant."""
    if [since, event_ids, account_ids].count(None) != (3 if every else 2):
        raise ValueError("Pass exactly one of since, event_ids, account_ids, every.")
    with scopes_disabled():
        rows = PartnerEvent.objects.order_by()
    if every:
        pass  # the whole log, for a correlated subquery (its outer query narrows it)
    elif since is not None:
        rows = rows.filter(created_at__gte=since)
    elif event_ids is not None:
        rows = rows.filter(id__in=list(event_ids))
    else:
        rows = rows.filter(account_id__in=list(account_ids or ()))
    return rows.annotate(category=KT("data__category")).values(
        "id",
        "tenant_id",
        "account_id",
        "type",
        "reference",
        "occurred_at",
        "recorded_by_id",
        "category",
    )


def partner_account_activity_all_tenants() -> QuerySet[PartnerAccount, dict[str, Any]]:
    """Every account as a row (id, is_active): whether it is active, not suspended, for a
    higher layer's set-based statement to read as a subquery (the sweep raises no alert for a
    suspended partner). Platform code: every tenant."""
    with scopes_disabled():
        rows = PartnerAccount.objects.order_by()
    return rows.values("id").annotate(
        is_active=ExpressionWrapper(Q(status=PartnerStatus.ACTIVE), output_field=BooleanField())
    )


# --- Who hears about a partner: its active CAM, else every active program admin -------------
# A partner has no active CAM when `cam` is NULL, or the CAM's membership of the program is
# deactivated or no longer a staff role (or the user is switched off altogether). Its
# approvals and alerts then go to the program admins: never to nobody, never to the inactive
# person. (The program always keeps one active admin: apps/home/services.py.)


def active_cam_exists(*, cam_ref: str = "cam_id", tenant_ref: str = "tenant_id") -> Exists:
    """Whether the row's CAM (the column `cam_ref`) is an active staff member of the row's
    program (`tenant_ref`), for an annotation or filter on accounts or rows joined to them."""
    with scopes_disabled():
        members = Membership.objects.filter(
            tenant_id=OuterRef(tenant_ref),
            user_id=OuterRef(cam_ref),
            role__in=STAFF_ROLES,
            is_active=True,
            user__is_active=True,
        )
    return Exists(members)


def _active_admins(tenant_ids: Collection[int]) -> dict[int, list[Any]]:
    with scopes_disabled():
        memberships = (
            Membership.objects.filter(
                tenant_id__in=list(tenant_ids),
                role=Role.PROGRAM_ADMIN,
                is_active=True,
                user__is_active=True,
            )
            .select_related("user")
            .order_by("tenant_id", "user_id")
        )
        admins: dict[int, list[Any]] = {}
        for membership in memberships:
            admins.setdefault(membership.tenant_id, []).append(membership.user)
    return admins


def _responsible_staff(accounts: QuerySet[PartnerAccount]) -> dict[int, list[Any]]:
    rows = list(
        accounts.annotate(cam_active=active_cam_exists()).select_related("cam").order_by("pk")
    )
    assigned = {row.pk for row in rows if getattr(row, "cam_active", False)}
    unassigned_tenants = {row.tenant_id for row in rows if row.pk not in assigned}
    admins = _active_admins(unassigned_tenants) if unassigned_tenants else {}
    return {
        row.pk: [row.cam] if row.pk in assigned else list(admins.get(row.tenant_id, []))
        for row in rows
    }


def responsible_staff_by_account(
    *, tenant: Tenant, account_ids: Collection[int]
) -> dict[int, list[Any]]:
    """account id -> who hears about that partner's approvals and alerts: [its active CAM], or
    every active program admin. Two queries at most, however many accounts; ids of another
    program are left out."""
    accounts = PartnerAccount.objects.filter(tenant=tenant, pk__in=list(account_ids))
    return _responsible_staff(accounts)


def responsible_staff_by_account_all_tenants(
    *, account_ids: Collection[int]
) -> dict[int, list[Any]]:
    """`responsible_staff_by_account` for accounts of any program (the sweep). Platform code."""
    with scopes_disabled():
        accounts = PartnerAccount.objects.filter(pk__in=list(account_ids))
    return _responsible_staff(accounts)


def responsible_staff(*, tenant: Tenant, account: PartnerAccount) -> list[Any]:
    """Who hears about this partner's approvals and alerts: its active CAM, else every active
    program admin."""
    return responsible_staff_by_account(tenant=tenant, account_ids=[account.pk]).get(account.pk, [])


def partner_accounts_responsible_to(*, tenant: Tenant, user: Any) -> QuerySet[PartnerAccount]:
    """The accounts whose approvals and alerts go to `user` (for digests, as a subquery): those
    they are the active CAM of and, for an active program admin, those without an active CAM.
    None for anyone not an active staff member. One query (the membership)."""
    membership = (
        Membership.objects.filter(
            tenant=tenant,
            user_id=user.pk,
            role__in=STAFF_ROLES,
            is_active=True,
            user__is_active=True,
        )
        .only("role")
        .first()
    )
    accounts = PartnerAccount.objects.filter(tenant=tenant)
    if membership is None:
        return accounts.none()
    if membership.role == Role.PROGRAM_ADMIN:
        return accounts.filter(Q(cam_id=user.pk) | Q(cam__isnull=True) | ~active_cam_exists())
    return accounts.filter(cam_id=user.pk)
