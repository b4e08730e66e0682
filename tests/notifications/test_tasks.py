"""A notification's email goes through a real Celery worker on the real Redis."""

import pytest
from django_scopes import scope

from apps.notifications.models import EmailStatus, Notification
from apps.notifications.services import notification_create
from tests.conftest import wait_for

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.worker]


def test_notification_email_is_sent_by_a_real_worker(acme, celery_worker_process):
    celery_worker_process.start()
    with scope(tenant=acme.tenant):
        notification = notification_create(
            tenant=acme.tenant,
            recipient=acme.cam,
            kind="partner_assigned",
            context={"partner": acme.partner, "actor_name": "Ada Admin"},
            url=f"/console/partners/{acme.partner.pk}/",
        )

    def sent():
        with scope(tenant=acme.tenant):
            return Notification.objects.get(pk=notification.pk).email_status == EmailStatus.SENT

    # transaction=True: the create committed, so on_commit already queued the task.
    assert wait_for(sent)
    files = list(celery_worker_process.mail_dir.glob("*.log"))
    assert files, "the worker wrote no email"
    text = "\n".join(f.read_text() for f in files)
    assert f"To: {acme.cam.email}" in text
    assert f"{acme.partner.name} is now one of your partners" in text
