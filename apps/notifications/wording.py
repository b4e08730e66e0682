"""Every email a program sends, with its default subject and intro and the variables they
may use. A program admin changes the wording at /console/settings/emails/ (an `EmailWording`
row per key); without a row the default is sent. The emails and their defaults are the
table in `wording_emails.py`; this module is the registry it fills (`EMAILS`) and its builders.

The wording is the subject and the intro (the paragraphs after the greeting). The rest of an
email, its greeting, buttons, links, lists and footer, is its template's structure:
`text_template` and `html_template`, which print `intro` (a list of paragraphs) and
`intro_text`; `apps/notifications/rendering.py` fills them in.

A variable's value is read from the context its sender already passes to the templates
(`source`: a dotted path, callables called, or a function of the context), so the senders'
call sites stay as they are. `sample_context` is the same context with example values, for
the preview. Variables are substituted by the safe formatter (`formatting.py`), never by the
template engine.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

Label = str | Promise
Source = str | Callable[[Mapping[str, Any]], Any]

# Notification kinds that are only ever shown in the app, never emailed (their senders pass
# email=False); they keep their wording in their templates.
IN_APP_ONLY = frozenset({"action_waiting", "onboarding_completed_cam", "milestone_review_ready"})


def resolve(context: Mapping[str, Any], path: str) -> Any:
    value: Any = context
    for part in path.split("."):
        if value is None:
            return ""
        value = value.get(part) if isinstance(value, Mapping) else getattr(value, part, None)
        if callable(value):
            value = value()
    return value


@dataclass(frozen=True)
class Variable:
    name: str
    description: Label
    source: Source

    def value(self, context: Mapping[str, Any]) -> str:
        value = self.source(context) if callable(self.source) else resolve(context, self.source)
        return "" if value is None else str(value)


@dataclass(frozen=True)
class Email:
    key: str
    label: Label
    sent_when: Label
    audience: Label
    subject: Label
    intro: Label
    variables: tuple[Variable, ...]
    text_template: str
    html_template: str
    # Notifications: the text part is the in-app body followed by the link.
    notification: bool = False
    note: Label = ""

    @property
    def names(self) -> list[str]:
        return [variable.name for variable in self.variables]

    def values(self, context: Mapping[str, Any]) -> dict[str, str]:
        return {variable.name: variable.value(context) for variable in self.variables}


# --- Builders the table (wording_emails.py) uses --------------------------------------------


def program_message_variable(field: str) -> Variable:
    return Variable(
        "program_message",
        _("The message set in Application settings (empty when there is none)"),
        f"program.{field}",
    )


def inviter_variable(path: str) -> Variable:
    def name(context: Mapping[str, Any]) -> str:
        inviter = resolve(context, path)
        if inviter:
            return str(inviter.get_full_name() or inviter.email)
        return gettext("The %(program)s team") % {"program": resolve(context, "tenant.name")}

    return Variable("inviter_name", _("Who sent the invitation (or “The … team”)"), name)


def count_phrase(singular: str, plural: str, path: str) -> Callable[[Mapping[str, Any]], str]:
    def phrase(context: Mapping[str, Any]) -> str:
        n = len(resolve(context, path) or ())
        return ngettext(singular, plural, n) % {"count": n}

    return phrase


def notification_email(kind: str, **kwargs: Any) -> Email:
    return Email(
        key=f"notifications.{kind}",
        text_template=f"notifications/{kind}/body.txt",
        html_template=f"notifications/{kind}/email.html",
        notification=True,
        **kwargs,
    )


def application_email(kind: str, **kwargs: Any) -> Email:
    return Email(
        key=f"applications.{kind}",
        text_template=f"applications/emails/{kind}/body.txt",
        html_template=f"applications/emails/{kind}/body.html",
        **kwargs,
    )


def home_email(kind: str, **kwargs: Any) -> Email:
    return Email(
        key=f"home.{kind}",
        text_template=f"home/emails/{kind}/body.txt",
        html_template=f"home/emails/{kind}/body.html",
        **kwargs,
    )


EMAILS: dict[str, Email] = {}


def register(*emails: Email) -> None:
    """Add `emails` to the registry (the table in wording_emails.py calls this on import)."""
    for email in emails:
        EMAILS[email.key] = email


def email_get(key: str) -> Email | None:
    return EMAILS.get(key)


def sample_context(tenant: Any) -> dict[str, Any]:
    """Example objects for every email's template and variables (the preview)."""
    sam = SimpleNamespace(
        first_name="Sam",
        last_name="Rivera",
        email="sam.rivera@northwind.example",
        get_short_name=lambda: "Sam",
        get_full_name=lambda: "Sam Rivera",
    )
    ada = SimpleNamespace(
        first_name="Ada",
        email="ada@vendor.example",
        get_short_name=lambda: "Ada",
        get_full_name=lambda: "Ada Lovelace",
    )
    reseller = SimpleNamespace(name=gettext("Reseller"))
    northwind = SimpleNamespace(name="Northwind Systems", partner_type=reseller)
    contoso = SimpleNamespace(name="Contoso Ltd", partner_type=reseller)
    action = SimpleNamespace(title=gettext("Sign the partner agreement"))
    pipeline = SimpleNamespace(name=gettext("Reseller onboarding"))
    alert_rule = SimpleNamespace(label=gettext("First certification within 30 days"))
    from django.utils import timezone

    from apps.tenancy.selectors import tenant_absolute_url

    url = tenant_absolute_url(tenant=tenant, path="/portal/")
    alert = SimpleNamespace(rule=alert_rule, due_at=timezone.now(), account=northwind)
    return {
        "tenant": tenant,
        "recipient": sam,
        "user": sam,
        "url": url,
        "reset_url": tenant_absolute_url(tenant=tenant, path="/accounts/password/reset/"),
        "has_password": False,
        "valid_days": 7,
        "program": SimpleNamespace(
            confirmation_intro=gettext("Thanks for applying to our partner program."),
            approval_intro=gettext("Welcome aboard! Your onboarding starts as you sign in."),
            rejection_intro=gettext(
                "Thank you for your interest in our partner program. We are not able to "
                "accept your application at this time."
            ),
        ),
        "application": SimpleNamespace(
            first_name="Sam",
            full_name="Sam Rivera",
            email=sam.email,
            company="Northwind Systems",
            partner_account=northwind,
            matched_account=northwind,
            decision_reason="",
        ),
        "invitation": SimpleNamespace(invited_by=ada, partner_type=reseller, note=""),
        "inviter": ada,
        "role": gettext("Channel manager"),
        "account": northwind,
        "partner": northwind,
        "action": action,
        "comment": gettext("Please attach the signed copy."),
        "stage": SimpleNamespace(name=gettext("Sales training")),
        "pipeline": pipeline,
        "actor_name": "Ada Lovelace",
        "count": 2,
        "names": [contoso.name, northwind.name],
        "open_actions": [
            {
                "title": action.title,
                "stage": gettext("Sales training"),
                "changes_requested": False,
                "comment": "",
                "link": f"{url}onboarding/",
            }
        ],
        "unsubscribe_url": url.replace("/portal/", "/email/reminders/"),
        "waiting": [
            SimpleNamespace(partner_account=northwind, action=action),
            SimpleNamespace(partner_account=contoso, action=action),
        ],
        "alerts": [alert],
        "partners": [{"partner": northwind, "alerts": [alert]}],
    }


# The table (wording_emails.py) registers its entries on import; imported last, as it uses the
# classes and builders above.
from apps.notifications import wording_emails  # noqa: E402, F401
