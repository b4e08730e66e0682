"""Views of one partner account: the account is resolved once, before the view runs.

`/console/partners/<partner_id>/…` views (partner detail, onboarding and milestones tabs) are
wrapped by `console_partner_view` or `console_admin_partner_view`. Each applies the tenancy
rule of the same name first (apps/tenancy/access.py: strangers 404, lower roles 403/404), then
loads the account within `request.tenant` (404 for another tenant's id) with the related rows
the views show, and sets it on `request.partner_account`. The rule is recorded on the view
(`view.access`) like every other access rule, so the isolation walker checks these views too.

Portal views read the signed-in partner user's own account with `portal_partner_account`.

A suspended account's users are turned away from every view they could open by
`portal_suspended_gate`, registered with the tenancy decorators (`portal_gate_register`, in
PartnersConfig.ready), which run it for every partner-role request: portal pages, file
downloads, team pages and the shared views such as `/notifications/`. They are sent to
`/portal/suspended/` (the one page they can open, `portal_ungated_view`); signing in lands
them there too (home is `/portal/`, which the gate turns away). The API refuses a suspended
partner's events (409) and the milestone sweep raises no alert for one.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.http import Http404, HttpResponseBase
from django.shortcuts import redirect

from apps.partners.models import PartnerAccount, PartnerStatus
from apps.partners.selectors import partner_account_get, partner_account_of_membership
from apps.tenancy.access import AccessView, View, console_admin_view, console_view
from apps.tenancy.http import MemberRequest, TenantRequest


class PartnerRequest(MemberRequest):
    """A request to a view of one partner account (for type annotations only)."""

    partner_account: PartnerAccount


def _with_partner_account(
    rule: Callable[[View], AccessView],
) -> Callable[[View], AccessView]:
    """`rule`, then the partner account of the URL's `partner_id` on `request.partner_account`."""

    def decorator(view: View) -> AccessView:
        @wraps(view)
        def resolve(request: PartnerRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            try:
                request.partner_account = partner_account_get(
                    tenant=request.tenant, pk=kwargs["partner_id"]
                )
            except PartnerAccount.DoesNotExist as exc:
                raise Http404 from exc
            return view(request, *args, **kwargs)

        return rule(resolve)

    return decorator


console_partner_view = _with_partner_account(console_view)
console_admin_partner_view = _with_partner_account(console_admin_view)


def _portal_account_or_none(request: TenantRequest) -> PartnerAccount | None:
    """The signed-in partner user's account (the selector reads it once per request)."""
    if request.membership is None:
        return None
    return partner_account_of_membership(membership=request.membership)


def portal_partner_account(request: TenantRequest) -> PartnerAccount:
    """The account of the signed-in partner user (portal views); 404 if they have none."""
    account = _portal_account_or_none(request)
    if account is None:
        raise Http404
    return account


def portal_account_is_suspended(request: TenantRequest) -> bool:
    account = _portal_account_or_none(request)
    return account is not None and account.status == PartnerStatus.SUSPENDED


def portal_suspended_gate(request: TenantRequest) -> HttpResponseBase | None:
    """Send a suspended account's user to the page saying so, instead of any portal view."""
    if portal_account_is_suspended(request):
        return redirect("partners_portal:suspended")
    return None
