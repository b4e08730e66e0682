"""The partner's side of onboarding: the journey, and one page per action type."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from django.contrib import messages
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.content.models import Asset
from apps.onboarding.files import action_file_response
from apps.onboarding.forms import ProvideInformationForm, UploadDocumentForm
from apps.onboarding.models import Action, ActionProgress, ActionType
from apps.onboarding.selectors import (
    action_file_get,
    action_file_list,
    enrollment_counts,
    enrollment_for_partner,
    enrollment_stages,
    partner_journey_rows,
    progress_for_partner_user,
)
from apps.onboarding.selectors_progress import enrollment_move_pending
from apps.onboarding.services import (
    InvalidTransition,
    StoredFile,
    action_complete,
    progress_available_to_partner,
)
from apps.partners.access import portal_partner_account
from apps.tenancy.access import portal_view

if TYPE_CHECKING:
    from collections.abc import Iterable

    from apps.content.models import Article
    from apps.onboarding.models import Enrollment
    from apps.partners.models import PartnerAccount
    from apps.tenancy.http import MemberRequest


def _progress(request: MemberRequest, account: PartnerAccount, progress_id: int) -> ActionProgress:
    progress = progress_for_partner_user(
        tenant=request.tenant, partner_account_id=account.pk, progress_id=progress_id
    )
    if progress is None:
        raise Http404
    return progress


# The journey asks again for the worker's stage move this many times, a second apart.
LIVE_POLL_TRIES = 10


def journey_live_context(
    request: MemberRequest, enrollment: Enrollment, *, url: str, attempt: int = 1
) -> dict[str, Any]:
    """The poller of a portal page showing the partner's progress (`url`, asked with
    `?live=<stage id>&try=<n>`): while the worker's move is pending, the page asks again a
    second later, at most LIVE_POLL_TRIES times."""
    if not enrollment_move_pending(tenant=request.tenant, enrollment=enrollment):
        return {"live_url": "", "live_gave_up": False}
    if attempt > LIVE_POLL_TRIES:
        return {"live_url": "", "live_gave_up": True}
    params = urlencode({"live": enrollment.current_stage_id, "try": attempt})
    return {"live_url": f"{url}?{params}", "live_gave_up": False}


def portal_action_urls(rows: Iterable[ActionProgress]) -> None:
    """Each row's page (`row.portal_url`): one `reverse` per page, not one `{% url %}` per
    row (issue 15)."""
    stand_in = 987654321
    url = reverse("onboarding_portal:action", args=[stand_in])
    for row in rows:
        row.portal_url = url.replace(str(stand_in), str(row.pk))  # type: ignore[attr-defined]


def live_poll_args(request: MemberRequest) -> tuple[int | None, int] | None:
    """(stage the page expects the partner to leave, next attempt) when this is a poller's
    htmx request, else None."""
    if not request.htmx or "live" not in request.GET:
        return None

    def number(value: str | None) -> int | None:
        return int(value) if value and value.isdigit() and len(value) < 10 else None

    return number(request.GET.get("live")), (number(request.GET.get("try")) or 1) + 1


@portal_view
def journey(request: MemberRequest) -> HttpResponse:
    account = portal_partner_account(request)
    enrollment = enrollment_for_partner(tenant=request.tenant, partner_account_id=account.pk)
    url = reverse("onboarding_portal:journey")
    poll = live_poll_args(request)
    template = "onboarding/portal_journey.html"
    context: dict[str, Any] = {
        "nav": "onboarding",
        "partner_account": account,
        "enrollment": enrollment,
    }
    if poll is not None:
        left_id, attempt = poll
        if enrollment is None:
            return _vary(render(request, f"{template}#journey_live", {"live_url": ""}))
        if enrollment.current_stage_id == left_id:
            context.update(journey_live_context(request, enrollment, url=url, attempt=attempt))
            return _vary(render(request, f"{template}#journey_live", context))
        template += "#live_update"  # moved on: the progress and stages, out-of-band
    if enrollment is not None:
        rows_by_stage = partner_journey_rows(tenant=request.tenant, enrollment=enrollment)
        portal_action_urls(row for rows in rows_by_stage.values() for row in rows)
        context.update(
            stages=enrollment_stages(tenant=request.tenant, enrollment=enrollment),
            rows_by_stage=rows_by_stage,
            counts=enrollment_counts(tenant=request.tenant, enrollment=enrollment),
            **journey_live_context(request, enrollment, url=url),
        )
    return _vary(render(request, template, context))


def _vary(response: HttpResponse) -> HttpResponse:
    response["Vary"] = "HX-Request"
    return response


@portal_view
def action_page(request: MemberRequest, progress_id: int) -> HttpResponse:
    account = portal_partner_account(request)
    progress = _progress(request, account, progress_id)
    action = progress.action
    available = progress_available_to_partner(progress)
    form: ProvideInformationForm | UploadDocumentForm | None = None
    if action.type == ActionType.PROVIDE_INFORMATION:
        form = ProvideInformationForm(
            request.POST or None, action=action, initial_answers=progress.submission
        )
    elif action.type == ActionType.UPLOAD_DOCUMENT:
        form = UploadDocumentForm(request.POST or None, request.FILES or None, action=action)

    if request.method == "POST":
        if not available:
            messages.error(request, "This action can’t be completed now.")
            return redirect("onboarding_portal:action", progress.pk)
        if form is None:
            raise Http404
        if form.is_valid():
            try:
                _submit(request, progress, form)
            except InvalidTransition as exc:
                messages.error(request, str(exc))
                return redirect("onboarding_portal:action", progress.pk)
            messages.success(request, _submitted_message(progress))
            return redirect("portal:home")
        status = 422
    else:
        status = 200
    content = _content_of(action)
    return render(
        request,
        "onboarding/portal_action.html",
        {
            "nav": "onboarding",
            "partner_account": account,
            "progress": progress,
            "action": action,
            "available": available,
            "form": form,
            "files": action_file_list(tenant=request.tenant, progress=progress),
            "content": content,
            "content_summary": getattr(content, "description", "")
            or getattr(content, "excerpt", ""),
        },
        status=status,
    )


def _submitted_message(progress: ActionProgress) -> str:
    if progress.action.requires_approval:
        return f"Thanks! “{progress.action.title}” is now waiting for approval."
    return f"“{progress.action.title}” is completed."


def _submit(
    request: MemberRequest,
    progress: ActionProgress,
    form: ProvideInformationForm | UploadDocumentForm,
) -> None:
    from apps.core.uploads import storage_key

    if isinstance(form, ProvideInformationForm):
        action_complete(
            tenant=request.tenant,
            actor=request.user,
            progress_id=progress.pk,
            submission=form.answers(),
        )
        return
    stored = [
        StoredFile(
            uploaded=f,
            original_name=checked.original_name,
            content_type=checked.content_type,
            size=checked.size,
            storage_key=storage_key(
                tenant_id=request.tenant.pk, area="onboarding", ext=checked.ext
            ),
        )
        for f, checked in form.cleaned_data["files"]
    ]
    action_complete(
        tenant=request.tenant,
        actor=request.user,
        progress_id=progress.pk,
        submission={"files": [s.original_name for s in stored]},
        files=stored,
    )


def _content_of(action: Action) -> Asset | Article | None:
    if action.type == ActionType.VIEW_ASSET:
        return action.asset
    if action.type == ActionType.READ_ARTICLE:
        return action.article
    return None


@portal_view
@require_POST
def action_open(request: MemberRequest, progress_id: int) -> HttpResponse:
    """Open the action's asset or article; doing so completes the action.

    The content view it redirects to records the open itself (apps.content)."""
    account = portal_partner_account(request)
    progress = _progress(request, account, progress_id)
    action = progress.action
    if action.type not in (ActionType.VIEW_ASSET, ActionType.READ_ARTICLE):
        raise Http404
    content = _content_of(action)
    if content is None:
        raise Http404
    if progress_available_to_partner(progress):
        # Completed meanwhile (another tab): opening it is still fine.
        with contextlib.suppress(InvalidTransition):
            action_complete(tenant=request.tenant, actor=request.user, progress_id=progress.pk)
    return redirect(_content_url(content))


def _content_url(content: Asset | Article) -> str:
    from django.urls import reverse

    if isinstance(content, Asset):
        return reverse("content_portal:asset_open", args=[content.pk])
    return reverse("content_portal:article", args=[content.slug])


@portal_view
def own_file(request: MemberRequest, file_id: int) -> FileResponse:
    account = portal_partner_account(request)
    row = action_file_get(tenant=request.tenant, partner_account_id=account.pk, file_id=file_id)
    if row is None:
        raise Http404
    return action_file_response(row)
