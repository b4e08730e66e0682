"""The Onboarding tab's "Move to another pipeline" (DOMAIN §4, issue 11): any staff member who
may edit the partner moves it to another live pipeline. The current enrollment is kept,
read-only, under "Previous pipelines"; `partner_reenroll` locks, refuses and audits."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.onboarding.services import InvalidTransition, OnboardingError, partner_reenroll
from apps.partners.access import PartnerRequest, console_partner_view


@console_partner_view
@require_POST
def onboarding_reenroll(request: PartnerRequest, partner_id: int) -> HttpResponse:
    account = request.partner_account
    tab = reverse("onboarding_console:tab", args=[account.pk])
    raw = request.POST.get("pipeline", "")
    if not raw.isdigit() or len(raw) > 9:
        messages.error(request, _("Choose the pipeline to move the partner to."))
        return redirect(tab)
    try:
        enrollment = partner_reenroll(
            tenant=request.tenant, actor=request.user, account_id=account.pk, pipeline_id=int(raw)
        )
    except (OnboardingError, InvalidTransition) as exc:
        messages.error(request, str(exc))
        return redirect(tab)
    if enrollment.current_stage is not None:
        done = _("%(partner)s now onboards in “%(pipeline)s”, at “%(stage)s”.") % {
            "partner": account.name,
            "pipeline": enrollment.pipeline.name,
            "stage": enrollment.current_stage.name,
        }
    else:
        done = _("%(partner)s moved to “%(pipeline)s” (it has no stages: completed).") % {
            "partner": account.name,
            "pipeline": enrollment.pipeline.name,
        }
    messages.success(
        request,
        done + " " + _("The previous pipeline’s progress is kept under Previous pipelines."),
    )
    return redirect(tab)
