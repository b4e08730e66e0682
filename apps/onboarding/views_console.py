"""The console's Onboarding tab of one partner (DOMAIN §4)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
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


def _tab_url(partner_id: int, stage_id: int | None = None) -> str:
    url = reverse("onboarding_console:tab", args=[partner_id])
    return f"{url}?stage={stage_id}" if stage_id else url


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
        return render(request, "onboarding/tab.html", context)
    try:
        stage_id = int(request.GET.get("stage", ""))
    except ValueError:
        stage_id = None
    context.update(
        _stage_context(request, account, enrollment, stage_id, read_only=enrollment.is_superseded)
    )
    return render(request, "onboarding/tab.html", context)


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
        context = _stage_context(request, account, enrollment, stage_id)
        context["error"] = error
        context["error_progress_id"] = progress.pk
        return render(request, "onboarding/tab.html#stage_panel", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _done_message(event, progress.action.title))
    return redirect(_tab_url(account.pk, stage_id))


def _done_message(event: str, title: str) -> str:
    return {
        "validate": f"“{title}” is validated.",
        "request_changes": f"Changes requested on “{title}”; the partner has been told.",
        "invalidate": f"“{title}” is invalidated; the partner has been told.",
        "skip": f"“{title}” is skipped.",
    }[event]


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
