"""The milestones' webhook events (`alert.raised`, `milestone.achieved`, `milestone.missed`):
emitted by the sweep's set-based statements with no audit row, once each with a stable id,
only to the program's own endpoints subscribed to the type, and at no cost for programs
nobody listens to."""

from datetime import timedelta

import pytest
import time_machine
from django.db import connection, transaction
from django.test.utils import CaptureQueriesContext
from django_scopes import scope, scopes_disabled

from apps.audit.models import AuditEvent
from apps.milestones.models import Alert, PartnerTrack, Track
from apps.milestones.services import (
    milestone_event_record,
    milestone_sweep_all_tenants,
    statements,
)
from apps.outbox.models import OutboxMessage
from apps.partners.models import PartnerAccount, PartnerEvent
from apps.webhooks.emission import (
    DELIVERY_KIND,
    DirectEvent,
    subscriptions_for,
    webhook_emit_many,
    webhook_programs_subscribed_all_tenants,
)
from apps.webhooks.events import VERB_EVENTS
from tests.milestones.conftest import T0, day, item, start_tracking, sweep
from tests.webhooks.conftest import deliver_due, deliveries, endpoint_create

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.usefixtures("local_receiver_allowed", "milestone_template"),
]

URL = "http://127.0.0.1:9/hook"
MILESTONE_TYPES = ("alert.raised", "milestone.achieved", "milestone.missed")


class Boom(Exception):
    pass


def iso(moment):
    return moment.isoformat().replace("+00:00", "Z")


def _record(program, type_, at, reference=""):
    with time_machine.travel(at, tick=False), scope(tenant=program.tenant):
        return milestone_event_record(
            tenant=program.tenant,
            account_id=program.partner.pk,
            type=type_,
            source="api",
            reference=reference,
        )


def _of_type(event_type):
    return deliveries(event_type=event_type)


def test_no_audit_verb_maps_to_the_direct_types():
    assert not {t for types in VERB_EVENTS.values() for t in types} & set(MILESTONE_TYPES)
    with pytest.raises(ValueError):
        webhook_emit_many(event_type="partner.created", events=[])


def test_an_alert_raised_is_sent_once_with_its_payload(acme, receiver):
    endpoint = endpoint_create(acme, receiver.url, ["alert.raised"]).endpoint
    start_tracking(acme)
    sweep(day(1))
    assert sweep(day(5)).alerts_raised
    (row,) = deliveries()
    with scope(tenant=acme.tenant):
        alert = Alert.objects.get(tenant=acme.tenant, account=acme.partner)
    assert row.endpoint_id == endpoint.pk and row.event_type == "alert.raised"
    assert row.partner_id == acme.partner.pk and row.tenant_id == acme.tenant.pk
    assert row.payload == {
        "id": str(row.event_id),
        "type": "alert.raised",
        "created_at": iso(day(5)),
        "program": "acme",
        "data": {
            "partner_id": acme.partner.pk,
            "target": {
                "type": "milestones.alert",
                "id": str(alert.pk),
                "label": "Profile incomplete at day 5",
            },
            "actor": {"label": "system"},
            "details": {
                "from": None,
                "to": "open",
                "kind": "overdue",
                "day": 5,
                "milestone": "profile-complete",
                "due_at": iso(day(5)),
            },
        },
    }
    # No audit row per alert raised (the sweep raises them for many partners at once).
    with scopes_disabled():
        assert not AuditEvent.objects.filter(verb="alert.raised").exists()
    # Re-runs of the sweep send nothing new.
    sweep(day(5))
    sweep(day(6))
    assert deliveries() == [row]
    with scopes_disabled():
        assert OutboxMessage.objects.filter(kind=DELIVERY_KIND).count() == 1
    # It reaches a real receiver, with the id in the header.
    assert deliver_due() == 1
    (received,) = receiver.received
    assert received.headers["Onramp-Event-Type"] == "alert.raised"
    assert received.headers["Onramp-Event-Id"] == str(row.event_id)
    assert received.json == row.payload


def test_a_rolled_back_sweep_emits_nothing_and_the_rerun_has_the_same_id(acme):
    endpoint_create(acme, URL, ["alert.*"])
    start_tracking(acme)
    sweep(day(1))
    with pytest.raises(Boom), transaction.atomic():
        sweep(day(5))
        (first,) = deliveries()
        raise Boom
    assert deliveries() == []
    sweep(day(5))
    (row,) = deliveries()
    # The alert is another row now; its event is the same (one per partner milestone and rule).
    assert row.event_id == first.event_id and row.payload == {
        **first.payload,
        "data": {**first.payload["data"], "target": row.payload["data"]["target"]},
    }


def test_a_milestone_achieved_through_the_api_is_sent_once(acme):
    endpoint_create(acme, URL, ["milestone.achieved"])
    start_tracking(acme)
    _record(acme, "call.logged", day(2), reference="welcome")
    (row,) = deliveries()
    welcome = item(acme, "welcome-call")
    assert row.event_type == "milestone.achieved" and row.partner_id == acme.partner.pk
    assert row.payload["type"] == "milestone.achieved"
    assert row.payload["created_at"] == iso(day(2))
    assert row.payload["data"] == {
        "partner_id": acme.partner.pk,
        "target": {
            "type": "milestones.partnermilestone",
            "id": str(welcome.pk),
            "label": welcome.milestone.name,
        },
        "actor": {"label": "system"},
        "details": {
            "milestone": "welcome-call",
            "starts_at": iso(day(1)),
            "due_at": iso(day(5)),
            "completed_at": iso(day(2)),
            "on_time": True,
            "partner_event_id": welcome.completion_event_id,
            "counts_for_activation": welcome.milestone.counts_for_activation,
        },
    }
    # The sweep's passes over the same event, and the same event again, send nothing new.
    sweep(day(2))
    sweep(day(3))
    _record(acme, "call.logged", day(3), reference="welcome")
    assert deliveries() == [row]


def test_a_milestone_achieved_by_the_sweep_is_sent_once(acme):
    endpoint_create(acme, URL, ["milestone.*"])
    start_tracking(acme)
    sweep(day(1))
    # An event written straight into the log (as a bulk sync does): the sweep applies it.
    with time_machine.travel(day(20), tick=False), scope(tenant=acme.tenant):
        PartnerEvent.objects.create(
            tenant=acme.tenant,
            account=acme.partner,
            type="certification.passed",
            occurred_at=day(20),
            source="api",
            reference="sales",
        )
    sweep(day(20))
    achieved = _of_type("milestone.achieved")
    assert [r.payload["data"]["details"]["milestone"] for r in achieved] == ["sales-certification"]
    assert achieved[0].payload["data"]["details"]["on_time"] is True
    sweep(day(20) + timedelta(minutes=1))
    assert _of_type("milestone.achieved") == achieved


def test_a_milestone_missed_is_sent_once_when_its_window_closes(acme):
    endpoint_create(acme, URL, ["milestone.missed"])
    start_tracking(acme)
    sweep(day(1))  # the first pass: windows closed before it are not reported
    assert deliveries() == []
    _record(acme, "call.logged", day(2), reference="welcome")  # achieved in its window
    sweep(day(3) - timedelta(seconds=1))
    assert deliveries() == []
    result = sweep(day(3))  # profile complete: window day 1 to 3
    (row,) = deliveries()
    assert result.missed_webhooks == 1
    profile = item(acme, "profile-complete")
    assert row.event_type == "milestone.missed" and row.partner_id == acme.partner.pk
    assert row.payload["created_at"] == iso(day(3))
    assert row.payload["data"] == {
        "partner_id": acme.partner.pk,
        "target": {
            "type": "milestones.partnermilestone",
            "id": str(profile.pk),
            "label": profile.milestone.name,
        },
        "actor": {"label": "system"},
        "details": {
            "milestone": "profile-complete",
            "starts_at": iso(day(1)),
            "due_at": iso(day(3)),
            "progress": profile.progress,
        },
    }
    # Re-runs send nothing new; the welcome call (done in time) is never missed.
    sweep(day(3))
    sweep(day(6))
    assert deliveries() == [row]
    # Orientation closes at day 14: missed then, once.
    sweep(day(15))
    sweep(day(15))
    assert [r.payload["data"]["details"]["milestone"] for r in deliveries()] == [
        "profile-complete",
        "orientation",
    ]


def test_a_milestone_achieved_in_the_pass_its_window_closes_is_not_missed(acme):
    endpoint_create(acme, URL, ["milestone.*"])
    start_tracking(acme)
    sweep(day(1))
    with time_machine.travel(day(2), tick=False), scope(tenant=acme.tenant):
        PartnerEvent.objects.create(
            tenant=acme.tenant,
            account=acme.partner,
            type="call.logged",
            occurred_at=day(2),
            source="api",
            reference="welcome",
        )
    sweep(day(6))  # applies the event, then reads the windows closed since day 1
    assert sorted(
        (r.event_type, r.payload["data"]["details"]["milestone"]) for r in deliveries()
    ) == [("milestone.achieved", "welcome-call"), ("milestone.missed", "profile-complete")]


def test_nothing_for_an_unsubscribed_type_or_another_program(acme, globex):
    endpoint_create(acme, URL, ["partner.*", "application.*", "alert.acknowledged"])
    globex_endpoint = endpoint_create(globex, URL + "/globex", ["*"]).endpoint
    start_tracking(acme)
    start_tracking(globex)
    sweep(day(1))
    _record(acme, "call.logged", day(2), reference="welcome")
    sweep(day(50))
    rows = deliveries()
    assert rows, "globex listens to everything"
    assert {r.endpoint_id for r in rows} == {globex_endpoint.pk}
    assert {r.tenant_id for r in rows} == {globex.tenant.pk}
    assert {r.partner_id for r in rows} == {globex.partner.pk}
    assert {r.payload["program"] for r in rows} == {"globex"}
    assert {r.event_type for r in rows} == {"alert.raised", "milestone.missed"}


def test_a_disabled_or_deleted_endpoint_gets_nothing(acme):
    from apps.webhooks.services import webhook_endpoint_delete

    created = endpoint_create(acme, URL, ["*"])
    start_tracking(acme)
    sweep(day(1))
    with scope(tenant=acme.tenant):
        webhook_endpoint_delete(
            tenant=acme.tenant, actor=acme.admin, endpoint_id=created.endpoint.pk
        )
    sweep(day(50))
    assert deliveries() == []


def test_emitting_the_same_event_twice_writes_it_once(acme):
    endpoint_create(acme, URL, ["milestone.missed"])
    event = DirectEvent(
        tenant_id=acme.tenant.pk,
        key="partnermilestone:1:x",
        partner_id=acme.partner.pk,
        target_type="milestones.partnermilestone",
        target_id=1,
        target_label="Profile",
    )
    assert webhook_emit_many(event_type="milestone.missed", events=[event, event]) == 1
    assert webhook_emit_many(event_type="milestone.missed", events=[event]) == 0
    assert len(deliveries()) == 1


def _bulk_partners(program, n, enrolled, offset):
    """`n` new partners of the program's partner type, tracked from `enrolled`."""
    with scope(tenant=program.tenant):
        track = Track.objects.get(partner_type=program.partner.partner_type)
        accounts = PartnerAccount.objects.bulk_create(
            PartnerAccount(
                tenant=program.tenant,
                name=f"Bulk {offset + i}",
                partner_type=program.partner.partner_type,
                cam=program.cam,
            )
            for i in range(n)
        )
        tracks = PartnerTrack.objects.bulk_create(
            PartnerTrack(
                tenant=program.tenant,
                account=a,
                track=track,
                enrolled_at=enrolled,
                activation_due_at=enrolled + timedelta(days=60),
            )
            for a in accounts
        )
    statements.materialise(partner_track_ids=[t.pk for t in tracks], now=enrolled)
    return accounts


def _log_welcome_calls(program, accounts, enrolled):
    """A welcome call on day 2 for each account, written straight into the log (as a bulk
    sync does), for the sweep to apply."""
    with (
        time_machine.travel(enrolled + timedelta(days=2), tick=False),
        scope(tenant=program.tenant),
    ):
        PartnerEvent.objects.bulk_create(
            PartnerEvent(
                tenant=program.tenant,
                account=a,
                type="call.logged",
                occurred_at=enrolled + timedelta(days=2),
                source="api",
                reference="welcome",
            )
            for a in accounts
        )


def _measured_pass(program, n, start, offset):
    """Track `n` partners from `start`; sweep day 1 (cursors in place); log their welcome
    calls; then measure the pass of day 8, which achieves the welcome calls, misses the
    profiles (window closed on day 3) and raises "profile incomplete" (day 5) for each.
    Returns (statements, sweep result)."""
    accounts = _bulk_partners(program, n, start, offset)
    sweep(start + timedelta(days=1))
    _log_welcome_calls(program, accounts, start)
    # The cached subscriptions warm (one query per two minutes at most, not per pass).
    for event_type in MILESTONE_TYPES:
        webhook_programs_subscribed_all_tenants(event_type=event_type)
    subscriptions_for(program.tenant.pk)
    with (
        time_machine.travel(start + timedelta(days=8), tick=False),
        CaptureQueriesContext(connection) as ctx,
    ):
        result = milestone_sweep_all_tenants()
    assert result.milestones_completed == n  # the welcome calls
    assert len(result.alerts_raised) == n  # profile incomplete at day 5
    return ctx.captured_queries, result


@pytest.mark.parametrize("globex_listens", [False, True], ids=["no endpoint", "elsewhere"])
def test_the_sweeps_statements_do_not_grow_with_partners_nobody_listens_to(
    acme, globex, globex_listens
):
    """A pass that achieves, misses and alerts for 1 or 40 of acme's partners: the same
    statements, none of them about webhooks, when no endpoint of acme's listens."""
    if globex_listens:
        endpoint_create(globex, URL, ["*"])
    counts = {}
    for n, start in ((1, T0), (40, T0 + timedelta(days=200))):
        queries, _result = _measured_pass(acme, n, start, offset=len(counts) * 1000)
        counts[n] = len(queries)
        assert not [q["sql"] for q in queries if "webhooks_" in q["sql"]]
        sweep(start + timedelta(days=199))  # everything of this batch has fired
    assert counts[1] == counts[40]
    assert deliveries() == []


def test_a_listening_programs_deliveries_are_written_set_based(acme):
    endpoint_create(acme, URL, ["*"])
    endpoint_create(acme, URL + "/2", ["milestone.*", "alert.raised"])
    counts = {}
    for n, start in ((1, T0), (40, T0 + timedelta(days=200))):
        before = {r.pk for r in deliveries()}
        queries, result = _measured_pass(acme, n, start, offset=len(counts) * 1000)
        # Savepoints aside (an outbox write of more than a few messages takes one).
        counts[n] = len([q for q in queries if "SAVEPOINT" not in q["sql"]])
        written = [r for r in deliveries() if r.pk not in before]
        assert sorted(r.event_type for r in written) == sorted(
            ["milestone.achieved", "milestone.missed", "alert.raised"] * 2 * n
        )
        assert result.missed_webhooks == 2 * n
        # Each event to both endpoints, with one id.
        assert len({r.event_id for r in written}) * 2 == len(written)
        sweep(start + timedelta(days=199))
    assert counts[1] == counts[40]
