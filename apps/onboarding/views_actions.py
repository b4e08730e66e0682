"""The pipeline builder's actions: the add/edit page with its form designer, archive and
reorder (see views_pipelines.py)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from apps.onboarding.forms_pipelines import (
    ACTION_TYPES,
    TYPE_INFO,
    ActionForm,
    field_formset,
    field_formset_with_more_rows,
    raw_values,
)
from apps.onboarding.models import (
    APPROVABLE_TYPES,
    Action,
    ActionStatus,
    ActionType,
    Pipeline,
    Stage,
)
from apps.onboarding.selectors_pipelines import (
    action_get_live,
    action_status_counts,
    stage_list_names,
    stage_reach_count,
)
from apps.onboarding.services import (
    PipelineError,
    action_archive,
    action_create,
    action_move,
    action_update,
)
from apps.onboarding.views_pipelines import (
    move_direction,
    pipeline_or_404,
    pipeline_page,
    pipeline_url,
    stage_or_404,
)
from apps.tenancy.access import console_admin_view
from apps.tenancy.http import MemberRequest


def _action_or_404(request: MemberRequest, pipeline: Pipeline, action_id: int) -> Action:
    action = action_get_live(tenant=request.tenant, pipeline=pipeline, action_id=action_id)
    if action is None:
        raise Http404
    return action


def _action_page(
    request: MemberRequest, context: dict[str, Any], status: int = 200, partial: str = ""
) -> HttpResponse:
    context = {"nav": "pipelines", "action_types": ACTION_TYPES, **context}
    template = "onboarding/pipelines/action_form.html"
    if partial:
        template += f"#{partial}"
    response = render(request, template, context, status=status)
    response["Vary"] = "HX-Request"
    return response


def _who_it_affects(request: MemberRequest, stage: Stage, action: Action | None) -> dict[str, Any]:
    """For the action page's side panel: partners a new action reaches, or an action's
    statuses across partners."""
    if action is None:
        return {"reach": stage_reach_count(tenant=request.tenant, stage=stage)}
    counts = action_status_counts(tenant=request.tenant, action=action)
    return {
        "status_counts": [(label, counts.get(value, 0)) for value, label in ActionStatus.choices]
    }


def _action_form_view(
    request: MemberRequest,
    *,
    pipeline: Pipeline,
    stage: Stage,
    action_type: str,
    action: Action | None = None,
) -> HttpResponse:
    """GET shows the form; POST "more" adds designer rows; POST saves through the service."""
    tenant = request.tenant
    designer = action_type == ActionType.PROVIDE_INFORMATION
    context = {
        "pipeline": pipeline,
        "stage": stage,
        "action": action,
        "action_type": action_type,
        "type_info": TYPE_INFO[action_type],
        "approvable": action_type in APPROVABLE_TYPES,
        "stages": stage_list_names(tenant=tenant, pipeline=pipeline),
        **_who_it_affects(request, stage, action),
    }
    if request.method == "GET":
        context["form"] = ActionForm(tenant=tenant, action_type=action_type, action=action)
        if designer:
            fields = action.form_fields if action else []
            context["formset"] = field_formset(form_fields=fields, extra=2 if fields else 3)
        return _action_page(request, context)

    form = ActionForm(request.POST, tenant=tenant, action_type=action_type, action=action)
    formset = field_formset(request.POST) if designer else None
    if formset is not None and "more" in request.POST:
        # "Add more fields": re-render what was typed, unvalidated, with more empty rows.
        context["form"] = ActionForm(
            tenant=tenant, action_type=action_type, action=action, initial=raw_values(form)
        )
        context["formset"] = field_formset_with_more_rows(formset)
        partial = "designer" if request.htmx else ""
        return _action_page(request, context, partial=partial)
    context.update(form=form, formset=formset)
    valid = form.is_valid()
    if formset is not None:
        valid = formset.is_valid() and valid
    if not valid:
        return _action_page(request, context, status=422)
    fields = form.service_fields()
    if formset is not None:
        fields["form_fields"] = formset.specs()
    try:
        if action is None:
            action = action_create(
                tenant=tenant,
                actor=request.user,
                stage=stage,
                type=action_type,
                title=form.cleaned_data["title"],
                **fields,
            )
            done = f"“{action.title}” added to “{stage.name}”."
        else:
            action = action_update(
                tenant=tenant,
                actor=request.user,
                action=action,
                title=form.cleaned_data["title"],
                **fields,
            )
            done = f"“{action.title}” saved."
    except PipelineError as exc:
        messages.error(request, str(exc))
        return _action_page(request, context, status=422)
    messages.success(request, done)
    return redirect(pipeline_url(pipeline, f"action-{action.pk}"))


@console_admin_view
@require_http_methods(["GET", "POST"])
def action_new(request: MemberRequest, pipeline_id: int, stage_id: int) -> HttpResponse:
    pipeline = pipeline_or_404(request, pipeline_id)
    stage = stage_or_404(request, pipeline, stage_id)
    action_type = request.POST.get("type") or request.GET.get("type", "")
    if action_type not in ActionType.values:
        if request.method == "POST":
            messages.error(request, "Choose what the partner has to do.")
        context = {"pipeline": pipeline, "stage": stage, "choose_type": True}
        return _action_page(request, context, status=422 if request.method == "POST" else 200)
    return _action_form_view(request, pipeline=pipeline, stage=stage, action_type=action_type)


@console_admin_view
@require_http_methods(["GET", "POST"])
def action_edit(request: MemberRequest, pipeline_id: int, action_id: int) -> HttpResponse:
    pipeline = pipeline_or_404(request, pipeline_id)
    action = _action_or_404(request, pipeline, action_id)
    return _action_form_view(
        request, pipeline=pipeline, stage=action.stage, action_type=action.type, action=action
    )


@console_admin_view
@require_POST
def action_remove(request: MemberRequest, pipeline_id: int, action_id: int) -> HttpResponse:
    pipeline = pipeline_or_404(request, pipeline_id)
    action = _action_or_404(request, pipeline, action_id)
    try:
        action_archive(tenant=request.tenant, actor=request.user, action=action)
    except PipelineError as exc:
        messages.error(request, str(exc))
        return pipeline_page(request, pipeline, status=422)
    messages.success(
        request,
        f"“{action.title}” archived. Partners’ history of it is kept; it no longer blocks anyone.",
    )
    return redirect(pipeline_url(pipeline, f"stage-{action.stage_id}"))


@console_admin_view
@require_POST
def action_reorder(request: MemberRequest, pipeline_id: int, action_id: int) -> HttpResponse:
    pipeline = pipeline_or_404(request, pipeline_id)
    action = _action_or_404(request, pipeline, action_id)
    direction = move_direction(request)
    if direction is None:
        return HttpResponseBadRequest("Move up or down.")
    try:
        action_move(tenant=request.tenant, actor=request.user, action=action, direction=direction)
    except PipelineError as exc:
        messages.error(request, str(exc))
        return pipeline_page(request, pipeline, status=422)
    messages.success(request, f"“{action.title}” moved {direction}.")
    return redirect(pipeline_url(pipeline, f"action-{action.pk}"))
