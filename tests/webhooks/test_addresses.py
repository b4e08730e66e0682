"""Server-side request forgery: with the production settings (the defaults), endpoints must be
https and public; loopback, private (10/8 …), link-local and similar addresses are refused,
when the endpoint is saved and again at each delivery (a name that later resolves inside is
refused then, and nothing is sent)."""

import socket

import pytest
from django_scopes import scope

from apps.webhooks import addresses
from apps.webhooks.addresses import AddressRefused, url_target
from apps.webhooks.models import WebhookEndpoint
from apps.webhooks.services import WebhookInvalid, webhook_endpoint_create, webhook_url_clean
from tests.webhooks.conftest import deliver_due, deliveries

pytestmark = pytest.mark.django_db


@pytest.fixture
def production(settings):
    settings.WEBHOOK_ALLOW_HTTP = False
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False


@pytest.fixture
def public_dns(monkeypatch):
    """Names the tests resolve without a network: hooks.example.com is public."""
    table = {"hooks.example.com": ["93.184.216.34"], "rebind.example.com": ["93.184.216.34"]}
    real = addresses._resolve

    def resolve(host, port):
        return table[host] if host in table else real(host, port)

    monkeypatch.setattr(addresses, "_resolve", resolve)
    return table


REFUSED = [
    "https://127.0.0.1/hook",
    "https://127.1.2.3:8443/hook",
    "https://10.0.0.1/hook",
    "https://10.255.255.254/hook",
    "https://172.16.0.5/hook",
    "https://192.168.1.1/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://100.64.0.1/hook",
    "https://0.0.0.0/hook",
    "https://224.0.0.1/hook",
    "https://[::1]/hook",
    "https://[fd00::1]/hook",
    "https://[fe80::1]/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://[::ffff:10.0.0.1]/hook",
    "https://localhost/hook",
]


@pytest.mark.usefixtures("production")
@pytest.mark.parametrize("url", REFUSED)
def test_internal_addresses_are_refused_in_production(url):
    with pytest.raises(AddressRefused):
        url_target(url)


@pytest.mark.usefixtures("production", "public_dns")
def test_https_and_a_public_host_are_required():
    assert url_target("https://hooks.example.com/onramp?x=1").path == "/onramp?x=1"
    with pytest.raises(AddressRefused, match="https"):
        url_target("http://hooks.example.com/onramp")
    with pytest.raises(AddressRefused):
        url_target("ftp://hooks.example.com/onramp")
    with pytest.raises(AddressRefused):
        url_target("https://user:pw@hooks.example.com/onramp")
    with pytest.raises(AddressRefused):
        url_target("https:///nohost")
    with pytest.raises(AddressRefused):
        url_target("https://hooks.example.com:99999/")
    with pytest.raises(AddressRefused):
        url_target("https://name.invalid/")  # does not resolve


@pytest.mark.usefixtures("production")
def test_saving_an_endpoint_on_loopback_or_10_8_is_refused_and_writes_nothing(acme):
    for url in ("https://127.0.0.1/hook", "https://10.1.2.3/hook", "http://127.0.0.1:8000/"):
        with scope(tenant=acme.tenant), pytest.raises(WebhookInvalid) as refused:
            webhook_endpoint_create(
                tenant=acme.tenant, actor=acme.admin, url=url, event_types=["*"]
            )
        assert refused.value.field == "url"
    with scope(tenant=acme.tenant):
        assert not WebhookEndpoint.objects.exists()


def test_the_settings_let_development_use_a_local_receiver(settings):
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True
    assert webhook_url_clean("http://127.0.0.1:8000/hook") == "http://127.0.0.1:8000/hook"
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False
    with pytest.raises(WebhookInvalid):
        webhook_url_clean("http://127.0.0.1:8000/hook")


def test_the_defaults_are_the_production_ones():
    from django.conf import settings

    # tests run with DEBUG off: the defaults are what production gets.
    assert settings.WEBHOOK_ALLOW_HTTP is False
    assert settings.WEBHOOK_ALLOW_PRIVATE_HOSTS is False


@pytest.mark.usefixtures("production")
def test_a_name_that_later_resolves_inside_is_refused_at_delivery(acme, public_dns):
    with scope(tenant=acme.tenant):
        webhook_endpoint_create(
            tenant=acme.tenant,
            actor=acme.admin,
            url="https://rebind.example.com/hook",
            event_types=["partner.*"],
        )
    public_dns["rebind.example.com"] = ["127.0.0.1"]  # DNS rebinding
    from apps.partners.services.status import partner_suspend

    with scope(tenant=acme.tenant):
        partner_suspend(tenant=acme.tenant, actor=acme.admin, account_id=acme.partner.pk)
    assert deliver_due() == 0
    (delivery,) = deliveries()
    assert delivery.status == "failed" and "127.0.0.1" in delivery.last_error
    assert delivery.last_response_code is None  # nothing was sent


def test_delivery_connects_to_the_checked_address(settings, monkeypatch, receiver):
    """The request goes to the address that was checked, not to a second resolution."""
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True
    from apps.webhooks.delivery import webhook_post

    port = int(receiver.url.rsplit(":", 1)[1].split("/", 1)[0])
    calls = []
    real_getaddrinfo = socket.getaddrinfo

    def getaddrinfo(host, *args, **kwargs):
        calls.append(host)
        if host == "receiver.test":
            return real_getaddrinfo("127.0.0.1", *args, **kwargs)
        return real_getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    answer = webhook_post(
        url=f"http://receiver.test:{port}/x", secret="whsec_x", payload={"id": "1", "type": "t"}
    )
    assert answer.status == 200
    assert calls.count("receiver.test") == 1  # resolved once, when checked
    (request,) = receiver.received
    assert request.headers["Host"] == f"receiver.test:{port}"
