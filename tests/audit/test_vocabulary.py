"""The declared audit vocabulary: every verb has a label, the recorder refuses the rest."""

import ast
import importlib
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


APPS = Path(__file__).resolve().parents[2] / "apps"
# The functions that record an audit event or a partner event (`verbs.py` modules, where the
# names are declared, are the one place they are written out).
RECORDERS = {
    "audit_record",
    "AuditEntry",
    "partner_event_record",
    "partner_events_record_many",
    "onboarding_event_record",
    "milestone_event_record",
}


def _sources() -> list[tuple[Path, ast.Module]]:
    return [
        (path, ast.parse(path.read_text(), filename=str(path)))
        for path in sorted(APPS.rglob("*.py"))
        if path.name != "verbs.py" and "migrations" not in path.parts
    ]


def _literal(node: ast.AST | None, *, dotted: bool = False) -> bool:
    """Whether `node` writes a name out as a string (`"a.b"`, `f"a.{x}d"`, `"a" if c else
    "b"`) rather than taking it from a declared constant. `dotted`: only strings that look
    like a verb (a dot in them), for variables that merely share the name `verb`."""
    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and (not dotted or "." in node.value)
    if isinstance(node, ast.JoinedStr):
        return not dotted or any(_literal(part, dotted=True) for part in node.values)
    if isinstance(node, ast.IfExp):
        return _literal(node.body, dotted=dotted) or _literal(node.orelse, dotted=dotted)
    if isinstance(node, ast.BoolOp):
        return any(_literal(value, dotted=dotted) for value in node.values)
    return False


def _name_of(func: ast.AST) -> str:
    return func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")


def _assigned_to_verb(node: ast.AST) -> list[ast.AST]:
    """The values an assignment gives a variable named `verb` (`verb, data = …` too)."""
    if isinstance(node, ast.AnnAssign):
        pairs = [(node.target, node.value)]
    elif isinstance(node, ast.Assign):
        pairs = [(target, node.value) for target in node.targets]
    else:
        return []
    values = []
    for target, value in pairs:
        if isinstance(target, ast.Tuple) and isinstance(value, ast.Tuple):
            pairs_ = zip(target.elts, value.elts, strict=False)
            values += [v for t, v in pairs_ if isinstance(t, ast.Name) and t.id == "verb"]
        elif isinstance(target, ast.Name) and target.id == "verb":
            values.append(value)
    return values


def test_no_verb_or_event_type_is_written_out_at_a_call_site():
    """Verbs and event types come from the app's `verbs.py` constants, so that a reader
    who greps a name finds its declaration, and the constant's uses from there."""
    found = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            literals = [value for value in _assigned_to_verb(node) if _literal(value, dotted=True)]
            if isinstance(node, ast.Call):
                recorder = _name_of(node.func) in RECORDERS
                literals += [
                    keyword.value
                    for keyword in node.keywords
                    if (keyword.arg == "verb" or (recorder and keyword.arg in ("type", "types")))
                    and _literal(keyword.value)
                ]
            found += [f"{path.relative_to(APPS)}:{value.lineno}" for value in literals]
    assert found == []


def test_no_audit_verb_is_written_out_anywhere_but_its_declaration():
    """Not in a table, a condition or SQL either (docstrings aside)."""
    declared = {verb.name for verb in AUDIT_VERBS}
    docstrings = set()
    found = []
    for path, tree in _sources():
        for node in ast.walk(tree):
            if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
                docstrings.add(id(node.value))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Constant)
                and isinstance(node.value, str)
                and id(node) not in docstrings
                and any(name in declared for name in re.findall(r"[a-z_]+\.[a-z_]+", node.value))
            ):
                found.append(f"{path.relative_to(APPS)}:{node.lineno}: {node.value[:60]}")
    assert found == []


def test_every_verbs_constant_the_code_uses_is_declared():
    """`verbs.X` (and `from apps.<app>.verbs import X`) name a declared verb or event type."""
    declared = {verb.name for verb in AUDIT_VERBS} | {declared.name for declared in EVENT_TYPES}
    used = []
    for path, tree in _sources():
        aliases = {}  # local name -> verbs module
        for node in ast.walk(tree):
            if isinstance(node, ast.ImportFrom) and node.module:
                for alias in node.names:
                    if alias.name == "verbs":
                        module = importlib.import_module(f"{node.module}.verbs")
                        aliases[alias.asname or alias.name] = module
                    elif node.module.endswith(".verbs"):
                        module = importlib.import_module(node.module)
                        used.append((path, module, alias.name))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and isinstance(node.value, ast.Name)
                and node.value.id in aliases
            ):
                used.append((path, aliases[node.value.id], node.attr))
    assert len(used) > 100  # the recorders' call sites
    for path, module, name in used:
        value = getattr(module, name)  # AttributeError: not declared at all
        if isinstance(value, str) and name.endswith("_PREFIX"):
            # A family of event types (certification.*): some declared type starts with it.
            assert any(d.startswith(value) for d in declared), (path, name)
        elif isinstance(value, str) and name.isupper():
            assert value in declared, (path, name)


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
