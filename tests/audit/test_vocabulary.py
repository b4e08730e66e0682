"""The declared audit vocabulary: every verb has a label, the recorder refuses the rest."""

import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from django.core.management import call_command
from django.template.loader import render_to_string
from django.utils.html import strip_tags
from django_scopes import scope, scopes_disabled

from apps.audit.models import AuditEvent
from apps.audit.services import audit_record
from apps.audit.vocabulary import AUDIT_VERBS, UnknownVerb, Vocabulary, audit_wording
from apps.partners.models import PartnerEvent
from apps.partners.verbs import EVENT_TYPES, event_wording


def _event(verb: str, data: dict | None = None, target: str = "Northwind") -> SimpleNamespace:
    return SimpleNamespace(verb=verb, data=data or {}, target_label=target)


def _readable(html: str, raw: str) -> bool:
    text = strip_tags(html).strip()
    return bool(re.search(r"[A-Za-z]", text)) and text != raw and raw not in text


def test_every_declared_verb_and_each_of_its_wordings_is_readable():
    assert len(AUDIT_VERBS) > 50  # every app's verbs.py was loaded
    for verb in AUDIT_VERBS:
        for label in [verb.label, *(label for _, label in verb.when)]:
            html = type(verb)(name=verb.name, label=label).render(data={}, target="Northwind")
            assert _readable(html, verb.name), verb.name
    assert len(EVENT_TYPES) > 20
    for declared in EVENT_TYPES:
        wording = event_wording(SimpleNamespace(type=declared.name, reference="", data={}))
        assert _readable(wording, declared.name), declared.name


def test_every_verb_written_as_a_literal_in_the_code_is_declared():
    """`verb="x.y"`, `verb = "x.y" if … else "x.z"`: literals on a line about a verb."""
    apps = Path(__file__).resolve().parents[2] / "apps"
    found = {
        literal
        for path in apps.rglob("*.py")
        for line in path.read_text().splitlines()
        if re.search(r"\bverb\b", line)
        for literal in re.findall(r"\"([a-z_]+\.[a-z_]+)\"", line)
    }
    assert {"action.completed", "partner.user_role_changed", "alert.snoozed"} <= found
    assert sorted(found - {v.name for v in AUDIT_VERBS}) == []


@pytest.mark.django_db
def test_every_verb_and_event_type_a_broad_scenario_records_is_declared_and_readable(settings):
    settings.DEBUG = True  # seed_demo refuses to run otherwise
    call_command("seed_demo")
    with scopes_disabled():
        events = {e.verb: e for e in AuditEvent.objects.order_by("verb", "-id").distinct("verb")}
        types = set(PartnerEvent.objects.values_list("type", flat=True).distinct())
    assert len(events) > 20 and len(types) > 5  # the scenario is broad
    for verb, event in events.items():
        assert verb in AUDIT_VERBS, verb
        assert _readable(audit_wording(event), verb), verb
    for type_ in types:
        assert type_ in EVENT_TYPES, type_
        assert _readable(event_wording(SimpleNamespace(type=type_, reference="", data={})), type_)


@pytest.mark.django_db
def test_an_undeclared_verb_is_refused_and_nothing_is_written(acme):
    with scope(tenant=acme.tenant):
        before = AuditEvent.objects.count()
        with pytest.raises(UnknownVerb, match="partner.reviewed"):
            audit_record(
                tenant=acme.tenant, actor=None, verb="partner.reviewed", target=acme.partner
            )
        with pytest.raises(ValueError):
            audit_record(tenant=acme.tenant, actor=None, verb="", target=acme.partner)
        assert AuditEvent.objects.count() == before


def test_a_verb_cannot_be_declared_twice():
    vocabulary = Vocabulary("test verb")
    assert vocabulary.declare("thing.done", "Did the thing") == "thing.done"
    with pytest.raises(ValueError, match="declared twice"):
        vocabulary.declare("thing.done", "Did it again")
    assert "thing.done" in vocabulary and "thing.undone" not in vocabulary


@pytest.mark.parametrize(
    ("verb", "data", "html"),
    [
        (
            "action.completed",
            {"to": "waiting_for_approval", "action": "NDA"},
            "Submitted <strong>NDA</strong>",
        ),
        (
            "action.completed",
            {"to": "completed", "action": "NDA"},
            "Completed <strong>NDA</strong>",
        ),
        (
            "action.changes_requested",
            {"action": "NDA", "comment": "Sign page 2"},
            "Requested changes on <strong>NDA</strong>: “Sign page 2”",
        ),
        (
            "action.changes_requested",
            {"action": "NDA"},
            "Requested changes on <strong>NDA</strong>",
        ),
        (
            "action.invalidated",
            {"action": "NDA", "comment": ""},
            "Invalidated <strong>NDA</strong>",
        ),
        (
            "stage.moved",
            {"how": "automatic", "to": "Sell"},
            "Moved automatically to the stage <strong>Sell</strong>",
        ),
        (
            "stage.moved",
            {"how": "manual", "to": "Sell"},
            "Moved to the stage <strong>Sell</strong>",
        ),
        (
            "partner.created",
            {"type": "Reseller"},
            "Created partner account <strong>Northwind</strong> (Reseller)",
        ),
        ("partner.created", {}, "Created partner account <strong>Northwind</strong>"),
        (
            "partner.domain_added",
            {"domain": "nw.test"},
            'Added domain <span class="mono">nw.test</span> to <strong>Northwind</strong>',
        ),
        ("staff.role_changed", {"user": "cam@acme.test"}, "Changed cam@acme.test’s staff role"),
        ("asset.file_replaced", {"to": 3}, "Uploaded version 3 of <strong>Northwind</strong>"),
        ("api_key.created", {"name": "Zapier"}, "Api key created <strong>Northwind</strong>"),
    ],
)
def test_conditional_and_data_wordings(verb, data, html):
    assert str(audit_wording(_event(verb, data))) == html


def test_user_data_and_target_labels_are_escaped():
    script = "<script>alert(1)</script>"
    html = render_to_string(
        "audit/_verb.html",
        {
            "event": _event(
                "action.changes_requested", {"action": script, "comment": script}, script
            )
        },
    )
    assert "<script>" not in html
    assert "Requested changes on <strong>&lt;script&gt;alert(1)&lt;/script&gt;</strong>" in html
    html = render_to_string("audit/_verb.html", {"event": _event("asset.created", target=script)})
    assert html.strip() == "Added the asset <strong>&lt;script&gt;alert(1)&lt;/script&gt;</strong>"


def test_an_undeclared_verb_already_stored_still_renders_escaped():
    html = str(audit_wording(_event("old.<b>verb</b>", target="T")))
    assert html == "old.&lt;b&gt;verb&lt;/b&gt; <strong>T</strong>"


@pytest.mark.django_db
def test_the_partner_timeline_renders_through_the_vocabulary(acme, client_for):
    client = client_for(acme, acme.admin)
    html = client.get(f"/console/partners/{acme.partner.pk}/").content.decode()
    assert "Created partner account <strong>Acme Partner One</strong> (Reseller / VAR)" in html
    assert 'Added domain <span class="mono">one.acme.test</span>' in html
