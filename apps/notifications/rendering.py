"""Rendering an email of the registry (wording.py) with the program's wording.

Every sender calls `email_render` with the context its templates already use: the subject
and the intro come from the program's override or the default, their variables filled in
by the safe formatter; the templates add the structure (greeting, buttons, links, lists).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.template.loader import render_to_string

from apps.notifications.formatting import one_line, paragraphs, wording_format
from apps.notifications.selectors import email_wording_effective
from apps.notifications.wording import EMAILS, Email, sample_context


@dataclass(frozen=True)
class RenderedEmail:
    subject: str
    # The text part (for a notification: its in-app body, without the link).
    text: str
    html: str


def email_compose(
    *, email: Email, context: Mapping[str, Any], subject: str, intro: str
) -> dict[str, Any]:
    """The template variables of the wording: `subject` (one line), `intro` (paragraphs,
    for the HTML part, which escapes them) and `intro_text` (for the text part)."""
    values = email.values(context)
    parts = paragraphs(wording_format(intro, values))
    return {
        "subject": one_line(wording_format(subject, values)),
        "intro": parts,
        "intro_text": "\n\n".join(parts),
    }


def email_render(
    *,
    tenant: Any,
    key: str,
    context: Mapping[str, Any],
    wording: tuple[str, str] | None = None,
) -> RenderedEmail:
    """Email `key` as `tenant` sends it: its wording (one query for the override, unless
    `wording` gives the subject and intro) in its templates."""
    email = EMAILS[key]
    if wording is None:
        subject, intro, _own = email_wording_effective(tenant=tenant, key=key)
    else:
        subject, intro = wording
    full = {"tenant": tenant, **context}
    full.update(email_compose(email=email, context=full, subject=subject, intro=intro))
    return RenderedEmail(
        subject=full["subject"],
        text=render_to_string(email.text_template, full).strip(),
        html=render_to_string(email.html_template, full),
    )


def email_preview(*, tenant: Any, key: str, subject: str, intro: str) -> RenderedEmail:
    """The whole email with example values, as it would leave with this wording."""
    email = EMAILS[key]
    context = sample_context(tenant)
    rendered = email_render(tenant=tenant, key=key, context=context, wording=(subject, intro))
    if email.notification:
        # As notification_create builds it: the in-app body, then the link.
        return RenderedEmail(
            rendered.subject, f"{rendered.text}\n\n{context['url']}", rendered.html
        )
    return rendered


def program_from_address(name: str) -> str:
    """The From of a program's emails: its name on the platform's address."""
    from email.utils import formataddr, parseaddr

    from django.conf import settings

    _, address = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return formataddr((name, address))


def email_send(
    *, tenant: Any, to: str, rendered: RenderedEmail, reply_to_support: bool = True
) -> None:
    """Send a rendered email from the program (its name; replies to its support address when
    it has one and `reply_to_support`). SMTP errors propagate, so the calling task retries."""
    from django.core.mail import EmailMultiAlternatives

    message = EmailMultiAlternatives(
        subject=rendered.subject,
        body=rendered.text + "\n",
        from_email=program_from_address(tenant.name),
        to=[to],
        reply_to=[tenant.support_email] if reply_to_support and tenant.support_email else None,
    )
    message.attach_alternative(rendered.html, "text/html")
    message.send()
