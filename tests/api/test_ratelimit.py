"""Rate limits per key: a token bucket in Redis; 429 with Retry-After; RateLimit-* headers
on every response to a valid key; fail open (with a log line) when Redis is down."""

import logging

import pytest

from apps.core.cache import breakers_reset
from tests.api.conftest import ALL_SCOPES

pytestmark = pytest.mark.django_db

EVENTS = "/api/v1/events"
CLOSED_PORT = "redis://127.0.0.1:1/0"


@pytest.fixture
def small_bucket(settings):
    settings.API_RATE_LIMIT = 6  # one token every 10 seconds
    settings.API_RATE_BURST = 3


def test_the_bucket_empties_then_429_with_retry_after(acme, api_client_for, small_bucket):
    client = api_client_for(["partners:read"])
    remaining = []
    for _ in range(3):
        response = client.get(EVENTS)
        assert response.status_code == 200
        assert response["RateLimit-Limit"] == "3"
        assert response["RateLimit-Policy"] == "6;w=60;burst=3"
        remaining.append(int(response["RateLimit-Remaining"]))
    assert remaining == [2, 1, 0]
    refused = client.get(EVENTS)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "rate_limited"
    assert 1 <= int(refused["Retry-After"]) <= 10
    assert refused["RateLimit-Remaining"] == "0"
    assert 20 <= int(refused["RateLimit-Reset"]) <= 30


def test_each_key_has_its_own_bucket(acme, api_client_for, small_bucket):
    first, second = api_client_for(["partners:read"]), api_client_for(["partners:read"])
    for _ in range(3):
        first.get(EVENTS)
    assert first.get(EVENTS).status_code == 429
    assert second.get(EVENTS).status_code == 200


def test_refused_requests_count_and_carry_the_headers_too(acme, api_client_for, small_bucket):
    client = api_client_for(["events:write"])  # no partners:read: 403, still counted
    response = client.get(EVENTS)
    assert response.status_code == 403 and response["RateLimit-Remaining"] == "2"
    invalid = client.post(EVENTS, {"type": "x"}, "application/json")
    assert invalid.status_code == 400 and invalid["RateLimit-Remaining"] == "1"


def test_no_headers_without_a_valid_key(acme, client_for):
    response = client_for(acme).get(EVENTS)
    assert response.status_code == 401 and "RateLimit-Limit" not in response


def test_redis_down_fails_open_with_a_log_line(acme, api_client_for, settings, caplog):
    client = api_client_for(ALL_SCOPES)
    caches = {k: dict(v) for k, v in settings.CACHES.items()}
    caches["default"]["LOCATION"] = CLOSED_PORT
    caches["default"]["OPTIONS"] = {
        **caches["default"].get("OPTIONS", {}),
        "socket_connect_timeout": 0.2,
        "socket_timeout": 0.2,
    }
    settings.CACHES = caches
    settings.API_RATE_BURST = 1
    breakers_reset()
    import apps.api.ratelimit as ratelimit

    ratelimit._last_warning = 0.0
    try:
        with caplog.at_level(logging.WARNING, logger="apps.api.ratelimit"):
            statuses = [client.get(EVENTS).status_code for _ in range(3)]
    finally:
        breakers_reset()
    assert statuses == [200, 200, 200]
    assert any("fail open" in r.getMessage() for r in caplog.records)


@pytest.mark.django_db(transaction=True)
def test_concurrent_requests_take_exactly_the_bucket(acme, settings):
    """The bucket is updated by one Lua script: eight requests at once, a bucket of five,
    five allowed and three refused, whatever the interleaving."""
    from apps.api.ratelimit import rate_limit_take
    from tests.conftest import race

    settings.API_RATE_LIMIT = 1  # no refill during the test
    settings.API_RATE_BURST = 5
    results = race(*[lambda: rate_limit_take(bucket_id="race") for _ in range(8)])
    assert sorted(bucket.allowed for bucket in results) == [False] * 3 + [True] * 5
