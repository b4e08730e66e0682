from django_scopes import scope

from apps.outbox.models import OutboxMessage, OutboxStatus
from apps.outbox.services import outbox_enqueue


def setup(program):
    with scope(tenant=program.tenant):
        message = outbox_enqueue(
            tenant=program.tenant,
            kind="mail.send",
            payload={"subject": "Hello", "body": "Hi", "to": ["someone@example.test"]},
            summary="someone@example.test",
        )
        OutboxMessage.objects.filter(pk=message.pk).update(
            status=OutboxStatus.GIVEN_UP, attempts=9, last_error="OSError: refused"
        )


def samples(program):
    message = OutboxMessage.objects.filter(tenant=program.tenant).order_by("pk").first()
    return {"outbox:resend": {"message_id": message.pk if message else 999999}}
