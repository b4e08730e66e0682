"""The endpoint form of /console/settings/webhooks/: its shape only (the service checks the
URL's address and the event types)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.text import single_line_validator
from apps.webhooks.events import GROUPS, WILDCARD, EventGroup
from apps.webhooks.services import DESCRIPTION_MAX_LENGTH, URL_MAX_LENGTH


def _choices() -> list[tuple[str, Any]]:
    choices: list[tuple[str, Any]] = [(WILDCARD, _("Every event, including types added later"))]
    for group in GROUPS:
        choices.append((group.pattern, _("All of them, including types added later")))
        choices.extend(group.types)
    return choices


class EndpointForm(forms.Form):
    url = forms.CharField(
        label=_("Endpoint URL"),
        max_length=URL_MAX_LENGTH,
        help_text=_("Where we POST each event, e.g. https://crm.example.com/onramp/webhooks."),
        widget=forms.URLInput(attrs={"placeholder": "https://", "autocomplete": "off"}),
    )
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        validators=[single_line_validator],
        help_text=_("Optional: which system receives it, who looks after it."),
    )
    event_types = forms.MultipleChoiceField(
        label=_("Events to send"),
        choices=_choices,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one event type.")},
    )

    def groups(self) -> list[dict[str, Any]]:
        """The event type checkboxes by group, for the template."""
        chosen = set(self["event_types"].value() or [])
        return [_group(group, chosen) for group in GROUPS]

    def everything_chosen(self) -> bool:
        return WILDCARD in set(self["event_types"].value() or [])


def _group(group: EventGroup, chosen: set[str]) -> dict[str, Any]:
    return {
        "name": group.name,
        "label": group.label,
        "pattern": group.pattern,
        "pattern_checked": group.pattern in chosen,
        "types": [
            {"value": value, "label": label, "checked": value in chosen}
            for value, label in group.types
        ],
    }
