"""/api/v1/partners/{id}/onboarding: the partner's enrollment as the API shows it, and the
transitions an API key makes (complete, validate, request changes, skip) through the portal's
and console's services: the action status table, 409 for every refusal (nothing changed), the
key as the audited actor, scopes, other programs' and other partners' ids, a race, and the
automatic move to the next stage after an API completion."""

import itertools
import json

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope, scopes_disabled

from apps.api.services import api_key_create
from apps.audit.models import AuditEvent
from apps.notifications.models import Notification
from apps.onboarding.demo import ActionSpec, StageSpec
from apps.onboarding.models import ActionProgress, ActionType, Enrollment
from apps.onboarding.services import action_complete, action_validate
from apps.outbox.delivery import outbox_deliver_all_tenants
from apps.outbox.models import OutboxMessage
from apps.partners.models import PartnerEvent
from apps.partners.services import partner_suspend
from tests.conftest import race
from tests.onboarding.factories import (
    LEGAL_FIELDS,
    PI,
    UP,
    EnrollmentFactory,
    PipelineFactory,
    build_pipeline,
)

pytestmark = pytest.mark.django_db

READ = "onboarding:read"
WRITE = "onboarding:write"
_names = itertools.count(1)
FORM = {"form_fields": LEGAL_FIELDS}

# Stage 1: one action needing approval, one not; stage 2: an upload and a form; stage 3: none.
SPEC = [
    ("Company details", [("Legal details", PI, True), ("Company profile", PI, False)]),
    ("Contract", [("Signed NDA", UP, True), ("Sales questionnaire", PI, False)]),
    ("Kick-off call", []),
]


def keyed(client_for, program, *scopes):
    """A test client on `program`'s host sending a new key of `program` with `scopes`; the
    key is `client.key`."""
    with scope(tenant=program.tenant):
        created = api_key_create(
            tenant=program.tenant,
            actor=program.admin,
            name=f"Integration {next(_names)}",
            scopes=scopes,
        )
    client = client_for(program)
    client.defaults["HTTP_AUTHORIZATION"] = f"Bearer {created.secret}"
    client.key = created.key
    return client


def post(client, url, body=None):
    return client.post(url, data=json.dumps(body or {}), content_type="application/json")


class Journey:
    def __init__(self, program):
        self.program = program
        self.pipeline, self.stages, self.actions = build_pipeline(program, stages_spec=SPEC)
        self.enrollment = EnrollmentFactory(actor=program.cam, account=program.partner)

    def url(self, title=None, event=None, partner=None):
        partner_id = (partner or self.program.partner).pk
        base = f"/api/v1/partners/{partner_id}/onboarding"
        if title is None:
            return base
        return f"{base}/actions/{self.actions[title].pk}/{event}"

    def progress(self, title):
        with scope(tenant=self.program.tenant):
            return ActionProgress.objects.get(
                enrollment=self.enrollment, action=self.actions[title]
            )

    def status(self, title):
        return self.progress(title).status

    def current_stage(self):
        with scope(tenant=self.program.tenant):
            return Enrollment.objects.get(pk=self.enrollment.pk).current_stage

    def partner_completes(self, title, **submission):
        with scope(tenant=self.program.tenant):
            action_complete(
                tenant=self.program.tenant,
                actor=self.program.partner_user,
                progress_id=self.progress(title).pk,
                submission=submission or {"legal_name": "Acme Ltd"},
            )

    def cam_validates(self, title):
        with scope(tenant=self.program.tenant):
            action_validate(
                tenant=self.program.tenant,
                actor=self.program.cam,
                progress_id=self.progress(title).pk,
            )


@pytest.fixture
def journey(acme):
    return Journey(acme)


@pytest.fixture
def reader(client_for, acme):
    return keyed(client_for, acme, READ)


@pytest.fixture
def writer(client_for, acme):
    return keyed(client_for, acme, READ, WRITE)


def audit_rows(program, verb):
    with scope(tenant=program.tenant):
        return list(AuditEvent.objects.filter(tenant=program.tenant, verb=verb).order_by("id"))


def deliver_advances():
    """Deliver the queued automatic moves, as the outbox worker does after the commit."""
    with scopes_disabled():
        ids = list(
            OutboxMessage.objects.filter(kind="onboarding.advance", delivered_at__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )
    for message_id in ids:
        outbox_deliver_all_tenants(message_id=message_id)
    return len(ids)


# --- Reading -------------------------------------------------------------------------------


def test_get_shows_the_pipeline_the_current_stage_and_every_action(journey, reader, acme):
    journey.partner_completes("Legal details")
    response = reader.get(journey.url())
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["partner_id"] == acme.partner.pk
    assert body["pipeline"] == {"id": journey.pipeline.pk, "name": "Reseller onboarding"}
    assert body["status"] == "in_progress"
    assert body["current_stage_id"] == journey.stages[0].pk
    assert body["progress"] == {"done": 0, "total": 4, "percent": 0}
    assert [s["name"] for s in body["stages"]] == ["Company details", "Contract", "Kick-off call"]
    assert [s["status"] for s in body["stages"]] == ["current", "pending", "pending"]
    assert [s["position"] for s in body["stages"]] == [1, 2, 3]
    first = {a["title"]: a for a in body["stages"][0]["actions"]}
    legal = first["Legal details"]
    assert legal["id"] == journey.actions["Legal details"].pk
    assert legal["type"] == "provide_information"
    assert legal["requires_approval"] is True
    assert legal["status"] == "waiting_for_approval"
    assert legal["submission"] == {"legal_name": "Acme Ltd"}
    assert legal["submitted_at"] is not None and legal["submitted_at"].endswith("Z")
    assert legal["events"] == ["validate", "request_changes"]
    assert first["Company profile"]["events"] == ["complete", "skip"]
    later = {a["title"]: a for a in body["stages"][1]["actions"]}
    # Not the current stage: the partner cannot complete it yet; a CAM may skip it.
    assert later["Sales questionnaire"]["events"] == ["skip"]
    assert later["Signed NDA"]["events"] == ["skip"]  # uploads come through the portal
    assert body["stages"][2]["actions"] == []


def test_get_of_a_partner_not_enrolled_is_404(reader, acme):
    response = reader.get(f"/api/v1/partners/{acme.partner.pk}/onboarding")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_get_needs_the_read_scope(client_for, acme, journey):
    client = keyed(client_for, acme, "partners:read")
    response = client.get(journey.url())
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "insufficient_scope"


def test_no_key_or_another_programs_key_is_401(client_for, acme, globex, journey):
    assert client_for(acme).get(journey.url()).status_code == 401
    stranger = keyed(client_for, globex, READ, WRITE)
    # Globex's key sent to acme's host.
    acme_client = client_for(acme)
    acme_client.defaults["HTTP_AUTHORIZATION"] = stranger.defaults["HTTP_AUTHORIZATION"]
    assert acme_client.get(journey.url()).status_code == 401
    response = post(acme_client, journey.url("Company profile", "complete"))
    assert response.status_code == 401
    assert journey.status("Company profile") == "pending"


def test_ids_of_another_program_are_404(client_for, acme, globex, journey):
    theirs = Journey(globex)
    mine = keyed(client_for, acme, READ, WRITE)
    assert mine.get(theirs.url()).status_code == 404
    # Their partner's action, under their partner id or under ours.
    assert post(mine, theirs.url("Company profile", "complete")).status_code == 404
    url = journey.url().replace("/onboarding", "") + (
        f"/onboarding/actions/{theirs.actions['Company profile'].pk}/complete"
    )
    assert post(mine, url).status_code == 404
    assert theirs.status("Company profile") == "pending"


def test_an_action_of_another_partners_pipeline_is_404(client_for, acme, journey, writer):
    with scope(tenant=acme.tenant):
        other_pipeline = PipelineFactory(
            tenant=acme.tenant,
            actor=acme.admin,
            stages=[
                StageSpec(
                    "Elsewhere",
                    [ActionSpec("Their form", ActionType.PROVIDE_INFORMATION, fields=FORM)],
                )
            ],
        )
    EnrollmentFactory(actor=acme.cam, account=acme.other_partner, pipeline=other_pipeline)
    with scope(tenant=acme.tenant):
        theirs = ActionProgress.objects.get(partner_account=acme.other_partner)
    url = f"{journey.url()}/actions/{theirs.action_id}/skip"
    response = post(writer, url)
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    with scope(tenant=acme.tenant):
        theirs.refresh_from_db()
    assert theirs.status == "pending"
    # Under its own partner it is found.
    other = f"/api/v1/partners/{acme.other_partner.pk}/onboarding/actions/{theirs.action_id}/skip"
    assert post(writer, other).status_code == 200


def test_an_unknown_partner_or_action_is_404(writer, journey):
    assert writer.get("/api/v1/partners/999999999/onboarding").status_code == 404
    url = f"{journey.url()}/actions/999999999/validate"
    assert post(writer, url).status_code == 404


def test_get_costs_the_same_queries_for_5_and_50_actions(
    client_for, acme, django_assert_max_num_queries
):
    def pipeline(name, n):
        with scope(tenant=acme.tenant):
            return PipelineFactory(
                tenant=acme.tenant,
                actor=acme.admin,
                name=name,
                stages=[
                    StageSpec(
                        f"{name} {s}",
                        [
                            ActionSpec(
                                f"{name} {s}.{i}", ActionType.PROVIDE_INFORMATION, fields=FORM
                            )
                            for i in range(n // 5)
                        ],
                    )
                    for s in range(5)
                ],
            )

    EnrollmentFactory(actor=acme.cam, account=acme.partner, pipeline=pipeline("Small", 5))
    EnrollmentFactory(actor=acme.cam, account=acme.other_partner, pipeline=pipeline("Large", 50))
    client = keyed(client_for, acme, READ)
    client.get(f"/api/v1/partners/{acme.partner.pk}/onboarding")  # warm the key's caches
    counts = []
    for account, actions in ((acme.partner, 5), (acme.other_partner, 50)):
        with CaptureQueriesContext(connection) as queries:
            response = client.get(f"/api/v1/partners/{account.pk}/onboarding")
        assert response.status_code == 200
        assert response.json()["progress"]["total"] == actions
        counts.append(len(queries))
    assert counts[0] == counts[1]
    with django_assert_max_num_queries(counts[1]):
        client.get(f"/api/v1/partners/{acme.other_partner.pk}/onboarding")


# --- Complete ------------------------------------------------------------------------------


def test_complete_with_answers_waits_for_approval_audited_as_the_key(journey, writer, acme):
    url = journey.url("Legal details", "complete")
    response = post(writer, url, {"answers": {"legal_name": "Acme Ltd", "vat_number": "GB1"}})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "waiting_for_approval"
    assert body["submission"] == {"legal_name": "Acme Ltd", "vat_number": "GB1"}
    assert body["events"] == ["validate", "request_changes"]
    progress = journey.progress("Legal details")
    assert progress.submitted_by is None and progress.submission_round == 1
    [event] = audit_rows(acme, "action.completed")
    assert event.actor_id is None
    assert event.actor_label == writer.key.audit_label
    assert event.partner_id == acme.partner.pk
    assert event.data["from"] == "pending" and event.data["to"] == "waiting_for_approval"
    # The CAM hears about it as after a portal completion.
    with scope(tenant=acme.tenant):
        assert Notification.objects.filter(recipient=acme.cam, kind="action_waiting").exists()


def test_complete_without_approval_records_the_partner_event_with_no_user(journey, writer, acme):
    response = post(
        writer, journey.url("Company profile", "complete"), {"answers": {"legal_name": "X"}}
    )
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "completed"
    with scope(tenant=acme.tenant):
        event = PartnerEvent.objects.get(
            account=acme.partner,
            type="onboarding.action_completed",
            reference=f"action:{journey.actions['Company profile'].pk}",
        )
    assert event.recorded_by is None


@pytest.mark.parametrize(
    ("answers", "field"),
    [
        ({}, "answers.legal_name"),  # required
        ({"legal_name": "X", "shoe_size": "42"}, "answers.shoe_size"),  # not a field
        ({"legal_name": "x" * 501}, "answers.legal_name"),  # longer than a text field takes
    ],
)
def test_complete_with_bad_answers_is_400_and_changes_nothing(
    journey, writer, acme, answers, field
):
    response = post(writer, journey.url("Legal details", "complete"), {"answers": answers})
    assert response.status_code == 400, response.content
    error = response.json()["error"]
    assert error["code"] == "invalid"
    assert field in error["fields"]
    assert journey.status("Legal details") == "pending"
    assert audit_rows(acme, "action.completed") == []


def test_complete_refuses_an_upload_and_a_later_stage_with_409(journey, writer, acme):
    for title in ("Signed NDA", "Sales questionnaire"):
        response = post(writer, journey.url(title, "complete"), {"answers": {"legal_name": "X"}})
        assert response.status_code == 409, (title, response.content)
        assert response.json()["error"]["code"] == "conflict"
        assert journey.status(title) == "pending"
    assert "later stage" in response.json()["error"]["message"]
    assert audit_rows(acme, "action.completed") == []


def test_complete_twice_is_409_the_second_time(journey, writer, acme):
    url = journey.url("Company profile", "complete")
    body = {"answers": {"legal_name": "X"}}
    assert post(writer, url, body).status_code == 200
    response = post(writer, url, body)
    assert response.status_code == 409
    assert response.json()["error"]["message"] == (
        "You can’t complete “Company profile”: it is Completed."
    )
    assert len(audit_rows(acme, "action.completed")) == 1


def test_complete_of_a_suspended_partner_is_409(journey, writer, acme):
    with scope(tenant=acme.tenant):
        partner_suspend(tenant=acme.tenant, actor=acme.admin, account_id=acme.partner.pk, reason="")
    response = post(
        writer, journey.url("Company profile", "complete"), {"answers": {"legal_name": "X"}}
    )
    assert response.status_code == 409
    assert "suspended" in response.json()["error"]["message"]
    assert journey.status("Company profile") == "pending"


def test_an_upload_of_the_current_stage_is_409_even_with_answers(acme, writer):
    with scope(tenant=acme.tenant):
        pipeline = PipelineFactory(
            tenant=acme.tenant,
            actor=acme.admin,
            stages=[StageSpec("Only", [ActionSpec("Sign NDA", ActionType.UPLOAD_DOCUMENT)])],
        )
    EnrollmentFactory(actor=acme.cam, account=acme.partner, pipeline=pipeline)
    with scope(tenant=acme.tenant):
        action = pipeline.stages.get().actions.get()
    url = f"/api/v1/partners/{acme.partner.pk}/onboarding/actions/{action.pk}/complete"
    response = post(writer, url, {"answers": {"x": "y"}})
    assert response.status_code == 409  # an upload: the portal only
    assert "uploading files" in response.json()["error"]["message"]


# --- Validate, request changes, skip --------------------------------------------------------


def test_validate_completes_the_action_audited_as_the_key(journey, writer, acme):
    journey.partner_completes("Legal details")
    response = post(writer, journey.url("Legal details", "validate"))
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "completed"
    assert response.json()["validated_at"] is not None
    progress = journey.progress("Legal details")
    assert progress.validated_by is None and progress.validated_at is not None
    [event] = audit_rows(acme, "action.validated")
    assert event.actor_id is None and event.actor_label == writer.key.audit_label


def test_request_changes_sends_the_action_back_with_the_message(journey, writer, acme):
    journey.partner_completes("Legal details")
    url = journey.url("Legal details", "request-changes")
    response = post(writer, url, {"message": "Use the registered company name."})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["status"] == "action_required"
    assert body["comment"] == "Use the registered company name."
    assert body["events"] == ["complete"]  # the partner (or the key) redoes it
    [event] = audit_rows(acme, "action.changes_requested")
    assert event.actor_label == writer.key.audit_label
    assert event.data["comment"] == "Use the registered company name."
    with scope(tenant=acme.tenant):
        assert Notification.objects.filter(
            recipient=acme.partner_user, kind="action_changes_requested"
        ).exists()


@pytest.mark.parametrize("body", [{}, {"message": ""}, {"message": "   "}, {"message": "a\x00b"}])
def test_request_changes_needs_a_message(journey, writer, body):
    journey.partner_completes("Legal details")
    response = post(writer, journey.url("Legal details", "request-changes"), body)
    assert response.status_code == 400
    assert "message" in response.json()["error"]["fields"]
    assert journey.status("Legal details") == "waiting_for_approval"


def test_skip_with_a_reason_is_audited_with_it(journey, writer, acme):
    response = post(writer, journey.url("Sales questionnaire", "skip"), {"reason": "Done offline"})
    assert response.status_code == 200, response.content
    assert response.json()["status"] == "skipped"
    [event] = audit_rows(acme, "action.skipped")
    assert event.actor_label == writer.key.audit_label
    assert event.data["comment"] == "Done offline"


def test_skip_without_a_body(journey, writer):
    response = writer.generic("POST", journey.url("Sales questionnaire", "skip"))
    assert response.status_code == 200, response.content
    assert journey.status("Sales questionnaire") == "skipped"


@pytest.mark.parametrize(
    ("event", "body", "message"),
    [
        ("validate", {}, "You can’t validate “Legal details”: it is Pending."),
        (
            "request-changes",
            {"message": "Again"},
            "You can’t request changes on “Legal details”: it is Pending.",
        ),
    ],
)
def test_staff_events_on_a_pending_action_are_409(journey, writer, acme, event, body, message):
    response = post(writer, journey.url("Legal details", event), body)
    assert response.status_code == 409
    assert response.json()["error"] == {"code": "conflict", "message": message}
    assert journey.status("Legal details") == "pending"
    with scope(tenant=acme.tenant):
        assert not AuditEvent.objects.filter(
            verb__in=["action.validated", "action.changes_requested"]
        ).exists()


def test_skip_of_a_completed_action_is_409(journey, writer, acme):
    journey.partner_completes("Company profile")
    response = post(writer, journey.url("Company profile", "skip"))
    assert response.status_code == 409
    assert response.json()["error"]["message"] == (
        "You can’t skip “Company profile”: it is Completed."
    )
    assert journey.status("Company profile") == "completed"
    assert audit_rows(acme, "action.skipped") == []


def test_validate_of_a_validated_action_is_409(journey, writer, acme):
    journey.partner_completes("Legal details")
    journey.cam_validates("Legal details")
    response = post(writer, journey.url("Legal details", "validate"))
    assert response.status_code == 409
    assert len(audit_rows(acme, "action.validated")) == 1


def test_writes_need_the_write_scope(journey, reader, acme):
    journey.partner_completes("Legal details")
    for title, event, body in (
        ("Legal details", "validate", {}),
        ("Legal details", "request-changes", {"message": "x"}),
        ("Company profile", "complete", {"answers": {"legal_name": "X"}}),
        ("Company profile", "skip", {}),
    ):
        response = post(reader, journey.url(title, event), body)
        assert response.status_code == 403, (event, response.content)
        assert response.json()["error"]["code"] == "insufficient_scope"
    assert journey.status("Legal details") == "waiting_for_approval"
    assert journey.status("Company profile") == "pending"


# --- The move to the next stage ------------------------------------------------------------


def test_an_api_completion_of_the_last_open_action_moves_the_partner_on(journey, writer, acme):
    journey.partner_completes("Legal details")
    assert post(writer, journey.url("Legal details", "validate")).status_code == 200
    deliver_advances()
    assert journey.current_stage() == journey.stages[0]  # Company profile still open
    url = journey.url("Company profile", "complete")
    assert post(writer, url, {"answers": {"legal_name": "X"}}).status_code == 200
    assert deliver_advances() >= 1
    assert journey.current_stage() == journey.stages[1]
    [moved] = audit_rows(acme, "stage.moved")
    assert moved.data["how"] == "automatic"
    body = writer.get(journey.url()).json()
    assert body["current_stage_id"] == journey.stages[1].pk
    assert body["stages"][0]["status"] == "completed"
    assert body["stages"][0]["completed_at"] is not None


def test_skipping_the_last_open_actions_moves_the_partner_on(journey, writer):
    journey.partner_completes("Legal details")
    journey.cam_validates("Legal details")
    assert post(writer, journey.url("Company profile", "skip")).status_code == 200
    deliver_advances()
    assert journey.current_stage() == journey.stages[1]


# --- Two keys at once ----------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_two_keys_validating_at_once_validate_once(client_for, acme):
    journey = Journey(acme)
    journey.partner_completes("Legal details")
    one = keyed(client_for, acme, WRITE)
    two = keyed(client_for, acme, WRITE)
    url = journey.url("Legal details", "validate")
    results = race(lambda: post(one, url), lambda: post(two, url))
    statuses = sorted(r.status_code for r in results)
    assert statuses == [200, 409], [getattr(r, "content", r) for r in results]
    loser = next(r for r in results if r.status_code == 409)
    assert loser.json()["error"]["message"] == (
        "You can’t validate “Legal details”: it is Completed."
    )
    assert len(audit_rows(acme, "action.validated")) == 1
    assert journey.status("Legal details") == "completed"
