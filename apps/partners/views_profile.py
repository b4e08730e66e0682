"""The partner's company profile (/portal/profile/) and its program setting
(/console/settings/profile/).

The portal page is always the signed-in partner's own account (no id in the address):
partner admins edit it, partner users read it. Suspended accounts are turned away by the
portal gate, like every portal page.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from apps.core.files import private_file_response
from apps.core.uploads import too_large_message, upload_request_too_large
from apps.partners.access import portal_partner_account
from apps.partners.forms_profile import PartnerProfileForm, ProfileSettingsForm
from apps.partners.models import PartnerAccount
from apps.partners.profile_fields import PROFILE_FIELDS, PROFILE_LOGO_POLICY
from apps.partners.selectors_profile import (
    ProfileSummary,
    partner_profile_summary,
    profile_required_fields,
)
from apps.partners.services import PartnerError
from apps.partners.services.profile import partner_profile_update, profile_settings_update
from apps.tenancy.access import console_admin_view, portal_view
from apps.tenancy.http import MemberRequest
from apps.tenancy.models import Role


def _is_admin(request: MemberRequest) -> bool:
    return request.membership is not None and request.membership.role == Role.PARTNER_ADMIN


def _page(
    request: MemberRequest,
    account: PartnerAccount,
    summary: ProfileSummary,
    *,
    form: PartnerProfileForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    can_edit = _is_admin(request)
    if can_edit and form is None:
        form = PartnerProfileForm(instance=summary.profile, required=summary.required)
    return render(
        request,
        "partners/profile.html",
        {
            "nav": "profile",
            "partner_account": account,
            "profile": summary.profile,
            "summary": summary,
            "required": set(summary.required),
            "can_edit": can_edit,
            "form": form if can_edit else None,
            "error": error,
        },
        status=status,
    )


@portal_view
def profile(request: MemberRequest) -> HttpResponse:
    account = portal_partner_account(request)
    if request.method == "POST" and not _is_admin(request):
        raise PermissionDenied
    summary = partner_profile_summary(tenant=request.tenant, account=account)
    if request.method != "POST":
        return _page(request, account, summary)
    if upload_request_too_large(request, PROFILE_LOGO_POLICY):
        # Refused before any of the oversized body is read or stored.
        return _page(
            request, account, summary, error=too_large_message(PROFILE_LOGO_POLICY), status=413
        )
    form = PartnerProfileForm(
        request.POST, request.FILES, instance=summary.profile, required=summary.required
    )
    # The form validates into a copy: the instance the page shows keeps its stored values.
    if not form.is_valid():
        summary = partner_profile_summary(tenant=request.tenant, account=account)
        return _page(request, account, summary, form=form, status=422)
    values = {name: form.cleaned_data[name] for name in form.Meta.fields}
    try:
        result = partner_profile_update(
            tenant=request.tenant,
            actor=request.user,
            account_id=account.pk,
            values=values,
            logo=form.cleaned_data.get("logo"),
            remove_logo=bool(form.cleaned_data.get("remove_logo")),
        )
    except PartnerError as exc:
        summary = partner_profile_summary(tenant=request.tenant, account=account)
        return _page(request, account, summary, form=form, error=str(exc), status=422)
    if result.completed_now:
        messages.success(request, _("Profile saved. It is now 100% complete: thank you!"))
    elif result.changed:
        messages.success(
            request, _("Profile saved: %(percent)s%% complete.") % {"percent": result.percent}
        )
    else:
        messages.info(request, _("Nothing to change."))
    return redirect("partner_profile:portal")


@portal_view
@require_safe
def profile_logo(request: MemberRequest) -> HttpResponseBase:
    """The signed-in partner's own logo (private file, served after the access check)."""
    account = portal_partner_account(request)
    summary_profile = partner_profile_summary(tenant=request.tenant, account=account).profile
    name = summary_profile.logo.name if summary_profile.logo else ""
    file_type = PROFILE_LOGO_POLICY.type_for_extension(name.rsplit(".", 1)[-1]) if name else None
    if file_type is None:
        raise Http404
    response = private_file_response(
        name=name,
        content_type=file_type.content_type,
        filename=f"logo.{file_type.extensions[0]}",
        inline=True,
    )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response


def _settings_page(
    request: MemberRequest, *, form: ProfileSettingsForm | None = None, status: int = 200
) -> HttpResponse:
    if form is None:
        form = ProfileSettingsForm(
            initial={"required_fields": profile_required_fields(tenant=request.tenant)}
        )
    return render(
        request,
        "partners/profile_settings.html",
        {"nav": "settings", "settings_tab": "profile", "form": form, "fields": PROFILE_FIELDS},
        status=status,
    )


@console_admin_view
def profile_settings(request: MemberRequest) -> HttpResponse:
    if request.method != "POST":
        return _settings_page(request)
    form = ProfileSettingsForm(request.POST)
    if not form.is_valid():
        return _settings_page(request, form=form, status=422)
    try:
        changed = profile_settings_update(
            tenant=request.tenant,
            actor=request.user,
            required_fields=list(form.cleaned_data["required_fields"]),
        )
    except PartnerError as exc:
        form.add_error(None, str(exc))
        return _settings_page(request, form=form, status=422)
    messages.success(
        request,
        _("Required profile fields saved. Partners see the change on their next visit.")
        if changed
        else _("Nothing to change."),
    )
    return redirect("profile_settings:edit")
