"""Declared vocabularies: every audit verb (and every partner event type) with its wording.

Each app declares the verbs it records once, in its own `verbs.py`, with the human label
beside each:

    ACTION_COMPLETED = audit_verb(
        "action.completed",
        _("Completed <strong>{action}</strong>"),
        when={"to=waiting_for_approval": _("Submitted <strong>{action}</strong>")},
    )

The recorder refuses a verb nobody declared (`audit_record` raises `UnknownVerb`), and the
timeline renders every event through its verb's label, so the two cannot drift.

A label is a format string: `{target}` is the event's target label, any other `{name}` the
event's `data[name]` (empty when missing). Every value is HTML-escaped; the label's own
markup (`<strong>`, `<span class="mono">`) is kept. `when` maps conditions to other labels,
the first that holds wins: `"key=value"` holds when `data[key] == "value"`, `"key"` when
`data[key]` is set (truthy). `clauses` map conditions to text appended to the label, each
one whose condition holds, in order (", channel manager {cam}").

A verb may also say how its target's own history words it (`history=wording(...)`), where
the target goes without saying (an application's page: "Approved as a new partner: …").

The audit app's `ready()` imports every installed app's `verbs` module, so the vocabulary
is complete before any request or task runs.
"""

from __future__ import annotations

import html
import importlib
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from string import Formatter
from typing import Any, Protocol

from django.utils.functional import Promise
from django.utils.html import conditional_escape, strip_tags
from django.utils.safestring import SafeString, mark_safe

Label = str | Promise
_PLACEHOLDER = re.compile(r"\{[^{}]*\}")


class UnknownVerb(ValueError):
    """A verb (or event type) that no app declared: a programming error, not user input."""


def _holds(condition: str, data: Mapping[str, Any]) -> bool:
    key, equals, value = condition.partition("=")
    if equals:
        return str(data.get(key, "")) == value
    return bool(data.get(key))


def _fields(label: str) -> set[str]:
    return {field for _, field, _, _ in Formatter().parse(label) if field}


@dataclass(frozen=True)
class Verb:
    """One declared verb: its name as stored, its label and its conditional labels."""

    name: str
    label: Label
    when: tuple[tuple[str, Label], ...] = ()
    clauses: tuple[tuple[str, Label], ...] = ()
    history: Verb | None = None

    def label_for(self, data: Mapping[str, Any]) -> Label:
        """The label the event's data selects (the first `when` condition that holds)."""
        for condition, label in self.when:
            if _holds(condition, data):
                return label
        return self.label

    def render(self, *, data: Mapping[str, Any], target: str = "") -> SafeString:
        """The label filled in from the event (with the clauses whose condition holds),
        with every value escaped."""
        label = str(self.label_for(data)) + "".join(
            str(clause) for condition, clause in self.clauses if _holds(condition, data)
        )
        values = {
            name: conditional_escape("" if data.get(name) is None else data[name])
            for name in _fields(label)
        }
        values["target"] = conditional_escape(target)
        return mark_safe(label.format_map(values))  # noqa: S308  (values escaped above)


class Vocabulary:
    """A registry of declared verbs (one per kind: audit verbs, partner event types)."""

    def __init__(self, noun: str) -> None:
        self.noun = noun
        self._verbs: dict[str, Verb] = {}

    def declare(
        self,
        name: str,
        label: Label,
        *,
        when: Mapping[str, Label] | None = None,
        clauses: Mapping[str, Label] | None = None,
        history: Verb | None = None,
    ) -> str:
        """Declare `name` with its label; returns the name, for a module-level constant."""
        if name in self._verbs:
            raise ValueError(f"The {self.noun} “{name}” is declared twice.")
        self._verbs[name] = Verb(
            name=name,
            label=label,
            when=tuple((when or {}).items()),
            clauses=tuple((clauses or {}).items()),
            history=replace(history, name=name) if history is not None else None,
        )
        return name

    def get(self, name: str) -> Verb | None:
        return self._verbs.get(name)

    def require(self, name: str) -> Verb:
        """The declared verb, or `UnknownVerb`: recorders call this before writing."""
        verb = self._verbs.get(name)
        if verb is None:
            raise UnknownVerb(
                f"Undeclared {self.noun} “{name}”: declare it in its app's verbs.py first."
            )
        return verb

    def __contains__(self, name: object) -> bool:
        return name in self._verbs

    def __iter__(self) -> Iterator[Verb]:
        return iter(list(self._verbs.values()))

    def __len__(self) -> int:
        return len(self._verbs)


AUDIT_VERBS = Vocabulary("audit verb")


def wording(
    label: Label,
    *,
    when: Mapping[str, Label] | None = None,
    clauses: Mapping[str, Label] | None = None,
) -> Verb:
    """A second wording of a verb (`audit_verb(..., history=wording(...))`)."""
    return Verb(
        name="",
        label=label,
        when=tuple((when or {}).items()),
        clauses=tuple((clauses or {}).items()),
    )


def audit_verb(
    name: str,
    label: Label,
    *,
    when: Mapping[str, Label] | None = None,
    clauses: Mapping[str, Label] | None = None,
    history: Verb | None = None,
) -> str:
    """Declare an audit verb (in an app's `verbs.py`); returns its name."""
    return AUDIT_VERBS.declare(name, label, when=when, clauses=clauses, history=history)


class _Event(Protocol):
    verb: str
    target_label: str
    data: Any


def audit_wording(event: _Event) -> SafeString:
    """The timeline sentence of an audit event (escaped HTML)."""
    data = event.data if isinstance(event.data, dict) else {}
    verb = AUDIT_VERBS.get(event.verb)
    if verb is None:
        # Not declared (an old row, say): show the raw verb rather than fail the page.
        return Verb(name=event.verb, label="{verb} <strong>{target}</strong>").render(
            data={"verb": event.verb}, target=event.target_label
        )
    return verb.render(data=data, target=event.target_label)


def audit_history_wording(event: _Event) -> SafeString:
    """The sentence of an audit event on its target's own history (escaped HTML): the
    verb's `history` wording, else its timeline sentence."""
    verb = AUDIT_VERBS.get(event.verb)
    if verb is None or verb.history is None:
        return audit_wording(event)
    data = event.data if isinstance(event.data, dict) else {}
    return verb.history.render(data=data, target=event.target_label)


def audit_wording_text(event: _Event) -> str:
    """The timeline sentence of an audit event as plain text (a CSV cell, a title)."""
    return html.unescape(strip_tags(audit_wording(event)))


def verb_readable(verb: Verb) -> str:
    """A verb's label as plain text, its placeholders shown as "…" (a filter's option)."""
    text = html.unescape(strip_tags(str(verb.label)))
    return " ".join(_PLACEHOLDER.sub("…", text).split())


def audit_verb_groups() -> list[tuple[str, list[tuple[str, str]]]]:
    """The declared audit verbs grouped by the app that declares them (its `verbs.py`), each
    as `(app name, [(verb, readable label), …])`, groups and labels in alphabetical order."""
    from django.apps import apps

    groups: list[tuple[str, list[tuple[str, str]]]] = []
    seen: set[str] = set()
    for config in apps.get_app_configs():
        try:
            module = importlib.import_module(f"{config.name}.verbs")
        except ModuleNotFoundError:
            continue
        names = sorted(
            {v for v in vars(module).values() if isinstance(v, str) and v in AUDIT_VERBS} - seen
        )
        if not names:
            continue
        seen.update(names)
        groups.append((str(config.verbose_name), _options(names)))
    rest = sorted(v.name for v in AUDIT_VERBS if v.name not in seen)
    if rest:
        groups.append(("Other", _options(rest)))
    return sorted(groups, key=lambda group: group[0].casefold())


def _options(names: list[str]) -> list[tuple[str, str]]:
    labels = {name: verb_readable(AUDIT_VERBS.require(name)) for name in names}
    counts: dict[str, int] = {}
    for label in labels.values():
        counts[label] = counts.get(label, 0) + 1
    # Two verbs worded alike in one app are told apart by their name.
    options = [
        (name, label if counts[label] == 1 else f"{label} ({name})")
        for name, label in labels.items()
    ]
    return sorted(options, key=lambda option: option[1].casefold())
