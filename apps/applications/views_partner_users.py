"""The users of a partner account, managed by the program's staff from the console's partner
page (/console/partners/<partner_id>/users/…): invite, resend an invitation, change role,
deactivate and reactivate. The rules are the team services' (apps/applications/services/team.py).

Every console staff member may: program admins and every CAM, as for editing the account
(`console_partner_view`). A member id that is not one of this account's users (another
account's, another program's) is a 404. Post/Redirect/Get: a change redirects to the partner
page's Users card with a message; a refused change shows the partner page again with the
reason (422). The invite form has its own page too, where it comes back with its errors (422).
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from apps.applications.forms_team import TeamInviteForm, TeamRoleForm
from apps.applications.selectors_team import team_has_active_admin, team_member_exists
from apps.applications.services.team import (
    TeamError,
    TeamMemberNotFound,
    allowed_domains,
    team_member_invitation_resend,
    team_member_invite,
    team_member_is_pending,
    team_member_reactivate,
    team_member_remove,
    team_member_role_change,
)
from apps.partners.access import PartnerRequest, console_partner_view
from apps.partners.views import partner_detail
from apps.tenancy.models import Membership


def _back(request: PartnerRequest) -> HttpResponse:
    url = reverse("partners:detail", args=[request.partner_account.pk]) + "#users"
    return redirect(url)


def _refused(request: PartnerRequest, message: str) -> HttpResponseBase:
    """The partner page again, with the reason the change was refused (422)."""
    messages.error(request, message)
    response = partner_detail(request, partner_id=request.partner_account.pk)
    response.status_code = 422
    return response


def _name(membership: Membership) -> str:
    return membership.user.get_full_name() or membership.user.email


@console_partner_view
@require_http_methods(["GET", "POST"])
def invite(request: PartnerRequest, partner_id: int) -> HttpResponse:
    account = request.partner_account
    form = TeamInviteForm(request.POST if request.method == "POST" else None)
    if form.is_bound and form.is_valid():
        data = form.cleaned_data
        try:
            member = team_member_invite(
                tenant=request.tenant,
                actor=request.user,
                account_id=account.pk,
                email=data["email"],
                role=data["role"],
                first_name=data["first_name"],
                last_name=data["last_name"],
            )
        except TeamMemberNotFound as exc:
            raise Http404 from exc
        except TeamError as exc:
            form.add_error("email", str(exc))
        else:
            messages.success(
                request,
                _("Invitation sent to %(email)s: they join %(account)s as a %(role)s.")
                % {
                    "email": member.membership.user.email,
                    "account": account.name,
                    "role": member.membership.get_role_display().lower(),
                },
            )
            return _back(request)
    return render(
        request,
        "applications/partner_user_invite.html",
        {
            "nav": "partners",
            "tab": "overview",
            "account": account,
            "form": form,
            "domains": allowed_domains(tenant=request.tenant, account=account),
        },
        status=422 if form.is_bound else 200,
    )


def _change(
    request: PartnerRequest,
    member_id: int,
    change: Callable[[], Membership],
    done: Callable[[Membership], str],
    *,
    checked: bool = False,
) -> HttpResponseBase:
    """404 unless `member_id` is one of the account's users (`checked`: the view saw to it);
    run the change; the partner page with the reason (422) when the rules refuse it, else
    back to it with `done`."""
    account = request.partner_account
    if not checked and not team_member_exists(
        tenant=request.tenant, account=account, member_id=member_id
    ):
        raise Http404
    try:
        membership = change()
    except TeamMemberNotFound as exc:
        raise Http404 from exc
    except TeamError as exc:
        return _refused(request, str(exc))
    messages.success(request, done(membership))
    if not team_has_active_admin(tenant=request.tenant, account=account):
        messages.warning(
            request,
            _(
                "%(account)s has no active partner admin now: until you make someone one, "
                "only the program’s staff can manage its users."
            )
            % {"account": account.name},
        )
    return _back(request)


@console_partner_view
@require_POST
def resend(request: PartnerRequest, partner_id: int, member_id: int) -> HttpResponseBase:
    return _change(
        request,
        member_id,
        lambda: team_member_invitation_resend(
            tenant=request.tenant,
            actor=request.user,
            account_id=request.partner_account.pk,
            member_id=member_id,
        ),
        lambda m: _("A new invitation is on its way to %(email)s.") % {"email": m.user.email},
    )


@console_partner_view
@require_POST
def role(request: PartnerRequest, partner_id: int, member_id: int) -> HttpResponseBase:
    account = request.partner_account
    if not team_member_exists(tenant=request.tenant, account=account, member_id=member_id):
        raise Http404
    form = TeamRoleForm(request.POST)
    if not form.is_valid():
        return _refused(request, _("Choose partner admin or partner user."))
    return _change(
        request,
        member_id,
        lambda: team_member_role_change(
            tenant=request.tenant,
            actor=request.user,
            account_id=account.pk,
            member_id=member_id,
            role=form.cleaned_data["role"],
        ),
        lambda m: (
            _("%(name)s is now a %(role)s.")
            % {"name": _name(m), "role": m.get_role_display().lower()}
        ),
        checked=True,
    )


@console_partner_view
@require_POST
def deactivate(request: PartnerRequest, partner_id: int, member_id: int) -> HttpResponseBase:
    def done(m: Membership) -> str:
        if team_member_is_pending(m):
            return _("The invitation to %(email)s is revoked.") % {"email": m.user.email}
        return _("%(name)s is deactivated: they can no longer use the portal.") % {"name": _name(m)}

    return _change(
        request,
        member_id,
        lambda: team_member_remove(
            tenant=request.tenant,
            actor=request.user,
            account_id=request.partner_account.pk,
            member_id=member_id,
        ),
        done,
    )


@console_partner_view
@require_POST
def reactivate(request: PartnerRequest, partner_id: int, member_id: int) -> HttpResponseBase:
    return _change(
        request,
        member_id,
        lambda: team_member_reactivate(
            tenant=request.tenant,
            actor=request.user,
            account_id=request.partner_account.pk,
            member_id=member_id,
        ),
        lambda m: (
            _("%(name)s can use the portal again, as a %(role)s.")
            % {"name": _name(m), "role": m.get_role_display().lower()}
        ),
    )
