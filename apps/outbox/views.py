"""The program's outbox (/console/settings/outbox/), for program admins: the emails and
other messages that failed or were given up, and Resend."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.outbox.models import OutboxStatus
from apps.outbox.selectors import DEFAULT_FILTER, FILTERS, outbox_counts_for, outbox_messages_for
from apps.outbox.services import OutboxError, OutboxMessageMissing, outbox_message_resend
from apps.tenancy.access import console_admin_view
from apps.tenancy.http import TenantRequest

PAGE_SIZE = 100


def _filter_labels() -> list[tuple[str, str]]:
    return [
        ("attention", _("Needs attention")),
        ("given_up", _("Given up")),
        ("failing", _("Retrying")),
        ("pending", _("Waiting")),
    ]


@console_admin_view
def index(request: TenantRequest) -> HttpResponse:
    show = request.GET.get("show", DEFAULT_FILTER)
    if show not in FILTERS:
        show = DEFAULT_FILTER
    rows = list(outbox_messages_for(tenant=request.tenant, show=show)[: PAGE_SIZE + 1])
    counts = outbox_counts_for(tenant=request.tenant)
    filters = [
        {"key": key, "label": label, "count": counts.get(key, 0), "current": key == show}
        for key, label in _filter_labels()
    ]
    return render(
        request,
        "outbox/index.html",
        {
            "nav": "settings",
            "settings_tab": "outbox",
            "rows": rows[:PAGE_SIZE],
            "more": len(rows) > PAGE_SIZE,
            "filters": filters,
            "show": show,
            "given_up": OutboxStatus.GIVEN_UP,
        },
    )


@console_admin_view
@require_POST
def resend(request: TenantRequest, message_id: int) -> HttpResponse:
    try:
        message = outbox_message_resend(
            tenant=request.tenant, actor=request.user, message_id=message_id
        )
    except OutboxMessageMissing as exc:
        raise Http404 from exc
    except OutboxError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _("%(message)s will be sent again in a moment.")
            % {"message": message.summary or message.kind},
        )
    show = request.POST.get("show", DEFAULT_FILTER)
    url = reverse("outbox:index")
    return redirect(f"{url}?show={show}" if show in FILTERS else url)
