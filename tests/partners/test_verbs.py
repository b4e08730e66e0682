"""The partner event vocabulary: declared types, their wording, and the recorder's check."""

from types import SimpleNamespace

import pytest
from django_scopes import scope

from apps.audit.vocabulary import UnknownVerb
from apps.partners.models import PartnerEvent
from apps.partners.services import partner_event_record
from apps.partners.verbs import EVENT_SOURCES, event_source_label, event_wording


def _event(type_: str, data: dict | None = None, reference: str = "") -> SimpleNamespace:
    return SimpleNamespace(type=type_, data=data or {}, reference=reference)


@pytest.mark.django_db
@pytest.mark.parametrize("source", sorted(set(EVENT_SOURCES) - {"api"}))
def test_an_undeclared_type_is_refused_from_our_own_sources(acme, source):
    with scope(tenant=acme.tenant), pytest.raises(UnknownVerb, match="deal.closed"):
        partner_event_record(
            tenant=acme.tenant, account_id=acme.partner.pk, type="deal.closed", source=source
        )
    with scope(tenant=acme.tenant):
        assert not PartnerEvent.objects.filter(type="deal.closed").exists()


@pytest.mark.django_db
def test_external_systems_name_their_own_types(acme):
    with scope(tenant=acme.tenant):
        event, created = partner_event_record(
            tenant=acme.tenant, account_id=acme.partner.pk, type="deal.closed", source="api"
        )
        declared, _ = partner_event_record(
            tenant=acme.tenant, account_id=acme.partner.pk, type="call.logged", source="console"
        )
    assert created and event.type == "deal.closed" and declared.type == "call.logged"
    assert event_wording(event) == "deal.closed"  # no label of ours: the sender's own word


@pytest.mark.parametrize(
    ("event", "wording"),
    [
        (_event("deal.registered"), "Deal registered"),
        (_event("call.logged", {"label": "Welcome call held"}), "Welcome call held"),
        (_event("asset.downloaded", {"title": "Price list"}), "Downloaded an asset: Price list"),
        (
            _event("onboarding.stage_completed", {"stage": "Learn"}),
            "Completed an onboarding stage: Learn",
        ),
        (_event("certification.passed", reference="sales"), "Certification passed (sales)"),
        (_event("solution_design.held"), "Joint solution design session held"),
    ],
)
def test_event_wording(event, wording):
    assert event_wording(event) == wording


def test_source_labels():
    assert [event_source_label(s) for s in ("api", "content", "console", "system", "")] == [
        "API",
        "Library",
        "Console",
        "System",
        "",
    ]
