"""The program's webhook endpoints (/console/settings/webhooks/), for program admins: the list
and the form to add one; an endpoint's page with its settings, its secret (shown once), its
delivery log with Replay, Send test event, disable/enable, roll secret and delete."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.db.models import Count
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.tenancy.access import console_admin_view
from apps.tenancy.http import TenantRequest
from apps.webhooks.events import patterns_label
from apps.webhooks.forms import EndpointForm
from apps.webhooks.models import DeliveryStatus, WebhookEndpoint
from apps.webhooks.selectors import (
    DELIVERY_FILTERS,
    webhook_deliveries_before,
    webhook_deliveries_for,
    webhook_delivery_get,
    webhook_endpoint_get,
    webhook_endpoints_for,
)
from apps.webhooks.services import (
    MAX_ENDPOINTS,
    EndpointWithSecret,
    WebhookError,
    WebhookInvalid,
    WebhookNotFound,
    webhook_delivery_replay,
    webhook_endpoint_create,
    webhook_endpoint_delete,
    webhook_endpoint_disable,
    webhook_endpoint_enable,
    webhook_endpoint_secret_roll,
    webhook_endpoint_send_test,
    webhook_endpoint_update,
)

LOG_PAGE_SIZE = 50
# The secret of a new or re-keyed endpoint waits here for the next page, then is gone.
SESSION_SECRET = "webhooks_new_secret"


def _filter_labels() -> list[tuple[str, str]]:
    return [
        ("all", _("All")),
        ("failing", _("Failing")),
        ("delivered", _("Delivered")),
        ("pending", _("Pending")),
    ]


def _add_errors(form: EndpointForm, exc: WebhookError) -> None:
    field = exc.field if isinstance(exc, WebhookInvalid) else None
    form.add_error(field if field in form.fields else None, str(exc))


def _list_page(
    request: TenantRequest, *, form: EndpointForm | None = None, status: int = 200
) -> HttpResponse:
    endpoints = list(webhook_endpoints_for(tenant=request.tenant))
    rows = [{"endpoint": e, "events": patterns_label(e.event_types)} for e in endpoints]
    return render(
        request,
        "webhooks/index.html",
        {
            "nav": "settings",
            "settings_tab": "webhooks",
            "rows": rows,
            "form": form or EndpointForm(initial={"event_types": []}),
            "at_limit": len(endpoints) >= MAX_ENDPOINTS,
        },
        status=status,
    )


@console_admin_view
def index(request: TenantRequest) -> HttpResponse:
    if request.method != "POST":
        return _list_page(request)
    form = EndpointForm(request.POST)
    if not form.is_valid():
        return _list_page(request, form=form, status=422)
    try:
        created = webhook_endpoint_create(
            tenant=request.tenant,
            actor=request.user,
            url=form.cleaned_data["url"],
            description=form.cleaned_data["description"],
            event_types=form.cleaned_data["event_types"],
        )
    except WebhookError as exc:
        _add_errors(form, exc)
        return _list_page(request, form=form, status=422)
    request.session[SESSION_SECRET] = {"id": created.endpoint.pk, "secret": created.secret}
    messages.success(request, _("Endpoint added. Copy its signing secret now."))
    return redirect("webhooks_console:detail", endpoint_id=created.endpoint.pk)


def _endpoint_or_404(request: TenantRequest, endpoint_id: int) -> WebhookEndpoint:
    endpoint = webhook_endpoint_get(tenant=request.tenant, endpoint_id=endpoint_id)
    if endpoint is None:
        raise Http404
    return endpoint


def _detail_page(
    request: TenantRequest,
    endpoint: WebhookEndpoint,
    *,
    form: EndpointForm | None = None,
    status: int = 200,
) -> HttpResponse:
    show = request.GET.get("show", "all")
    if show not in DELIVERY_FILTERS:
        show = "all"
    rows = webhook_deliveries_for(tenant=request.tenant, endpoint=endpoint, show=show)
    before = None
    before_id = request.GET.get("before", "")
    if before_id.isdigit():
        before = rows.filter(pk=int(before_id)).first()
    page = list(webhook_deliveries_before(rows, before=before)[: LOG_PAGE_SIZE + 1])
    counts = webhook_deliveries_for(tenant=request.tenant, endpoint=endpoint).aggregate(
        **{key: Count("id", filter=q) for key, q in DELIVERY_FILTERS.items()}
    )
    new_secret = None
    stashed = request.session.get(SESSION_SECRET)
    if stashed and stashed.get("id") == endpoint.pk:
        new_secret = request.session.pop(SESSION_SECRET)["secret"]
    return render(
        request,
        "webhooks/detail.html",
        {
            "nav": "settings",
            "settings_tab": "webhooks",
            "endpoint": endpoint,
            "form": form
            or EndpointForm(
                initial={
                    "url": endpoint.url,
                    "description": endpoint.description,
                    "event_types": list(endpoint.event_types),
                }
            ),
            "new_secret": new_secret,
            "deliveries": page[:LOG_PAGE_SIZE],
            "older": page[LOG_PAGE_SIZE - 1].pk if len(page) > LOG_PAGE_SIZE else None,
            "show": show,
            "filters": [
                {"key": k, "label": label, "count": counts.get(k, 0), "current": k == show}
                for k, label in _filter_labels()
            ],
            "statuses": DeliveryStatus,
            "events": patterns_label(endpoint.event_types),
        },
        status=status,
    )


@console_admin_view
def detail(request: TenantRequest, endpoint_id: int) -> HttpResponse:
    endpoint = _endpoint_or_404(request, endpoint_id)
    if request.method != "POST":
        return _detail_page(request, endpoint)
    form = EndpointForm(request.POST)
    if not form.is_valid():
        return _detail_page(request, endpoint, form=form, status=422)
    try:
        webhook_endpoint_update(
            tenant=request.tenant,
            actor=request.user,
            endpoint_id=endpoint.pk,
            url=form.cleaned_data["url"],
            description=form.cleaned_data["description"],
            event_types=form.cleaned_data["event_types"],
        )
    except WebhookNotFound as exc:
        raise Http404 from exc
    except WebhookError as exc:
        _add_errors(form, exc)
        return _detail_page(request, endpoint, form=form, status=422)
    messages.success(request, _("Endpoint saved."))
    return redirect("webhooks_console:detail", endpoint_id=endpoint.pk)


def _act(
    request: TenantRequest,
    endpoint_id: int,
    service: Any,
    success: str,
    *,
    to: str = "",
) -> HttpResponseBase:
    """Run one POST action on an endpoint, then back to its page (or `to`)."""
    _endpoint_or_404(request, endpoint_id)
    try:
        result = service(tenant=request.tenant, actor=request.user, endpoint_id=endpoint_id)
    except WebhookNotFound as exc:
        raise Http404 from exc
    except WebhookError as exc:
        messages.error(request, str(exc))
        return redirect("webhooks_console:detail", endpoint_id=endpoint_id)
    if isinstance(result, EndpointWithSecret):
        request.session[SESSION_SECRET] = {"id": endpoint_id, "secret": result.secret}
    messages.success(request, success)
    return redirect(to or reverse("webhooks_console:detail", args=[endpoint_id]))


@console_admin_view
@require_POST
def disable(request: TenantRequest, endpoint_id: int) -> HttpResponseBase:
    return _act(
        request, endpoint_id, webhook_endpoint_disable, _("Endpoint disabled: nothing is sent.")
    )


@console_admin_view
@require_POST
def enable(request: TenantRequest, endpoint_id: int) -> HttpResponseBase:
    return _act(
        request,
        endpoint_id,
        webhook_endpoint_enable,
        _("Endpoint enabled. Replay what it missed from the log below."),
    )


@console_admin_view
@require_POST
def roll_secret(request: TenantRequest, endpoint_id: int) -> HttpResponseBase:
    return _act(
        request,
        endpoint_id,
        webhook_endpoint_secret_roll,
        _("New secret made: deliveries are signed with it from now on. Copy it now."),
    )


@console_admin_view
@require_POST
def delete(request: TenantRequest, endpoint_id: int) -> HttpResponseBase:
    return _act(
        request,
        endpoint_id,
        webhook_endpoint_delete,
        _("Endpoint deleted."),
        to=reverse("webhooks_console:index"),
    )


@console_admin_view
@require_POST
def send_test(request: TenantRequest, endpoint_id: int) -> HttpResponseBase:
    return _act(
        request,
        endpoint_id,
        webhook_endpoint_send_test,
        _("Test event queued: it shows in the log below in a moment."),
    )


@console_admin_view
@require_POST
def replay(request: TenantRequest, endpoint_id: int, delivery_id: int) -> HttpResponseBase:
    endpoint = _endpoint_or_404(request, endpoint_id)
    if (
        webhook_delivery_get(
            tenant=request.tenant, delivery_id=delivery_id, endpoint_id=endpoint.pk
        )
        is None
    ):
        raise Http404
    try:
        webhook_delivery_replay(
            tenant=request.tenant,
            actor=request.user,
            delivery_id=delivery_id,
            endpoint_id=endpoint.pk,
        )
    except WebhookNotFound as exc:
        raise Http404 from exc
    except WebhookError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("The event will be sent again in a moment (same event id)."))
    show = request.POST.get("show", "all")
    url = reverse("webhooks_console:detail", args=[endpoint.pk])
    return redirect(f"{url}?show={show}" if show in DELIVERY_FILTERS and show != "all" else url)
