"""Who may open a view. Every tenant view is wrapped by exactly one of these decorators.

Each decorator records its rule on the view (`view.access`) so the isolation tests can walk
every URL and check it. Strangers (another tenant's users) get 404, never a hint that the
page exists; a member whose role is too low gets 403. Views of one partner account
(`/console/partners/<partner_id>/…`) use the decorators of `apps/partners/access.py`, which
apply these rules and then resolve the partner account once.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, Protocol, cast

from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponseBase

from apps.tenancy.http import TenantRequest
from apps.tenancy.models import PARTNER_ROLES, STAFF_ROLES, Role

PUBLIC = "public"
AUTHENTICATED = "member"
CONSOLE = "console"
CONSOLE_ADMIN = "console_admin"
PORTAL = "portal"
PORTAL_ADMIN = "portal_admin"

ALLOWED_ROLES = {
    AUTHENTICATED: frozenset(Role),
    CONSOLE: STAFF_ROLES,
    CONSOLE_ADMIN: frozenset({Role.PROGRAM_ADMIN}),
    PORTAL: PARTNER_ROLES,
    PORTAL_ADMIN: frozenset({Role.PARTNER_ADMIN}),
}
# Roles that may know the area exists, and so get 403 instead of 404 when not allowed.
AREA_ROLES = {
    AUTHENTICATED: frozenset(Role),
    CONSOLE: STAFF_ROLES,
    CONSOLE_ADMIN: STAFF_ROLES,
    PORTAL: PARTNER_ROLES,
    PORTAL_ADMIN: PARTNER_ROLES,
}


View = Callable[..., HttpResponseBase]
# Checks every view a partner user opens (the portal's and shared ones like notifications)
# runs after its role check (a higher layer registers them in its AppConfig.ready, e.g.
# partners turns a suspended account's users away). A gate returns a response to send
# instead of the view, or None to let the request through.
PortalGate = Callable[[TenantRequest], HttpResponseBase | None]
PORTAL_GATES: list[PortalGate] = []


def portal_gate_register(gate: PortalGate) -> PortalGate:
    """Run `gate` before every gated portal view (idempotent)."""
    if gate not in PORTAL_GATES:
        PORTAL_GATES.append(gate)
    return gate


class AccessView(Protocol):
    """A view wrapped by one of the decorators below; `access` names the rule it enforces."""

    access: str

    def __call__(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase: ...


def _require(access: str, *, gated: bool = True) -> Callable[[View], AccessView]:
    def decorator(view: View) -> AccessView:
        @wraps(view)
        def wrapper(request: TenantRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            if getattr(request, "tenant", None) is None:
                raise Http404
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            membership = request.membership
            if membership is None:
                raise Http404
            if membership.role not in ALLOWED_ROLES[access]:
                if membership.role in AREA_ROLES[access]:
                    raise PermissionDenied
                raise Http404
            # Every view a partner user can open (the portal's and the shared ones, such as
            # notifications), so a gate closes every door at once.
            if gated and membership.role in PARTNER_ROLES:
                for gate in PORTAL_GATES:
                    refusal = gate(request)
                    if refusal is not None:
                        return refusal
            return view(request, *args, **kwargs)

        checked = cast(AccessView, wrapper)
        checked.access = access
        return checked

    return decorator


def public_view(view: View) -> AccessView:
    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if getattr(request, "tenant", None) is None:
            raise Http404
        return view(request, *args, **kwargs)

    checked = cast(AccessView, wrapper)
    checked.access = PUBLIC
    return checked


member_view = _require(AUTHENTICATED)
console_view = _require(CONSOLE)
console_admin_view = _require(CONSOLE_ADMIN)
portal_view = _require(PORTAL)
portal_admin_view = _require(PORTAL_ADMIN)
# A portal page the gates must not turn away (the page a gate sends the user to).
portal_ungated_view = _require(PORTAL, gated=False)
