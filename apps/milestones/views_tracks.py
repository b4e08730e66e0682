"""The milestone tracks editor (/console/settings/milestones/, program admins): one card per
track, "Start tracking" for an untracked partner type, and a page per track to edit its
settings and activation set and to stop tracking; the per-track page's milestone, completion
and alert-rule endpoints are in views_tracks_milestones.py and render the page built here.
Thin views: authorise → form → service → redirect, or the page again with the error (422)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.forms import Form
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.milestones.forms_tracks import (
    ActivationForm,
    CompletionForm,
    MilestoneAddForm,
    MilestoneForm,
    RuleAddForm,
    RuleForm,
    StartTrackingForm,
    TrackSettingsForm,
)
from apps.milestones.models import Milestone, Track
from apps.milestones.selectors.tracks_editor import (
    TrackDetail,
    track_detail,
    tracks_overview,
)
from apps.milestones.services import tracks_edit, tracks_rules, tracks_start
from apps.milestones.services.setup import MilestoneError
from apps.partners.models import PartnerType
from apps.tenancy.access import console_admin_view
from apps.tenancy.http import MemberRequest

Bound = dict[tuple[str, int], Form]


# --- Overview --------------------------------------------------------------------------------


def _overview(
    request: MemberRequest, *, error: str = "", bound_type: int | None = None, status: int = 200
) -> HttpResponse:
    overview = tracks_overview(tenant=request.tenant)
    for row in overview.untracked:
        row.form = StartTrackingForm(  # type: ignore[attr-defined]
            initial={"source": row.source},
            sources=overview.sources,
            prefix=f"t{row.partner_type.pk}",
        )
        row.error = error if bound_type == row.partner_type.pk else ""  # type: ignore[attr-defined]
    return render(
        request,
        "milestones/tracks.html",
        {
            "nav": "settings",
            "settings_tab": "milestones",
            "overview": overview,
            "error": error if bound_type is None else "",
        },
        status=status,
    )


@console_admin_view
def tracks_view(request: MemberRequest) -> HttpResponse:
    return _overview(request)


@console_admin_view
@require_POST
def track_start_view(request: MemberRequest, type_id: int) -> HttpResponse:
    partner_type = PartnerType.objects.filter(tenant=request.tenant, pk=type_id).first()
    if partner_type is None:
        raise Http404
    overview = tracks_overview(tenant=request.tenant)
    form = StartTrackingForm(request.POST, sources=overview.sources, prefix=f"t{type_id}")
    if not form.is_valid():
        return _overview(
            request, error=_("Choose the track to copy."), bound_type=type_id, status=422
        )
    try:
        track = tracks_start.track_start(
            tenant=request.tenant,
            actor=request.user,
            partner_type_id=type_id,
            source=form.cleaned_data["source"],
        )
    except MilestoneError as exc:
        return _overview(request, error=str(exc), bound_type=type_id, status=422)
    messages.success(
        request,
        _("%(type)s partners are tracked now: adjust their track below.")
        % {"type": partner_type.name},
    )
    return redirect("milestones_settings:track", track_id=track.pk)


# --- One track -------------------------------------------------------------------------------


def _track_or_404(request: MemberRequest, track_id: int) -> Track:
    track = Track.objects.filter(tenant=request.tenant, pk=track_id).first()
    if track is None:
        raise Http404
    return track


def _attach_forms(detail: TrackDetail, bound: Bound) -> dict[str, Any]:
    stages = detail.stages
    for m in detail.milestones:
        m.edit_form = bound.get(("milestone", m.pk)) or MilestoneForm(  # type: ignore[attr-defined]
            prefix=f"m{m.pk}",
            initial={
                "name": m.name,
                "phase": m.phase,
                "window_from_day": m.window_from_day,
                "window_to_day": m.window_to_day,
                "responsible": m.responsible,
            },
        )
        m.completion_form = bound.get(("completion", m.pk)) or CompletionForm(  # type: ignore[attr-defined]
            prefix=f"c{m.pk}",
            stages=stages,
            initial={
                "event_types": [t for t in m.event_types if t in _declared()],
                "extra_event_types": ", ".join(t for t in m.event_types if t not in _declared()),
                "event_reference": m.event_reference,
                "stage": m.stage_id,
                "items": "\n".join(m.items),
                "content_categories": m.content_categories,
            },
        )
        m.rule_add_form = bound.get(("rule_add", m.pk)) or RuleAddForm(prefix=f"a{m.pk}")  # type: ignore[attr-defined]
        m.open_forms = any(key[1] == m.pk for key in bound if key[0] != "rule")  # type: ignore[attr-defined]
        for rule in m.rules.all():
            rule.edit_form = bound.get(("rule", rule.pk)) or RuleForm(  # type: ignore[attr-defined]
                prefix=f"r{rule.pk}",
                initial={"day": rule.day, "label": rule.label, "threshold": rule.threshold},
            )
            rule.summary = tracks_rules.rule_label(rule)  # type: ignore[attr-defined]
            rule.open_form = ("rule", rule.pk) in bound  # type: ignore[attr-defined]
    track = detail.track
    return {
        "settings_form": bound.get(("settings", track.pk))
        or TrackSettingsForm(
            prefix="s",
            initial={
                "activation_window_days": track.activation_window_days,
                "priority_sequence": "\n".join(track.priority_sequence),
                "critical_first_milestone": track.critical_first_milestone,
            },
        ),
        "activation_form": bound.get(("activation", track.pk))
        or ActivationForm(
            prefix="act",
            milestones=detail.milestones,
            initial={"milestones": [m.pk for m in track.activation]},
        ),
        "add_form": bound.get(("add", track.pk))
        or MilestoneAddForm(
            prefix="add", standard=[(s.key, s.name) for s in detail.missing_standard]
        ),
    }


def _declared() -> set[str]:
    from apps.partners.verbs import EVENT_TYPES

    return {v.name for v in EVENT_TYPES}


def _track_page(
    request: MemberRequest,
    track_id: int,
    *,
    bound: Bound | None = None,
    error: str = "",
    confirm: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    detail = track_detail(tenant=request.tenant, track_id=track_id)
    if detail is None:
        raise Http404
    forms = _attach_forms(detail, bound or {})
    return render(
        request,
        "milestones/tracks_detail.html",
        {
            "nav": "settings",
            "settings_tab": "milestones",
            "detail": detail,
            "track": detail.track,
            "error": error,
            "confirm": confirm,
            **forms,
        },
        status=status,
    )


def _back(track_id: int, anchor: str = "") -> HttpResponse:
    url = reverse("milestones_settings:track", kwargs={"track_id": track_id})
    return redirect(f"{url}#{anchor}" if anchor else url)


@console_admin_view
def track_view(request: MemberRequest, track_id: int) -> HttpResponse:
    return _track_page(request, track_id)


@console_admin_view
@require_POST
def track_settings_view(request: MemberRequest, track_id: int) -> HttpResponse:
    track = _track_or_404(request, track_id)
    form = TrackSettingsForm(request.POST, prefix="s")
    key = ("settings", track.pk)
    if not form.is_valid():
        return _track_page(request, track.pk, bound={key: form}, status=422)
    try:
        tracks_edit.track_settings_update(
            tenant=request.tenant, actor=request.user, track_id=track.pk, **form.cleaned_data
        )
    except MilestoneError as exc:
        form.add_error(None, str(exc))
        return _track_page(request, track.pk, bound={key: form}, status=422)
    messages.success(request, _("Track settings saved."))
    return _back(track.pk, "settings")


@console_admin_view
@require_POST
def activation_view(request: MemberRequest, track_id: int) -> HttpResponse:
    track = _track_or_404(request, track_id)
    milestones = list(Milestone.objects.filter(tenant=request.tenant, track=track))
    form = ActivationForm(request.POST, prefix="act", milestones=milestones)
    key = ("activation", track.pk)
    if not form.is_valid():
        return _track_page(request, track.pk, bound={key: form}, status=422)
    try:
        tracks_edit.track_activation_set(
            tenant=request.tenant,
            actor=request.user,
            track_id=track.pk,
            milestone_ids=form.cleaned_data["milestones"],
        )
    except MilestoneError as exc:
        form.add_error(None, str(exc))
        return _track_page(request, track.pk, bound={key: form}, status=422)
    messages.success(request, _("Activation set saved."))
    return _back(track.pk, "activation")


@console_admin_view
@require_POST
def track_stop_view(request: MemberRequest, track_id: int) -> HttpResponse:
    track = _track_or_404(request, track_id)
    try:
        partner_type = tracks_start.track_stop(
            tenant=request.tenant, actor=request.user, track_id=track.pk
        )
    except MilestoneError as exc:
        return _track_page(request, track.pk, error=str(exc), status=422)
    messages.success(
        request, _("%(type)s partners are not tracked any more.") % {"type": partner_type.name}
    )
    return redirect("milestones_settings:tracks")
