from django.shortcuts import redirect, render

from apps.accounts.selectors import home_url_for
from apps.home.selectors import console_my_partners, console_recent_activity, console_summary
from apps.milestones.selectors.home import cam_milestone_overview
from apps.notifications.selectors import notifications_for
from apps.onboarding.selectors import enrollment_counts, enrollment_for_partner, partner_todo
from apps.partners.selectors import partner_account_of_membership, partner_users_of
from apps.tenancy.access import console_view, portal_view, public_view


@public_view
def root(request):
    if request.membership is not None:
        return redirect(home_url_for(membership=request.membership))
    return redirect("account_login")


@console_view
def console_home(request):
    return render(
        request,
        "home/console_home.html",
        {
            "nav": "home",
            "summary": console_summary(tenant=request.tenant, user=request.user),
            "activity": console_recent_activity(tenant=request.tenant),
            "my_partners": console_my_partners(tenant=request.tenant, user=request.user),
            "milestones": cam_milestone_overview(tenant=request.tenant, user=request.user),
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
        onboarding = {
            "counts": enrollment_counts(tenant=request.tenant, enrollment=enrollment),
            "todo": partner_todo(tenant=request.tenant, enrollment=enrollment),
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
