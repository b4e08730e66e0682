"""Resolve the tenant from the request host and run the rest of the request in its scope."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import Http404, HttpResponseBase
from django_scopes import scope, scopes_disabled

from apps.core.admin_site import platform_request_allowed
from apps.tenancy.http import TenantRequest
from apps.tenancy.selectors import membership_get, tenant_for_host_cached_all_tenants

# allauth's pages, served on the platform host too (for the operator's admin sign-in).
PLATFORM_ACCOUNT_PREFIX = "/accounts/"

# Paths served on any host without a tenant.
HOSTLESS_PREFIXES = ("/healthz", "/livez")


class TenantMiddleware:
    def __init__(self, get_response: Callable[[TenantRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: TenantRequest) -> HttpResponseBase:
        request.tenant = None
        request.membership = None
        path = request.path_info
        if path.startswith(HOSTLESS_PREFIXES) or path.startswith(settings.STATIC_URL):
            return self.get_response(request)

        hostname = request.get_host()
        tenant = tenant_for_host_cached_all_tenants(hostname=hostname)
        if tenant is None:
            if self._is_platform_host(hostname):
                if path.startswith("/admin/"):
                    return self._admin_all_tenants(request)
                if path.startswith(PLATFORM_ACCOUNT_PREFIX) and platform_request_allowed(request):
                    # The operator's sign-in, email confirmation and TOTP enrolment for /admin/
                    # (the backend admits superusers only here).
                    return self.get_response(request)
            raise Http404("No partner program is served on this address.")

        request.tenant = tenant
        with scope(tenant=tenant):
            request.membership = membership_get(tenant=tenant, user=request.user)
            response = self.get_response(request)
            # Lazy responses must render while the tenant scope is still active.
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
        return response

    @staticmethod
    def _is_platform_host(hostname: str) -> bool:
        base_domain: str = settings.BASE_DOMAIN
        return hostname.split(":", 1)[0].lower() == base_domain.lower()

    def _admin_all_tenants(self, request: TenantRequest) -> HttpResponseBase:
        """The operator's /admin/ on the platform host sees every tenant (superusers only)."""
        with scopes_disabled():
            response = self.get_response(request)
            if hasattr(response, "render") and not getattr(response, "is_rendered", True):
                response.render()
        return response
