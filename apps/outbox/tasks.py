"""The outbox's Celery tasks: the nudge after a commit, and the beat sweep."""

from celery import shared_task

from apps.outbox.delivery import outbox_deliver_all_tenants, outbox_sweep_all_tenants


@shared_task(acks_late=True, ignore_result=True)
def outbox_deliver(message_id: int) -> bool:
    """Deliver one message now (nudged after the commit that wrote it)."""
    return outbox_deliver_all_tenants(message_id=message_id)


@shared_task(acks_late=True, ignore_result=True, expires=25)
def outbox_sweep() -> int:
    """Every 30 seconds: deliver every due message the nudges missed or that failed."""
    return outbox_sweep_all_tenants()
