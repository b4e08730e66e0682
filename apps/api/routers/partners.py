"""`/api/v1/partners`: partner accounts (list with the Explorer's filters, get, create,
update, suspend, reactivate) and their domains. Users and invitations: partners_team.py,
which adds its operations to this router.

Every write goes through the service the console uses (apps/partners/services), with the
key as the actor: the audit log and the partner's timeline name it ("API key CRM sync
(onr_ab12cd34…)"). The list is the Partner Explorer's own selector (its filters, trigram
search and keyset ranges) without a count: constant queries per page at any depth.
"""

from __future__ import annotations

from collections.abc import Collection
from datetime import UTC, datetime
from typing import Any

from django.core import signing
from django.utils.translation import gettext as _
from ninja import Query, Router, Status

from apps.api.auth import scoped
from apps.api.errors import ApiError, ErrorOut
from apps.api.schemas.partners import (
    PartnerCreateIn,
    PartnerDetailOut,
    PartnerFilters,
    PartnerPage,
    PartnerUpdateIn,
    StatusChangeIn,
)
from apps.partners.catalog import partner_types_offered, tier_choices
from apps.partners.models import PartnerAccount, PartnerDomain, PartnerType, Tier
from apps.partners.selectors import (
    ExplorerFilters,
    channel_managers_for,
    partner_account_get,
)
from apps.partners.selectors_explorer import partner_explorer_after
from apps.partners.services import (
    PartnerError,
    partner_account_add,
    partner_account_update,
    partner_account_version,
    partner_reactivate,
    partner_suspend,
    partner_tier_require,
)
from apps.tenancy.http import TenantRequest

router = Router(tags=["Partners"])

READ = "partners:read"
WRITE = "partners:write"
MAX_ID = 2**63 - 1
# The columns a list row shows (the page reads no others).
LIST_COLUMNS = (
    "id",
    "tenant",
    "name",
    "tier",
    "region",
    "country",
    "status",
    "website",
    "created_at",
    "activated_at",
    "partner_type__id",
    "partner_type__name",
    "cam__id",
    "cam__email",
    "cam__first_name",
    "cam__last_name",
)

# Error responses every operation may answer with.
_LIST_ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut}
ONE_ERRORS: dict[int, Any] = {**_LIST_ERRORS, 404: ErrorOut}


# --- Helpers shared with partners_team.py ----------------------------------------------------


def not_found(message: str = "") -> ApiError:
    return ApiError(404, "not_found", message or _("No partner with that id."))


def conflict(message: str) -> ApiError:
    return ApiError(409, "conflict", message)


def invalid(field: str, message: str) -> ApiError:
    return ApiError(400, "invalid", _("The request is not valid."), fields={field: [message]})


def partner_or_404(request: TenantRequest, partner_id: int) -> PartnerAccount:
    """The program's account `partner_id` with its type and CAM; 404 for any other id."""
    if not 1 <= partner_id <= MAX_ID:
        raise not_found()
    try:
        return partner_account_get(tenant=request.tenant, pk=partner_id)
    except PartnerAccount.DoesNotExist as exc:
        raise not_found() from exc


def _staff_ref(user: Any) -> dict[str, Any] | None:
    if user is None:
        return None
    return {
        "id": user.pk,
        "email": user.email,
        "name": f"{user.first_name} {user.last_name}".strip(),
    }


def partner_out(account: PartnerAccount, domains: Collection[str] | None = None) -> dict:
    """The API's view of an account (its domains given, read with it as `domain_names`, or
    read now)."""
    if domains is None:
        domains = getattr(account, "domain_names", None)
    if domains is None:
        domains = [d.domain for d in account.domains.all()]
    return {
        "id": account.pk,
        "name": account.name,
        "type": {"id": account.partner_type.pk, "name": account.partner_type.name},
        "tier": account.tier,
        "region": account.region or None,
        "country": account.country or None,
        "status": account.status,
        "cam": _staff_ref(account.cam),
        "domains": sorted(domains),
        "website": account.website or None,
        "created_at": account.created_at,
        "activated_at": account.activated_at,
    }


def domains_of(request: TenantRequest, account: PartnerAccount) -> list[str]:
    return list(
        PartnerDomain.objects.filter(tenant=request.tenant, account=account)
        .order_by("domain")
        .values_list("domain", flat=True)
    )


def _detail(request: TenantRequest, account: PartnerAccount) -> dict:
    domains = domains_of(request, account)
    return {
        **partner_out(account, domains),
        "dark_since": account.dark_since,
        "version": partner_account_version(account=account, domains=domains),
    }


# --- The list --------------------------------------------------------------------------------


def _explorer_filters(params: PartnerFilters) -> ExplorerFilters:
    extra = []
    if params.stage:
        extra.append(("stage", params.stage))
    if params.stalled is not None:
        extra.append(("stalled", str(params.stalled)))
    if params.overdue:
        extra.append(("overdue", params.overdue))
    return ExplorerFilters(
        q=(params.q or "").strip(),
        partner_type=params.type_id,
        tier=params.tier or "",
        cam=params.cam_id,
        unassigned=params.unassigned,
        status=params.status or "",
        region=params.region or "",
        activation=params.activation or "",
        sort=params.sort,
        extra=tuple(extra),
    )


# The salt of every API cursor (apps/api/pagination.py): the payloads differ, so a cursor of
# another list is refused here and this one there.
_CURSOR_SALT = "apps.api.pagination"


def cursor_encode(sort: str, position: str) -> str:
    """The opaque cursor of an Explorer position in `sort` (signed: a client cannot forge
    one, and one of another sort is refused)."""
    return signing.dumps({"s": sort, "p": position}, salt=_CURSOR_SALT, compress=True)


def _cursor_refused() -> ApiError:
    return ApiError(
        400,
        "invalid_cursor",
        _("The cursor is not valid: pass the next_cursor of a previous page, unchanged."),
        fields={"cursor": [_("Not a cursor of this list and sort.")]},
    )


def _cursor_decode(sort: str, cursor: str) -> str:
    """The Explorer position a cursor holds; 400 for one that is not ours or of another sort."""
    try:
        payload = signing.loads(cursor, salt=_CURSOR_SALT)
    except signing.BadSignature as exc:
        raise _cursor_refused() from exc
    if not isinstance(payload, dict) or payload.get("s") != sort:
        raise _cursor_refused()
    position = payload.get("p")
    if not isinstance(position, str) or not position:
        raise _cursor_refused()
    return position


def _since(value: str | None) -> datetime | None:
    """The `created_since` time in UTC (a date the calendar lacks is 400; past the edge of
    the calendar after the offset: every partner, or none)."""
    if value is None:
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError as exc:
        raise invalid("created_since", _("Not a date and time.")) from exc
    try:
        return moment.astimezone(UTC)
    except OverflowError:
        return None if moment.year < 2 else datetime.max.replace(tzinfo=UTC)


@router.get(
    "",
    auth=scoped(READ),
    response={200: PartnerPage, **_LIST_ERRORS},
    summary="List partners",
    description="The program's partner accounts with the Partner Explorer's filters and "
    "search, in pages (`cursor`, `limit`). Every page costs the same, however deep.",
    operation_id="partners_list",
)
def partners_list(request: TenantRequest, filters: Query[PartnerFilters]) -> Any:
    explorer = _explorer_filters(filters)
    after = _cursor_decode(filters.sort, filters.cursor) if filters.cursor else None
    since = _since(filters.created_since)
    try:
        rows, position = partner_explorer_after(
            tenant=request.tenant,
            filters=explorer,
            after=after,
            size=filters.limit,
            columns=LIST_COLUMNS,
            created_since=since,
        )
    except ValueError as exc:
        raise _cursor_refused() from exc
    return {
        "data": [partner_out(row) for row in rows],
        "next_cursor": cursor_encode(filters.sort, position) if position else None,
    }


# --- One partner -----------------------------------------------------------------------------


@router.get(
    "/{partner_id}",
    auth=scoped(READ),
    response={200: PartnerDetailOut, **ONE_ERRORS},
    summary="Get a partner",
    description="One partner account, with the `version` a PATCH may send back.",
    operation_id="partner_get",
)
def partner_get(request: TenantRequest, partner_id: int) -> Any:
    return _detail(request, partner_or_404(request, partner_id))


# A reference the schema allows but the program does not hold (a type, tier or CAM of
# another program, or none) is 404, as any id of another program; two fields naming different
# objects, or a rule of the program (a free-mail domain, a domain of another account), 409.
# 400 is for what the schema itself refuses.


def _partner_type(
    request: TenantRequest, *, pk: int | None, name: str | None, keep: int | None
) -> PartnerType:
    """The partner type given by id or name among those the program offers (`keep`: the
    account's current one, even archived); the program's first type when neither is given."""
    offered = partner_types_offered(tenant=request.tenant, keep=keep)
    if pk is not None:
        found = offered.filter(pk=pk).first() if pk <= MAX_ID else None
    elif name is not None:
        found = offered.filter(name__iexact=name.strip()).first()
    else:
        found = offered.first()
    if found is None:
        raise not_found(_("No partner type with that id or name in this program."))
    if pk is not None and name is not None and found.name.lower() != name.strip().lower():
        raise conflict(_("type_id and type_name name different partner types: give one."))
    return found


def _tier(request: TenantRequest, key: str | None, *, current: str = "") -> str:
    if key is None:
        keys = [k for k, _label in tier_choices(tenant=request.tenant)]
        return Tier.REGISTERED if Tier.REGISTERED in keys or not keys else keys[0]
    try:
        return partner_tier_require(tenant=request.tenant, key=key, current=current)
    except PartnerError as exc:
        raise not_found(_("No tier with that key in this program.")) from exc


def _cam(request: TenantRequest, *, pk: int | None, email: str | None, current: Any = None) -> Any:
    """The active staff member given by id or email (the account's current CAM stays
    acceptable even if no longer active, as in the console)."""
    if current is not None and (
        (pk is not None and pk == current.pk)
        or (pk is None and email is not None and email.lower() == current.email.lower())
    ):
        found_user = current
    else:
        managers = channel_managers_for(tenant=request.tenant)
        if pk is not None:
            found = managers.filter(user_id=pk).first() if pk <= MAX_ID else None
        else:
            found = managers.filter(user__email__iexact=email).first()
        if found is None:
            raise not_found(
                _("No active channel manager or program admin with that id or email here.")
            )
        found_user = found.user
    if pk is not None and email is not None and found_user.email.lower() != email.lower():
        raise conflict(_("cam_id and cam_email name different people: give one."))
    return found_user


@router.post(
    "",
    auth=scoped(WRITE),
    response={201: PartnerDetailOut, **ONE_ERRORS, 409: ErrorOut},
    summary="Create a partner",
    description="Add a partner account, as “Add partner” in the console does: the name, a "
    "partner type (by id or name; the program's first type if neither), its tier, region, "
    "channel manager (by user id or email) and email domains. 404 when the type, tier or "
    "channel manager is not one of the program's (active staff for a CAM); 409 for a free "
    "email provider's domain (gmail.com, …) or a domain of another partner account.",
    operation_id="partner_create",
)
def partner_create(request: TenantRequest, payload: PartnerCreateIn) -> Any:
    partner_type = _partner_type(request, pk=payload.type_id, name=payload.type_name, keep=None)
    cam = None
    if payload.cam_id is not None or payload.cam_email is not None:
        cam = _cam(request, pk=payload.cam_id, email=payload.cam_email)
    try:
        account = partner_account_add(
            tenant=request.tenant,
            actor=request.api_key,
            name=payload.name.strip(),
            partner_type=partner_type,
            tier=_tier(request, payload.tier),
            region=payload.region or "",
            cam=cam,
            domains=payload.domains,
        )
    except PartnerError as exc:  # a free-mail domain, one of another account
        raise conflict(str(exc)) from exc
    return Status(201, _detail(request, partner_account_get(tenant=request.tenant, pk=account.pk)))


def update(
    request: TenantRequest,
    account: PartnerAccount,
    *,
    version: str | None = None,
    domains: list[str] | None = None,
    **changes: Any,
) -> PartnerAccount:
    """`partner_account_update` with the account's current values for what is not given."""
    current = domains_of(request, account)
    wanted = {
        "partner_type": account.partner_type,
        "tier": account.tier,
        "region": account.region,
        "cam": account.cam,
        **changes,
    }
    new_domains = current if domains is None else domains
    try:
        return partner_account_update(
            tenant=request.tenant,
            actor=request.api_key,
            account_id=account.pk,
            version=version or partner_account_version(account=account, domains=current),
            domains=new_domains,
            **wanted,
        )
    except PartnerError as exc:  # changed meanwhile; a free-mail domain, one of another account
        raise conflict(str(exc)) from exc


@router.patch(
    "/{partner_id}",
    auth=scoped(WRITE),
    response={200: PartnerDetailOut, **ONE_ERRORS, 409: ErrorOut},
    summary="Update a partner",
    description="Change the partner type, tier, region, channel manager or domains, as "
    "“Edit” in the console does (audited with the before and after values). Only the fields "
    "given change; `cam_id: null` unassigns, `region: null` clears it. 404 when the type, "
    "tier or channel manager is not one of the program's; 409 for a refused domain, or when "
    "`version` is given and the partner changed since it was read.",
    operation_id="partner_update",
)
def partner_update(request: TenantRequest, partner_id: int, payload: PartnerUpdateIn) -> Any:
    account = partner_or_404(request, partner_id)
    given = payload.model_fields_set
    changes: dict[str, Any] = {}
    if payload.type_id is not None:
        changes["partner_type"] = _partner_type(
            request, pk=payload.type_id, name=None, keep=account.partner_type_id
        )
    if payload.tier is not None:
        changes["tier"] = _tier(request, payload.tier, current=account.tier)
    if "region" in given:
        changes["region"] = payload.region or ""
    if payload.cam_id is not None or payload.cam_email is not None:
        changes["cam"] = _cam(
            request, pk=payload.cam_id, email=payload.cam_email, current=account.cam
        )
    elif "cam_id" in given or "cam_email" in given:
        changes["cam"] = None
    update(request, account, version=payload.version, domains=payload.domains, **changes)
    return _detail(request, partner_account_get(tenant=request.tenant, pk=account.pk))


def _status_change(request: TenantRequest, partner_id: int, service: Any, reason: str) -> Any:
    account = partner_or_404(request, partner_id)
    try:
        service(tenant=request.tenant, actor=request.api_key, account_id=account.pk, reason=reason)
    except PartnerError as exc:
        raise conflict(str(exc)) from exc
    return _detail(request, partner_account_get(tenant=request.tenant, pk=account.pk))


@router.post(
    "/{partner_id}/suspend",
    auth=scoped(WRITE),
    response={200: PartnerDetailOut, **ONE_ERRORS, 409: ErrorOut},
    summary="Suspend a partner",
    description="Its users can then only sign in to a page saying so; its progress is kept. "
    "409 if it is already suspended. The body (a `reason`) is optional.",
    operation_id="partner_suspend",
)
def partner_suspend_op(
    request: TenantRequest, partner_id: int, payload: StatusChangeIn | None = None
) -> Any:
    return _status_change(request, partner_id, partner_suspend, payload.reason if payload else "")


@router.post(
    "/{partner_id}/reactivate",
    auth=scoped(WRITE),
    response={200: PartnerDetailOut, **ONE_ERRORS, 409: ErrorOut},
    summary="Reactivate a partner",
    description="Give a suspended partner's users their portal back, where they left it. "
    "409 if it is active. The body (a `reason`) is optional.",
    operation_id="partner_reactivate",
)
def partner_reactivate_op(
    request: TenantRequest, partner_id: int, payload: StatusChangeIn | None = None
) -> Any:
    return _status_change(
        request, partner_id, partner_reactivate, payload.reason if payload else ""
    )


# Domains, users and invitations add their operations to this router.
from apps.api.routers import partners_domains, partners_team  # noqa: E402, F401
