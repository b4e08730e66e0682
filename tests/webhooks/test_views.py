"""/console/settings/webhooks/: program admins add, edit, disable and enable, roll the secret
(shown once), delete, send a test event and replay from the delivery log; everyone else is
refused; another program's endpoints are 404; bad input changes nothing."""

import pytest
from django_scopes import scope, scopes_disabled

from apps.audit.models import AuditEvent
from apps.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from tests.webhooks.conftest import deliveries, endpoint_create, reload_endpoint
from tests.webhooks.factories import WebhookDeliveryFactory, WebhookEndpointFactory

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("local_receiver_allowed")]

URL = "/console/settings/webhooks/"


def _endpoints(program):
    with scope(tenant=program.tenant):
        return list(WebhookEndpoint.objects.filter(deleted_at__isnull=True).order_by("pk"))


def test_admin_adds_an_endpoint_and_sees_its_secret_once(acme, client_for, receiver):
    client = client_for(acme, acme.admin)
    page = client.get(URL)
    assert page.status_code == 200
    text = page.content.decode()
    assert "No endpoints yet" in text and "application.*" in text and 'for="et-all"' in text
    response = client.post(
        URL,
        {
            "url": receiver.url,
            "description": "CRM sync",
            "event_types": ["application.*", "partner.created", "application.approved"],
        },
    )
    (endpoint,) = _endpoints(acme)
    assert response.status_code == 302 and response["Location"] == f"{URL}{endpoint.pk}/"
    assert endpoint.event_types == ["application.*", "partner.created"]
    assert endpoint.created_by == acme.admin and endpoint.is_active
    first = client.get(f"{URL}{endpoint.pk}/").content.decode()
    assert endpoint.secret in first and "will not be shown again" in first
    second = client.get(f"{URL}{endpoint.pk}/").content.decode()
    assert endpoint.secret not in second
    assert endpoint.secret not in client.get(URL).content.decode()
    with scopes_disabled():
        event = AuditEvent.objects.get(verb="webhook.created")
    assert event.data["to"]["url"] == receiver.url and endpoint.secret not in str(event.data)


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        ({"url": "", "event_types": ["*"]}, "url"),
        ({"url": "not a url", "event_types": ["*"]}, "url"),
        ({"url": "http://127.0.0.1:9/x", "event_types": []}, "event_types"),
        ({"url": "http://127.0.0.1:9/x", "event_types": ["partner.deleted"]}, "event_types"),
        ({"url": "http://127.0.0.1:9/x", "event_types": ["*"], "description": "a\nb"}, None),
    ],
)
def test_bad_input_is_refused_and_changes_nothing(acme, client_for, data, field_error):
    client = client_for(acme, acme.admin)
    response = client.post(URL, data)
    assert response.status_code == 422
    assert 'class="field__error"' in response.content.decode()
    assert _endpoints(acme) == []


def test_private_addresses_are_refused_in_production(acme, client_for, settings):
    settings.WEBHOOK_ALLOW_HTTP = False
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = False
    client = client_for(acme, acme.admin)
    for url in ("https://127.0.0.1/hook", "https://10.0.0.8/hook"):
        response = client.post(URL, {"url": url, "event_types": ["*"]})
        assert response.status_code == 422
        assert "public addresses only" in response.content.decode()
    assert _endpoints(acme) == []


def test_edit_disable_enable_roll_and_delete(acme, client_for, receiver):
    created = endpoint_create(acme, receiver.url, ["partner.*"])
    pk = created.endpoint.pk
    client = client_for(acme, acme.admin)
    response = client.post(
        f"{URL}{pk}/",
        {"url": receiver.url, "description": "LMS", "event_types": ["alert.*"]},
    )
    assert response.status_code == 302
    endpoint = reload_endpoint(created.endpoint)
    assert endpoint.description == "LMS" and endpoint.event_types == ["alert.*"]
    # Bad edit: nothing changes.
    assert client.post(f"{URL}{pk}/", {"url": "", "event_types": ["*"]}).status_code == 422
    assert reload_endpoint(created.endpoint).url == receiver.url

    assert client.post(f"{URL}{pk}/disable/").status_code == 302
    endpoint = reload_endpoint(created.endpoint)
    assert not endpoint.is_active and endpoint.disabled_reason == "manual"
    assert "Disabled" in client.get(URL).content.decode()
    assert client.post(f"{URL}{pk}/enable/").status_code == 302
    assert reload_endpoint(created.endpoint).is_active

    assert client.post(f"{URL}{pk}/roll-secret/").status_code == 302
    new_secret = reload_endpoint(created.endpoint).secret
    assert new_secret != created.secret
    page = client.get(f"{URL}{pk}/").content.decode()
    assert new_secret in page and created.secret not in page
    assert new_secret not in client.get(f"{URL}{pk}/").content.decode()

    response = client.post(f"{URL}{pk}/delete/")
    assert response.status_code == 302 and response["Location"] == URL
    assert _endpoints(acme) == []
    assert client.get(f"{URL}{pk}/").status_code == 404
    with scopes_disabled():
        verbs = list(
            AuditEvent.objects.filter(verb__startswith="webhook.")
            .order_by("pk")
            .values_list("verb", flat=True)
        )
    assert verbs == [
        "webhook.created",
        "webhook.updated",
        "webhook.disabled",
        "webhook.enabled",
        "webhook.secret_rolled",
        "webhook.deleted",
    ]


def test_send_test_event_and_replay_from_the_log(acme, client_for, receiver):
    from tests.webhooks.conftest import deliver_due

    created = endpoint_create(acme, receiver.url, ["partner.*"])
    pk = created.endpoint.pk
    client = client_for(acme, acme.admin)
    assert client.post(f"{URL}{pk}/test/").status_code == 302
    deliver_due()
    (delivery,) = deliveries()
    page = client.get(f"{URL}{pk}/").content.decode()
    assert "webhook.test" in page and str(delivery.event_id) in page and "Replay" in page
    response = client.post(f"{URL}{pk}/deliveries/{delivery.pk}/replay/", {"show": "delivered"})
    assert response.status_code == 302 and response["Location"] == f"{URL}{pk}/?show=delivered"
    deliver_due()
    assert len(receiver.received) == 2
    assert len({r.headers["Onramp-Event-Id"] for r in receiver.received}) == 1


def test_the_log_filters_and_pages(acme, client_for):
    endpoint = endpoint_create(acme, "http://127.0.0.1:9/x").endpoint
    with scope(tenant=acme.tenant):
        for _ in range(3):
            WebhookDeliveryFactory(endpoint=endpoint, status=DeliveryStatus.GIVEN_UP)
        WebhookDeliveryFactory.create_batch(60, endpoint=endpoint)
    client = client_for(acme, acme.admin)
    page = client.get(f"{URL}{endpoint.pk}/").content.decode()
    assert "Older deliveries" in page
    failing = client.get(f"{URL}{endpoint.pk}/?show=failing").content.decode()
    assert failing.count("Given up</span>") == 3 and "Older deliveries" not in failing
    with scope(tenant=acme.tenant):
        oldest_first = list(WebhookDelivery.objects.order_by("created_at", "id"))
    older = client.get(f"{URL}{endpoint.pk}/?before={oldest_first[13].pk}").content.decode()
    assert older.count("Replay<span") == 13


def test_pages_have_a_constant_query_count(acme, client_for, django_assert_max_num_queries):
    client = client_for(acme, acme.admin)
    client.get(URL)  # warm the session and the cached nav badges
    with scope(tenant=acme.tenant):
        endpoint = WebhookEndpointFactory(tenant=acme.tenant)
        WebhookDeliveryFactory.create_batch(5, endpoint=endpoint)
    with django_assert_max_num_queries(14) as few:
        assert client.get(URL).status_code == 200
    with django_assert_max_num_queries(14) as few_log:
        assert client.get(f"{URL}{endpoint.pk}/").status_code == 200
    with scope(tenant=acme.tenant):
        WebhookEndpointFactory.create_batch(15, tenant=acme.tenant)
        WebhookDeliveryFactory.create_batch(60, endpoint=endpoint, status=DeliveryStatus.FAILED)
    with django_assert_max_num_queries(len(few)):
        assert client.get(URL).status_code == 200
    with django_assert_max_num_queries(len(few_log)):
        assert client.get(f"{URL}{endpoint.pk}/").status_code == 200


def test_channel_managers_and_partners_are_refused(acme, client_for):
    endpoint = endpoint_create(acme, "http://127.0.0.1:9/x").endpoint
    assert client_for(acme, acme.cam).get(URL).status_code == 403
    assert client_for(acme, acme.cam).post(f"{URL}{endpoint.pk}/delete/").status_code == 403
    assert client_for(acme, acme.partner_admin).get(URL).status_code == 404
    assert client_for(acme, acme.partner_user).get(f"{URL}{endpoint.pk}/").status_code == 404
    assert reload_endpoint(endpoint).deleted_at is None


def test_another_programs_endpoints_are_404_and_unchanged(acme, globex, client_for):
    theirs = endpoint_create(globex, "http://127.0.0.1:9/globex").endpoint
    with scope(tenant=globex.tenant):
        delivery = WebhookDeliveryFactory(endpoint=theirs)
    mine = endpoint_create(acme, "http://127.0.0.1:9/acme").endpoint
    client = client_for(acme, acme.admin)
    assert "127.0.0.1:9/globex" not in client.get(URL).content.decode()
    for path in (
        f"{URL}{theirs.pk}/",
        f"{URL}{theirs.pk}/disable/",
        f"{URL}{theirs.pk}/roll-secret/",
        f"{URL}{theirs.pk}/delete/",
        f"{URL}{theirs.pk}/test/",
        f"{URL}{theirs.pk}/deliveries/{delivery.pk}/replay/",
        # Their delivery through my endpoint's URL.
        f"{URL}{mine.pk}/deliveries/{delivery.pk}/replay/",
    ):
        assert client.post(path).status_code == 404, path
    assert client.get(f"{URL}{theirs.pk}/").status_code == 404
    theirs_now = reload_endpoint(theirs)
    assert theirs_now.is_active and theirs_now.secret == theirs.secret
    assert theirs_now.deleted_at is None
    assert [d.pk for d in deliveries(tenant=globex.tenant)] == [delivery.pk]
    with scopes_disabled():
        assert deliveries(tenant=globex.tenant)[0].generation == 1


def test_the_settings_nav_links_webhooks(acme, client_for):
    page = client_for(acme, acme.admin).get("/console/settings/team/").content.decode()
    assert f'href="{URL}"' in page
