"""The portal's team page (/portal/team/): a partner admin manages their account's users.

Partner admins only (partner users get 403, like Team requests; docs/decisions.md). The
account is always the signed-in admin's own: another account's user id is a 404.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.applications.forms_team import TeamInviteForm, TeamRoleForm
from apps.applications.selectors_team import team_members
from apps.applications.services.team import (
    TeamError,
    TeamMemberNotFound,
    allowed_domains,
    team_member_invite,
    team_member_remove,
    team_member_role_change,
)
from apps.partners.access import portal_partner_account
from apps.partners.models import PartnerAccount
from apps.tenancy.access import portal_admin_view
from apps.tenancy.http import MemberRequest


def _page(
    request: MemberRequest,
    account: PartnerAccount,
    *,
    form: TeamInviteForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "applications/portal_team.html",
        {
            "nav": "team",
            "partner_account": account,
            "members": list(team_members(tenant=request.tenant, account=account)),
            "domains": allowed_domains(tenant=request.tenant, account=account),
            "form": form or TeamInviteForm(),
            "error": error,
        },
        status=status,
    )


@portal_admin_view
def team(request: MemberRequest) -> HttpResponse:
    return _page(request, portal_partner_account(request))


@portal_admin_view
@require_POST
def team_invite(request: MemberRequest) -> HttpResponse:
    account = portal_partner_account(request)
    form = TeamInviteForm(request.POST)
    if not form.is_valid():
        return _page(request, account, form=form, status=422)
    data = form.cleaned_data
    try:
        team_member_invite(
            tenant=request.tenant,
            actor=request.user,
            account_id=account.pk,
            email=data["email"],
            role=data["role"],
            first_name=data["first_name"],
            last_name=data["last_name"],
        )
    except TeamError as exc:
        form.add_error("email", str(exc))
        return _page(request, account, form=form, status=422)
    messages.success(
        request,
        _("We’ve emailed %(email)s a link to set their password and join your team.")
        % {"email": data["email"]},
    )
    return redirect("applications_team:team")


@portal_admin_view
@require_POST
def team_role(request: MemberRequest, pk: int) -> HttpResponse:
    account = portal_partner_account(request)
    form = TeamRoleForm(request.POST)
    if not form.is_valid():
        return _page(request, account, error=_("Choose partner admin or partner user."), status=422)
    try:
        membership = team_member_role_change(
            tenant=request.tenant,
            actor=request.user,
            account_id=account.pk,
            member_id=pk,
            role=form.cleaned_data["role"],
        )
    except TeamMemberNotFound as exc:
        raise Http404 from exc
    except TeamError as exc:
        return _page(request, account, error=str(exc), status=422)
    messages.success(
        request,
        _("%(name)s is now a %(role)s.")
        % {
            "name": membership.user.get_full_name() or membership.user.email,
            "role": membership.get_role_display().lower(),
        },
    )
    return redirect("applications_team:team")


@portal_admin_view
@require_POST
def team_remove(request: MemberRequest, pk: int) -> HttpResponse:
    account = portal_partner_account(request)
    try:
        membership = team_member_remove(
            tenant=request.tenant, actor=request.user, account_id=account.pk, member_id=pk
        )
    except TeamMemberNotFound as exc:
        raise Http404 from exc
    except TeamError as exc:
        return _page(request, account, error=str(exc), status=422)
    messages.success(
        request,
        _("%(name)s was removed from your team.")
        % {"name": membership.user.get_full_name() or membership.user.email},
    )
    if membership.user_id == request.user.pk:
        return redirect("root")
    return redirect("applications_team:team")
