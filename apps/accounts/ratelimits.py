"""allauth's rate limits, counted per program.

allauth keys each limit on the client (``per ip``), an email or user (``per key``/``user``),
never on the site, so one abusive client on one program's host could lock sign-in, password
reset or email confirmation on every program. Every allauth limit key is prefixed with the
request's tenant (``platform`` on the operator's host): the same client and address are
counted separately on each program. The client address itself is the real one
(apps/core/clientip.py, through AccountAdapter.get_client_ip).

allauth has no public hook for its cache key, so `install()` (AccountsConfig.ready) wraps the
one function that builds it; tests/core/test_client_ip.py fails loudly if an allauth upgrade
moves it.
"""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

PREFIX = "allauth:rl:"


def tenant_scope(request: HttpRequest) -> str:
    tenant = getattr(request, "tenant", None)
    return f"t{tenant.pk}" if tenant is not None else "platform"


def install() -> None:
    from allauth.core.internal import ratelimit as allauth_ratelimit

    original = allauth_ratelimit.get_cache_key
    if getattr(original, "tenant_scoped", False):
        return

    def get_cache_key(request: HttpRequest, **kwargs: Any) -> str:
        key: str = original(request, **kwargs)
        if not key.startswith(PREFIX):
            raise RuntimeError(f"Unexpected allauth rate-limit key {key!r}")
        return f"{PREFIX}{tenant_scope(request)}:{key.removeprefix(PREFIX)}"

    get_cache_key.tenant_scoped = True  # type: ignore[attr-defined]
    allauth_ratelimit.get_cache_key = get_cache_key
