"""The milestone tracks editor's per-milestone endpoints (/console/settings/milestones/<track>/,
program admins): a milestone's details and what completes it, adding and removing milestones,
and its alert rules (edit, add, retire), where a change that makes checkpoints past due asks
first. Each re-renders the track page of views_tracks.py with the bound form and error (422),
or redirects back to the milestone on it."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.forms import Form
from django.http import Http404, HttpResponse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.milestones.forms_tracks import (
    CUSTOM,
    CompletionForm,
    MilestoneAddForm,
    MilestoneForm,
    RuleAddForm,
    RuleForm,
)
from apps.milestones.models import AlertRule, Milestone
from apps.milestones.selectors.tracks_editor import track_detail
from apps.milestones.services import tracks_edit, tracks_milestones, tracks_rules
from apps.milestones.services.setup import MilestoneError
from apps.milestones.views_tracks import _back, _track_or_404, _track_page
from apps.tenancy.access import console_admin_view
from apps.tenancy.http import MemberRequest


def _milestone_or_404(request: MemberRequest, track_id: int, milestone_id: int) -> Milestone:
    milestone = Milestone.objects.filter(
        tenant=request.tenant, track_id=track_id, pk=milestone_id
    ).first()
    if milestone is None:
        raise Http404
    return milestone


def _rule_or_404(request: MemberRequest, track_id: int, rule_id: int) -> AlertRule:
    rule = AlertRule.objects.filter(
        tenant=request.tenant, milestone__track_id=track_id, pk=rule_id
    ).first()
    if rule is None:
        raise Http404
    return rule


@console_admin_view
@require_POST
def milestone_edit_view(request: MemberRequest, track_id: int, milestone_id: int) -> HttpResponse:
    milestone = _milestone_or_404(request, track_id, milestone_id)
    form = MilestoneForm(request.POST, prefix=f"m{milestone.pk}")
    key = ("milestone", milestone.pk)
    if not form.is_valid():
        return _track_page(request, track_id, bound={key: form}, status=422)
    try:
        tracks_edit.milestone_update(
            tenant=request.tenant,
            actor=request.user,
            track_id=track_id,
            milestone_id=milestone.pk,
            **form.cleaned_data,
        )
    except MilestoneError as exc:
        form.add_error(None, str(exc))
        return _track_page(request, track_id, bound={key: form}, status=422)
    messages.success(request, _("“%(name)s” saved.") % {"name": form.cleaned_data["name"]})
    return _back(track_id, f"milestone-{milestone.pk}")


@console_admin_view
@require_POST
def completion_view(request: MemberRequest, track_id: int, milestone_id: int) -> HttpResponse:
    milestone = _milestone_or_404(request, track_id, milestone_id)
    detail = track_detail(tenant=request.tenant, track_id=track_id)
    assert detail is not None
    form = CompletionForm(request.POST, prefix=f"c{milestone.pk}", stages=detail.stages)
    key = ("completion", milestone.pk)
    if not form.is_valid():
        return _track_page(request, track_id, bound={key: form}, status=422)
    try:
        tracks_edit.milestone_completion_update(
            tenant=request.tenant,
            actor=request.user,
            track_id=track_id,
            milestone_id=milestone.pk,
            event_types=form.all_event_types(),
            event_reference=form.cleaned_data["event_reference"],
            stage_id=form.cleaned_data["stage"],
            items=form.item_list(),
            content_categories=form.cleaned_data["content_categories"],
        )
    except MilestoneError as exc:
        form.add_error(None, str(exc))
        return _track_page(request, track_id, bound={key: form}, status=422)
    messages.success(request, _("What completes “%(name)s” saved.") % {"name": milestone.name})
    return _back(track_id, f"milestone-{milestone.pk}")


@console_admin_view
@require_POST
def milestone_remove_view(request: MemberRequest, track_id: int, milestone_id: int) -> HttpResponse:
    milestone = _milestone_or_404(request, track_id, milestone_id)
    try:
        resolved = tracks_milestones.milestone_remove(
            tenant=request.tenant, actor=request.user, track_id=track_id, milestone_id=milestone.pk
        )
    except MilestoneError as exc:
        return _track_page(request, track_id, error=str(exc), status=422)
    messages.success(
        request,
        _("“%(name)s” removed from the track (%(n)d open alerts resolved).")
        % {"name": milestone.name, "n": resolved},
    )
    return _back(track_id)


@console_admin_view
@require_POST
def milestone_add_view(request: MemberRequest, track_id: int) -> HttpResponse:
    track = _track_or_404(request, track_id)
    detail = track_detail(tenant=request.tenant, track_id=track.pk)
    assert detail is not None
    form = MilestoneAddForm(
        request.POST, prefix="add", standard=[(s.key, s.name) for s in detail.missing_standard]
    )
    key = ("add", track.pk)
    if not form.is_valid():
        return _track_page(request, track.pk, bound={key: form}, status=422)
    data = form.cleaned_data
    try:
        if data["source"] == CUSTOM:
            milestone = tracks_milestones.milestone_add_custom(
                tenant=request.tenant,
                actor=request.user,
                track_id=track.pk,
                name=data["name"],
                phase=data["phase"],
                window_from_day=data["window_from_day"],
                window_to_day=data["window_to_day"],
                responsible=data["responsible"],
                completion=data["completion"] or "event",
                event_types=data["event_types"],
            )
        else:
            milestone = tracks_milestones.milestone_add_standard(
                tenant=request.tenant,
                actor=request.user,
                track_id=track.pk,
                key=data["source"].removeprefix("standard:"),
            )
    except MilestoneError as exc:
        form.add_error(None, str(exc))
        return _track_page(request, track.pk, bound={key: form}, status=422)
    messages.success(
        request,
        _("“%(name)s” added: partners on the track have it now, completed where done already.")
        % {"name": milestone.name},
    )
    return _back(track.pk, f"milestone-{milestone.pk}")


def _ask_past_due(
    request: MemberRequest, track_id: int, *, form: Form, count: int, what: str
) -> HttpResponse:
    """The track page asking whether the alerts a change makes due now are raised."""
    return _track_page(
        request,
        track_id,
        confirm=_confirm(request, action=request.path, count=count, what=what, form=form),
    )


def _confirm(
    request: MemberRequest, *, action: str, count: int, what: str, form: Form
) -> dict[str, Any]:
    return {
        "action": action,
        "count": count,
        "what": what,
        "fields": [
            (name, value)
            for name, values in request.POST.lists()
            if name != "csrfmiddlewaretoken" and not name.endswith(("-step", "-apply"))
            for value in values
        ],
        "apply_name": form.add_prefix("apply"),
    }


@console_admin_view
@require_POST
def rule_edit_view(request: MemberRequest, track_id: int, rule_id: int) -> HttpResponse:
    rule = _rule_or_404(request, track_id, rule_id)
    form = RuleForm(request.POST, prefix=f"r{rule.pk}")
    key = ("rule", rule.pk)
    if not form.is_valid():
        return _track_page(request, track_id, bound={key: form}, status=422)
    data = form.cleaned_data
    if form.wants_check:
        count = tracks_rules.rule_update_past_due(
            tenant=request.tenant, track_id=track_id, rule_id=rule.pk, day=data["day"]
        )
        what = _("Moving “%(rule)s” to day %(day)d") % {"rule": rule.label, "day": data["day"]}
        if count:
            return _ask_past_due(request, track_id, form=form, count=count, what=what)
    try:
        tracks_rules.rule_update(
            tenant=request.tenant,
            actor=request.user,
            track_id=track_id,
            rule_id=rule.pk,
            day=data["day"],
            label=data["label"],
            threshold=data["threshold"],
            raise_past=form.raise_past,
        )
    except MilestoneError as exc:
        form.add_error(None, str(exc))
        return _track_page(request, track_id, bound={key: form}, status=422)
    messages.success(request, _("Alert rule saved."))
    return _back(track_id, f"milestone-{rule.milestone_id}")


@console_admin_view
@require_POST
def rule_add_view(request: MemberRequest, track_id: int, milestone_id: int) -> HttpResponse:
    milestone = _milestone_or_404(request, track_id, milestone_id)
    form = RuleAddForm(request.POST, prefix=f"a{milestone.pk}")
    key = ("rule_add", milestone.pk)
    if not form.is_valid():
        return _track_page(request, track_id, bound={key: form}, status=422)
    data = form.cleaned_data
    if form.wants_check:
        count = tracks_rules.rule_add_past_due(
            tenant=request.tenant, track_id=track_id, milestone_id=milestone.pk, day=data["day"]
        )
        what = _("A new rule at day %(day)d on “%(name)s”") % {
            "day": data["day"],
            "name": milestone.name,
        }
        if count:
            return _ask_past_due(request, track_id, form=form, count=count, what=what)
    try:
        tracks_rules.rule_add(
            tenant=request.tenant,
            actor=request.user,
            track_id=track_id,
            milestone_id=milestone.pk,
            day=data["day"],
            label=data["label"],
            condition=data["condition"],
            threshold=data["threshold"],
            event_types=data["event_types"],
            event_reference=data["event_reference"],
            kind=data["kind"],
            raise_past=form.raise_past,
        )
    except MilestoneError as exc:
        form.add_error(None, str(exc))
        return _track_page(request, track_id, bound={key: form}, status=422)
    messages.success(request, _("Alert rule added."))
    return _back(track_id, f"milestone-{milestone.pk}")


@console_admin_view
@require_POST
def rule_retire_view(request: MemberRequest, track_id: int, rule_id: int) -> HttpResponse:
    rule = _rule_or_404(request, track_id, rule_id)
    try:
        tracks_rules.rule_retire(
            tenant=request.tenant, actor=request.user, track_id=track_id, rule_id=rule.pk
        )
    except MilestoneError as exc:
        return _track_page(request, track_id, error=str(exc), status=422)
    messages.success(
        request, _("“%(rule)s” retired: it raises nothing more.") % {"rule": rule.label}
    )
    return _back(track_id, f"milestone-{rule.milestone_id}")
