"""apps/applications/verbs.py: how an application's own history words its audit events
(declared beside each verb, rendered by `applications/_history.html`)."""

from types import SimpleNamespace

import pytest
from django.template.loader import render_to_string
from django_scopes import scope

from apps.applications import verbs
from apps.applications.services import application_approve, application_reject
from apps.audit.vocabulary import AUDIT_VERBS
from tests.applications.conftest import apply_and_confirm, configure

# The application's own verbs: each has a history wording.
OWN_VERBS = [
    verbs.APPLICATION_RECEIVED,
    verbs.APPLICATION_UPDATED,
    verbs.APPLICATION_CONFIRMED,
    verbs.APPLICATION_QUEUED,
    verbs.APPLICATION_APPROVED,
    verbs.APPLICATION_ADDED,
    verbs.APPLICATION_REJECTED,
    verbs.APPLICATION_DECLINED,
]


def _history(verb: str, data: dict) -> str:
    event = SimpleNamespace(verb=verb, data=data, target_label="Peter <Gibbons>")
    return render_to_string("applications/_history.html", {"event": event}).strip()


def test_every_verb_of_an_application_has_a_history_wording():
    for name in OWN_VERBS:
        verb = AUDIT_VERBS.require(name)
        assert verb.history is not None and verb.history.name == name, name


@pytest.mark.parametrize(
    ("verb", "data", "html"),
    [
        (verbs.APPLICATION_RECEIVED, {"source": "invited"}, "Applied from an invitation"),
        (verbs.APPLICATION_RECEIVED, {"source": "public"}, "Applied through the public form"),
        (
            verbs.APPLICATION_UPDATED,
            {"source": "public"},
            "Sent the application again (it replaced the unconfirmed one)",
        ),
        (
            verbs.APPLICATION_CONFIRMED,
            {"by": "invitation"},
            "Confirmed their email address (through the invitation link)",
        ),
        (verbs.APPLICATION_CONFIRMED, {"by": "email"}, "Confirmed their email address"),
        (
            verbs.APPLICATION_QUEUED,
            {"rule": "domain_matched", "matched": "Acme & <Co>", "note": "Check <i>it</i>"},
            "Sent to review: the email domain belongs to <strong>Acme &amp; &lt;Co&gt;</strong>."
            " Check &lt;i&gt;it&lt;/i&gt;",
        ),
        (
            verbs.APPLICATION_QUEUED,
            {"rule": "public_domain", "matched": None, "note": None},
            "Sent to review: a public mail address",
        ),
        (
            verbs.APPLICATION_QUEUED,
            {"rule": "manual", "note": ""},
            "Sent to review: every application is reviewed",
        ),
        (verbs.APPLICATION_QUEUED, {"rule": "odd<b>"}, "Sent to review: odd&lt;b&gt;"),
        (
            verbs.APPLICATION_APPROVED,
            {"partner": "P&Q", "type": "Reseller", "cam": "cam@x.test", "pipeline": "Main"},
            "Approved as a new partner: <strong>P&amp;Q</strong> (Reseller), channel manager"
            " cam@x.test, enrolled in Main",
        ),
        (
            verbs.APPLICATION_APPROVED,
            {"partner": "P", "type": "Reseller", "cam": None, "pipeline": "Main"},
            "Approved as a new partner: <strong>P</strong> (Reseller), enrolled in Main",
        ),
        (
            verbs.APPLICATION_APPROVED,
            {"partner": "P", "type": "Reseller", "cam": ""},
            "Approved as a new partner: <strong>P</strong> (Reseller)",
        ),
        (
            verbs.APPLICATION_ADDED,
            {"partner": "P", "via": "portal"},
            "Added to <strong>P</strong> by the partner’s admin",
        ),
        (
            verbs.APPLICATION_ADDED,
            {"partner": "P", "via": "console"},
            "Added to <strong>P</strong>",
        ),
        (
            verbs.APPLICATION_REJECTED,
            {"reason": "No fit", "emailed": True},
            "Rejected: “No fit” — the applicant was emailed",
        ),
        (
            verbs.APPLICATION_REJECTED,
            {"reason": "", "emailed": True},
            "Rejected — the applicant was emailed",
        ),
        (verbs.APPLICATION_REJECTED, {"reason": "No fit", "emailed": False}, "Rejected: “No fit”"),
        (verbs.APPLICATION_REJECTED, {"reason": "", "emailed": False}, "Rejected"),
        (
            verbs.APPLICATION_DECLINED,
            {"partner": "P", "reason": "Not ours"},
            "Declined for <strong>P</strong>: “Not ours”",
        ),
        (
            verbs.APPLICATION_DECLINED,
            {"partner": "P", "reason": ""},
            "Declined for <strong>P</strong>",
        ),
    ],
)
def test_history_wordings(verb, data, html):
    assert _history(verb, data) == html


def test_a_verb_without_a_history_wording_uses_its_timeline_sentence():
    html = _history(verbs.INVITATION_ACCEPTED, {"from": "pending"})
    assert html == "Invitation accepted <strong>Peter &lt;Gibbons&gt;</strong>"


@pytest.mark.django_db
def test_the_application_page_words_its_history_through_the_vocabulary(acme, client_for):
    approved = apply_and_confirm(acme, "peter@initech.example").application
    rejected = apply_and_confirm(acme, "bill@initrode.example", company="Initrode").application
    with scope(tenant=acme.tenant):
        application_approve(tenant=acme.tenant, actor=acme.cam, application_id=approved.pk)
        application_reject(
            tenant=acme.tenant,
            actor=acme.cam,
            application_id=rejected.pk,
            reason="Not a fit",
            notify_applicant=True,
        )
    configure(acme, domain_matching=True)
    queued = apply_and_confirm(acme, "newbie@one.acme.test", company="Newbie").application
    client = client_for(acme, acme.cam)
    html = client.get(f"/console/applications/{queued.pk}/").content.decode()
    assert "Applied through the public form" in html
    assert "Confirmed their email address" in html
    assert "Sent to review: the email domain belongs to <strong>Acme Partner One</strong>" in html
    html = client.get(f"/console/applications/{approved.pk}/").content.decode()
    assert "Approved as a new partner: <strong>Initech</strong> (Reseller / VAR)" in html
    html = client.get(f"/console/applications/{rejected.pk}/").content.decode()
    assert "Rejected: “Not a fit” — the applicant was emailed" in html
