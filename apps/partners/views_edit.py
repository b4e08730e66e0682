"""Add a partner account by hand and edit one (console staff: program admins and CAMs)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from apps.partners.access import PartnerRequest, console_partner_view
from apps.partners.catalog import partner_types_offered, tier_choices
from apps.partners.forms import PartnerAccountForm
from apps.partners.models import PartnerAccount
from apps.partners.selectors import (
    channel_managers_for,
    partner_account_get,
)
from apps.partners.services import (
    PartnerDomainError,
    PartnerEditConflict,
    PartnerError,
    partner_account_add,
    partner_account_update,
    partner_account_version,
)
from apps.tenancy.access import console_view
from apps.tenancy.http import MemberRequest


def _form(
    request: MemberRequest, *, editing: bool = False, current_cam: Any = None, **kwargs: Any
) -> PartnerAccountForm:
    # Archived types and tiers are offered to no one, except the ones the account has now.
    current = kwargs.get("initial") or {}
    return PartnerAccountForm(
        request.POST if request.method == "POST" else None,
        partner_types=list(
            partner_types_offered(tenant=request.tenant, keep=current.get("partner_type"))
        ),
        tiers=tier_choices(tenant=request.tenant, keep=current.get("tier", "")),
        managers=list(channel_managers_for(tenant=request.tenant)),
        editing=editing,
        current_cam=current_cam,
        **kwargs,
    )


def _refused(form: PartnerAccountForm, exc: PartnerError) -> None:
    form.add_error("domains" if isinstance(exc, PartnerDomainError) else None, str(exc))


@console_view
def partner_new(request: MemberRequest) -> HttpResponse:
    form = _form(request)
    if request.method == "POST" and form.is_valid():
        try:
            account = partner_account_add(
                tenant=request.tenant,
                actor=request.user,
                name=form.cleaned_data["name"],
                **form.service_kwargs(),
            )
        except PartnerError as exc:
            _refused(form, exc)
        else:
            messages.success(request, _("“%(name)s” was created.") % {"name": account.name})
            return redirect("partners:detail", partner_id=account.pk)
    status = 422 if form.is_bound else 200
    return render(request, "partners/new.html", {"nav": "partners", "form": form}, status=status)


def _edit_initial(request: PartnerRequest, account: PartnerAccount) -> dict[str, Any]:
    domains = list(account.domains.filter(tenant=request.tenant).values_list("domain", flat=True))
    return {
        "partner_type": account.partner_type_id,
        "tier": account.tier,
        "region": account.region,
        "cam": account.cam_id,
        "domains": "\n".join(domains),
        "version": partner_account_version(account=account, domains=domains),
    }


@console_partner_view
def partner_edit(request: PartnerRequest, partner_id: int) -> HttpResponse:
    account = request.partner_account
    form = _form(
        request, editing=True, current_cam=account.cam, initial=_edit_initial(request, account)
    )
    status = 200
    if request.method == "POST":
        status = 422
        if form.is_valid():
            type_before = account.partner_type_id
            try:
                account = partner_account_update(
                    tenant=request.tenant,
                    actor=request.user,
                    account_id=account.pk,
                    version=form.cleaned_data["version"],
                    **form.service_kwargs(),
                )
            except PartnerEditConflict as exc:
                # Show what is saved now (with its new version): nothing of this form was kept.
                account = partner_account_get(tenant=request.tenant, pk=account.pk)
                form = PartnerAccountForm(
                    partner_types=list(form.partner_types.values()),
                    tiers=tier_choices(tenant=request.tenant, keep=account.tier),
                    managers=list(channel_managers_for(tenant=request.tenant)),
                    editing=True,
                    current_cam=account.cam,
                    initial=_edit_initial(request, account),
                )
                messages.error(request, str(exc))
                status = 409
            except PartnerError as exc:
                _refused(form, exc)
            else:
                messages.success(request, _("“%(name)s” was saved.") % {"name": account.name})
                # A new type may bring another pipeline and milestone track: the page that
                # offers them (in a higher layer) sends staff on to the partner when it has
                # nothing to offer.
                if account.partner_type_id != type_before:
                    return redirect("partner_type_change:confirm", partner_id=account.pk)
                return redirect("partners:detail", partner_id=account.pk)
    return render(
        request,
        "partners/edit.html",
        {"nav": "partners", "tab": "overview", "account": account, "form": form},
        status=status,
    )
