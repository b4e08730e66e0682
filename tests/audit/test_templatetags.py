"""The timeline shows an edit's before → after values, not only the names of the fields."""

from types import SimpleNamespace

from django.template import Context, Template

from apps.audit.templatetags.audit import audit_changes


def _event(data):
    return SimpleNamespace(verb="partner.updated", target_label="Initech", data=data)


def test_changed_fields_are_listed_with_before_and_after():
    rows = audit_changes(
        _event(
            {
                "from": {"tier": "Silver", "domains": ["a.example"], "region": ""},
                "to": {"tier": "Gold", "domains": ["a.example", "b.example"], "region": "EMEA"},
            }
        )
    )
    assert rows == [
        ("Tier", "Silver", "Gold"),
        ("Domains", "a.example", "a.example, b.example"),
        ("Region", "—", "EMEA"),
    ]


def test_unchanged_fields_and_scalar_from_to_are_not_listed():
    assert audit_changes(_event({"from": {"tier": "Gold"}, "to": {"tier": "Gold"}})) == []
    # A status move worded by its own sentence ("from" / "to" as plain values).
    assert audit_changes(_event({"from": "open", "to": "resolved"})) == []
    assert audit_changes(_event({})) == []
    assert audit_changes(_event(None)) == []


def test_a_creation_or_deletion_lists_the_side_that_exists():
    assert audit_changes(_event({"from": None, "to": {"name": "OEM", "archived": False}})) == [
        ("Name", None, "OEM"),
        ("Archived", None, "No"),
    ]


def test_values_are_escaped_in_the_timeline():
    html = Template('{% include "audit/_verb.html" %}').render(
        Context({"event": _event({"from": {"name": "<b>x</b>"}, "to": {"name": "y"}})})
    )
    assert "<b>x</b>" not in html
    assert "&lt;b&gt;x&lt;/b&gt;" in html
    assert 'class="changes__after">y<' in html


def test_a_creation_shows_values_without_an_arrow():
    html = Template('{% include "audit/_verb.html" %}').render(
        Context({"event": _event({"from": None, "to": {"tier": "Gold"}})})
    )
    assert "→" not in html
    assert 'Tier</span>: <span class="changes__after">Gold<' in html
