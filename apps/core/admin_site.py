"""The operator's /admin/: platform host only, allauth sign-in, TOTP required.

- Served on ``settings.BASE_DOMAIN`` only, and (when ``ADMIN_ALLOWED_IPS`` is set) only to
  clients inside that allowlist; anywhere else every admin URL is a 404, as if there were none.
- Its login page is allauth's (rate limits, email verification, TOTP step), reached with
  ``?next=`` back into the admin; Django's own admin login form is never shown.
- Entering takes a staff account with a TOTP authenticator. A superuser without one is sent to
  allauth's TOTP enrolment page (served on the platform host for that reason).

Installed as the default admin site through ``OnrampAdminConfig`` in INSTALLED_APPS, so every
``@admin.register`` lands here.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from functools import update_wrapper
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.core.checks import CheckMessage, Error, Tags, register
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from apps.core.clientip import client_ip


def is_platform_host(request: HttpRequest) -> bool:
    base_domain: str = settings.BASE_DOMAIN
    return request.get_host().split(":", 1)[0].lower().rstrip(".") == base_domain.lower()


def client_in_admin_allowlist(request: HttpRequest) -> bool:
    """True when ADMIN_ALLOWED_IPS is empty or holds the client's real address."""
    allowed: list[str] = list(getattr(settings, "ADMIN_ALLOWED_IPS", []) or [])
    if not allowed:
        return True
    try:
        address = ipaddress.ip_address(client_ip(request))
    except ValueError:
        return False
    for entry in allowed:
        try:
            network = ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:  # a malformed entry admits nobody (and fails the system check)
            continue
        if address.version == network.version and address in network:
            return True
    return False


def platform_request_allowed(request: HttpRequest) -> bool:
    """May this request reach the operator's pages (admin, its sign-in)?"""
    return is_platform_host(request) and client_in_admin_allowlist(request)


def has_totp(user: Any) -> bool:
    from allauth.mfa.models import Authenticator

    if not getattr(user, "is_authenticated", False):
        return False
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


@register(Tags.security)
def check_admin_allowlist(**kwargs: Any) -> list[CheckMessage]:
    errors: list[CheckMessage] = []
    for entry in getattr(settings, "ADMIN_ALLOWED_IPS", []) or []:
        try:
            ipaddress.ip_network(entry.strip(), strict=False)
        except ValueError:
            errors.append(
                Error(
                    f"ADMIN_ALLOWED_IPS: {entry!r} is not an IP address or network.",
                    id="onramp.admin.E001",
                )
            )
    return errors


class OnrampAdminSite(AdminSite):
    site_header = "Onramp platform administration"
    site_title = "Onramp admin"

    def has_permission(self, request: HttpRequest) -> bool:
        return super().has_permission(request) and has_totp(request.user)

    def admin_view(self, view: Callable[..., Any], cacheable: bool = False) -> Callable[..., Any]:
        inner = super().admin_view(view, cacheable)

        def guarded(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
            if not platform_request_allowed(request):
                raise Http404
            return inner(request, *args, **kwargs)

        return update_wrapper(guarded, inner)

    def login(self, request: HttpRequest, extra_context: dict[str, Any] | None = None) -> Any:
        """No login form of its own: allauth's, then (for a superuser) TOTP enrolment."""
        if not platform_request_allowed(request):
            raise Http404
        target = request.GET.get("next", "")
        if not url_has_allowed_host_and_scheme(
            target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
        ):
            target = ""
        target = target or reverse("admin:index", current_app=self.name)
        user = request.user
        if not user.is_authenticated:
            return _redirect("account_login", next_url=target)
        if self.has_permission(request):
            return HttpResponseRedirect(target)
        if user.is_active and user.is_staff and not has_totp(user):
            return _redirect("mfa_activate_totp", next_url=target)
        raise PermissionDenied


def _redirect(url_name: str, *, next_url: str) -> HttpResponse:
    return HttpResponseRedirect(f"{reverse(url_name)}?{urlencode({'next': next_url})}")


class OnrampAdminConfig(AdminConfig):
    default_site = "apps.core.admin_site.OnrampAdminSite"
