"""API-key authentication with scopes: `@router.get("/x", auth=scoped("partners:read"))`.

The key must be a key of the request's program (the tenant of the host), active (not
revoked, not expired). In order:

1. no key, an unknown, revoked or expired key, or a key of another program → 401
   `unauthorized` (with `WWW-Authenticate: Bearer`);
2. the key's rate limit (apps/api/ratelimit.py) → 429 `rate_limited`;
3. the operation's scope missing from the key → 403 `insufficient_scope`.

The handler then has `request.tenant` and `request.api_key` (the `ApiKey`, which acts as
itself: pass it as `actor=` to services; the audit log names it by `audit_label`).
"""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.utils import timezone
from django.utils.translation import gettext as _
from ninja.security import HttpBearer

from apps.api.errors import INSUFFICIENT_SCOPE, RATE_LIMITED, UNAUTHORIZED, ApiError
from apps.api.models import ApiKey, ApiKeyStatus, ApiScope
from apps.api.ratelimit import rate_limit_take
from apps.api.services import api_key_identify, api_key_touch

BEARER_CHALLENGE = 'Bearer realm="api"'


def _unauthorized(message: str) -> ApiError:
    return ApiError(401, UNAUTHORIZED, message, headers={"WWW-Authenticate": BEARER_CHALLENGE})


class ApiKeyAuth(HttpBearer):
    """Bearer API key of the request's program, holding `scope`."""

    openapi_bearerFormat = "onr_…"
    openapi_description = "`Authorization: Bearer onr_…` with a key of this program."

    def __init__(self, scope: str) -> None:
        if scope not in ApiScope.values:
            raise ValueError(f"Unknown API scope {scope!r}; see apps.api.models.ApiScope.")
        self.scope = scope
        super().__init__()

    def __call__(self, request: HttpRequest) -> ApiKey:
        tenant = getattr(request, "tenant", None)
        if tenant is None:
            raise Http404
        header = request.headers.get("Authorization", "")
        scheme, _sep, raw = header.partition(" ")
        if scheme.lower() != "bearer" or not raw.strip():
            raise _unauthorized(
                _("Send a valid API key of this program: Authorization: Bearer onr_…")
            )
        return self.authenticate(request, raw.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ApiKey:
        key = api_key_identify(tenant=request.tenant, raw=token)  # type: ignore[attr-defined]
        if key is None:
            raise _unauthorized(
                _("Send a valid API key of this program: Authorization: Bearer onr_…")
            )
        now = timezone.now()
        status = key.status_at(now)
        if status != ApiKeyStatus.ACTIVE:
            # Logged against the key (the caller holds its secret), then refused.
            request.api_key_refused = key  # type: ignore[attr-defined]
            message = (
                _("This API key is revoked.")
                if status == ApiKeyStatus.REVOKED
                else _("This API key has expired.")
            )
            raise _unauthorized(message)
        request.api_key = key  # type: ignore[attr-defined]
        api_key_touch(key=key, now=now)
        bucket = rate_limit_take(bucket_id=str(key.pk))
        request.api_rate_limit = bucket  # type: ignore[attr-defined]
        if not bucket.allowed:
            raise ApiError(
                429,
                RATE_LIMITED,
                _("Too many requests with this key: retry after %(seconds)s s.")
                % {"seconds": bucket.retry_after},
            )
        if not key.has_scope(self.scope):
            raise ApiError(
                403,
                INSUFFICIENT_SCOPE,
                _("This API key lacks the scope %(scope)s.") % {"scope": self.scope},
                headers={
                    "WWW-Authenticate": (
                        f'Bearer realm="api", error="insufficient_scope", scope="{self.scope}"'
                    )
                },
            )
        return key


def scoped(scope: str) -> Any:
    """The auth of an operation that needs `scope` (one of `ApiScope`)."""
    return ApiKeyAuth(scope)
