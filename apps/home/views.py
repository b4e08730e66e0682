from __future__ import annotations

from typing import TYPE_CHECKING

from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from apps.accounts.selectors import home_url_for
from apps.analytics.selectors_dashboard import cam_dashboard, program_activation
from apps.home.selectors import console_my_partners, console_recent_activity, console_summary
from apps.milestones.selectors.home import cam_milestone_overview
from apps.notifications.selectors import notifications_for
from apps.onboarding.selectors import (
    enrollment_counts,
    enrollment_for_partner,
    partner_todo,
)
from apps.onboarding.selectors_progress import stage_entered_at, stage_usual_duration
from apps.onboarding.views_portal import journey_live_context, live_poll_args, portal_action_urls
from apps.partners.selectors import partner_account_of_membership, partner_users_of
from apps.tenancy.access import console_view, portal_view, public_view
from apps.tenancy.models import Role

if TYPE_CHECKING:
    from apps.onboarding.models import Enrollment
    from apps.tenancy.http import MemberRequest


@public_view
def root(request):
    if request.membership is not None:
        return redirect(home_url_for(membership=request.membership))
    return redirect("account_login")


@console_view
def console_home(request: MemberRequest) -> HttpResponse:
    tenant, user = request.tenant, request.user
    now = timezone.now()
    milestones = cam_milestone_overview(tenant=tenant, user=user, now=now)
    is_admin = request.membership.role == Role.PROGRAM_ADMIN
    return render(
        request,
        "home/console_home.html",
        {
            "nav": "home",
            "dashboard": cam_dashboard(
                tenant=tenant,
                user=user,
                membership=request.membership,
                now=now,
                milestones=milestones,
            ),
            "activation": program_activation(tenant=tenant, now=now) if is_admin else None,
            "summary": console_summary(tenant=tenant, user=user),
            "activity": console_recent_activity(tenant=tenant),
            "my_partners": console_my_partners(tenant=tenant, user=user),
            "milestones": milestones,
        },
    )


@portal_view
def portal_home(request):
    account = partner_account_of_membership(membership=request.membership)
    team = list(partner_users_of(tenant=request.tenant, account=account)) if account else []
    recent = list(notifications_for(tenant=request.tenant, recipient=request.user)[:5])
    enrollment = (
        enrollment_for_partner(tenant=request.tenant, partner_account_id=account.pk)
        if account
        else None
    )
    onboarding = {}
    if enrollment is not None:
        todo = partner_todo(tenant=request.tenant, enrollment=enrollment)
        portal_action_urls(todo)
        poll = live_poll_args(request)
        onboarding = {
            "counts": enrollment_counts(tenant=request.tenant, enrollment=enrollment),
            "todo": todo,
            # The first action the partner can do now (not one waiting for approval).
            "next_action": next(
                (row for row in todo if row.is_action_required or row.status == "pending"),
                None,
            ),
            "stage_pace": _stage_pace(request, enrollment),
            # While the worker's stage move is pending, the onboarding card asks again.
            **journey_live_context(
                request,
                enrollment,
                url=reverse("portal:home"),
                attempt=poll[1] if poll else 1,
            ),
        }
    return render(
        request,
        "home/portal_home.html",
        {
            "nav": "home",
            "partner_account": account,
            "team": team,
            "recent_notifications": recent,
            "enrollment": enrollment,
            **onboarding,
        },
    )


def _stage_pace(request: MemberRequest, enrollment: Enrollment) -> str:
    """ "Most partners finish this stage in 6 days; you started it 2 days ago." (empty when
    the partner is in no stage, or too few partners finished it to say)."""
    if enrollment.status != "in_progress" or enrollment.current_stage_id is None:
        return ""
    usual = stage_usual_duration(tenant=request.tenant, stage_id=enrollment.current_stage_id)
    if usual is None:
        return ""
    usual_days = max(1, round(usual.total_seconds() / 86400))
    entered = stage_entered_at(tenant=request.tenant, enrollment=enrollment)
    usual_text = ngettext(
        "Most partners finish this stage in %(days)d day;",
        "Most partners finish this stage in %(days)d days;",
        usual_days,
    ) % {"days": usual_days}
    since = (timezone.now() - entered).days if entered else 0
    if since < 1:
        return _("%(usual)s you started it today.") % {"usual": usual_text}
    started = ngettext(
        "you started it %(days)d day ago.", "you started it %(days)d days ago.", since
    ) % {"days": since}
    return f"{usual_text} {started}"
