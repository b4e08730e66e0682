"""The partner's journey and portal home refresh after an action (issue 11 §3): the
progress, counts and stages, and a poller while the worker's stage move is pending."""

import re

import pytest
from django_scopes import scope

from apps.onboarding.services import action_complete, action_skip, enrollment_advance
from apps.onboarding.views_portal import LIVE_POLL_TRIES

pytestmark = pytest.mark.django_db
HX = {"HTTP_HX_REQUEST": "true"}
JOURNEY = "/portal/onboarding/"
OOB_START = re.compile(r'<\w+ id="([\w-]+)"[^>]*hx-swap-oob="true"')


def _oob(html, element_id):
    starts = [(m.start(), m.group(1)) for m in OOB_START.finditer(html)] + [(len(html), "")]
    for (start, found), (end, _) in zip(starts, starts[1:], strict=False):
        if found == element_id:
            return html[start:end]
    return ""


def _poller_url(html, element_id="journey-live"):
    match = re.search(rf'id="{element_id}"[^>]*hx-get="([^"]+)"', html, re.DOTALL)
    return match.group(1).replace("&amp;", "&") if match else None


def _finish_first_stage(acme, journey):
    """The partner submits both actions; Legal details needs no approval here (skipped by
    the CAM), Tax form completes on upload: the stage is done, the worker's move pending."""
    with scope(tenant=acme.tenant):
        action_skip(
            tenant=acme.tenant, actor=acme.cam, progress_id=journey.progress("Legal details").pk
        )
        action_complete(
            tenant=acme.tenant,
            actor=acme.partner_user,
            progress_id=journey.progress("Tax form").pk,
            submission={},
        )


def test_journey_polls_only_while_a_move_is_pending(acme, journey, client_for):
    client = client_for(acme, acme.partner_user)
    html = client.get(JOURNEY).content.decode()
    assert _poller_url(html) is None and 'id="journey-live" hidden' in html
    _finish_first_stage(acme, journey)
    html = client.get(JOURNEY).content.decode()
    company = journey.stages[0]
    assert _poller_url(html) == f"{JOURNEY}?live={company.pk}&try=1"
    assert 'hx-trigger="load delay:1s"' in html
    assert "2 of 4 actions done" in html


def test_journey_poll_swaps_progress_and_stages_once_moved(acme, journey, client_for):
    company, contract = journey.stages[0], journey.stages[1]
    _finish_first_stage(acme, journey)
    client = client_for(acme, acme.partner_user)
    waiting = client.get(f"{JOURNEY}?live={company.pk}&try=1", **HX).content.decode()
    assert _poller_url(waiting) == f"{JOURNEY}?live={company.pk}&try=2"
    assert "hx-swap-oob" not in waiting and "<html" not in waiting
    with scope(tenant=acme.tenant):
        assert enrollment_advance(tenant=acme.tenant, enrollment_id=journey.enrollment.pk) == 1
    moved = client.get(f"{JOURNEY}?live={company.pk}&try=2", **HX).content.decode()
    assert _poller_url(moved) is None
    assert moved.lstrip().startswith('<div id="journey-live" hidden')
    assert "2 of 4 actions done" in _oob(moved, "journey-progress")
    stages = _oob(moved, "journey-stages")
    item = re.search(rf'<li class="([^"]*)" data-stage="{contract.pk}"', stages, re.DOTALL).group(1)
    assert "is-current" in item
    done = re.search(rf'<li class="([^"]*)" data-stage="{company.pk}"', stages).group(1)
    assert "is-done" in done and "Completed" in stages
    # The Contract's action is now a link the partner can open.
    assert f'href="/portal/onboarding/actions/{journey.progress("Signed NDA").pk}/"' in stages


def test_journey_poll_gives_up(acme, journey, client_for):
    company = journey.stages[0]
    _finish_first_stage(acme, journey)
    html = (
        client_for(acme, acme.partner_user)
        .get(f"{JOURNEY}?live={company.pk}&try={LIVE_POLL_TRIES}", **HX)
        .content.decode()
    )
    assert _poller_url(html) is None and "taking a moment" in html


def test_portal_home_after_completing_an_action_polls_its_onboarding_card(
    acme, journey, client_for, settings, tmp_path
):
    from tests.onboarding.test_views_portal import PDF

    settings.MEDIA_ROOT = str(tmp_path)
    company = journey.stages[0]
    client = client_for(acme, acme.partner_user)
    with scope(tenant=acme.tenant):
        action_skip(
            tenant=acme.tenant, actor=acme.cam, progress_id=journey.progress("Legal details").pk
        )
    # The partner uploads the last open action; the POST redirects home (PRG).
    from django.core.files.uploadedfile import SimpleUploadedFile

    progress = journey.progress("Tax form")
    response = client.post(
        f"/portal/onboarding/actions/{progress.pk}/",
        {"files": [SimpleUploadedFile("tax.pdf", PDF, "application/pdf")]},
    )
    assert response.status_code == 302 and response["Location"] == "/portal/"
    html = client.get("/portal/").content.decode()
    assert "2 of 4 actions done" in html
    match = re.search(r'hx-get="([^"]+)"[^>]*hx-select="#portal-onboarding"', html)
    assert match and match.group(1).replace("&amp;", "&") == f"/portal/?live={company.pk}&try=1"
    assert 'hx-target="#portal-onboarding"' in html and 'id="portal-onboarding"' in html
    # Asked again while still pending: the card comes back with the next poller.
    again = client.get(f"/portal/?live={company.pk}&try=1", **HX).content.decode()
    assert f"/portal/?live={company.pk}&amp;try=2" in again
    with scope(tenant=acme.tenant):
        enrollment_advance(tenant=acme.tenant, enrollment_id=journey.enrollment.pk)
    moved = client.get(f"/portal/?live={company.pk}&try=2", **HX).content.decode()
    assert "Current stage: Contract" in moved and "hx-select" not in moved


def test_other_partners_and_staff_cannot_poll_a_journey(acme, journey, client_for):
    url = f"{JOURNEY}?live={journey.stages[0].pk}&try=1"
    # The other partner polls its own (empty) journey, never partner one's.
    other = client_for(acme, acme.other_partner_user).get(url, **HX).content.decode()
    assert "Company details" not in other
    assert client_for(acme, acme.cam).get(url, **HX).status_code in (302, 403, 404)


@pytest.mark.parametrize("pending", [False, True])
def test_journey_and_poll_query_counts(
    acme, journey, client_for, django_assert_max_num_queries, pending
):
    if pending:
        _finish_first_stage(acme, journey)
    client = client_for(acme, acme.partner_user)
    client.get("/notifications/")
    with django_assert_max_num_queries(15):
        assert client.get(JOURNEY).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get(f"{JOURNEY}?live={journey.stages[0].pk}&try=1", **HX).status_code == 200
