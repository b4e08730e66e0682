"""The pipeline builder (DOMAIN §4): program admins edit pipelines, stages and actions, live.

Every view: authorise (program admins only) → form → service → redirect with a message; a
form or service error re-renders the page with status 422. Every object is looked up within
the request's tenant, and a stage or action within the pipeline of the URL (404 otherwise).
"""

from django.contrib import messages
from django.db.models import Count, Exists, IntegerField, OuterRef, Prefetch, Subquery, Value
from django.db.models.functions import Coalesce, Lower
from django.http import Http404, HttpResponseBadRequest
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from apps.core.uploads import FILE_TYPES
from apps.onboarding.forms_pipelines import (
    ActionForm,
    EnrollForm,
    PipelineForm,
    PipelineTypesForm,
    StageForm,
    field_formset,
    field_formset_with_more_rows,
    raw_values,
)
from apps.onboarding.models import (
    APPROVABLE_TYPES,
    Action,
    ActionProgress,
    ActionStatus,
    ActionType,
    Enrollment,
    EnrollmentStatus,
    Pipeline,
    PipelineAssignment,
    Stage,
    StageProgress,
    StageStatus,
)
from apps.onboarding.selectors import pipelines_for
from apps.onboarding.services import (
    OnboardingError,
    PipelineError,
    action_archive,
    action_create,
    action_move,
    action_update,
    partner_enroll,
    pipeline_assign_types,
    pipeline_create,
    pipeline_update,
    stage_archive,
    stage_create,
    stage_move,
    stage_update,
)
from apps.partners.models import PartnerAccount, PartnerStatus
from apps.partners.selectors import partner_types_for
from apps.tenancy.access import console_admin_view

ENROLL_CHOICES = 200
DIRECTIONS = ("up", "down")

# What each action type asks of the partner, for the type picker and the page's legend.
ACTION_TYPES = [
    {
        "value": ActionType.VIEW_ASSET,
        "label": ActionType.VIEW_ASSET.label,
        "description": "Open or download a file or link from the Assets library.",
        "completes": "Completes when opened",
    },
    {
        "value": ActionType.READ_ARTICLE,
        "label": ActionType.READ_ARTICLE.label,
        "description": "Read an article from the Help center.",
        "completes": "Completes when read",
    },
    {
        "value": ActionType.PROVIDE_INFORMATION,
        "label": ActionType.PROVIDE_INFORMATION.label,
        "description": "Fill in a form you design: text, dates, choices, checkboxes…",
        "completes": "Completes on submit, approval optional",
    },
    {
        "value": ActionType.UPLOAD_DOCUMENT,
        "label": ActionType.UPLOAD_DOCUMENT.label,
        "description": "Upload one or more files, such as a signed contract or a certificate.",
        "completes": "Completes on upload, approval optional",
    },
]
TYPE_INFO = {t["value"]: t for t in ACTION_TYPES}


# --- Reads of this page ------------------------------------------------------------------


def _count_of(queryset, field: str):
    """A correlated COUNT over `queryset` grouped by `field` = the outer row: no join fan-out."""
    return Coalesce(
        Subquery(
            queryset.filter(**{field: OuterRef("pk")})
            .order_by()
            .values(field)
            .annotate(n=Count("*"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        Value(0),
    )


def _live_stages(tenant):
    return Stage.objects.filter(tenant=tenant, archived_at__isnull=True)


def _live_actions(tenant):
    return Action.objects.filter(
        tenant=tenant, archived_at__isnull=True, stage__archived_at__isnull=True
    )


def _with_counts(queryset, tenant):
    enrollments = Enrollment.objects.filter(tenant=tenant)
    return queryset.annotate(
        stage_count=_count_of(_live_stages(tenant), "pipeline"),
        action_count=_count_of(_live_actions(tenant), "stage__pipeline"),
        in_progress_count=_count_of(
            enrollments.filter(status=EnrollmentStatus.IN_PROGRESS), "pipeline"
        ),
        completed_count=_count_of(
            enrollments.filter(status=EnrollmentStatus.COMPLETED), "pipeline"
        ),
        archived_stage_count=_count_of(
            Stage.objects.filter(tenant=tenant, archived_at__isnull=False), "pipeline"
        ),
    )


def _assignments(tenant):
    return (
        PipelineAssignment.objects.filter(tenant=tenant)
        .select_related("partner_type")
        .order_by("partner_type__position", "partner_type__name")
    )


def _pipeline_rows(tenant) -> list[Pipeline]:
    """The list page: each live pipeline with its counts and partner types (two queries)."""
    return list(
        _with_counts(pipelines_for(tenant=tenant), tenant).prefetch_related(
            Prefetch("assignments", queryset=_assignments(tenant), to_attr="type_rows")
        )
    )


def _types_without_pipeline(tenant):
    assigned = PipelineAssignment.objects.filter(
        tenant=tenant, partner_type=OuterRef("pk"), pipeline__archived_at__isnull=True
    )
    return list(partner_types_for(tenant=tenant).filter(~Exists(assigned)))


def _stages_with_actions(tenant, pipeline: Pipeline) -> list[Stage]:
    """Live stages in order, each with `live_actions` (content joined) and its counts."""
    actions = (
        Action.objects.filter(tenant=tenant, archived_at__isnull=True)
        .select_related("asset", "article")
        .defer(
            "article__body_markdown",
            "article__body_html",
            "article__body_text",
            "article__search_vector",
        )
        .order_by("position", "id")
    )
    stages = list(
        _live_stages(tenant)
        .filter(pipeline=pipeline)
        .annotate(
            archived_action_count=_count_of(
                Action.objects.filter(tenant=tenant, archived_at__isnull=False), "stage"
            ),
            partners_here=_count_of(
                Enrollment.objects.filter(tenant=tenant, status=EnrollmentStatus.IN_PROGRESS),
                "current_stage",
            ),
        )
        .prefetch_related(Prefetch("actions", queryset=actions, to_attr="live_actions"))
        .order_by("position", "id")
    )
    for stage in stages:
        for action in stage.live_actions:
            action.summary = _summary(action)
    return stages


def _not_enrolled_accounts(tenant):
    enrolled = Enrollment.objects.filter(tenant=tenant, partner_account=OuterRef("pk"))
    return PartnerAccount.objects.filter(tenant=tenant, status=PartnerStatus.ACTIVE).filter(
        ~Exists(enrolled)
    )


def _enroll_candidates(tenant, q: str) -> list[PartnerAccount]:
    rows = _not_enrolled_accounts(tenant)
    if q:
        rows = rows.filter(name__icontains=q)
    return list(
        rows.select_related("partner_type").order_by(Lower("name"), "id")[: ENROLL_CHOICES + 1]
    )


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


# --- Look-ups, scoped ----------------------------------------------------------------------


def _pipeline(request, pipeline_id: int, *, counts: bool = False) -> Pipeline:
    rows = pipelines_for(tenant=request.tenant).filter(pk=pipeline_id)
    if counts:
        rows = _with_counts(rows, request.tenant)
    pipeline = rows.first()
    if pipeline is None:
        raise Http404
    return pipeline


def _stage(request, pipeline: Pipeline, stage_id: int) -> Stage:
    stage = _live_stages(request.tenant).filter(pipeline=pipeline, pk=stage_id).first()
    if stage is None:
        raise Http404
    return stage


def _action(request, pipeline: Pipeline, action_id: int) -> Action:
    action = (
        _live_actions(request.tenant)
        .filter(stage__pipeline=pipeline, pk=action_id)
        .select_related("stage")
        .first()
    )
    if action is None:
        raise Http404
    return action


def _pipeline_url(pipeline: Pipeline, anchor: str = "") -> str:
    url = reverse("pipelines:detail", args=[pipeline.pk])
    return f"{url}#{anchor}" if anchor else url


def _direction(request) -> str | None:
    direction = request.POST.get("direction", "")
    return direction if direction in DIRECTIONS else None


# --- List and create -----------------------------------------------------------------------


def _list_page(request, form: PipelineForm, status: int = 200):
    tenant = request.tenant
    context = {
        "nav": "pipelines",
        "pipelines": _pipeline_rows(tenant),
        "unassigned_types": _types_without_pipeline(tenant),
        "form": form,
    }
    return render(request, "onboarding/pipelines/list.html", context, status=status)


@console_admin_view
def pipeline_list(request):
    return _list_page(request, PipelineForm())


@console_admin_view
@require_POST
def pipeline_new(request):
    form = PipelineForm(request.POST)
    if not form.is_valid():
        return _list_page(request, form, status=422)
    try:
        pipeline = pipeline_create(tenant=request.tenant, actor=request.user, **form.cleaned_data)
    except PipelineError as exc:
        messages.error(request, str(exc))
        return _list_page(request, form, status=422)
    messages.success(request, f"“{pipeline.name}” is created. Add its first stage.")
    return redirect(_pipeline_url(pipeline))


# --- The pipeline page ---------------------------------------------------------------------


def _detail_page(
    request,
    pipeline: Pipeline,
    *,
    status: int = 200,
    details_form: PipelineForm | None = None,
    stage_form: StageForm | None = None,
    stage_edit: tuple[int, StageForm] | None = None,
    enroll_error: str = "",
    partial: str = "",
):
    tenant = request.tenant
    if not hasattr(pipeline, "stage_count"):
        pipeline = _pipeline(request, pipeline.pk, counts=True)
    stages = _stages_with_actions(tenant, pipeline)
    for stage in stages:
        if stage_edit and stage_edit[0] == stage.pk:
            stage.edit_form, stage.edit_open = stage_edit[1], True
        else:
            stage.edit_form = StageForm(
                initial={"name": stage.name, "description": stage.description},
                auto_id=f"id_stage{stage.pk}_%s",
            )
            stage.edit_open = False
    owners = {a.partner_type_id: a for a in _assignments(tenant).select_related("pipeline")}
    type_rows = []
    for partner_type in partner_types_for(tenant=tenant):
        owner = owners.get(partner_type.pk)
        type_rows.append(
            {
                "type": partner_type,
                "checked": owner is not None and owner.pipeline_id == pipeline.pk,
                "elsewhere": owner.pipeline
                if owner is not None and owner.pipeline_id != pipeline.pk
                else None,
            }
        )
    q = request.GET.get("q", "").strip()[:100]
    candidates = _enroll_candidates(tenant, q)
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


@console_admin_view
def pipeline_detail(request, pipeline_id: int):
    pipeline = _pipeline(request, pipeline_id, counts=True)
    # The enroll card's search box refreshes only its card when htmx is there.
    partial = "enroll" if request.htmx and request.htmx.target == "enroll-choices" else ""
    return _detail_page(request, pipeline, partial=partial)


@console_admin_view
@require_POST
def pipeline_edit(request, pipeline_id: int):
    pipeline = _pipeline(request, pipeline_id)
    form = PipelineForm(request.POST, auto_id="id_pipeline_%s")
    if not form.is_valid():
        return _detail_page(request, pipeline, status=422, details_form=form)
    try:
        pipeline_update(
            tenant=request.tenant, actor=request.user, pipeline=pipeline, **form.cleaned_data
        )
    except PipelineError as exc:
        messages.error(request, str(exc))
        return _detail_page(request, pipeline, status=422, details_form=form)
    messages.success(request, "Pipeline details saved.")
    return redirect(_pipeline_url(pipeline))


@console_admin_view
@require_POST
def pipeline_types(request, pipeline_id: int):
    pipeline = _pipeline(request, pipeline_id)
    form = PipelineTypesForm(request.POST, partner_types=partner_types_for(tenant=request.tenant))
    if not form.is_valid():
        messages.error(request, "Choose partner types from the list.")
        return _detail_page(request, pipeline, status=422)
    chosen = list(form.cleaned_data["partner_types"])
    try:
        pipeline_assign_types(
            tenant=request.tenant, actor=request.user, pipeline=pipeline, partner_types=chosen
        )
    except PipelineError as exc:
        messages.error(request, str(exc))
        return _detail_page(request, pipeline, status=422)
    if chosen:
        names = ", ".join(t.name for t in chosen)
        messages.success(request, f"New partners of these types start “{pipeline.name}”: {names}.")
    else:
        messages.success(request, f"“{pipeline.name}” is no longer the default for any type.")
    return redirect(_pipeline_url(pipeline, "partner-types"))


@console_admin_view
@require_POST
def pipeline_enroll(request, pipeline_id: int):
    pipeline = _pipeline(request, pipeline_id)
    form = EnrollForm(request.POST, accounts=_not_enrolled_accounts(request.tenant))
    if not form.is_valid():
        error = form.errors["account"][0]
        messages.error(request, error)
        return _detail_page(request, pipeline, status=422, enroll_error=error)
    account = form.cleaned_data["account"]
    try:
        enrollment = partner_enroll(
            tenant=request.tenant, actor=request.user, account=account, pipeline=pipeline
        )
    except OnboardingError as exc:
        messages.error(request, str(exc))
        return _detail_page(request, pipeline, status=422, enroll_error=str(exc))
    where = (
        f"at “{enrollment.current_stage.name}”"
        if enrollment and enrollment.current_stage
        else "(the pipeline has no stages, so onboarding is complete)"
    )
    messages.success(request, f"{account.name} is enrolled in “{pipeline.name}” {where}.")
    return redirect(_pipeline_url(pipeline, "enroll-card"))


# --- Stages --------------------------------------------------------------------------------


@console_admin_view
@require_POST
def stage_new(request, pipeline_id: int):
    pipeline = _pipeline(request, pipeline_id)
    form = StageForm(request.POST, auto_id="id_new_stage_%s")
    if not form.is_valid():
        return _detail_page(request, pipeline, status=422, stage_form=form)
    try:
        stage = stage_create(
            tenant=request.tenant, actor=request.user, pipeline=pipeline, **form.cleaned_data
        )
    except PipelineError as exc:
        messages.error(request, str(exc))
        return _detail_page(request, pipeline, status=422, stage_form=form)
    messages.success(request, f"Stage “{stage.name}” added. Now give it actions.")
    return redirect(_pipeline_url(pipeline, f"stage-{stage.pk}"))


@console_admin_view
@require_POST
def stage_edit(request, pipeline_id: int, stage_id: int):
    pipeline = _pipeline(request, pipeline_id)
    stage = _stage(request, pipeline, stage_id)
    form = StageForm(request.POST, auto_id=f"id_stage{stage.pk}_%s")
    if not form.is_valid():
        return _detail_page(request, pipeline, status=422, stage_edit=(stage.pk, form))
    try:
        stage_update(tenant=request.tenant, actor=request.user, stage=stage, **form.cleaned_data)
    except PipelineError as exc:
        messages.error(request, str(exc))
        return _detail_page(request, pipeline, status=422, stage_edit=(stage.pk, form))
    messages.success(request, f"Stage “{stage.name}” saved.")
    return redirect(_pipeline_url(pipeline, f"stage-{stage.pk}"))


@console_admin_view
@require_POST
def stage_remove(request, pipeline_id: int, stage_id: int):
    pipeline = _pipeline(request, pipeline_id)
    stage = _stage(request, pipeline, stage_id)
    try:
        stage_archive(tenant=request.tenant, actor=request.user, stage=stage)
    except PipelineError as exc:
        messages.error(request, str(exc))
        return _detail_page(request, pipeline, status=422)
    messages.success(
        request,
        f"Stage “{stage.name}” archived. Its history is kept, and partners in it move on.",
    )
    return redirect(_pipeline_url(pipeline))


@console_admin_view
@require_POST
def stage_reorder(request, pipeline_id: int, stage_id: int):
    pipeline = _pipeline(request, pipeline_id)
    stage = _stage(request, pipeline, stage_id)
    direction = _direction(request)
    if direction is None:
        return HttpResponseBadRequest("Move up or down.")
    try:
        stage_move(tenant=request.tenant, actor=request.user, stage=stage, direction=direction)
    except PipelineError as exc:
        messages.error(request, str(exc))
        return _detail_page(request, pipeline, status=422)
    messages.success(request, f"Stage “{stage.name}” moved {direction}.")
    return redirect(_pipeline_url(pipeline, f"stage-{stage.pk}"))


# --- Actions -------------------------------------------------------------------------------


def _action_page(request, context: dict, status: int = 200, partial: str = ""):
    context = {"nav": "pipelines", "action_types": ACTION_TYPES, **context}
    template = "onboarding/pipelines/action_form.html"
    if partial:
        template += f"#{partial}"
    response = render(request, template, context, status=status)
    response["Vary"] = "HX-Request"
    return response


def _who_it_affects(tenant, stage: Stage, action: Action | None) -> dict:
    """For the action page's side panel: partners a new action reaches, or an action's
    statuses across partners."""
    if action is None:
        reach = StageProgress.objects.filter(
            tenant=tenant,
            stage=stage,
            status__in=[StageStatus.PENDING, StageStatus.CURRENT],
            enrollment__status=EnrollmentStatus.IN_PROGRESS,
        ).count()
        return {"reach": reach}
    counts = dict(
        ActionProgress.objects.filter(tenant=tenant, action=action)
        .order_by()
        .values_list("status")
        .annotate(n=Count("id"))
    )
    return {
        "status_counts": [(label, counts.get(value, 0)) for value, label in ActionStatus.choices]
    }


def _action_form_view(request, *, pipeline: Pipeline, stage: Stage, action_type: str, action=None):
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
        "stages": list(
            _live_stages(tenant).filter(pipeline=pipeline).order_by("position", "id").only("name")
        ),
        **_who_it_affects(tenant, stage, action),
    }
    if request.method == "GET":
        context["form"] = ActionForm(tenant=tenant, action_type=action_type, action=action)
        if designer:
            fields = action.form_fields if action else []
            context["formset"] = field_formset(form_fields=fields, extra=2 if fields else 3)
        return _action_page(request, context)

    form = ActionForm(request.POST, tenant=tenant, action_type=action_type, action=action)
    formset = field_formset(request.POST) if designer else None
    if designer and "more" in request.POST:
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
    return redirect(_pipeline_url(pipeline, f"action-{action.pk}"))


@console_admin_view
@require_http_methods(["GET", "POST"])
def action_new(request, pipeline_id: int, stage_id: int):
    pipeline = _pipeline(request, pipeline_id)
    stage = _stage(request, pipeline, stage_id)
    action_type = request.POST.get("type") or request.GET.get("type", "")
    if action_type not in ActionType.values:
        if request.method == "POST":
            messages.error(request, "Choose what the partner has to do.")
        context = {"pipeline": pipeline, "stage": stage, "choose_type": True}
        return _action_page(request, context, status=422 if request.method == "POST" else 200)
    return _action_form_view(request, pipeline=pipeline, stage=stage, action_type=action_type)


@console_admin_view
@require_http_methods(["GET", "POST"])
def action_edit(request, pipeline_id: int, action_id: int):
    pipeline = _pipeline(request, pipeline_id)
    action = _action(request, pipeline, action_id)
    return _action_form_view(
        request, pipeline=pipeline, stage=action.stage, action_type=action.type, action=action
    )


@console_admin_view
@require_POST
def action_remove(request, pipeline_id: int, action_id: int):
    pipeline = _pipeline(request, pipeline_id)
    action = _action(request, pipeline, action_id)
    try:
        action_archive(tenant=request.tenant, actor=request.user, action=action)
    except PipelineError as exc:
        messages.error(request, str(exc))
        return _detail_page(request, pipeline, status=422)
    messages.success(
        request,
        f"“{action.title}” archived. Partners’ history of it is kept; it no longer blocks anyone.",
    )
    return redirect(_pipeline_url(pipeline, f"stage-{action.stage_id}"))


@console_admin_view
@require_POST
def action_reorder(request, pipeline_id: int, action_id: int):
    pipeline = _pipeline(request, pipeline_id)
    action = _action(request, pipeline, action_id)
    direction = _direction(request)
    if direction is None:
        return HttpResponseBadRequest("Move up or down.")
    try:
        action_move(tenant=request.tenant, actor=request.user, action=action, direction=direction)
    except PipelineError as exc:
        messages.error(request, str(exc))
        return _detail_page(request, pipeline, status=422)
    messages.success(request, f"“{action.title}” moved {direction}.")
    return redirect(_pipeline_url(pipeline, f"action-{action.pk}"))
