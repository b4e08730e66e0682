"""apps/onboarding/views_queue.py: the work queue at /console/queue/."""

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_scopes import scope, scopes_disabled

from apps.audit.models import AuditEvent
from apps.home.services import staff_active_set
from apps.onboarding import verbs
from apps.onboarding.models import ActionProgress, ActionStatus
from apps.onboarding.services import action_complete, action_validate, partner_reenroll
from apps.tenancy.models import Membership
from tests.conftest import race
from tests.onboarding.queue_data import make_waiting, queue_pipeline

pytestmark = pytest.mark.django_db
S = ActionStatus
QUEUE = "/console/queue/"


def _validate_url(row):
    return f"{QUEUE}{row.pk}/validate/"


def _changes_url(row):
    return f"{QUEUE}{row.pk}/request-changes/"


def _status(row):
    with scopes_disabled():
        return ActionProgress.objects.get(pk=row.pk).status


def _messages(response):
    return [str(m) for m in response.wsgi_request._messages]


# --- The list ------------------------------------------------------------------------------


def test_lists_every_waiting_action_oldest_first_with_what_was_submitted(acme, client_for):
    queue = make_waiting(acme, partners=3, per_partner=2, cam=acme.cam, oldest_days=3)
    html = client_for(acme, acme.cam).get(QUEUE).content.decode()
    first, *_, last = queue.waiting
    # Oldest first: the first submitted row comes before the last.
    assert html.index(f'id="queue-row-{first.pk}"') < html.index(f'id="queue-row-{last.pk}"')
    for row in queue.waiting:
        assert f'id="queue-row-{row.pk}"' in html
    account = queue.accounts[0]
    # The partner, linked to its Onboarding tab at the stage; the stage and the action.
    assert f'href="/console/partners/{account.pk}/onboarding/?stage=' in html
    assert account.name in html and "Paperwork" in html and "Document 1" in html
    # What was submitted: the answers, and the files with their console download links.
    assert f"{account.name} Ltd" in html and "Legal name" in html
    with scope(tenant=acme.tenant):
        upload = next(r for r in queue.waiting if r.action.type == "upload_document")
        file = upload.files.get()
    assert (
        f'href="/console/partners/{upload.partner_account_id}/onboarding/files/{file.pk}/"' in html
    )
    assert file.original_name in html
    # How long it has waited, and the CAM.
    assert "3\xa0days" in html  # timesince keeps number and unit together
    assert "Casey Cam" in html


def test_only_waiting_actions_of_current_enrollments_are_listed(acme, client_for):
    queue = make_waiting(acme, partners=2, per_partner=1, cam=acme.cam)
    moved, stays = queue.accounts
    other = queue_pipeline(acme, per_partner=1, name="Another pipeline")
    with scope(tenant=acme.tenant):
        partner_reenroll(
            tenant=acme.tenant, actor=acme.admin, account_id=moved.pk, pipeline_id=other.pk
        )
        pending = ActionProgress.objects.filter(
            tenant=acme.tenant, partner_account=stays, status=S.PENDING
        ).first()
    html = client_for(acme, acme.cam).get(f"{QUEUE}?show=all").content.decode()
    assert f'id="queue-row-{queue.waiting[1].pk}"' in html
    assert f'id="queue-row-{queue.waiting[0].pk}"' not in html  # superseded: history
    assert pending is None or f'id="queue-row-{pending.pk}"' not in html
    assert "1 action waiting" in html


def test_filters_mine_all_and_unassigned_kept_in_the_url(acme, client_for):
    mine = make_waiting(acme, partners=1, cam=acme.cam)
    unassigned = make_waiting(acme, partners=1, cam=None)
    others = make_waiting(acme, partners=1, cam=acme.admin)
    client = client_for(acme, acme.cam)

    def rows(query=""):
        html = client.get(QUEUE + query).content.decode()
        return {
            name
            for name, queue in (("mine", mine), ("unassigned", unassigned), ("admin", others))
            if f'id="queue-row-{queue.waiting[0].pk}"' in html
        }, html

    shown, html = rows()
    assert shown == {"mine"}  # a CAM's default: their own partners
    assert 'href="?show=mine" aria-current="page"' in html
    assert rows("?show=all")[0] == {"mine", "unassigned", "admin"}
    shown, html = rows("?show=unassigned")
    assert shown == {"unassigned"}
    # The row forms post back to the same filter.
    assert 'name="next" value="?show=unassigned"' in html
    assert rows("?show=bogus")[0] == {"mine"}


def test_a_program_admins_partners_include_those_without_an_active_cam(acme, client_for):
    own = make_waiting(acme, partners=1, cam=acme.admin)
    unassigned = make_waiting(acme, partners=1, cam=None)
    cams = make_waiting(acme, partners=1, cam=acme.cam)
    html = client_for(acme, acme.admin).get(QUEUE).content.decode()
    assert f'id="queue-row-{own.waiting[0].pk}"' in html
    assert f'id="queue-row-{unassigned.waiting[0].pk}"' in html
    assert f'id="queue-row-{cams.waiting[0].pk}"' not in html
    # The CAM is deactivated: their partners are unassigned now, and the admin's.
    with scope(tenant=acme.tenant):
        membership = Membership.objects.get(tenant=acme.tenant, user=acme.cam)
        staff_active_set(
            tenant=acme.tenant, actor=acme.admin, membership_id=membership.pk, active=False
        )
    html = client_for(acme, acme.admin).get(QUEUE).content.decode()
    assert f'id="queue-row-{cams.waiting[0].pk}"' in html
    html = client_for(acme, acme.admin).get(QUEUE + "?show=unassigned").content.decode()
    assert f'id="queue-row-{cams.waiting[0].pk}"' in html
    assert f'id="queue-row-{own.waiting[0].pk}"' not in html


def test_empty_queue_says_so(acme, client_for):
    response = client_for(acme, acme.cam).get(QUEUE)
    assert response.status_code == 200
    assert "Nothing waits for you" in response.content.decode()


def _queries_for_page(client, path):
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(path)
    assert response.status_code == 200
    return len(ctx.captured_queries)


def test_the_page_costs_the_same_queries_at_10_and_200_waiting_actions(
    acme, client_for, django_assert_max_num_queries
):
    client = client_for(acme, acme.admin)
    pipeline = queue_pipeline(acme, per_partner=10)
    make_waiting(acme, partners=1, per_partner=10, cam=acme.cam, pipeline=pipeline)
    client.get(f"{QUEUE}?show=all")  # warm: session, caches
    at_10 = _queries_for_page(client, f"{QUEUE}?show=all")
    make_waiting(acme, partners=19, per_partner=10, cam=None, pipeline=pipeline)
    with scope(tenant=acme.tenant):
        assert ActionProgress.objects.filter(status=S.WAITING_FOR_APPROVAL).count() == 200
    with django_assert_max_num_queries(at_10):
        response = client.get(f"{QUEUE}?show=all")
    assert response.content.decode().count('class="queue__row"') == 50  # a page
    with django_assert_max_num_queries(at_10):
        response = client.get(f"{QUEUE}?show=all&page=4")
    assert response.content.decode().count('class="queue__row"') == 50
    assert "Page 4 of 4" in response.content.decode()


# --- Validate and Request changes, one row ---------------------------------------------------


def test_validate_without_javascript_redirects_back_to_the_same_filter(acme, client_for):
    queue = make_waiting(acme, partners=2, cam=acme.cam)
    row = queue.waiting[0]
    client = client_for(acme, acme.cam)
    response = client.post(_validate_url(row), {"next": "?show=all&page=1"})
    assert response.status_code == 302
    assert response["Location"] == f"{QUEUE}?show=all&page=1"
    assert _status(row) == S.COMPLETED
    assert any("is validated" in m for m in _messages(response))
    # Audited as the Onboarding tab's Validate is.
    with scopes_disabled():
        event = AuditEvent.objects.get(verb=verbs.ACTION_VALIDATED, target_id=str(row.pk))
    assert event.data["from"] == S.WAITING_FOR_APPROVAL and event.data["to"] == S.COMPLETED
    assert event.actor_id == acme.cam.pk
    html = client.get(response["Location"]).content.decode()
    assert f'id="queue-row-{row.pk}"' not in html


def test_next_must_be_a_query_string(acme, client_for):
    row = make_waiting(acme, partners=1, cam=acme.cam).waiting[0]
    response = client_for(acme, acme.cam).post(_validate_url(row), {"next": "//evil.test/?x"})
    assert response["Location"] == QUEUE


def test_htmx_validate_replaces_the_row_with_its_outcome(acme, client_for):
    row = make_waiting(acme, partners=1, cam=acme.cam).waiting[0]
    response = client_for(acme, acme.cam).post(
        _validate_url(row), {"next": "?show=mine"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert f'id="queue-row-{row.pk}"' in html and "is-handled" in html
    assert ">Validated<" in html
    assert "<html" not in html  # the row alone
    assert _status(row) == S.COMPLETED


def test_htmx_validate_updates_the_nav_badge_out_of_band(acme, client_for):
    rows = make_waiting(acme, partners=2, cam=acme.cam).waiting
    client = client_for(acme, acme.cam)
    page = client.get(QUEUE).content.decode()
    badge = re.search(r'<span id="nav-queue-badge"[^>]*>(.*?)</span></span>', page)
    assert badge and f">{len(rows)}<" in badge.group(1)
    html = client.post(
        _validate_url(rows[0]), {"next": ""}, HTTP_HX_REQUEST="true"
    ).content.decode()
    badge = re.search(
        r'<span id="nav-queue-badge" class="nav__count-slot" hx-swap-oob="true">'
        r"(.*?)</span></span>",
        html,
    )
    assert badge and f">{len(rows) - 1}<" in badge.group(1)


def test_request_changes_needs_a_note(acme, client_for):
    row = make_waiting(acme, partners=1, cam=acme.cam).waiting[0]
    client = client_for(acme, acme.cam)
    response = client.post(_changes_url(row), {"comment": "  ", "next": "?show=all"})
    assert response.status_code == 302 and response["Location"] == f"{QUEUE}?show=all"
    assert any("comment is required" in m for m in _messages(response))
    assert _status(row) == S.WAITING_FOR_APPROVAL
    # htmx: the row again, the note tied to the error, nothing changed.
    response = client.post(_changes_url(row), {"comment": ""}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert f'aria-describedby="queue-error-{row.pk}"' in html and "comment is required" in html
    assert ">Validate<" in html
    assert _status(row) == S.WAITING_FOR_APPROVAL


def test_request_changes_with_a_note(acme, client_for):
    row = make_waiting(acme, partners=1, cam=acme.cam).waiting[0]
    response = client_for(acme, acme.cam).post(
        _changes_url(row), {"comment": "Please add the VAT number."}, HTTP_HX_REQUEST="true"
    )
    assert ">Changes requested<" in response.content.decode()
    with scopes_disabled():
        fresh = ActionProgress.objects.get(pk=row.pk)
        event = AuditEvent.objects.get(verb=verbs.ACTION_CHANGES_REQUESTED, target_id=str(row.pk))
    assert fresh.status == S.ACTION_REQUIRED and fresh.comment == "Please add the VAT number."
    assert event.data["comment"] == "Please add the VAT number."


def test_a_row_another_cam_already_validated_says_so_without_an_error(acme, globex, client_for):
    row = make_waiting(acme, partners=1, cam=acme.cam).waiting[0]
    with scope(tenant=acme.tenant):
        action_validate(tenant=acme.tenant, actor=acme.admin, progress_id=row.pk)
    client = client_for(acme, acme.cam)
    response = client.post(_validate_url(row))
    assert response.status_code == 302
    assert _messages(response) == ["“Document 1” was already validated by Ada Admin."]
    assert [m.level_tag for m in response.wsgi_request._messages] == ["info"]
    response = client.post(_changes_url(row), {"comment": "x"}, HTTP_HX_REQUEST="true")
    html = response.content.decode()
    assert response.status_code == 200
    assert "Already handled" in html and "already validated by Ada Admin" in html
    assert _status(row) == S.COMPLETED


@pytest.mark.django_db(transaction=True)
def test_two_cams_validating_the_same_row_at_once_one_wins(acme, client_for):
    row = make_waiting(acme, partners=1, cam=acme.cam).waiting[0]
    clients = [client_for(acme, acme.cam), client_for(acme, acme.admin)]
    responses = race(*[lambda c=c: c.post(_validate_url(row)) for c in clients])
    assert [r.status_code for r in responses] == [302, 302]
    texts = sorted(m for r in responses for m in _messages(r))
    assert len(texts) == 2
    assert sum("is validated" in t for t in texts) == 1
    assert sum("already validated by" in t for t in texts) == 1
    with scopes_disabled():
        assert (
            AuditEvent.objects.filter(verb=verbs.ACTION_VALIDATED, target_id=str(row.pk)).count()
            == 1
        )
    assert _status(row) == S.COMPLETED


# --- Bulk validation ---------------------------------------------------------------------------


def test_validate_selected_reports_those_already_handled(acme, client_for):
    queue = make_waiting(acme, partners=3, cam=acme.cam)
    done_before = queue.waiting[1]
    with scope(tenant=acme.tenant):
        action_validate(tenant=acme.tenant, actor=acme.admin, progress_id=done_before.pk)
    response = client_for(acme, acme.cam).post(
        f"{QUEUE}validate/",
        {"progress": [str(r.pk) for r in queue.waiting], "next": "?show=all"},
    )
    assert response.status_code == 302 and response["Location"] == f"{QUEUE}?show=all"
    assert _messages(response) == ["2 validated, 1 already handled."]
    assert {_status(r) for r in queue.waiting} == {S.COMPLETED}
    with scopes_disabled():
        by_cam = AuditEvent.objects.filter(verb=verbs.ACTION_VALIDATED, actor=acme.cam)
        assert sorted(int(e.target_id) for e in by_cam) == sorted(
            [queue.waiting[0].pk, queue.waiting[2].pk]
        )


def test_validate_selected_needs_a_selection(acme, client_for):
    response = client_for(acme, acme.cam).post(f"{QUEUE}validate/", {"progress": ["x"]})
    assert response.status_code == 302
    assert _messages(response) == ["Select at least one action to validate."]


def test_validate_selected_with_another_tenants_id_is_404_and_changes_nothing(
    acme, globex, client_for
):
    ours = make_waiting(acme, partners=1, cam=acme.cam).waiting[0]
    theirs = make_waiting(globex, partners=1, cam=globex.cam).waiting[0]
    response = client_for(acme, acme.cam).post(
        f"{QUEUE}validate/", {"progress": [str(ours.pk), str(theirs.pk)]}
    )
    assert response.status_code == 404
    assert _status(ours) == S.WAITING_FOR_APPROVAL
    assert _status(theirs) == S.WAITING_FOR_APPROVAL


# --- Who may ---------------------------------------------------------------------------------


def test_another_tenants_progress_id_is_404(acme, globex, client_for):
    theirs = make_waiting(globex, partners=1, cam=globex.cam).waiting[0]
    client = client_for(acme, acme.admin)
    assert client.post(_validate_url(theirs)).status_code == 404
    assert client.post(_changes_url(theirs), {"comment": "x"}).status_code == 404
    assert _status(theirs) == S.WAITING_FOR_APPROVAL


@pytest.mark.parametrize("role", ["partner_admin", "partner_user"])
def test_partner_users_cannot_see_or_use_the_queue(acme, client_for, role):
    row = make_waiting(acme, partners=1, cam=acme.cam).waiting[0]
    client = client_for(acme, getattr(acme, role))
    assert client.get(QUEUE).status_code == 404
    assert client.post(_validate_url(row)).status_code == 404
    assert client.post(_changes_url(row), {"comment": "x"}).status_code == 404
    assert client.post(f"{QUEUE}validate/", {"progress": [str(row.pk)]}).status_code == 404
    assert _status(row) == S.WAITING_FOR_APPROVAL


def test_anonymous_visitors_are_sent_to_sign_in(acme, client_for):
    response = client_for(acme).get(QUEUE)
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_get_is_refused_on_the_buttons(acme, client_for):
    row = make_waiting(acme, partners=1, cam=acme.cam).waiting[0]
    assert client_for(acme, acme.cam).get(_validate_url(row)).status_code == 405


# --- The nav badge -------------------------------------------------------------------------


def _badge(html):
    marker = 'href="/console/queue/"'
    start = html.index(marker)
    link = html[start : html.index("</a>", start)]
    if 'class="nav__count">' not in link:
        return 0
    return int(link.split('class="nav__count">')[1].split("<")[0])


def test_the_nav_shows_how_many_wait_for_my_partners(
    acme, client_for, django_capture_on_commit_callbacks
):
    queue = make_waiting(acme, partners=3, cam=acme.cam)
    make_waiting(acme, partners=2, cam=None)
    assert _badge(client_for(acme, acme.cam).get("/console/").content.decode()) == 3
    assert _badge(client_for(acme, acme.admin).get("/console/").content.decode()) == 2
    # Validating one recounts at once (the cached count is invalidated after commit).
    with django_capture_on_commit_callbacks(execute=True), scope(tenant=acme.tenant):
        action_validate(tenant=acme.tenant, actor=acme.cam, progress_id=queue.waiting[0].pk)
    assert _badge(client_for(acme, acme.cam).get("/console/").content.decode()) == 2


def test_the_badge_is_one_count_then_cached(acme, client_for):
    make_waiting(acme, partners=2, cam=acme.cam)
    client = client_for(acme, acme.cam)

    def count_queries():
        with CaptureQueriesContext(connection) as ctx:
            client.get("/console/")
        # The badge's count: waiting actions, counted (the home's dashboard reads action
        # progress too, for its stall figures; those are not the badge).
        return [
            q["sql"]
            for q in ctx.captured_queries
            if q["sql"].startswith("SELECT COUNT(")
            and "onboarding_actionprogress" in q["sql"]
            and "percentile_cont" not in q["sql"]
        ]

    first = count_queries()
    assert len(first) == 1, first
    assert count_queries() == []  # cached


def test_a_partner_submitting_updates_the_badge(
    acme, journey, client_for, django_capture_on_commit_callbacks
):
    client = client_for(acme, acme.cam)
    assert _badge(client.get("/console/").content.decode()) == 0
    with django_capture_on_commit_callbacks(execute=True), scope(tenant=acme.tenant):
        action_complete(
            tenant=acme.tenant,
            actor=acme.partner_user,
            progress_id=journey.progress("Legal details").pk,
            submission={"legal_name": "Acme One Ltd"},
        )
    assert _badge(client.get("/console/").content.decode()) == 1
    html = client.get(QUEUE).content.decode()
    assert "Acme One Ltd" in html and "Legal details" in html and "under a minute" in html


def test_waited_reads_in_its_largest_unit():
    from apps.onboarding.templatetags.onboarding_queue import waited

    now = timezone.now()
    assert waited(now - timedelta(days=3, hours=5), now) == "3\xa0days"
    assert waited(now - timedelta(hours=5, minutes=3), now) == "5\xa0hours"
    assert waited(now - timedelta(seconds=10), now) == "under a minute"
    assert waited(None) == ""


def test_my_partners_are_those_partner_accounts_responsible_to_returns(acme):
    """The queue's "mine" is built from the request's membership (one query for the badge);
    it keeps the same partners as the partners app's rule."""
    from apps.onboarding.selectors_queue import queue_rows
    from apps.partners.selectors import partner_accounts_responsible_to

    make_waiting(acme, partners=1, cam=acme.cam)
    make_waiting(acme, partners=1, cam=acme.admin)
    make_waiting(acme, partners=1, cam=None)

    def check(user):
        membership = Membership.objects.get(tenant=acme.tenant, user=user)
        via_queue = set(
            queue_rows(tenant=acme.tenant, membership=membership, show="mine").values_list(
                "partner_account_id", flat=True
            )
        )
        waiting = set(
            ActionProgress.objects.filter(
                tenant=acme.tenant, status=S.WAITING_FOR_APPROVAL
            ).values_list("partner_account_id", flat=True)
        )
        rule = set(
            partner_accounts_responsible_to(tenant=acme.tenant, user=user).values_list(
                "pk", flat=True
            )
        )
        assert via_queue == rule & waiting
        return via_queue

    with scope(tenant=acme.tenant):
        assert len(check(acme.cam)) == 1
        assert len(check(acme.admin)) == 2
        # The CAM is no longer staff: the admin's now include that CAM's partners.
        Membership.objects.filter(tenant=acme.tenant, user=acme.cam).update(role="partner_user")
        assert len(check(acme.admin)) == 3


def test_the_approval_digest_links_to_the_queue(acme, journey):
    from apps.notifications.models import Notification
    from apps.onboarding.tasks import approval_digest_send

    with scope(tenant=acme.tenant):
        action_complete(
            tenant=acme.tenant,
            actor=acme.partner_user,
            progress_id=journey.progress("Legal details").pk,
            submission={"legal_name": "Acme One Ltd"},
        )
    assert approval_digest_send(acme.tenant.pk, acme.cam.pk) == 1
    with scope(tenant=acme.tenant):
        digest = Notification.objects.get(recipient=acme.cam, kind="approvals_digest")
    assert digest.url.endswith(QUEUE)
