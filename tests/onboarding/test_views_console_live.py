"""The live Onboarding tab (issue 11 §3): each click swaps the card and, out-of-band, the
stage menu, counts, progress and stage header; a pending worker move is polled for."""

import re

import pytest
from django.utils import timezone
from django_scopes import scope

from apps.onboarding.models import ActionProgress, ActionStatus
from apps.onboarding.services import (
    action_complete,
    action_skip,
    action_validate,
    enrollment_advance,
    partner_enroll,
)
from apps.onboarding.views_console import LIVE_POLL_TRIES
from tests.onboarding.conftest import PI, UP, build_pipeline

pytestmark = pytest.mark.django_db
S = ActionStatus
HX = {"HTTP_HX_REQUEST": "true"}


def _tab(acme):
    return f"/console/partners/{acme.partner.pk}/onboarding/"


def _event(acme, progress, event):
    return f"{_tab(acme)}actions/{progress.pk}/{event}/"


def _complete(acme, journey, title):
    with scope(tenant=acme.tenant):
        action_complete(
            tenant=acme.tenant,
            actor=acme.partner_admin,
            progress_id=journey.progress(title).pk,
            submission={"legal_name": "Acme Partner One Ltd"},
        )
    return journey.progress(title)


OOB_START = re.compile(r'<\w+ id="([\w-]+)"[^>]*hx-swap-oob="true"')


def _oob(html, element_id):
    """The out-of-band element with this id in an htmx response ('' when absent): from its
    start tag to the next out-of-band element (they are siblings, never nested)."""
    starts = [(m.start(), m.group(1)) for m in OOB_START.finditer(html)] + [(len(html), "")]
    for (start, found), (end, _) in zip(starts, starts[1:], strict=False):
        if found == element_id:
            return html[start:end]
    return ""


def _poller_url(html):
    match = re.search(r'id="onboarding-live"[^>]*hx-get="([^"]+)"', html, re.DOTALL)
    return match.group(1).replace("&amp;", "&") if match else None


def _stage_item(menu, stage):
    return re.search(rf'<li class="[^"]*" data-stage="{stage.pk}".*?</li>', menu, re.DOTALL).group(
        0
    )


def _advance(acme, journey):
    """What the worker does after commit (no worker runs in these tests)."""
    with scope(tenant=acme.tenant):
        return enrollment_advance(tenant=acme.tenant, enrollment_id=journey.enrollment.pk)


# --- Every event: the card, and the stage menu, counts and progress out-of-band -------------


def _setup_validate(acme, journey):
    return _complete(acme, journey, "Legal details"), {}


def _setup_request_changes(acme, journey):
    return _complete(acme, journey, "Legal details"), {"comment": "Use the registered name"}


def _setup_invalidate(acme, journey):
    progress = _complete(acme, journey, "Legal details")
    with scope(tenant=acme.tenant):
        action_validate(tenant=acme.tenant, actor=acme.cam, progress_id=progress.pk)
    return progress, {"comment": "Wrong VAT number"}


def _setup_skip(acme, journey):
    return journey.progress("Legal details"), {}


@pytest.mark.parametrize(
    ("event", "setup", "status", "done"),
    [
        ("validate", _setup_validate, "Completed", 1),
        ("request_changes", _setup_request_changes, "Action required", 0),
        ("invalidate", _setup_invalidate, "Action required", 0),
        ("skip", _setup_skip, "Skipped", 1),
    ],
)
def test_each_event_swaps_the_card_and_refreshes_menu_counts_and_progress(
    acme, journey, client_for, event, setup, status, done
):
    progress, data = setup(acme, journey)
    response = client_for(acme, acme.cam).post(_event(acme, progress, event), data, **HX)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    # The main content is the card itself (hx-target="#action-<id>", outerHTML).
    assert html.lstrip().startswith(f'<article class="action-card" id="action-{progress.pk}"')
    card = html.split("</article>")[0]
    assert status in card and "hx-swap-oob" not in card
    menu = _oob(html, "onboarding-stage-list")
    assert "Company details" in menu and "Current stage" in menu
    counts = _oob(html, "onboarding-progress")
    assert f"{done} of 4 actions done" in counts
    assert f"width: {done * 25}%" in counts
    assert f'aria-valuenow="{done}"' in counts
    assert _oob(html, "stage-panel-head")
    # Tax form is still pending: the stage is not done, nothing is polled.
    assert _poller_url(html) is None
    assert 'id="onboarding-live" hidden hx-swap-oob="true"' in html


def test_refused_event_still_refreshes_the_truth(acme, journey, client_for):
    progress = journey.progress("Legal details")
    with scope(tenant=acme.tenant):  # another CAM skipped it a moment ago
        action_skip(tenant=acme.tenant, actor=acme.admin, progress_id=progress.pk)
    html = client_for(acme, acme.cam).post(_event(acme, progress, "skip"), **HX).content.decode()
    assert "can’t skip" in html
    assert "1 of 4 actions done" in _oob(html, "onboarding-progress")
    assert journey.progress("Legal details").status == S.SKIPPED


# --- The worker's move: polled for, shown without a reload ----------------------------------


def test_poller_appears_when_the_stage_is_done_and_shows_the_workers_move(
    acme, journey, client_for
):
    company, contract = journey.stages[0], journey.stages[1]
    _complete(acme, journey, "Tax form")  # no approval: completed
    progress = _complete(acme, journey, "Legal details")
    client = client_for(acme, acme.cam)
    html = client.post(_event(acme, progress, "validate"), **HX).content.decode()
    assert "2 of 4 actions done" in _oob(html, "onboarding-progress")
    poll = _poller_url(html)
    assert poll == f"{_tab(acme)}?live={company.pk}&try=1&stage={company.pk}"
    assert 'hx-trigger="load delay:1s"' in html and 'hx-swap="outerHTML"' in html

    # The worker has not moved the partner yet: only the next poller comes back.
    waiting = client.get(poll, **HX)
    assert "HX-Request" in waiting["Vary"]
    body = waiting.content.decode()
    assert _poller_url(body) == f"{_tab(acme)}?live={company.pk}&try=2&stage={company.pk}"
    assert "hx-swap-oob" not in body and "onboarding-stage-list" not in body

    assert _advance(acme, journey) == 1
    moved = client.get(poll, **HX).content.decode()
    # The poller stops (main content, no hx-get) and the tab follows the partner.
    assert _poller_url(moved) is None
    assert moved.lstrip().startswith('<div id="onboarding-live" hidden')
    menu = _oob(moved, "onboarding-stage-list")
    today = timezone.localdate().strftime("%-d %b %Y")
    company_item = _stage_item(menu, company)
    assert "is-done" in company_item and f"Completed {today}" in company_item
    assert "✓" in company_item
    contract_item = _stage_item(menu, contract)
    assert "is-current" in contract_item and "●" in contract_item
    assert "is-selected" in contract_item
    panel = _oob(moved, "stage-panel")
    assert "Signed NDA" in panel and "Legal details" not in panel
    assert "2 of 4 actions done" in _oob(moved, "onboarding-progress")


def test_poller_keeps_the_stage_the_cam_is_looking_at(acme, journey, client_for):
    company, enablement = journey.stages[0], journey.stages[3]
    _complete(acme, journey, "Tax form")
    progress = _complete(acme, journey, "Legal details")
    with scope(tenant=acme.tenant):
        action_validate(tenant=acme.tenant, actor=acme.cam, progress_id=progress.pk)
    client = client_for(acme, acme.cam)
    page = client.get(f"{_tab(acme)}?stage={enablement.pk}").content.decode()
    poll = _poller_url(page)
    assert poll == f"{_tab(acme)}?live={company.pk}&try=1&stage={enablement.pk}"
    _advance(acme, journey)
    moved = client.get(poll, **HX).content.decode()
    assert "Contract" in _oob(moved, "onboarding-stage-list")
    assert not _oob(moved, "stage-panel")  # the panel the CAM reads stays
    assert "Sales questionnaire" not in moved
    assert "Enablement" in _oob(moved, "stage-panel-head")


def test_poller_gives_up_after_ten_tries(acme, journey, client_for):
    company = journey.stages[0]
    for title in ("Legal details", "Tax form"):
        with scope(tenant=acme.tenant):
            action_skip(tenant=acme.tenant, actor=acme.cam, progress_id=journey.progress(title).pk)
    client = client_for(acme, acme.cam)
    last = client.get(f"{_tab(acme)}?live={company.pk}&try={LIVE_POLL_TRIES - 1}", **HX)
    assert _poller_url(last.content.decode()).endswith(f"try={LIVE_POLL_TRIES}")
    done = client.get(f"{_tab(acme)}?live={company.pk}&try={LIVE_POLL_TRIES}", **HX)
    html = done.content.decode()
    assert _poller_url(html) is None
    assert "taking longer than usual" in html and "Reload" in html


def test_no_poller_once_the_move_is_done_or_when_nothing_is_pending(acme, journey, client_for):
    client = client_for(acme, acme.cam)
    assert 'id="onboarding-live" hidden' in client.get(_tab(acme)).content.decode()
    for title in ("Legal details", "Tax form"):
        with scope(tenant=acme.tenant):
            action_skip(tenant=acme.tenant, actor=acme.cam, progress_id=journey.progress(title).pk)
    assert _poller_url(client.get(_tab(acme)).content.decode())  # pending: the page polls
    _advance(acme, journey)
    assert _poller_url(client.get(_tab(acme)).content.decode()) is None


def test_the_last_stage_completes_the_onboarding_live(acme, journey, client_for):
    client = client_for(acme, acme.cam)
    for title in ("Legal details", "Tax form", "Signed NDA", "Sales questionnaire"):
        with scope(tenant=acme.tenant):
            action_skip(tenant=acme.tenant, actor=acme.cam, progress_id=journey.progress(title).pk)
    _advance(acme, journey)  # to the Kick-off call, a stage without actions
    kickoff = journey.stages[2]
    client.post(f"{_tab(acme)}move/", {"stage": kickoff.pk})
    _advance(acme, journey)  # Enablement was skipped ahead: the cascade completes
    html = client.get(f"{_tab(acme)}?live={kickoff.pk}&try=3", **HX).content.decode()
    assert "Onboarding completed" in _oob(html, "onboarding-progress")


# --- Without JavaScript, and the plain page ----------------------------------------------


def test_no_js_post_redirects_and_the_page_shows_the_truth(acme, journey, client_for):
    company = journey.stages[0]
    _complete(acme, journey, "Tax form")
    progress = _complete(acme, journey, "Legal details")
    client = client_for(acme, acme.cam)
    response = client.post(_event(acme, progress, "validate"))
    assert response.status_code == 302
    assert response["Location"] == f"{_tab(acme)}?stage={company.pk}"
    page = client.get(response["Location"]).content.decode()
    assert "is validated" in page and "2 of 4 actions done" in page
    assert "Stage done: moving the partner" in page  # with JS, the page asks again
    assert "hx-swap-oob" not in page  # the full page carries no out-of-band markup
    assert journey.progress("Legal details").status == S.COMPLETED


def test_a_poll_without_htmx_gets_the_full_page(acme, journey, client_for):
    response = client_for(acme, acme.cam).get(f"{_tab(acme)}?live=1&try=2")
    assert response.status_code == 200
    assert "<html" in response.content.decode()


def test_buttons_look_like_buttons(acme, journey, client_for):
    _complete(acme, journey, "Legal details")
    html = client_for(acme, acme.cam).get(_tab(acme)).content.decode()
    assert re.search(r'class="btn btn--primary btn--sm"[^>]*>Validate<', html)
    assert re.search(r'class="btn btn--secondary btn--sm"[^>]*>Request changes<', html)
    assert re.search(r'class="btn btn--secondary btn--sm"[^>]*>Skip<', html)
    assert "btn--ghost" not in html


def test_the_poll_is_refused_to_partners_and_other_programs(acme, globex, journey, client_for):
    url = f"{_tab(acme)}?live={journey.stages[0].pk}&try=1"
    assert client_for(acme, acme.partner_user).get(url, **HX).status_code in (403, 404)
    assert client_for(globex, globex.cam).get(url, **HX).status_code == 404
    assert client_for(acme).get(url, **HX).status_code in (302, 403, 404)


# --- Query counts --------------------------------------------------------------------------


@pytest.mark.parametrize("n", [5, 50])
def test_tab_event_and_poll_query_counts_are_constant(
    acme, client_for, django_assert_max_num_queries, n
):
    build_pipeline(
        acme,
        stages_spec=[
            ("Everything", [(f"Step {i}", PI if i % 2 else UP, True) for i in range(n)]),
            ("After", [("Last", PI, True)]),
        ],
    )
    with scope(tenant=acme.tenant):
        enrollment = partner_enroll(tenant=acme.tenant, actor=acme.cam, account=acme.partner)
        rows = list(
            ActionProgress.objects.filter(
                enrollment=enrollment, action__stage__name="Everything"
            ).select_related("action")
        )
        for progress in rows[:n]:
            action_complete(
                tenant=acme.tenant,
                actor=acme.partner_admin,
                progress_id=progress.pk,
                submission={"legal_name": "x"},
            )
        for progress in rows[1:n]:
            action_validate(tenant=acme.tenant, actor=acme.cam, progress_id=progress.pk)
    stage_id = rows[0].action.stage_id
    cam = client_for(acme, acme.cam)
    cam.get("/console/")
    with django_assert_max_num_queries(17):
        assert cam.get(_tab(acme)).status_code == 200
    with django_assert_max_num_queries(28):  # the transition itself writes ~12
        html = cam.post(_event(acme, rows[0], "validate"), **HX).content.decode()
    assert _poller_url(html)  # the stage is done: the move is pending
    with django_assert_max_num_queries(10):
        assert cam.get(f"{_tab(acme)}?live={stage_id}&try=2", **HX).status_code == 200
    with scope(tenant=acme.tenant):
        enrollment_advance(tenant=acme.tenant, enrollment_id=enrollment.pk)
    with django_assert_max_num_queries(16):
        moved = cam.get(f"{_tab(acme)}?live={stage_id}&try=3&stage={stage_id}", **HX)
    assert "Last" in _oob(moved.content.decode(), "stage-panel")
