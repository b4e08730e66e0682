"""apps/onboarding/views_console.py: the Onboarding tab of a partner in the console."""

import pytest
from django_scopes import scope

from apps.onboarding.models import ActionProgress, ActionStatus
from apps.onboarding.services import action_complete, action_skip

pytestmark = pytest.mark.django_db
S = ActionStatus


def _tab(acme):
    return f"/console/partners/{acme.partner.pk}/onboarding/"


def _event(acme, progress, event):
    return f"{_tab(acme)}actions/{progress.pk}/{event}/"


def _submit_legal(acme, journey):
    progress = journey.progress("Legal details")
    with scope(tenant=acme.tenant):
        action_complete(
            tenant=acme.tenant,
            actor=acme.partner_admin,
            progress_id=progress.pk,
            submission={"legal_name": "Acme Partner One Ltd", "vat_number": "GB123"},
        )
    return progress


def test_tab_shows_stages_actions_and_the_buttons_the_status_allows(acme, journey, client_for):
    _submit_legal(acme, journey)
    html = client_for(acme, acme.cam).get(_tab(acme)).content.decode()
    assert "Reseller onboarding" in html and "Company details" in html
    assert "Acme Partner One Ltd" in html  # the partner's answers
    assert ">Validate<" in html and ">Request changes<" in html  # waiting action
    assert ">Skip<" in html  # pending action
    assert ">Invalidate<" not in html
    assert "Move partner to the next stage" not in html


def test_validate_without_javascript_redirects_with_a_message(acme, journey, client_for):
    progress = _submit_legal(acme, journey)
    client = client_for(acme, acme.cam)
    response = client.post(_event(acme, progress, "validate"))
    assert response.status_code == 302
    assert response["Location"].startswith(_tab(acme))
    page = client.get(response["Location"]).content.decode()
    assert "is validated" in page
    assert journey.progress("Legal details").status == S.COMPLETED


def test_htmx_validate_returns_the_stage_panel(acme, journey, client_for):
    progress = _submit_legal(acme, journey)
    response = client_for(acme, acme.cam).post(
        _event(acme, progress, "validate"), HTTP_HX_REQUEST="true"
    )
    html = response.content.decode()
    assert response.status_code == 200
    assert "<html" not in html
    assert ">Invalidate<" in html  # the validated action now offers Invalidate


def test_refused_transition_shows_a_clear_message_and_changes_nothing(acme, journey, client_for):
    progress = journey.progress("Legal details")  # pending
    client = client_for(acme, acme.cam)
    response = client.post(_event(acme, progress, "validate"), follow=True)
    assert "can’t validate" in response.content.decode()
    assert journey.progress("Legal details").status == S.PENDING
    htmx = client.post(_event(acme, progress, "invalidate"), HTTP_HX_REQUEST="true")
    assert "can’t invalidate" in htmx.content.decode()
    assert client.post(_event(acme, progress, "explode")).status_code == 404


def test_request_changes_reaches_the_partner(acme, journey, client_for):
    progress = _submit_legal(acme, journey)
    client_for(acme, acme.cam).post(
        _event(acme, progress, "request_changes"), {"comment": "Use the registered name"}
    )
    assert journey.progress("Legal details").status == S.ACTION_REQUIRED
    home = client_for(acme, acme.partner_user).get("/portal/").content.decode()
    assert "Use the registered name" in home
    assert "Action required" in home


def test_another_partners_action_id_is_404(acme, journey, client_for, unscoped):
    from apps.onboarding.services import partner_enroll

    other = partner_enroll(tenant=acme.tenant, actor=acme.cam, account=acme.other_partner)
    foreign = ActionProgress.objects.filter(enrollment=other).first()
    client = client_for(acme, acme.cam)
    # Aimed at partner one's tab with partner two's action id.
    assert client.post(_event(acme, foreign, "skip")).status_code == 404
    assert ActionProgress.objects.get(pk=foreign.pk).status == S.PENDING
    partner = client_for(acme, acme.partner_user)
    assert partner.get(f"/portal/onboarding/actions/{foreign.pk}/").status_code == 404


def test_move_button_for_a_stage_without_actions(acme, journey, client_for):
    with scope(tenant=acme.tenant):
        for title in ("Legal details", "Tax form", "Signed NDA"):
            action_skip(tenant=acme.tenant, actor=acme.cam, progress_id=journey.progress(title).pk)
        from apps.onboarding.services import enrollment_advance

        enrollment_advance(tenant=acme.tenant, enrollment_id=journey.enrollment.pk)
    client = client_for(acme, acme.cam)
    html = client.get(_tab(acme)).content.decode()
    assert "Move partner to the next stage" in html
    kickoff = journey.stages[2]
    response = client.post(f"{_tab(acme)}move/", {"stage": kickoff.pk}, follow=True)
    assert "moved to the next stage" in response.content.decode()
    again = client.post(f"{_tab(acme)}move/", {"stage": kickoff.pk}, follow=True)
    assert "already moved on" in again.content.decode()


def test_enroll_by_hand_is_for_program_admins(acme, journey, client_for, unscoped):
    url = f"/console/partners/{acme.other_partner.pk}/onboarding/enroll/"
    assert (
        client_for(acme, acme.cam).post(url, {"pipeline": journey.pipeline.pk}).status_code == 403
    )
    client_for(acme, acme.admin).post(url, {"pipeline": journey.pipeline.pk})
    assert acme.other_partner.enrollments.get().pipeline == journey.pipeline
