"""Nudges' pages: a pipeline's reminder settings (program admins) and the one-click opt-out
link of the reminder emails (no sign-in: the signed token names the program and the user).

The opt-out page asks before it changes anything (GET shows a button, POST does it), since
mail scanners open the links of every email they check.
"""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.notifications.preferences import (
    OPT_OUT_TTL,
    OptOutLinkExpired,
    OptOutLinkInvalid,
    opt_out_token_read,
    reminders_opt_out_at,
)
from apps.onboarding.forms_nudges import RemindersForm
from apps.onboarding.models import Pipeline
from apps.onboarding.services.errors import OnboardingError
from apps.onboarding.services.nudges_settings import nudge_preference_set, pipeline_reminders_update
from apps.tenancy.access import console_admin_view, public_view
from apps.tenancy.http import MemberRequest, TenantRequest


def _pipeline_or_404(request: MemberRequest, pipeline_id: int) -> Pipeline:
    pipeline = Pipeline.objects.filter(tenant=request.tenant, pk=pipeline_id).first()
    if pipeline is None:
        raise Http404
    return pipeline


def _settings_page(
    request: MemberRequest, pipeline: Pipeline, form: RemindersForm, status: int = 200
) -> HttpResponse:
    context = {
        "nav": "pipelines",
        "pipeline": pipeline,
        "form": form,
        "reminder_key": "notifications.onboarding_reminder",
        "welcome_key": "notifications.onboarding_welcome",
    }
    return render(request, "onboarding/nudges/settings.html", context, status=status)


@console_admin_view
def pipeline_reminders(request: MemberRequest, pipeline_id: int) -> HttpResponse:
    pipeline = _pipeline_or_404(request, pipeline_id)
    if request.method != "POST":
        initial = RemindersForm.initial_for(
            reminder_days=list(pipeline.reminder_days), welcome_email=pipeline.welcome_email
        )
        return _settings_page(request, pipeline, RemindersForm(initial=initial))
    form = RemindersForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, pipeline, form, status=422)
    try:
        pipeline_reminders_update(
            tenant=request.tenant,
            actor=request.user,
            pipeline_id=pipeline.pk,
            reminder_days=form.cleaned_data["reminder_days"],
            welcome_email=form.cleaned_data["welcome_email"],
        )
    except OnboardingError as exc:
        form.add_error("reminder_days", str(exc))
        return _settings_page(request, pipeline, form, status=422)
    messages.success(request, _("Reminder settings saved."))
    return redirect(reverse("nudges:settings", args=[pipeline.pk]))


@public_view
def reminders_opt_out(request: TenantRequest, token: str) -> HttpResponse:
    """GET: what the link would do, with a button; POST: do it (`receive` 0 or 1)."""
    tenant = request.tenant
    assert tenant is not None  # public_view refuses requests without a program
    try:
        link = opt_out_token_read(token=token, tenant_id=tenant.pk)
    except OptOutLinkExpired:
        return render(
            request,
            "onboarding/nudges/opt_out.html",
            {"state": "expired", "valid_days": OPT_OUT_TTL.days},
            status=410,
        )
    except OptOutLinkInvalid:
        return render(request, "onboarding/nudges/opt_out.html", {"state": "invalid"}, status=404)
    user = get_user_model().objects.filter(pk=link.user_id).first()
    if user is None:
        return render(request, "onboarding/nudges/opt_out.html", {"state": "invalid"}, status=404)
    changed = False
    if request.method == "POST":
        receive = request.POST.get("receive") == "1"
        changed = nudge_preference_set(tenant=tenant, user=user, receive=receive)
    opted_out = reminders_opt_out_at(tenant=tenant, user_id=user.pk) is not None
    context = {
        "state": "off" if opted_out else "on",
        "done": request.method == "POST",
        "changed": changed,
        "email": user.email,
        "token": token,
    }
    return render(request, "onboarding/nudges/opt_out.html", context)
