"""The real client behind proxies, and rate limits counted per client and per program."""

from __future__ import annotations

from typing import Any

import pytest
from allauth.account.adapter import get_adapter
from django.test import Client, RequestFactory

from apps.applications import ratelimit
from apps.core.clientip import client_ip


def _request(remote: str = "203.0.113.9", **headers: str) -> Any:
    return RequestFactory().get("/", REMOTE_ADDR=remote, headers=headers)


def test_without_trusted_proxies_headers_are_ignored(settings):
    settings.TRUSTED_PROXY_COUNT = 0
    settings.CLIENT_IP_HEADER = "X-Forwarded-For"
    assert client_ip(_request(x_forwarded_for="1.2.3.4")) == "203.0.113.9"
    settings.CLIENT_IP_HEADER = "X-Real-IP"
    assert client_ip(_request(x_real_ip="1.2.3.4")) == "203.0.113.9"


@pytest.mark.parametrize(
    ("count", "xff", "expected"),
    [
        (1, "198.51.100.7", "198.51.100.7"),
        # Whatever the client wrote itself stays on the left and is ignored.
        (1, "6.6.6.6, 198.51.100.7", "198.51.100.7"),
        (2, "6.6.6.6, 198.51.100.7, 10.0.0.2", "198.51.100.7"),
        # Fewer entries than trusted proxies, or garbage: the TCP peer.
        (2, "198.51.100.7", "203.0.113.9"),
        (1, "", "203.0.113.9"),
        (1, "not-an-ip", "203.0.113.9"),
        # Ports and brackets some proxies add; IPv6 normalised.
        (1, "198.51.100.7:4711", "198.51.100.7"),
        (1, "[2001:DB8::1]:443", "2001:db8::1"),
        (1, "2001:db8:0::1", "2001:db8::1"),
    ],
)
def test_x_forwarded_for_is_read_from_the_right(settings, count, xff, expected):
    settings.TRUSTED_PROXY_COUNT = count
    settings.CLIENT_IP_HEADER = ""  # X-Forwarded-For by default
    assert client_ip(_request(x_forwarded_for=xff)) == expected


def test_a_single_value_header(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.CLIENT_IP_HEADER = "X-Real-IP"
    request = _request(x_real_ip="198.51.100.7", x_forwarded_for="6.6.6.6")
    assert client_ip(request) == "198.51.100.7"


def test_allauth_and_our_limits_use_the_same_address(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    request = _request(x_forwarded_for="198.51.100.7")
    assert get_adapter(request).get_client_ip(request) == "198.51.100.7"
    assert ratelimit.client_ip(request) == "198.51.100.7"


# Sign-in limits: per client and per program.


def _sign_in(client: Client, email: str, password: str, **extra: Any) -> Any:
    return client.post("/accounts/login/", {"login": email, "password": password}, **extra)


def _signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.mark.django_db
def test_failed_sign_ins_on_one_program_do_not_lock_another(acme, globex, client_for, unscoped):
    from apps.tenancy.models import Role
    from apps.tenancy.services import membership_grant

    membership_grant(tenant=globex.tenant, user=acme.cam, role=Role.CHANNEL_MANAGER)
    # One client (same address) exhausts acme's per-address limit (10 a minute) ...
    attacker = client_for(acme)
    for i in range(10):
        _sign_in(attacker, f"guess{i}@acme.test", "wrong-password")
    locked = client_for(acme)
    response = _sign_in(locked, acme.admin.email, "pw-admin-123456")
    assert not _signed_in(locked)
    assert "Too many failed login attempts" in response.content.decode()
    # ... and acme.cam's own per-address limit (5 in 5 minutes).
    for _ in range(5):
        _sign_in(client_for(acme), acme.cam.email, "wrong-password")
    # globex, same address and the same person: unaffected.
    for user, password in ((globex.admin, "pw-admin-123456"), (acme.cam, "pw-cam-123456")):
        client = client_for(globex)
        _sign_in(client, user.email, password)
        assert _signed_in(client), user.email


@pytest.mark.django_db
def test_sign_in_limit_counts_the_real_client_behind_the_proxy(acme, client_for, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    attacker = client_for(acme)
    for i in range(10):
        _sign_in(
            attacker, f"guess{i}@acme.test", "wrong-password", HTTP_X_FORWARDED_FOR="198.51.100.1"
        )
    blocked = client_for(acme)
    _sign_in(blocked, acme.admin.email, "pw-admin-123456", HTTP_X_FORWARDED_FOR="198.51.100.1")
    assert not _signed_in(blocked)
    # Another client behind the same proxy (same REMOTE_ADDR) signs in.
    other = client_for(acme)
    _sign_in(other, acme.admin.email, "pw-admin-123456", HTTP_X_FORWARDED_FOR="198.51.100.2")
    assert _signed_in(other)


@pytest.mark.django_db
def test_a_spoofed_header_does_not_escape_the_limit(acme, client_for, settings):
    settings.TRUSTED_PROXY_COUNT = 0
    attacker = client_for(acme)
    for i in range(10):
        # A fresh "address" on each try: ignored, the TCP peer is the client.
        _sign_in(attacker, f"g{i}@acme.test", "wrong", HTTP_X_FORWARDED_FOR=f"198.51.100.{i}")
    client = client_for(acme)
    _sign_in(client, acme.admin.email, "pw-admin-123456", HTTP_X_FORWARDED_FOR="198.51.100.99")
    assert not _signed_in(client)


@pytest.mark.django_db
def test_password_reset_limit_is_per_program(acme, globex, client_for, unscoped):
    from apps.tenancy.models import Role
    from apps.tenancy.services import membership_grant

    membership_grant(tenant=globex.tenant, user=acme.cam, role=Role.CHANNEL_MANAGER)
    reset = "/accounts/password/reset/"
    codes = [client_for(acme).post(reset, {"email": acme.cam.email}).status_code for _ in range(6)]
    assert codes == [302] * 5 + [429]  # 5 per address in 5 minutes
    assert client_for(globex).post(reset, {"email": acme.cam.email}).status_code == 302


# Our own limits (/apply/, resend, confirm).


def test_our_limits_are_per_program_and_per_client(db):
    limit = ratelimit.Limit("test-ip", 2, 3600)
    assert not ratelimit.limit_hit(limit, tenant_id=1, value="198.51.100.1")
    assert not ratelimit.limit_hit(limit, tenant_id=1, value="198.51.100.1")
    assert ratelimit.limit_hit(limit, tenant_id=1, value="198.51.100.1")
    assert not ratelimit.limit_hit(limit, tenant_id=2, value="198.51.100.1")
    assert not ratelimit.limit_hit(limit, tenant_id=1, value="198.51.100.2")


@pytest.mark.django_db
def test_apply_limit_counts_the_real_client_behind_the_proxy(acme, client_for, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    client = client_for(acme)
    for i in range(4):
        response = client.post(
            "/apply/resend/", {"email": f"p{i}@initech.example"}, HTTP_X_FORWARDED_FOR="6.6.6.6"
        )
    codes = [
        client.post(
            "/apply/resend/", {"email": f"q{i}@initech.example"}, HTTP_X_FORWARDED_FOR="6.6.6.6"
        ).status_code
        for i in range(7)
    ]
    assert codes[-1] == 429  # ten an hour from 6.6.6.6
    response = client.post(
        "/apply/resend/", {"email": "r@initech.example"}, HTTP_X_FORWARDED_FOR="7.7.7.7"
    )
    assert response.status_code == 302


# Redis down: our limits fall back to counting in the process, never a 500.

CLOSED_PORT = "redis://127.0.0.1:1/0"


@pytest.fixture
def redis_down(settings: Any) -> None:
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": CLOSED_PORT,
            "OPTIONS": {"socket_connect_timeout": 0.2, "socket_timeout": 0.2},
        }
    }
    from django.core.cache import cache

    with pytest.raises(Exception):  # noqa: B017, PT011 - the cache really is unreachable
        cache.get("anything")
    ratelimit._local.clear()


def test_our_limits_still_count_with_the_cache_down(redis_down):
    limit = ratelimit.Limit("test-down", 2, 3600)
    hits = [ratelimit.limit_hit(limit, tenant_id=1, value="198.51.100.1") for _ in range(3)]
    assert hits == [False, False, True]
    assert not ratelimit.limit_hit(limit, tenant_id=2, value="198.51.100.1")


@pytest.mark.django_db
def test_confirm_link_works_with_the_cache_down(acme, client_for, redis_down):
    response = client_for(acme).get("/apply/confirm/not-a-token/")
    assert response.status_code == 404  # the "invalid link" page, not a 500


def test_allauths_limit_keys_name_the_program(rf):
    """Guards the wrapper around allauth's key function (apps/accounts/ratelimits.py)."""
    from types import SimpleNamespace

    from allauth.core.internal import ratelimit as allauth_ratelimit

    rate = allauth_ratelimit.Rate(10, 60, "ip")
    request = rf.post("/accounts/login/", REMOTE_ADDR="198.51.100.1")
    keys = []
    for tenant in (None, SimpleNamespace(pk=7)):
        request.tenant = tenant
        keys.append(
            allauth_ratelimit.get_cache_key(
                request, app="allauth.account", action="login_failed", rate=rate
            )
        )
    assert keys[0].startswith("allauth:rl:platform:allauth.account:login_failed:")
    assert keys[1].startswith("allauth:rl:t7:allauth.account:login_failed:")
    assert keys[0].endswith(":198.51.100.1")
