from django_scopes import scope

from apps.webhooks.models import WebhookDelivery, WebhookEndpoint
from tests.webhooks.factories import WebhookDeliveryFactory, WebhookEndpointFactory


def setup(program):
    with scope(tenant=program.tenant):
        endpoint = WebhookEndpointFactory(tenant=program.tenant, url="https://hooks.example.com/x")
        WebhookDeliveryFactory(endpoint=endpoint)


def samples(program):
    endpoint = WebhookEndpoint.objects.filter(tenant=program.tenant).order_by("pk").first()
    delivery = (
        WebhookDelivery.objects.filter(tenant=program.tenant).order_by("pk").first()
        if endpoint
        else None
    )
    endpoint_id = endpoint.pk if endpoint else 999999
    route = {"endpoint_id": endpoint_id}
    return {
        "webhooks_console:detail": route,
        "webhooks_console:disable": route,
        "webhooks_console:enable": route,
        "webhooks_console:roll_secret": route,
        "webhooks_console:delete": route,
        "webhooks_console:test": route,
        "webhooks_console:replay": {
            "endpoint_id": endpoint_id,
            "delivery_id": delivery.pk if delivery else 999999,
        },
    }
