"""The work queue (`/console/queue/`): every action Waiting for approval across the
program's partners, oldest first, validated or sent back from the list itself.

Each row's Validate and Request changes are plain forms (they work without JavaScript and
redirect back to the same filter and page); with htmx the row is swapped for a one-line
outcome. Two CAMs handling the same row: the second is told it was already handled.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST, require_safe

from apps.onboarding.models import ActionStatus
from apps.onboarding.selectors_queue import (
    DEFAULT_FILTER,
    QUEUE_FILTERS,
    queue_counts,
    queue_ids_known,
    queue_page_rows,
    queue_row_get,
    queue_rows,
)
from apps.onboarding.services import (
    InvalidTransition,
    action_request_changes,
    action_validate,
    actions_validate_many,
)
from apps.onboarding.services.queue import VALIDATE_MANY_MAX
from apps.tenancy.access import console_view

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from apps.onboarding.models import ActionProgress
    from apps.tenancy.http import MemberRequest

PAGE_SIZE = 50
COMMENT_MAX = 2000


def _show(request: MemberRequest) -> str:
    value = request.GET.get("show", "")
    return value if value in QUEUE_FILTERS else DEFAULT_FILTER


def _back(request: MemberRequest) -> str:
    """The queue with the filter and page the form was posted from (`next`, a query string)."""
    url = reverse("queue:list")
    query = request.POST.get("next", "")
    if query.startswith("?") and "//" not in query and len(query) < 500:
        return url + query
    return url


@console_view
@require_safe
def queue_list(request: MemberRequest) -> HttpResponse:
    tenant, membership = request.tenant, request.membership
    show = _show(request)
    counts = queue_counts(tenant=tenant, membership=membership)
    request._queue_waiting = counts["mine"]  # type: ignore[attr-defined]  # the nav badge
    page = Paginator(
        queue_rows(tenant=tenant, membership=membership, show=show), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    page.object_list = queue_page_rows(
        tenant=tenant, rows=cast("QuerySet[ActionProgress]", page.object_list)
    )
    query = request.GET.copy()
    query.pop("page", None)
    back = request.GET.urlencode()
    context: dict[str, Any] = {
        "nav": "queue",
        "show": show,
        "tabs": [(value, label, counts[value]) for value, label in QUEUE_FILTERS.items()],
        "page": page,
        "query": query.urlencode(),
        "back": f"?{back}" if back else "",
    }
    return render(request, "onboarding/queue.html", context)


def _handled_message(row: ActionProgress) -> str:
    """What became of a row someone else handled first."""
    title = row.action.title
    if row.status == ActionStatus.COMPLETED and row.validated_by is not None:
        name = row.validated_by.get_full_name() or row.validated_by.email
        return _("“%(title)s” was already validated by %(name)s.") % {"title": title, "name": name}
    if row.status == ActionStatus.ACTION_REQUIRED:
        return _("Changes were already requested on “%(title)s”.") % {"title": title}
    return _("“%(title)s” was already handled: it is now %(status)s.") % {
        "title": title,
        "status": row.get_status_display(),
    }


def _row_or_404(request: MemberRequest, progress_id: int) -> ActionProgress:
    row = queue_row_get(tenant=request.tenant, progress_id=progress_id)
    if row is None:
        raise Http404
    return row


def _respond(
    request: MemberRequest,
    progress_id: int,
    *,
    done: str = "",
    error: str = "",
    comment: str = "",
) -> HttpResponse:
    """htmx: the row, swapped in place (its outcome, or the form again with the error);
    otherwise back to the queue with a message."""
    row = _row_or_404(request, progress_id)
    handled = ""
    if error and row.status != ActionStatus.WAITING_FOR_APPROVAL:
        # Someone else was first: not an error, just news.
        handled, error = _handled_message(row), ""
    if request.htmx:
        context = {
            "row": row,
            "done": done,
            "handled": handled,
            "error": error,
            "comment": comment,
            "back": request.POST.get("next", ""),
        }
        response = render(request, "onboarding/queue.html#queue_row", context)
        # The nav badge follows out-of-band: the count after this change.
        response.content += render_to_string(
            "console/_queue_badge.html", {"oob": True}, request=request
        ).encode()
        response["Vary"] = "HX-Request"
        return response
    if done:
        messages.success(request, done)
    elif handled:
        messages.info(request, handled)
    else:
        messages.error(request, error)
    return redirect(_back(request))


@console_view
@require_POST
def queue_validate(request: MemberRequest, progress_id: int) -> HttpResponse:
    row = _row_or_404(request, progress_id)
    try:
        action_validate(tenant=request.tenant, actor=request.user, progress_id=row.pk)
    except InvalidTransition as exc:
        return _respond(request, row.pk, error=str(exc))
    return _respond(
        request, row.pk, done=_("“%(title)s” is validated.") % {"title": row.action.title}
    )


@console_view
@require_POST
def queue_request_changes(request: MemberRequest, progress_id: int) -> HttpResponse:
    row = _row_or_404(request, progress_id)
    comment = request.POST.get("comment", "")[:COMMENT_MAX]
    try:
        action_request_changes(
            tenant=request.tenant, actor=request.user, progress_id=row.pk, comment=comment
        )
    except InvalidTransition as exc:
        return _respond(request, row.pk, error=str(exc), comment=comment)
    return _respond(
        request,
        row.pk,
        done=_("Changes requested on “%(title)s”; the partner has been told.")
        % {"title": row.action.title},
    )


def _selected_ids(request: MemberRequest) -> list[int]:
    values = request.POST.getlist("progress")[: VALIDATE_MANY_MAX + 1]
    return [int(v) for v in values if v.isdigit() and len(v) < 19]


@console_view
@require_POST
def queue_validate_selected(request: MemberRequest) -> HttpResponse:
    back = _back(request)
    ids = _selected_ids(request)
    if not ids:
        messages.error(request, _("Select at least one action to validate."))
        return redirect(back)
    if len(ids) > VALIDATE_MANY_MAX:
        messages.error(
            request,
            _("Select at most %(max)d actions at a time.") % {"max": VALIDATE_MANY_MAX},
        )
        return redirect(back)
    if not queue_ids_known(tenant=request.tenant, progress_ids=ids):
        raise Http404
    result = actions_validate_many(tenant=request.tenant, actor=request.user, progress_ids=ids)
    validated, handled = len(result.validated), len(result.already_handled)
    if handled:
        text = _("%(validated)d validated, %(handled)d already handled.") % {
            "validated": validated,
            "handled": handled,
        }
    else:
        text = ngettext(
            "%(validated)d action validated.", "%(validated)d actions validated.", validated
        ) % {"validated": validated}
    if validated:
        messages.success(request, text)
    else:
        messages.info(request, text)
    return redirect(back)
