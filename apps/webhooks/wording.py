"""The email the program's admins get when an endpoint is disabled after a day of failures,
registered in the notifications app's email registry (so its wording is editable at
/console/settings/emails/ like every other)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.notifications.wording import EMAILS, Email, Variable, register, resolve

KIND = "webhook_disabled"
KEY = f"notifications.{KIND}"


def _endpoint_url(context: Mapping[str, Any]) -> str:
    # The preview has no endpoint: an example address.
    return str(resolve(context, "endpoint.url") or "https://crm.example.com/onramp/webhooks")


def webhook_emails_register() -> None:
    if KEY in EMAILS:
        return
    register(
        Email(
            key=KEY,
            label=_("Webhook endpoint disabled"),
            sent_when=_(
                "Deliveries to a webhook endpoint failed for a day without a success: it is "
                "disabled, and every program admin is told."
            ),
            audience=_("Program staff"),
            subject=_("Webhook endpoint disabled: {endpoint_url}"),
            intro=_(
                "Deliveries of {program_name}’s events to {endpoint_url} have failed for a day, "
                "so the endpoint is now disabled and receives nothing. Check the delivery log, "
                "fix the receiver, then enable the endpoint and replay what it missed."
            ),
            variables=(
                Variable(
                    "first_name",
                    _("The recipient’s first name (or email address)"),
                    "recipient.get_short_name",
                ),
                Variable("endpoint_url", _("The endpoint’s URL"), _endpoint_url),
                Variable("program_name", _("The program’s name"), "tenant.name"),
                Variable("link", _("The address the email’s button opens"), "url"),
            ),
            text_template="webhooks/emails/disabled/body.txt",
            html_template="webhooks/emails/disabled/body.html",
            notification=True,
        )
    )
