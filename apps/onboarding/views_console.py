"""The console's Onboarding tab of one partner (DOMAIN §4)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.onboarding.files import action_file_response
from apps.onboarding.selectors import (
    action_file_get,
    enrollment_counts,
    enrollment_for_partner,
    enrollment_history_for_partner,
    enrollment_past_get,
    enrollment_stages,
    pipelines_for,
    progress_for_partner_user,
    stage_action_rows,
)
from apps.onboarding.selectors_pipelines import pipeline_get
from apps.onboarding.selectors_progress import enrollment_move_pending
from apps.onboarding.services import (
    CAM_EVENTS,
    InvalidTransition,
    OnboardingError,
    allowed_events,
    partner_enroll,
    stage_move_next,
)
from apps.partners.access import console_admin_partner_view, console_partner_view
from apps.tenancy.access import console_view

if TYPE_CHECKING:
    from apps.onboarding.models import Enrollment
    from apps.partners.access import PartnerRequest
    from apps.partners.models import PartnerAccount
    from apps.tenancy.http import MemberRequest


# The live tab asks again for the worker's stage move this many times, a second apart.
LIVE_POLL_TRIES = 10


def _tab_url(partner_id: int, stage_id: int | None = None) -> str:
    url = reverse("onboarding_console:tab", args=[partner_id])
    return f"{url}?stage={stage_id}" if stage_id else url


# Stand-ins reversed once per page and replaced per row (issue 15: one `reverse` per URL
# name instead of 2–8 `{% url %}` per action card).
_ID = 987654321
_EVENT = "__event__"


def _card_urls(account_id: int, rows: list[Any]) -> None:
    """Each row's event URLs (`row.event_urls`, `row.form_url`) and its files' URLs."""
    event_url = reverse("onboarding_console:event", args=[account_id, _ID, _EVENT])
    file_url = reverse("onboarding_console:file", args=[account_id, _ID])
    for row in rows:
        row_url = event_url.replace(str(_ID), str(row.pk))
        row.event_urls = {event: row_url.replace(_EVENT, event) for event in row.events}
        row.form_url = row.event_urls[row.events[0]] if row.events else ""
        for f in row.current_files:
            f.console_url = file_url.replace(str(_ID), str(f.pk))


def _int_param(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 10 else None


def _live_context(
    request: MemberRequest,
    account: PartnerAccount,
    enrollment: Enrollment,
    selected_id: int | None,
    *,
    attempt: int = 1,
) -> dict[str, Any]:
    """The poller of the tab (`live` partial): while the worker's move is pending, the tab
    asks again a second later, at most LIVE_POLL_TRIES times, naming the stage it expects
    the partner to leave."""
    if enrollment.is_superseded or not enrollment_move_pending(
        tenant=request.tenant, enrollment=enrollment
    ):
        return {"live_url": "", "live_gave_up": False}
    if attempt > LIVE_POLL_TRIES:
        return {"live_url": "", "live_gave_up": True}
    params = {"live": enrollment.current_stage_id, "try": attempt}
    if selected_id is not None:
        params["stage"] = selected_id
    url = reverse("onboarding_console:tab", args=[account.pk])
    return {"live_url": f"{url}?{urlencode(params)}", "live_gave_up": False}


def _stage_context(
    request: MemberRequest,
    account: PartnerAccount,
    enrollment: Enrollment,
    stage_id: int | None = None,
    *,
    read_only: bool = False,
) -> dict[str, Any]:
    stages = enrollment_stages(tenant=request.tenant, enrollment=enrollment)
    selected = None
    if stage_id is not None:
        selected = next((s for s in stages if s.pk == stage_id), None)
    if selected is None:
        selected = next(
            (s for s in stages if s.pk == enrollment.current_stage_id),
            stages[-1] if stages else None,
        )
    rows = (
        stage_action_rows(tenant=request.tenant, enrollment=enrollment, stage_id=selected.pk)
        if selected
        else []
    )
    for row in rows:
        row.events = [] if read_only else allowed_events(row)
    _card_urls(account.pk, rows)
    open_count = sum(1 for r in rows if r.action.archived_at is None and not r.is_done)
    can_move = (
        not read_only
        and selected is not None
        and not enrollment.is_completed
        and selected.pk == enrollment.current_stage_id
        and open_count == 0
    )
    return {
        "account": account,
        "enrollment": enrollment,
        "stages": stages,
        "selected": selected,
        "rows": rows,
        "can_move": can_move,
        "read_only": read_only,
        "counts": enrollment_counts(tenant=request.tenant, enrollment=enrollment),
        "tab_url": reverse("onboarding_console:tab", args=[account.pk]),
        **_live_context(request, account, enrollment, selected.pk if selected else None),
    }


@console_partner_view
def onboarding_tab(request: PartnerRequest, partner_id: int) -> HttpResponse:
    account = request.partner_account
    context: dict[str, Any] = {
        "nav": "partners",
        "account": account,
        "tab": "onboarding",
        # The pipelines the partner was moved out of: kept, read-only (?enrollment=<id>).
        "history": enrollment_history_for_partner(
            tenant=request.tenant, partner_account_id=account.pk
        ),
    }
    past_id = request.GET.get("enrollment", "")
    stage_id = _int_param(request.GET.get("stage"))
    if request.htmx and "live" in request.GET and not past_id:
        return _live_fragment(request, account, stage_id)
    if past_id:
        enrollment = (
            enrollment_past_get(
                tenant=request.tenant, partner_account_id=account.pk, enrollment_id=int(past_id)
            )
            if past_id.isdigit() and len(past_id) < 10
            else None
        )
        if enrollment is None:
            raise Http404
    else:
        enrollment = enrollment_for_partner(tenant=request.tenant, partner_account_id=account.pk)
    if enrollment is None:
        context["pipelines"] = list(pipelines_for(tenant=request.tenant))
        return _vary(render(request, "onboarding/tab.html", context))
    context.update(
        _stage_context(request, account, enrollment, stage_id, read_only=enrollment.is_superseded)
    )
    return _vary(render(request, "onboarding/tab.html", context))


def _vary(response: HttpResponse) -> HttpResponse:
    response["Vary"] = "HX-Request"
    return response


def _live_fragment(
    request: PartnerRequest, account: PartnerAccount, stage_id: int | None
) -> HttpResponse:
    """The tab's poller asks whether the worker moved the partner on (`?live=<stage id>`).

    Still in that stage: only the next poller (or none after LIVE_POLL_TRIES). Moved: the
    stage menu, counts, progress and the stage panel out-of-band, following the partner to
    the new stage when the CAM was looking at the one they left."""
    left_id = _int_param(request.GET.get("live"))
    attempt = (_int_param(request.GET.get("try")) or 1) + 1
    enrollment = enrollment_for_partner(tenant=request.tenant, partner_account_id=account.pk)
    if enrollment is None:
        context: dict[str, Any] = {"live_url": "", "live_gave_up": False}
        return _vary(render(request, "onboarding/tab.html#live", context))
    if enrollment.current_stage_id == left_id:
        context = {
            "account": account,
            **_live_context(request, account, enrollment, stage_id, attempt=attempt),
        }
        return _vary(render(request, "onboarding/tab.html#live", context))
    follow = stage_id is None or stage_id == left_id
    context = _stage_context(request, account, enrollment, None if follow else stage_id)
    context["panel_moved"] = follow
    return _vary(render(request, "onboarding/tab.html#live_update", context))


@console_partner_view
@require_POST
def onboarding_action_event(
    request: PartnerRequest, partner_id: int, progress_id: int, event: str
) -> HttpResponse:
    account = request.partner_account
    service = CAM_EVENTS.get(event)
    progress = progress_for_partner_user(
        tenant=request.tenant, partner_account_id=account.pk, progress_id=progress_id
    )
    if service is None or progress is None:
        raise Http404
    kwargs: dict[str, str] = {}
    if event in ("request_changes", "invalidate"):
        kwargs["comment"] = request.POST.get("comment", "")[:2000]
    error = None
    try:
        service(tenant=request.tenant, actor=request.user, progress_id=progress.pk, **kwargs)
    except InvalidTransition as exc:
        error = str(exc)
    stage_id = progress.action.stage_id
    if request.htmx:
        enrollment = enrollment_for_partner(tenant=request.tenant, partner_account_id=account.pk)
        if enrollment is None:  # the progress belongs to one, so only if deleted meanwhile
            raise Http404
        # The card, and out-of-band the stage menu, counts, progress and (when the stage is
        # now done) the poller that shows the worker's move without a reload.
        context = _stage_context(request, account, enrollment, stage_id)
        context["row"] = next((r for r in context["rows"] if r.pk == progress.pk), None)
        context["error"] = error
        context["error_progress_id"] = progress.pk
        return render(request, "onboarding/tab.html#event_update", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _done_message(event, progress.action.title))
    return redirect(_tab_url(account.pk, stage_id))


def _done_message(event: str, title: str) -> str:
    return {
        "validate": _("“%(title)s” is validated."),
        "request_changes": _("Changes requested on “%(title)s”; the partner has been told."),
        "invalidate": _("“%(title)s” is invalidated; the partner has been told."),
        "skip": _("“%(title)s” is skipped."),
    }[event] % {"title": title}


@console_partner_view
@require_POST
def onboarding_move_next(request: PartnerRequest, partner_id: int) -> HttpResponse:
    account = request.partner_account
    enrollment = enrollment_for_partner(tenant=request.tenant, partner_account_id=account.pk)
    if enrollment is None:
        raise Http404
    try:
        expected = int(request.POST.get("stage", ""))
    except ValueError:
        expected = -1
    try:
        stage_move_next(
            tenant=request.tenant,
            actor=request.user,
            enrollment_id=enrollment.pk,
            expected_stage_id=expected,
        )
    except InvalidTransition as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{account.name} moved to the next stage.")
    return redirect(_tab_url(account.pk))


@console_admin_partner_view
@require_POST
def onboarding_enroll(request: PartnerRequest, partner_id: int) -> HttpResponse:
    account = request.partner_account
    try:
        pipeline_id = int(request.POST.get("pipeline") or 0)
    except ValueError:
        pipeline_id = 0
    pipeline = pipeline_get(tenant=request.tenant, pipeline_id=pipeline_id)
    if pipeline is None:
        messages.error(request, "Choose a pipeline.")
        return redirect(_tab_url(account.pk))
    try:
        partner_enroll(
            tenant=request.tenant, actor=request.user, account=account, pipeline=pipeline
        )
    except OnboardingError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"{account.name} is enrolled in {pipeline.name}.")
    return redirect(_tab_url(account.pk))


# Not a console_partner_view: the download needs no account, and its one query is already
# scoped to the URL's partner (resolving the account first would cost a query).
@console_view
def onboarding_file(request: MemberRequest, partner_id: int, file_id: int) -> FileResponse:
    row = action_file_get(tenant=request.tenant, partner_account_id=partner_id, file_id=file_id)
    if row is None:
        raise Http404
    return action_file_response(row)
