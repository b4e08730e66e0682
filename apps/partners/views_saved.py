"""Saved Partner Explorer views: save the current filters under a name, rename, delete.
Plain POST forms on the Explorer (no JavaScript); each goes back to the Explorer."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse, QueryDict
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.partners.saved_views import saved_view_get_or_404
from apps.partners.services import (
    PartnerError,
    saved_view_create,
    saved_view_delete,
    saved_view_rename,
)
from apps.tenancy.access import console_view
from apps.tenancy.http import TenantRequest


def _back(request: TenantRequest, query: str | None = None) -> HttpResponse:
    back = QueryDict(query if query is not None else request.POST.get("query", ""))
    back = back.copy()
    back.pop("page", None)
    target = reverse("partners:explorer")
    return redirect(target + (f"?{back.urlencode()}" if back else ""))


@console_view
@require_POST
def saved_view_create_view(request: TenantRequest) -> HttpResponse:
    try:
        view = saved_view_create(
            tenant=request.tenant,
            actor=request.user,
            name=request.POST.get("name", ""),
            query=request.POST.get("query", ""),
        )
    except PartnerError as exc:
        messages.error(request, str(exc))
        return _back(request)
    messages.success(
        request,
        _("Saved the view “%(name)s”: it is in the menu under Partners.") % {"name": view.name},
    )
    return _back(request, view.query)


@console_view
@require_POST
def saved_view_rename_view(request: TenantRequest, view_id: int) -> HttpResponse:
    view = saved_view_get_or_404(tenant=request.tenant, user=request.user, pk=view_id)
    try:
        view = saved_view_rename(
            tenant=request.tenant,
            actor=request.user,
            view_id=view.pk,
            name=request.POST.get("name", ""),
        )
    except PartnerError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Renamed the view to “%(name)s”.") % {"name": view.name})
    return _back(request)


@console_view
@require_POST
def saved_view_delete_view(request: TenantRequest, view_id: int) -> HttpResponse:
    view = saved_view_get_or_404(tenant=request.tenant, user=request.user, pk=view_id)
    try:
        name = saved_view_delete(tenant=request.tenant, actor=request.user, view_id=view.pk)
    except PartnerError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, _("Deleted the view “%(name)s”.") % {"name": name})
    return _back(request)
