"""The portal's Team requests: applicants whose email domain belongs to the partner admin's
own account (DOMAIN §3, our addition). Whoever decides first — a partner admin here or a CAM
in the queue — wins; the other sees the decision."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.applications import selectors
from apps.applications.services import (
    ApplicationError,
    application_team_add,
    application_team_decline,
)
from apps.partners.access import portal_partner_account
from apps.tenancy.access import portal_admin_view


def _request(request, account, pk: int):
    application = selectors.team_request_get(tenant=request.tenant, account=account, pk=pk)
    if application is None:
        raise Http404
    return application


@portal_admin_view
def team_requests(request):
    account = portal_partner_account(request)
    return render(
        request,
        "applications/portal_requests.html",
        {
            "nav": "team_requests",
            "partner_account": account,
            "pending": list(selectors.team_requests(tenant=request.tenant, account=account)),
            "decided": selectors.team_requests_decided(tenant=request.tenant, account=account),
        },
    )


@portal_admin_view
@require_POST
def team_add(request, pk: int):
    account = portal_partner_account(request)
    application = _request(request, account, pk)
    try:
        application_team_add(tenant=request.tenant, actor=request.user, application_id=pk)
    except ApplicationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            f"{application.full_name} is now on your team. We’ve emailed them a link to set "
            "their password.",
        )
    return redirect("applications_portal:requests")


@portal_admin_view
@require_POST
def team_decline(request, pk: int):
    account = portal_partner_account(request)
    application = _request(request, account, pk)
    try:
        application_team_decline(
            tenant=request.tenant,
            actor=request.user,
            application_id=pk,
            reason=request.POST.get("reason", "")[:2000],
        )
    except ApplicationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"You declined {application.full_name}’s request.")
    return redirect("applications_portal:requests")
