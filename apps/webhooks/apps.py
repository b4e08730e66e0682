from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "apps.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"

    def ready(self) -> None:
        from apps.audit.listeners import audit_listener_register
        from apps.webhooks.emission import webhook_events_emit
        from apps.webhooks.wording import webhook_emails_register

        # Every audit event the webhooks' event types derive from becomes its deliveries in
        # the same transaction (emission.py). The outbox kind is registered in tasks.py.
        audit_listener_register(webhook_events_emit)
        webhook_emails_register()
