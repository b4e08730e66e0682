"""Every email the outbox delivers carries a Message-ID stable for its row, so a repeat after
a killed worker (delivery is at-least-once) is the same message to the recipient."""

import pytest
from django.core import mail

from apps.outbox.delivery import outbox_deliver_all_tenants
from apps.outbox.mail_backend import outbox_message_id
from apps.outbox.registry import HANDLERS, outbox_register
from apps.outbox.services import outbox_enqueue
from tests.outbox.conftest import reload

pytestmark = pytest.mark.django_db

SENDS = "tests.sends_one_email"


@pytest.fixture
def product_backend(settings):
    settings.EMAIL_BACKEND = "apps.outbox.mail_backend.StableMessageIdBackend"
    settings.OUTBOX_EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    mail.outbox = []


@pytest.fixture
def sends():
    outbox_register(
        SENDS,
        lambda *, tenant, payload: mail.EmailMessage("Hello", "…", to=[payload["to"]]).send(),
        sends_outside=True,
    )
    yield
    HANDLERS.pop(SENDS, None)


def _message_id(email) -> str:
    return email.message()["Message-ID"]


def test_an_outbox_email_has_its_rows_message_id(acme, drained, product_backend, sends):
    row = outbox_enqueue(tenant=acme.tenant, kind=SENDS, payload={"to": "a@partner.test"})
    assert outbox_deliver_all_tenants(message_id=row.pk)
    (email,) = mail.outbox
    assert _message_id(email) == outbox_message_id(row.pk)


def test_a_repeat_of_the_same_row_is_the_same_message(acme, drained, product_backend, sends):
    row = outbox_enqueue(tenant=acme.tenant, kind=SENDS, payload={"to": "a@partner.test"})
    assert outbox_deliver_all_tenants(message_id=row.pk)
    # As if the worker had died before recording it: the row is delivered again.
    from django_scopes import scopes_disabled

    from apps.outbox.models import OutboxMessage, OutboxStatus

    with scopes_disabled():
        OutboxMessage.objects.filter(pk=row.pk).update(status=OutboxStatus.PENDING)
    assert reload(row).status == OutboxStatus.PENDING
    assert outbox_deliver_all_tenants(message_id=row.pk)
    first, second = mail.outbox
    assert _message_id(first) == _message_id(second) == outbox_message_id(row.pk)


def test_two_rows_and_mail_outside_the_outbox_differ(acme, drained, product_backend, sends):
    one = outbox_enqueue(tenant=acme.tenant, kind=SENDS, payload={"to": "a@partner.test"})
    two = outbox_enqueue(tenant=acme.tenant, kind=SENDS, payload={"to": "a@partner.test"})
    outbox_deliver_all_tenants(message_id=one.pk)
    outbox_deliver_all_tenants(message_id=two.pk)
    mail.EmailMessage("Direct", "…", to=["b@partner.test"]).send()
    ids = [_message_id(email) for email in mail.outbox]
    assert len(set(ids)) == 3
    assert ids[2].startswith("<") and "outbox-" not in ids[2]
