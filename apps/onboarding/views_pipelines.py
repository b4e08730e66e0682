"""The pipeline builder (DOMAIN §4): program admins edit pipelines, stages and actions, live.

Every view: authorise (program admins only) → form → service → redirect with a message; a
form or service error re-renders the page with status 422. Every object is looked up within
the request's tenant, and a stage or action within the pipeline of the URL (404 otherwise).

This module holds the pipelines' own views and what the builder's views share: the scoped
look-ups and the pipeline page. Stages are in `views_stages.py`, actions in `views_actions.py`;
the reads are in `selectors_pipelines.py`.
"""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.core.uploads import FILE_TYPES
from apps.onboarding.forms_pipelines import (
    ACTION_TYPES,
    EnrollForm,
    PipelineForm,
    PipelineTypesForm,
    StageForm,
)
from apps.onboarding.models import Action, ActionType, Pipeline, Stage
from apps.onboarding.selectors_pipelines import (
    partner_account_list_enroll_candidates,
    partner_account_list_not_enrolled,
    partner_type_list_without_pipeline,
    partner_type_rows_for_pipeline,
    pipeline_get,
    pipeline_get_archived,
    pipeline_list_archived,
    pipeline_list_with_counts,
    stage_get_live,
    stage_list_with_actions,
)
from apps.onboarding.services import (
    OnboardingError,
    PipelineError,
    partner_enroll,
    pipeline_assign_types,
    pipeline_create,
    pipeline_update,
)
from apps.onboarding.services.pipelines import pipeline_archive, pipeline_restore
from apps.partners.selectors import partner_types_for
from apps.tenancy.access import console_admin_view
from apps.tenancy.http import MemberRequest

ENROLL_CHOICES = 200
DIRECTIONS = ("up", "down")


# --- Shared by the builder's views -------------------------------------------------------------


def pipeline_or_404(request: MemberRequest, pipeline_id: int, *, counts: bool = False) -> Pipeline:
    pipeline = pipeline_get(tenant=request.tenant, pipeline_id=pipeline_id, counts=counts)
    if pipeline is None:
        raise Http404
    return pipeline


def stage_or_404(request: MemberRequest, pipeline: Pipeline, stage_id: int) -> Stage:
    stage = stage_get_live(tenant=request.tenant, pipeline=pipeline, stage_id=stage_id)
    if stage is None:
        raise Http404
    return stage


def pipeline_url(pipeline: Pipeline, anchor: str = "") -> str:
    url = reverse("pipelines:detail", args=[pipeline.pk])
    return f"{url}#{anchor}" if anchor else url


def move_direction(request: MemberRequest) -> str | None:
    direction = request.POST.get("direction", "")
    return direction if direction in DIRECTIONS else None


def _summary(action: Action) -> str:
    """One line under an action's title: what the partner opens, fills in or uploads."""
    if action.type == ActionType.VIEW_ASSET:
        return action.asset.title if action.asset else "No asset chosen"
    if action.type == ActionType.READ_ARTICLE:
        return action.article.title if action.article else "No article chosen"
    if action.type == ActionType.PROVIDE_INFORMATION:
        labels = [f["label"] for f in action.form_fields]
        shown = ", ".join(labels[:4]) + (f" and {len(labels) - 4} more" if len(labels) > 4 else "")
        return f"{len(labels)} field{'s' if len(labels) != 1 else ''}: {shown}"
    types = [FILE_TYPES[key].label for key in FILE_TYPES if key in (action.upload_types or [])]
    listed = ", ".join(types) if types else "PDF, PNG, JPEG"
    files = action.upload_max_files
    return f"{listed} · up to {action.upload_max_mb} MB · {files} file{'s' if files != 1 else ''}"


def pipeline_page(
    request: MemberRequest,
    pipeline: Pipeline,
    *,
    status: int = 200,
    details_form: PipelineForm | None = None,
    stage_form: StageForm | None = None,
    stage_edit: tuple[int, StageForm] | None = None,
    enroll_error: str = "",
    partial: str = "",
) -> HttpResponse:
    """The pipeline page, or one of its partials; the builder's views re-render it on errors."""
    tenant = request.tenant
    if not hasattr(pipeline, "stage_count"):
        pipeline = pipeline_or_404(request, pipeline.pk, counts=True)
    stages = stage_list_with_actions(tenant=tenant, pipeline=pipeline)
    for stage in stages:
        for action in stage.live_actions:
            action.summary = _summary(action)
        if stage_edit and stage_edit[0] == stage.pk:
            stage.edit_form, stage.edit_open = stage_edit[1], True
        else:
            stage.edit_form = StageForm(
                initial={"name": stage.name, "description": stage.description},
                auto_id=f"id_stage{stage.pk}_%s",
            )
            stage.edit_open = False
    type_rows = partner_type_rows_for_pipeline(tenant=tenant, pipeline=pipeline)
    q = request.GET.get("q", "").strip()[:100]
    candidates = partner_account_list_enroll_candidates(tenant=tenant, q=q, limit=ENROLL_CHOICES)
    context = {
        "nav": "pipelines",
        "pipeline": pipeline,
        "stages": stages,
        "action_types": ACTION_TYPES,
        "type_rows": type_rows,
        "default_types": [row["type"] for row in type_rows if row["checked"]],
        "details_form": details_form
        or PipelineForm(
            initial={"name": pipeline.name, "description": pipeline.description},
            auto_id="id_pipeline_%s",
        ),
        "details_open": details_form is not None,
        "stage_form": stage_form or StageForm(auto_id="id_new_stage_%s"),
        "candidates": candidates[:ENROLL_CHOICES],
        "more_candidates": len(candidates) > ENROLL_CHOICES,
        "enroll_limit": ENROLL_CHOICES,
        "q": q,
        "enroll_error": enroll_error,
    }
    template = "onboarding/pipelines/detail.html"
    if partial:
        template += f"#{partial}"
    response = render(request, template, context, status=status)
    response["Vary"] = "HX-Request"
    return response


# --- List and create -----------------------------------------------------------------------


def _list_page(request: MemberRequest, form: PipelineForm, status: int = 200) -> HttpResponse:
    tenant = request.tenant
    context = {
        "nav": "pipelines",
        "pipelines": pipeline_list_with_counts(tenant=tenant),
        "archived_pipelines": pipeline_list_archived(tenant=tenant),
        "unassigned_types": partner_type_list_without_pipeline(tenant=tenant),
        "form": form,
    }
    return render(request, "onboarding/pipelines/list.html", context, status=status)


@console_admin_view
def pipeline_list(request: MemberRequest) -> HttpResponse:
    return _list_page(request, PipelineForm())


@console_admin_view
@require_POST
def pipeline_new(request: MemberRequest) -> HttpResponse:
    form = PipelineForm(request.POST)
    if not form.is_valid():
        return _list_page(request, form, status=422)
    try:
        pipeline = pipeline_create(tenant=request.tenant, actor=request.user, **form.cleaned_data)
    except PipelineError as exc:
        messages.error(request, str(exc))
        return _list_page(request, form, status=422)
    messages.success(request, f"“{pipeline.name}” is created. Add its first stage.")
    return redirect(pipeline_url(pipeline))


# --- The pipeline page ---------------------------------------------------------------------


@console_admin_view
def pipeline_detail(request: MemberRequest, pipeline_id: int) -> HttpResponse:
    pipeline = pipeline_or_404(request, pipeline_id, counts=True)
    # The enroll card's search box refreshes only its card when htmx is there.
    partial = "enroll" if request.htmx and request.htmx.target == "enroll-choices" else ""
    return pipeline_page(request, pipeline, partial=partial)


@console_admin_view
@require_POST
def pipeline_edit(request: MemberRequest, pipeline_id: int) -> HttpResponse:
    pipeline = pipeline_or_404(request, pipeline_id)
    form = PipelineForm(request.POST, auto_id="id_pipeline_%s")
    if not form.is_valid():
        return pipeline_page(request, pipeline, status=422, details_form=form)
    try:
        pipeline_update(
            tenant=request.tenant, actor=request.user, pipeline=pipeline, **form.cleaned_data
        )
    except PipelineError as exc:
        messages.error(request, str(exc))
        return pipeline_page(request, pipeline, status=422, details_form=form)
    messages.success(request, "Pipeline details saved.")
    return redirect(pipeline_url(pipeline))


@console_admin_view
@require_POST
def pipeline_types(request: MemberRequest, pipeline_id: int) -> HttpResponse:
    pipeline = pipeline_or_404(request, pipeline_id)
    form = PipelineTypesForm(request.POST, partner_types=partner_types_for(tenant=request.tenant))
    if not form.is_valid():
        messages.error(request, "Choose partner types from the list.")
        return pipeline_page(request, pipeline, status=422)
    chosen = list(form.cleaned_data["partner_types"])
    try:
        pipeline_assign_types(
            tenant=request.tenant, actor=request.user, pipeline=pipeline, partner_types=chosen
        )
    except PipelineError as exc:
        messages.error(request, str(exc))
        return pipeline_page(request, pipeline, status=422)
    if chosen:
        names = ", ".join(t.name for t in chosen)
        messages.success(request, f"New partners of these types start “{pipeline.name}”: {names}.")
    else:
        messages.success(request, f"“{pipeline.name}” is no longer the default for any type.")
    return redirect(pipeline_url(pipeline, "partner-types"))


@console_admin_view
@require_POST
def pipeline_enroll(request: MemberRequest, pipeline_id: int) -> HttpResponse:
    pipeline = pipeline_or_404(request, pipeline_id)
    form = EnrollForm(
        request.POST, accounts=partner_account_list_not_enrolled(tenant=request.tenant)
    )
    if not form.is_valid():
        error = str(form.errors["account"][0])
        messages.error(request, error)
        return pipeline_page(request, pipeline, status=422, enroll_error=error)
    account = form.cleaned_data["account"]
    try:
        enrollment = partner_enroll(
            tenant=request.tenant, actor=request.user, account=account, pipeline=pipeline
        )
    except OnboardingError as exc:
        messages.error(request, str(exc))
        return pipeline_page(request, pipeline, status=422, enroll_error=str(exc))
    where = (
        f"at “{enrollment.current_stage.name}”"
        if enrollment and enrollment.current_stage
        else "(the pipeline has no stages, so onboarding is complete)"
    )
    messages.success(request, f"{account.name} is enrolled in “{pipeline.name}” {where}.")
    return redirect(pipeline_url(pipeline, "enroll-card"))


# --- Archive and restore -------------------------------------------------------------------


@console_admin_view
@require_POST
def pipeline_archive_view(request: MemberRequest, pipeline_id: int) -> HttpResponse:
    """Archive: no new partners; those onboarding in it carry on. Refusals go back to the
    pipeline's page with the reason (e.g. it is still a partner type's default)."""
    pipeline = pipeline_or_404(request, pipeline_id)
    try:
        pipeline_archive(tenant=request.tenant, actor=request.user, pipeline_id=pipeline.pk)
    except PipelineError as exc:
        messages.error(request, str(exc))
        return redirect(pipeline_url(pipeline, "archive-card"))
    messages.success(
        request,
        _(
            "“%(name)s” is archived: no new partners start it; partners onboarding in it "
            "carry on. You can restore it from the list below."
        )
        % {"name": pipeline.name},
    )
    return redirect(reverse("pipelines:list") + "#archived")


@console_admin_view
@require_POST
def pipeline_restore_view(request: MemberRequest, pipeline_id: int) -> HttpResponse:
    if pipeline_get_archived(tenant=request.tenant, pipeline_id=pipeline_id) is None:
        raise Http404
    try:
        pipeline = pipeline_restore(
            tenant=request.tenant, actor=request.user, pipeline_id=pipeline_id
        )
    except PipelineError as exc:
        messages.error(request, str(exc))
        return redirect(reverse("pipelines:list") + "#archived")
    messages.success(
        request,
        _("“%(name)s” is restored: partners can be enrolled in it again.")
        % {"name": pipeline.name},
    )
    return redirect(pipeline_url(pipeline))
