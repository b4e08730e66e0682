"""The pipeline builder's stages: add, rename, archive and reorder (see views_pipelines.py)."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import redirect
from django.views.decorators.http import require_POST

from apps.onboarding.forms_pipelines import StageForm
from apps.onboarding.services import (
    PipelineError,
    stage_archive,
    stage_create,
    stage_move,
    stage_update,
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


@console_admin_view
@require_POST
def stage_new(request: MemberRequest, pipeline_id: int) -> HttpResponse:
    pipeline = pipeline_or_404(request, pipeline_id)
    form = StageForm(request.POST, auto_id="id_new_stage_%s")
    if not form.is_valid():
        return pipeline_page(request, pipeline, status=422, stage_form=form)
    try:
        stage = stage_create(
            tenant=request.tenant, actor=request.user, pipeline=pipeline, **form.cleaned_data
        )
    except PipelineError as exc:
        messages.error(request, str(exc))
        return pipeline_page(request, pipeline, status=422, stage_form=form)
    messages.success(request, f"Stage “{stage.name}” added. Now give it actions.")
    return redirect(pipeline_url(pipeline, f"stage-{stage.pk}"))


@console_admin_view
@require_POST
def stage_edit(request: MemberRequest, pipeline_id: int, stage_id: int) -> HttpResponse:
    pipeline = pipeline_or_404(request, pipeline_id)
    stage = stage_or_404(request, pipeline, stage_id)
    form = StageForm(request.POST, auto_id=f"id_stage{stage.pk}_%s")
    if not form.is_valid():
        return pipeline_page(request, pipeline, status=422, stage_edit=(stage.pk, form))
    try:
        stage_update(tenant=request.tenant, actor=request.user, stage=stage, **form.cleaned_data)
    except PipelineError as exc:
        messages.error(request, str(exc))
        return pipeline_page(request, pipeline, status=422, stage_edit=(stage.pk, form))
    messages.success(request, f"Stage “{stage.name}” saved.")
    return redirect(pipeline_url(pipeline, f"stage-{stage.pk}"))


@console_admin_view
@require_POST
def stage_remove(request: MemberRequest, pipeline_id: int, stage_id: int) -> HttpResponse:
    pipeline = pipeline_or_404(request, pipeline_id)
    stage = stage_or_404(request, pipeline, stage_id)
    try:
        stage_archive(tenant=request.tenant, actor=request.user, stage=stage)
    except PipelineError as exc:
        messages.error(request, str(exc))
        return pipeline_page(request, pipeline, status=422)
    messages.success(
        request,
        f"Stage “{stage.name}” archived. Its history is kept, and partners in it move on.",
    )
    return redirect(pipeline_url(pipeline))


@console_admin_view
@require_POST
def stage_reorder(request: MemberRequest, pipeline_id: int, stage_id: int) -> HttpResponse:
    pipeline = pipeline_or_404(request, pipeline_id)
    stage = stage_or_404(request, pipeline, stage_id)
    direction = move_direction(request)
    if direction is None:
        return HttpResponseBadRequest("Move up or down.")
    try:
        stage_move(tenant=request.tenant, actor=request.user, stage=stage, direction=direction)
    except PipelineError as exc:
        messages.error(request, str(exc))
        return pipeline_page(request, pipeline, status=422)
    messages.success(request, f"Stage “{stage.name}” moved {direction}.")
    return redirect(pipeline_url(pipeline, f"stage-{stage.pk}"))
