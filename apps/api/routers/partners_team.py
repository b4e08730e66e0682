"""`/api/v1/partners/{partner_id}/users` and `…/invitations`: a partner account's users, and
inviting people to it, on the partners router (apps/api/routers/partners.py).

An invitation is a partner user who has not set a password yet: inviting adds the user to
the account with their role and emails them a single-use set-password link (through the
outbox), as staff do from the console's partner page (apps/applications/services/team.py,
with the key acting under the staff's rules). Its id is the partner user's id. It is
`pending` until they set a password (`accepted`); revoking it deactivates the user before
they ever signed in (`revoked`), as the console's “Revoke invitation” does.
"""

from __future__ import annotations

from typing import Any, Literal

from django.contrib.auth.hashers import UNUSABLE_PASSWORD_PREFIX
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import BooleanField, ExpressionWrapper, Q, QuerySet
from django.utils.translation import gettext as _
from ninja import Field, Query, Schema, Status

from apps.api.auth import scoped
from apps.api.errors import ErrorOut
from apps.api.pagination import PageParams, keyset_page
from apps.api.routers.partners import (
    MAX_ID,
    READ,
    WRITE,
    conflict,
    invalid,
    not_found,
    partner_or_404,
    router,
)
from apps.api.schemas.partners import (
    InvitationIn,
    InvitationOut,
    InvitationPage,
    PartnerUserPage,
)
from apps.applications.services.team import (
    TeamError,
    TeamMemberNotFound,
    team_member_invitation_resend,
    team_member_invite,
    team_member_remove,
)
from apps.partners.models import PartnerAccount, PartnerUser
from apps.tenancy.http import TenantRequest
from apps.tenancy.models import PARTNER_ROLES

_ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
_COLUMNS = (
    "id",
    "created_at",
    "membership__id",
    "membership__role",
    "membership__is_active",
    "membership__user__id",
    "membership__user__email",
    "membership__user__first_name",
    "membership__user__last_name",
)


def _members(request: TenantRequest, account: PartnerAccount) -> QuerySet[PartnerUser]:
    """The account's users (a partner user who became program staff is no longer one), each
    with `invited`: no password set yet (its set-password link unused)."""
    return (
        PartnerUser.objects.filter(
            tenant=request.tenant, account=account, membership__role__in=PARTNER_ROLES
        )
        .select_related("membership__user")
        .only(*_COLUMNS)
        .annotate(
            invited=ExpressionWrapper(
                Q(membership__user__password__startswith=UNUSABLE_PASSWORD_PREFIX),
                output_field=BooleanField(),
            )
        )
    )


def _user_out(member: PartnerUser) -> dict[str, Any]:
    membership = member.membership
    user = membership.user
    if not membership.is_active:
        status = "deactivated"
    elif member.invited:  # type: ignore[attr-defined]
        status = "invited"
    else:
        status = "active"
    return {
        "id": member.pk,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "role": membership.role,
        "status": status,
        "created_at": member.created_at,
    }


def _invitation_status(member: PartnerUser) -> str:
    if not member.invited:  # type: ignore[attr-defined]
        return "accepted"
    return "pending" if member.membership.is_active else "revoked"


def _invitation_out(member: PartnerUser) -> dict[str, Any]:
    return {
        "id": member.pk,
        "email": member.membership.user.email,
        "role": member.membership.role,
        "status": _invitation_status(member),
        "created_at": member.created_at,
    }


def _member_or_404(request: TenantRequest, account: PartnerAccount, member_id: int) -> PartnerUser:
    member = (
        _members(request, account).filter(pk=member_id).first()
        if 1 <= member_id <= MAX_ID
        else None
    )
    if member is None:
        raise not_found(_("No invitation with that id on this partner."))
    return member


@router.get(
    "/{partner_id}/users",
    auth=scoped(READ),
    response={200: PartnerUserPage, **_ERRORS},
    summary="List a partner's users",
    description="The people of the partner account, oldest first, with their role and "
    "whether they can sign in (`active`), have not accepted their invitation yet "
    "(`invited`) or were removed (`deactivated`).",
    operation_id="partner_users_list",
)
def partner_users_list(request: TenantRequest, partner_id: int, page: Query[PageParams]) -> Any:
    account = partner_or_404(request, partner_id)
    return keyset_page(
        _members(request, account),
        cursor=page.cursor,
        limit=page.limit,
        order=("id",),
        transform=lambda rows: [_user_out(m) for m in rows],
    )


class InvitationFilters(Schema):
    status: Literal["pending", "accepted", "revoked"] | None = Field(
        None,
        description="Only invitations in this status: `pending`, `accepted` or `revoked`.",
    )


@router.get(
    "/{partner_id}/invitations",
    auth=scoped(READ),
    response={200: InvitationPage, **_ERRORS},
    summary="List a partner's invitations",
    description="Everyone invited to the partner account, oldest first: `pending` (no "
    "password set yet), `accepted` or `revoked`.",
    operation_id="partner_invitations_list",
)
def partner_invitations_list(
    request: TenantRequest,
    partner_id: int,
    page: Query[PageParams],
    filters: Query[InvitationFilters],
) -> Any:
    account = partner_or_404(request, partner_id)
    rows = _members(request, account)
    if filters.status == "pending":
        rows = rows.filter(invited=True, membership__is_active=True)
    elif filters.status == "revoked":
        rows = rows.filter(invited=True, membership__is_active=False)
    elif filters.status == "accepted":
        rows = rows.filter(invited=False)
    return keyset_page(
        rows,
        cursor=page.cursor,
        limit=page.limit,
        order=("id",),
        transform=lambda found: [_invitation_out(m) for m in found],
    )


@router.post(
    "/{partner_id}/invitations",
    auth=scoped(WRITE),
    response={201: InvitationOut, **_ERRORS, 409: ErrorOut},
    summary="Invite a user to a partner",
    description="Add a person to the partner account with a role and email them a link to "
    "set their password (any address: the program's staff rules). 409 if they are already a "
    "user of this or another partner account, or on the program's staff. Someone removed "
    "from this account is invited back.",
    operation_id="partner_invitation_create",
)
def partner_invitation_create(
    request: TenantRequest, partner_id: int, payload: InvitationIn
) -> Any:
    account = partner_or_404(request, partner_id)
    email = payload.email.strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise invalid("email", _("Enter a valid email address.")) from exc
    try:
        member = team_member_invite(
            tenant=request.tenant,
            actor=request.api_key,  # type: ignore[attr-defined]
            account_id=account.pk,
            email=email,
            role=payload.role,
            first_name=payload.first_name,
            last_name=payload.last_name,
        )
    except TeamMemberNotFound as exc:
        raise not_found() from exc
    except TeamError as exc:
        raise conflict(str(exc)) from exc
    return Status(201, _invitation_out(_member_or_404(request, account, member.pk)))


def _invitation_change(
    request: TenantRequest, partner_id: int, invitation_id: int, *, revoke: bool
) -> dict[str, Any]:
    account = partner_or_404(request, partner_id)
    with transaction.atomic():
        # The team services lock the account first: so does this check, so a concurrent
        # acceptance or revocation is seen before the change.
        PartnerAccount.objects.select_for_update(of=("self",)).filter(
            tenant=request.tenant, pk=account.pk
        ).first()
        member = _member_or_404(request, account, invitation_id)
        status = _invitation_status(member)
        if status == "accepted":
            raise conflict(
                _("%(email)s has already accepted the invitation.")
                % {"email": member.membership.user.email}
            )
        if status == "revoked":
            raise conflict(
                _("The invitation to %(email)s was already revoked.")
                % {"email": member.membership.user.email}
            )
        service = team_member_remove if revoke else team_member_invitation_resend
        try:
            service(
                tenant=request.tenant,
                actor=request.api_key,  # type: ignore[attr-defined]
                account_id=account.pk,
                member_id=member.pk,
            )
        except TeamMemberNotFound as exc:
            raise not_found(_("No invitation with that id on this partner.")) from exc
        except TeamError as exc:
            raise conflict(str(exc)) from exc
    return _invitation_out(_member_or_404(request, account, invitation_id))


@router.post(
    "/{partner_id}/invitations/{invitation_id}/revoke",
    auth=scoped(WRITE),
    response={200: InvitationOut, **_ERRORS, 409: ErrorOut},
    summary="Revoke an invitation",
    description="The invited user is deactivated before they ever signed in: they cannot "
    "join the partner account. 409 if the invitation was already accepted or revoked.",
    operation_id="partner_invitation_revoke",
)
def partner_invitation_revoke(request: TenantRequest, partner_id: int, invitation_id: int) -> Any:
    return _invitation_change(request, partner_id, invitation_id, revoke=True)


@router.post(
    "/{partner_id}/invitations/{invitation_id}/resend",
    auth=scoped(WRITE),
    response={200: InvitationOut, **_ERRORS, 409: ErrorOut},
    summary="Resend an invitation",
    description="Email the invitation again, with a new set-password link. 409 if the "
    "invitation was already accepted or revoked.",
    operation_id="partner_invitation_resend",
)
def partner_invitation_resend(request: TenantRequest, partner_id: int, invitation_id: int) -> Any:
    return _invitation_change(request, partner_id, invitation_id, revoke=False)
