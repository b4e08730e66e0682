import uuid

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from apps.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
from apps.webhooks.signing import secret_generate


class WebhookEndpointFactory(DjangoModelFactory):
    class Meta:
        model = WebhookEndpoint

    url = factory.Sequence(lambda n: f"https://hooks{n}.example.com/onramp")
    description = "CRM sync"
    event_types = factory.LazyFunction(lambda: ["*"])
    secret = factory.LazyFunction(secret_generate)


class WebhookDeliveryFactory(DjangoModelFactory):
    class Meta:
        model = WebhookDelivery

    tenant = factory.SelfAttribute("endpoint.tenant")
    event_id = factory.LazyFunction(uuid.uuid4)
    event_type = "partner.updated"
    status = DeliveryStatus.DELIVERED
    attempts = 1
    last_response_code = 200
    last_latency_ms = 42
    created_at = factory.LazyFunction(timezone.now)
    payload = factory.LazyAttribute(
        lambda o: {"id": str(o.event_id), "type": o.event_type, "data": {}}
    )
