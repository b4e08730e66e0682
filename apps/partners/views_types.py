"""The program's partner types and tiers (/console/settings/partner-types/), for program
admins: add, rename, reorder, archive and restore both; delete a type nothing uses."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.partners.catalog import (
    partner_tier_get,
    partner_tier_rows,
    partner_type_get,
    partner_type_rows,
)
from apps.partners.forms_types import MoveForm, PartnerTierNameForm, PartnerTypeNameForm
from apps.partners.models import PartnerTier, PartnerType
from apps.partners.services import (
    PartnerError,
    partner_tier_archive,
    partner_tier_create,
    partner_tier_move,
    partner_tier_rename,
    partner_tier_restore,
    partner_type_archive,
    partner_type_create,
    partner_type_delete,
    partner_type_move,
    partner_type_rename,
    partner_type_restore,
)
from apps.tenancy.access import console_admin_view
from apps.tenancy.http import MemberRequest

TYPE_PREFIX = "type"
TIER_PREFIX = "tier"


def _page(
    request: MemberRequest,
    *,
    type_form: PartnerTypeNameForm | None = None,
    tier_form: PartnerTierNameForm | None = None,
    rename_error: dict[str, Any] | None = None,
    status: int = 200,
) -> HttpResponse:
    types = partner_type_rows(tenant=request.tenant)
    tiers = partner_tier_rows(tenant=request.tenant)
    for kind, rows in (("type", types), ("tier", tiers)):
        active = [row for row in rows if row.archived_at is None]
        for row in rows:
            row.is_last_active = bool(active) and row is active[-1]  # type: ignore[union-attr]
            if rename_error and rename_error["kind"] == kind and rename_error["pk"] == row.pk:
                row.rename_error = rename_error["message"]  # type: ignore[union-attr]
                row.rename_value = rename_error["value"]  # type: ignore[union-attr]
    return render(
        request,
        "partners/types.html",
        {
            "nav": "settings",
            "settings_tab": "partner_types",
            "types": types,
            "tiers": tiers,
            "type_form": type_form or PartnerTypeNameForm(prefix=TYPE_PREFIX),
            "tier_form": tier_form or PartnerTierNameForm(prefix=TIER_PREFIX),
        },
        status=status,
    )


def _back(anchor: str) -> HttpResponse:
    return redirect(reverse("partner_types:list") + f"#{anchor}")


def _type_or_404(request: MemberRequest, type_id: int) -> PartnerType:
    partner_type = partner_type_get(tenant=request.tenant, pk=type_id)
    if partner_type is None:
        raise Http404
    return partner_type


def _tier_or_404(request: MemberRequest, tier_id: int) -> PartnerTier:
    tier = partner_tier_get(tenant=request.tenant, pk=tier_id)
    if tier is None:
        raise Http404
    return tier


@console_admin_view
def partner_types(request: MemberRequest) -> HttpResponse:
    """The page; a POST adds a partner type."""
    if request.method != "POST":
        return _page(request)
    form = PartnerTypeNameForm(request.POST, prefix=TYPE_PREFIX)
    if not form.is_valid():
        return _page(request, type_form=form, status=422)
    try:
        partner_type = partner_type_create(
            tenant=request.tenant, actor=request.user, name=form.cleaned_data["name"]
        )
    except PartnerError as exc:
        form.add_error("name", str(exc))
        return _page(request, type_form=form, status=422)
    messages.success(
        request,
        _("Partner type “%(name)s” added: it is offered on every form now.")
        % {"name": partner_type.name},
    )
    return _back("types")


@console_admin_view
@require_POST
def tier_add(request: MemberRequest) -> HttpResponse:
    form = PartnerTierNameForm(request.POST, prefix=TIER_PREFIX)
    if not form.is_valid():
        return _page(request, tier_form=form, status=422)
    try:
        tier = partner_tier_create(
            tenant=request.tenant, actor=request.user, label=form.cleaned_data["name"]
        )
    except PartnerError as exc:
        form.add_error("name", str(exc))
        return _page(request, tier_form=form, status=422)
    messages.success(request, _("Tier “%(name)s” added.") % {"name": tier.label})
    return _back("tiers")


def _rename(
    request: MemberRequest,
    *,
    kind: str,
    obj: PartnerType | PartnerTier,
    form_class: type[PartnerTypeNameForm] | type[PartnerTierNameForm],
    service: Callable[..., Any],
    id_kwarg: str,
    done: str,
) -> HttpResponse:
    form = form_class(request.POST)
    message = ""
    if not form.is_valid():
        message = " ".join(str(e) for e in form.errors.get("name", [])) or _("Give it a name.")
    else:
        try:
            name_kwarg = "name" if kind == "type" else "label"
            service(
                tenant=request.tenant,
                actor=request.user,
                **{id_kwarg: obj.pk, name_kwarg: form.cleaned_data["name"]},
            )
        except PartnerError as exc:
            message = str(exc)
    if message:
        error = {"kind": kind, "pk": obj.pk, "message": message, "value": request.POST.get("name")}
        return _page(request, rename_error=error, status=422)
    messages.success(request, done % {"name": form.cleaned_data["name"]})
    return _back("types" if kind == "type" else "tiers")


def _act(
    request: MemberRequest,
    service: Callable[..., Any],
    *,
    anchor: str,
    done: str,
    name: str,
    **kwargs: Any,
) -> HttpResponse:
    try:
        service(tenant=request.tenant, actor=request.user, **kwargs)
    except PartnerError as exc:
        messages.error(request, str(exc))
    else:
        if done:
            messages.success(request, done % {"name": name})
    return _back(anchor)


def _direction(request: MemberRequest) -> str:
    form = MoveForm(request.POST)
    if not form.is_valid():
        raise Http404
    direction: str = form.cleaned_data["direction"]
    return direction


# --- Partner types ----------------------------------------------------------------------------


@console_admin_view
@require_POST
def type_rename(request: MemberRequest, type_id: int) -> HttpResponse:
    return _rename(
        request,
        kind="type",
        obj=_type_or_404(request, type_id),
        form_class=PartnerTypeNameForm,
        service=partner_type_rename,
        id_kwarg="type_id",
        done=_("Partner type renamed to “%(name)s”."),
    )


@console_admin_view
@require_POST
def type_move(request: MemberRequest, type_id: int) -> HttpResponse:
    partner_type = _type_or_404(request, type_id)
    return _act(
        request,
        partner_type_move,
        anchor="types",
        done="",
        name=partner_type.name,
        type_id=partner_type.pk,
        direction=_direction(request),
    )


@console_admin_view
@require_POST
def type_archive(request: MemberRequest, type_id: int) -> HttpResponse:
    partner_type = _type_or_404(request, type_id)
    return _act(
        request,
        partner_type_archive,
        anchor="types",
        done=_(
            "“%(name)s” is archived: it is no longer offered on any form, and the partners "
            "that have it keep it."
        ),
        name=partner_type.name,
        type_id=partner_type.pk,
    )


@console_admin_view
@require_POST
def type_restore(request: MemberRequest, type_id: int) -> HttpResponse:
    partner_type = _type_or_404(request, type_id)
    return _act(
        request,
        partner_type_restore,
        anchor="types",
        done=_("“%(name)s” is offered again."),
        name=partner_type.name,
        type_id=partner_type.pk,
    )


@console_admin_view
@require_POST
def type_delete(request: MemberRequest, type_id: int) -> HttpResponse:
    partner_type = _type_or_404(request, type_id)
    return _act(
        request,
        partner_type_delete,
        anchor="types",
        done=_("Partner type “%(name)s” deleted."),
        name=partner_type.name,
        type_id=partner_type.pk,
    )


# --- Tiers ------------------------------------------------------------------------------------


@console_admin_view
@require_POST
def tier_rename(request: MemberRequest, tier_id: int) -> HttpResponse:
    return _rename(
        request,
        kind="tier",
        obj=_tier_or_404(request, tier_id),
        form_class=PartnerTierNameForm,
        service=partner_tier_rename,
        id_kwarg="tier_id",
        done=_("Tier renamed to “%(name)s”."),
    )


@console_admin_view
@require_POST
def tier_move(request: MemberRequest, tier_id: int) -> HttpResponse:
    tier = _tier_or_404(request, tier_id)
    return _act(
        request,
        partner_tier_move,
        anchor="tiers",
        done="",
        name=tier.label,
        tier_id=tier.pk,
        direction=_direction(request),
    )


@console_admin_view
@require_POST
def tier_archive(request: MemberRequest, tier_id: int) -> HttpResponse:
    tier = _tier_or_404(request, tier_id)
    return _act(
        request,
        partner_tier_archive,
        anchor="tiers",
        done=_(
            "“%(name)s” is archived: it is no longer offered on any form, and the partners "
            "that have it keep it."
        ),
        name=tier.label,
        tier_id=tier.pk,
    )


@console_admin_view
@require_POST
def tier_restore(request: MemberRequest, tier_id: int) -> HttpResponse:
    tier = _tier_or_404(request, tier_id)
    return _act(
        request,
        partner_tier_restore,
        anchor="tiers",
        done=_("“%(name)s” is offered again."),
        name=tier.label,
        tier_id=tier.pk,
    )
