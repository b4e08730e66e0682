"""Webhook fan-out (issue 16): how fast the product turns changes into signed deliveries to a
local receiver (http.server on 127.0.0.1, answering 204, in this process's threads).

In the bench process, with the product's own code paths:
- ENDPOINTS endpoints of the bench program subscribed to `partner.*` (the service, as a program
  admin this suite adds; http and loopback allowed in this process only);
- fan-out: EVENTS `partner.updated` audit events recorded in one `audit_record_many` (a bulk
  edit from the Explorer), which writes EVENTS x ENDPOINTS deliveries and their outbox
  messages in the same transaction: its time, deliveries written per second, and its SQL
  statements (the same number for 1 or 1,000 events);
- the cost for a program with no endpoint: the statements of one audited change (the audit
  INSERT alone);
- delivery: every delivery sent by the outbox as its workers do (`outbox_deliver_all_tenants`
  per message: claim, POST signed, record), with BENCH_CONCURRENCY threads of this process
  (the bench's Celery workers are kept out: no nudges while the suite runs): deliveries/s end
  to end, and the p50/p95 of the attempt latencies the log records.
Everything the suite wrote (endpoints, deliveries, outbox messages, audit events stay: the
audit log is append-only) is removed after, so later suites see no endpoint.
"""

from __future__ import annotations

import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from django.conf import settings
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_scopes import scope, scopes_disabled

from bench import dataset, lib

TITLE = "Webhooks"
ENDPOINTS = 5
EVENTS = 1000
ADMIN_EMAIL = "webhooks-admin@bench.test"


class _Quiet(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    received = 0
    lock = threading.Lock()

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with _Quiet.lock:
            _Quiet.received += 1
        self.send_response(204)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


def seed() -> None:
    """A program admin, who adds the suite's endpoints."""
    from apps.home.services import staff_member_add
    from apps.tenancy.models import Role

    tenant = dataset.tenant()
    with scope(tenant=tenant):
        staff_member_add(
            tenant=tenant,
            actor=None,
            email=ADMIN_EMAIL,
            role=Role.PROGRAM_ADMIN,
            first_name="Hook",
            last_name="Admin",
        )


def _admin(tenant):
    from apps.tenancy.models import Membership, Role

    with scope(tenant=tenant):
        membership = (
            Membership.objects.filter(tenant=tenant, role=Role.PROGRAM_ADMIN, is_active=True)
            .select_related("user")
            .order_by("pk")
            .first()
        )
    return membership.user


def _entries(tenant, accounts):
    from apps.audit.services import AuditEntry
    from apps.partners.models import PartnerAccount

    return [
        AuditEntry(
            tenant_id=tenant.pk,
            verb="partner.updated",
            target_type=PartnerAccount._meta.label_lower,
            target_id=pk,
            target_label=name,
            partner_id=pk,
            data={"from": {"tier": "silver"}, "to": {"tier": "gold"}, "fields": "tier"},
        )
        for pk, name in accounts
    ]


def _statements(queries) -> int:
    return sum(1 for q in queries if not q["sql"].startswith(("SAVEPOINT", "RELEASE SAVEPOINT")))


def measure(ctx) -> None:
    from apps.audit.services import audit_record_many
    from apps.outbox import services as outbox_services
    from apps.outbox.delivery import outbox_deliver_all_tenants
    from apps.outbox.models import OutboxMessage, OutboxStatus
    from apps.partners.models import PartnerAccount
    from apps.webhooks.emission import DELIVERY_KIND
    from apps.webhooks.models import DeliveryStatus, WebhookDelivery, WebhookEndpoint
    from apps.webhooks.services import webhook_endpoint_create, webhook_endpoint_delete

    settings.WEBHOOK_ALLOW_HTTP = True
    settings.WEBHOOK_ALLOW_PRIVATE_HOSTS = True
    # The bench's Celery workers (started for other suites, with the production settings
    # that refuse a loopback receiver) must not take these messages: no nudges while the
    # suite runs, so the threads below are the only deliverers.
    nudges = (outbox_services.outbox_nudge, outbox_services.outbox_sweep_nudge)
    outbox_services.outbox_nudge = lambda **kwargs: False
    outbox_services.outbox_sweep_nudge = lambda: False
    tenant = ctx.tenant
    admin = _admin(tenant)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Quiet)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    with scope(tenant=tenant):
        accounts = list(
            PartnerAccount.objects.filter(tenant=tenant)
            .order_by("pk")
            .values_list("pk", "name")[:EVENTS]
        )
    lines = []
    endpoints: list[int] = []
    try:
        # A program without endpoints: what one audited change costs the webhooks.
        with scope(tenant=tenant), transaction.atomic():
            audit_record_many(actor=admin, entries=_entries(tenant, accounts[:1]))  # warm
            with CaptureQueriesContext(connection) as none:
                audit_record_many(actor=admin, entries=_entries(tenant, accounts[:1]))
            transaction.set_rollback(True)
        lines.append(
            f"no endpoint: one audited change runs {_statements(none)} statement(s) "
            "(the audit INSERT; the program's subscriptions come from the cache)"
        )
        with scope(tenant=tenant):
            for n in range(ENDPOINTS):
                endpoints.append(
                    webhook_endpoint_create(
                        tenant=tenant,
                        actor=admin,
                        url=f"{url}/{n}",
                        event_types=["partner.*"],
                        description=f"Bench receiver {n}",
                    ).endpoint.pk
                )
        # Fan-out: EVENTS changes in one transaction.
        with scope(tenant=tenant), transaction.atomic():
            audit_record_many(actor=admin, entries=_entries(tenant, accounts[:1]))  # warm
            transaction.set_rollback(True)
        with scope(tenant=tenant):
            started = time.perf_counter()
            with transaction.atomic(), CaptureQueriesContext(connection) as fan:
                audit_record_many(actor=admin, entries=_entries(tenant, accounts))
            fan_s = time.perf_counter() - started
        with scopes_disabled():
            written = WebhookDelivery.objects.filter(endpoint_id__in=endpoints).count()
            ids = list(
                OutboxMessage.objects.filter(kind=DELIVERY_KIND, status=OutboxStatus.PENDING)
                .order_by("pk")
                .values_list("pk", flat=True)
            )
        lines.append(
            f"fan-out: {len(accounts):,} events x {ENDPOINTS} endpoints = {written:,} "
            f"deliveries written in {fan_s * 1000:.0f} ms ({written / fan_s:,.0f}/s), "
            f"{_statements(fan)} SQL statements in all (audit, deliveries, outbox)"
        )
        # Delivery, as the workers do it, BENCH_CONCURRENCY at a time.
        _Quiet.received = 0
        lib.log(f"webhooks: delivering {len(ids):,} messages, {ctx.concurrency} threads")

        def deliver(chunk: list[int]) -> int:
            try:
                return sum(outbox_deliver_all_tenants(message_id=pk) for pk in chunk)
            finally:
                connection.close()  # this thread's own connection

        chunks = [ids[i :: ctx.concurrency] for i in range(ctx.concurrency)]
        started = time.perf_counter()
        with ThreadPoolExecutor(max_workers=ctx.concurrency) as pool:
            delivered = sum(pool.map(deliver, chunks))
        send_s = time.perf_counter() - started
        with scopes_disabled():
            latencies = list(
                WebhookDelivery.objects.filter(
                    endpoint_id__in=endpoints, status=DeliveryStatus.DELIVERED
                ).values_list("last_latency_ms", flat=True)
            )
        p95 = statistics.quantiles(latencies, n=20)[-1] if len(latencies) > 1 else float("nan")
        lines.append(
            f"delivery: {delivered:,} of {len(ids):,} delivered in {send_s:.1f} s = "
            f"{delivered / send_s:,.0f} deliveries/s with {ctx.concurrency} threads "
            f"(receiver got {_Quiet.received:,}); attempt latency p50 "
            f"{statistics.median(latencies) if latencies else float('nan'):.0f} ms, p95 "
            f"{p95:.0f} ms"
        )
        if delivered < len(ids):
            ctx.note(f"webhooks: {len(ids) - delivered} deliveries not delivered in the run")
    finally:
        outbox_services.outbox_nudge, outbox_services.outbox_sweep_nudge = nudges
        server.shutdown()
        server.server_close()
        with scope(tenant=tenant):
            for pk in endpoints:
                webhook_endpoint_delete(tenant=tenant, actor=admin, endpoint_id=pk)
        with scopes_disabled():
            OutboxMessage.objects.filter(kind=DELIVERY_KIND).delete()
            WebhookDelivery.objects.filter(endpoint_id__in=endpoints).delete()
            WebhookEndpoint.objects.filter(pk__in=endpoints).delete()
    ctx.section(
        f"Webhook fan-out ({ENDPOINTS} endpoints on a local receiver, in the bench process)",
        "\n".join(lines),
    )
