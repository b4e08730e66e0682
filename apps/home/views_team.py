"""The program's staff (/console/settings/team/), for program admins: invite, resend an
invitation, change role, deactivate and reactivate."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.home.forms_team import StaffInviteForm, StaffRoleForm
from apps.home.selectors import staff_members_of
from apps.home.services import (
    StaffError,
    staff_active_set,
    staff_invitation_resend,
    staff_invite,
    staff_is_pending,
    staff_role_change,
)
from apps.tenancy.access import console_admin_view
from apps.tenancy.http import TenantRequest
from apps.tenancy.models import Membership, Role


def _page(
    request: TenantRequest,
    *,
    form: StaffInviteForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    staff = list(staff_members_of(tenant=request.tenant))
    rows = [
        {
            "membership": m,
            "pending": staff_is_pending(m),
            "is_self": m.user_id == request.user.pk,
        }
        for m in staff
    ]
    return render(
        request,
        "home/team.html",
        {
            "nav": "team",
            "rows": rows,
            "form": form or StaffInviteForm(),
            "role_choices": StaffRoleForm.base_fields["role"].choices,  # type: ignore[attr-defined]
            "error": error,
        },
        status=status,
    )


@console_admin_view
def team(request: TenantRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request)
    form = StaffInviteForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form, status=422)
    try:
        membership = staff_invite(
            tenant=request.tenant,
            actor=request.user,
            email=form.cleaned_data["email"],
            role=Role(form.cleaned_data["role"]),
            first_name=form.cleaned_data["first_name"],
            last_name=form.cleaned_data["last_name"],
        )
    except StaffError as exc:
        form.add_error("email", str(exc))
        return _page(request, form=form, status=422)
    messages.success(request, _("Invitation sent to %(email)s.") % {"email": membership.user.email})
    return redirect("staff:team")


def _staff_action(
    request: TenantRequest,
    membership_id: int,
    change: Callable[[], Any],
    done: str,
) -> HttpResponse:
    """404 unless the id is staff of this program; run the change; 422 with the reason
    when the rules refuse it."""
    if not staff_members_of(tenant=request.tenant).filter(pk=membership_id).exists():
        raise Http404
    try:
        change()
    except Membership.DoesNotExist as exc:
        raise Http404 from exc
    except StaffError as exc:
        return _page(request, error=str(exc), status=422)
    messages.success(request, done)
    return redirect("staff:team")


@console_admin_view
@require_POST
def team_resend(request: TenantRequest, membership_id: int) -> HttpResponseBase:
    return _staff_action(
        request,
        membership_id,
        lambda: staff_invitation_resend(
            tenant=request.tenant, actor=request.user, membership_id=membership_id
        ),
        _("A new invitation is on its way."),
    )


@console_admin_view
@require_POST
def team_role(request: TenantRequest, membership_id: int) -> HttpResponseBase:
    form = StaffRoleForm(request.POST)
    if not staff_members_of(tenant=request.tenant).filter(pk=membership_id).exists():
        raise Http404
    if not form.is_valid():
        return _page(request, error=_("Choose a staff role."), status=422)
    return _staff_action(
        request,
        membership_id,
        lambda: staff_role_change(
            tenant=request.tenant,
            actor=request.user,
            membership_id=membership_id,
            role=Role(form.cleaned_data["role"]),
        ),
        _("Role changed."),
    )


@console_admin_view
@require_POST
def team_deactivate(request: TenantRequest, membership_id: int) -> HttpResponseBase:
    return _staff_action(
        request,
        membership_id,
        lambda: staff_active_set(
            tenant=request.tenant, actor=request.user, membership_id=membership_id, active=False
        ),
        _("Deactivated: they can no longer sign in to this program."),
    )


@console_admin_view
@require_POST
def team_reactivate(request: TenantRequest, membership_id: int) -> HttpResponseBase:
    return _staff_action(
        request,
        membership_id,
        lambda: staff_active_set(
            tenant=request.tenant, actor=request.user, membership_id=membership_id, active=True
        ),
        _("Reactivated."),
    )
