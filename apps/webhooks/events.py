"""The webhook event types (declared, with the audit verbs that emit them or the note that
milestones emits them directly, in verbs.py), and
how an endpoint's subscriptions (`application.*`) match a type."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _

from apps.webhooks.verbs import (
    CONDITIONS,
    DIRECT_EVENTS,
    GROUPS,
    VERB_EVENTS,
    EventGroup,
    Label,
)

__all__ = [
    "CONDITIONS",
    "DIRECT_EVENTS",
    "EVENT_TYPES",
    "GROUPS",
    "PATTERNS",
    "TEST_EVENT",
    "VERB_EVENTS",
    "WILDCARD",
    "EventGroup",
    "event_types_for",
    "pattern_matches",
    "patterns_label",
    "patterns_normalise",
]

WILDCARD = "*"
# Sent by "Send test event" only, whatever the endpoint subscribes to.
TEST_EVENT = "webhook.test"

EVENT_TYPES: dict[str, Label] = {name: label for g in GROUPS for name, label in g.types}
PATTERNS: frozenset[str] = frozenset({WILDCARD, *(g.pattern for g in GROUPS), *EVENT_TYPES})


def event_types_for(verb: str, data: Mapping[str, Any] | None) -> tuple[str, ...]:
    """The webhook event types one audit event emits (none for most verbs)."""
    types = VERB_EVENTS.get(verb)
    if not types:
        return ()
    data = data if isinstance(data, Mapping) else {}
    return tuple(t for t in types if (key := CONDITIONS.get((verb, t))) is None or data.get(key))


def pattern_matches(patterns: Iterable[str], event_type: str) -> bool:
    """Whether an endpoint subscribed to `patterns` receives `event_type`."""
    group = event_type.split(".", 1)[0]
    wanted = set(patterns)
    return event_type in wanted or f"{group}.{WILDCARD}" in wanted or WILDCARD in wanted


def patterns_normalise(patterns: Iterable[str]) -> list[str]:
    """Known patterns, without duplicates or types a chosen group pattern covers, sorted.
    Raises ValueError naming an unknown one."""
    chosen = set()
    for pattern in patterns:
        pattern = pattern.strip()
        if pattern not in PATTERNS:
            raise ValueError(pattern)
        chosen.add(pattern)
    if WILDCARD in chosen:
        return [WILDCARD]
    groups = {p.split(".", 1)[0] for p in chosen if p.endswith(".*")}
    return sorted(p for p in chosen if p.endswith(".*") or p.split(".", 1)[0] not in groups)


def patterns_label(patterns: Iterable[str]) -> str:
    """A short readable summary of subscriptions for the list ("All events", "application.*,
    partner.created")."""
    patterns = list(patterns)
    if WILDCARD in patterns:
        return str(_("All events"))
    return ", ".join(patterns)
