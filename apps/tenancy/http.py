"""The request as the tenancy middleware leaves it, for type checking views and decorators."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpRequest

from apps.tenancy.models import Membership, Tenant

if TYPE_CHECKING:
    from django_htmx.middleware import HtmxDetails

    from apps.accounts.models import User


class TenantRequest(HttpRequest):
    """An `HttpRequest` after `TenantMiddleware`: the tenant served and the user's membership.

    Only a type: Django still passes a plain `HttpRequest`, on which the middleware sets these.
    """

    tenant: Tenant | None
    membership: Membership | None
    htmx: HtmxDetails  # set by django_htmx's HtmxMiddleware on every request


class MemberRequest(TenantRequest):
    """A request to a view behind a member rule of `apps/tenancy/access.py` (console, portal…).

    The rule has already answered 404 / 403 / login otherwise, so the tenant, the signed-in
    user and the membership are all set. Only a type, like `TenantRequest`.
    """

    tenant: Tenant
    membership: Membership
    user: User
