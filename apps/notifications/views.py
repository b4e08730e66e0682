from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.notifications.models import Notification
from apps.notifications.selectors import notifications_for
from apps.notifications.services import notification_mark_read
from apps.tenancy.access import member_view


def _base_template(request) -> str:
    return "console/base.html" if request.membership.is_staff_role else "portal/base.html"


@member_view
def notification_list(request):
    page = Paginator(notifications_for(tenant=request.tenant, recipient=request.user), 25).get_page(
        request.GET.get("page")
    )
    return render(
        request,
        "notifications/list.html",
        {"page": page, "base_template": _base_template(request), "nav": "notifications"},
    )


@member_view
@require_POST
def notification_read(request, pk: int):
    notification = Notification.objects.filter(
        tenant=request.tenant, recipient=request.user, pk=pk
    ).first()
    if notification is None:
        raise Http404
    notification_mark_read(tenant=request.tenant, recipient=request.user, notification_id=pk)
    target = notification.url
    if target and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        return redirect(target)
    return redirect("notifications:list")


@member_view
@require_POST
def notification_read_all(request):
    notification_mark_read(tenant=request.tenant, recipient=request.user)
    return redirect("notifications:list")
