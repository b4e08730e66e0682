"""A real local HTTP receiver (http.server on 127.0.0.1, in a thread), the settings that let
the tests send to it, and helpers that drive the outbox the way its worker does."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from apps.outbox.delivery import outbox_deliver_all_tenants
from apps.outbox.models import OutboxMessage, OutboxStatus
from apps.webhooks.emission import DELIVERY_KIND
from apps.webhooks.models import WebhookDelivery, WebhookEndpoint
from apps.webhooks.services import webhook_endpoint_create


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Records every POST; answers with the next status of `statuses` (then 200)."""

    url: str = ""
    received: list[Received] = field(default_factory=list)
    statuses: list[int] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def answer(self, request: Received) -> int:
        with self.lock:
            self.received.append(request)
            return self.statuses.pop(0) if self.statuses else 200


@contextmanager
def running_receiver() -> Iterator[Receiver]:
    """A receiver listening on 127.0.0.1 (a free port) until the block ends."""
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 - http.server's name
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length)
            status = state.answer(
                Received(path=self.path, headers=dict(self.headers.items()), body=body)
            )
            self.send_response(status)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args):  # quiet
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    state.url = f"http://127.0.0.1:{server.server_address[1]}/hooks/onramp"
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()


def allow_local_receiver(settings) -> None:
    """The development settings the local receiver needs (http, a loopback address)."""
    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True
    settings.WEBHOOK_TIMEOUT = 5.0


@pytest.fixture
def receiver():
    with running_receiver() as state:
        yield state


@pytest.fixture
def local_receiver_allowed(settings):
    allow_local_receiver(settings)


def endpoint_create(program, url, event_types=("*",), description=""):
    with scope(tenant=program.tenant):
        return webhook_endpoint_create(
            tenant=program.tenant,
            actor=program.admin,
            url=url,
            event_types=list(event_types),
            description=description,
        )


def due_webhook_messages() -> list[int]:
    with scopes_disabled():
        return list(
            OutboxMessage.objects.filter(
                kind=DELIVERY_KIND,
                status=OutboxStatus.PENDING,
                next_attempt_at__lte=timezone.now(),
            )
            .order_by("pk")
            .values_list("pk", flat=True)
        )


def deliver_due() -> int:
    """Deliver every due webhook message now, as the nudged task or the sweep does."""
    return sum(outbox_deliver_all_tenants(message_id=pk) for pk in due_webhook_messages())


def deliveries(**filters) -> list[WebhookDelivery]:
    with scopes_disabled():
        return list(WebhookDelivery.objects.filter(**filters).order_by("pk"))


def reload_endpoint(endpoint: WebhookEndpoint) -> WebhookEndpoint:
    with scopes_disabled():
        return WebhookEndpoint.objects.get(pk=endpoint.pk)


def reload_delivery(delivery: WebhookDelivery) -> WebhookDelivery:
    with scopes_disabled():
        return WebhookDelivery.objects.get(pk=delivery.pk)
