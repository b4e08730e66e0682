"""Program settings (/console/settings/), for program admins: name, logo, brand colour,
support email, time zone, language and the program's addresses (hostnames). Also the
program's logo itself (/branding/logo/), public like the sign-in page that shows it."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from apps.core.files import private_file_response
from apps.core.uploads import too_large_message, upload_request_too_large
from apps.home.forms_settings import HostAddForm, LogoForm, ProgramSettingsForm, add_error_from
from apps.home.selectors_settings import host_is_served, program_hosts
from apps.home.services_settings import (
    AA_CONTRAST,
    LOGO_POLICY,
    WHITE,
    SettingsError,
    contrast_ratio,
    program_logo_remove,
    program_logo_set,
    program_settings_update,
    ratio_text,
    tenant_host_add,
    tenant_host_make_primary,
    tenant_host_remove,
)
from apps.tenancy.access import console_admin_view, public_view
from apps.tenancy.http import MemberRequest, TenantRequest
from apps.tenancy.models import TenantHost


def _current_host(request: HttpRequest) -> str:
    return request.get_host().split(":", 1)[0].lower().rstrip(".")


def _page(
    request: MemberRequest,
    *,
    settings_form: ProgramSettingsForm | None = None,
    logo_form: LogoForm | None = None,
    host_form: HostAddForm | None = None,
    host_error: str = "",
    logo_error: str = "",
    status: int = 200,
) -> HttpResponse:
    tenant = request.tenant
    current = _current_host(request)
    hosts = [
        {
            "host": host,
            "is_current": host.hostname == current,
            "served": host_is_served(host.hostname),
        }
        for host in program_hosts(tenant=tenant)
    ]
    ratio = contrast_ratio(tenant.brand_color, WHITE)
    return render(
        request,
        "home/settings.html",
        {
            "nav": "settings",
            "settings_tab": "general",
            "settings_form": settings_form or ProgramSettingsForm.for_tenant(tenant),
            "logo_form": logo_form or LogoForm(),
            "host_form": host_form or HostAddForm(),
            "host_error": host_error,
            "logo_error": logo_error,
            "hosts": hosts,
            "current_host": current,
            "brand_ratio": ratio_text(ratio),
            "brand_passes": ratio >= AA_CONTRAST,
        },
        status=status,
    )


def _done(anchor: str = "") -> HttpResponse:
    return redirect(reverse("program_settings:general") + (f"#{anchor}" if anchor else ""))


@console_admin_view
def general(request: MemberRequest) -> HttpResponse:
    if request.method != "POST":
        return _page(request)
    form = ProgramSettingsForm(request.POST)
    if not form.is_valid():
        return _page(request, settings_form=form, status=422)
    try:
        changed = program_settings_update(
            tenant=request.tenant, actor=request.user, **form.cleaned_data
        )
    except SettingsError as exc:
        add_error_from(form, exc)
        return _page(request, settings_form=form, status=422)
    messages.success(request, _("Settings saved.") if changed else _("Nothing to change."))
    return _done("general")


@console_admin_view
@require_POST
def logo(request: MemberRequest) -> HttpResponse:
    if upload_request_too_large(request, LOGO_POLICY):
        # Refused before any of the oversized body is checked or stored.
        return _page(request, logo_error=too_large_message(LOGO_POLICY), status=413)
    form = LogoForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, logo_form=form, status=422)
    try:
        program_logo_set(
            tenant=request.tenant, actor=request.user, upload=form.cleaned_data["logo"]
        )
    except SettingsError as exc:
        add_error_from(form, exc)
        return _page(request, logo_form=form, status=422)
    messages.success(request, _("Logo updated. Partners see it in the portal and on sign-in."))
    return _done("logo")


@console_admin_view
@require_POST
def logo_remove(request: MemberRequest) -> HttpResponse:
    program_logo_remove(tenant=request.tenant, actor=request.user)
    messages.success(request, _("Logo removed."))
    return _done("logo")


@console_admin_view
@require_POST
def host_add(request: MemberRequest) -> HttpResponse:
    form = HostAddForm(request.POST)
    if not form.is_valid():
        return _page(request, host_form=form, status=422)
    try:
        row = tenant_host_add(
            tenant=request.tenant, actor=request.user, hostname=form.cleaned_data["hostname"]
        )
    except SettingsError as exc:
        add_error_from(form, exc)
        return _page(request, host_form=form, status=422)
    messages.success(request, _("%(host)s added.") % {"host": row.hostname})
    return _done("hosts")


@console_admin_view
@require_POST
def host_primary(request: MemberRequest, host_id: int) -> HttpResponse:
    try:
        row = tenant_host_make_primary(tenant=request.tenant, actor=request.user, host_id=host_id)
    except TenantHost.DoesNotExist as exc:
        raise Http404 from exc
    messages.success(
        request,
        _("%(host)s is now the primary address: email links use it.") % {"host": row.hostname},
    )
    return _done("hosts")


@console_admin_view
@require_POST
def host_remove(request: MemberRequest, host_id: int) -> HttpResponse:
    try:
        hostname = tenant_host_remove(
            tenant=request.tenant,
            actor=request.user,
            host_id=host_id,
            current_host=request.get_host(),
        )
    except TenantHost.DoesNotExist as exc:
        raise Http404 from exc
    except SettingsError as exc:
        return _page(request, host_error=exc.message, status=422)
    messages.success(
        request, _("%(host)s removed: it no longer serves the program.") % {"host": hostname}
    )
    return _done("hosts")


@public_view
@require_safe
def program_logo(request: TenantRequest) -> HttpResponseBase:
    """The program's uploaded logo. Its address changes with every upload (`?v=`), so the
    current address is cached for long; any other is revalidated."""
    tenant = request.tenant
    if tenant is None or not tenant.logo:
        raise Http404
    ext = tenant.logo.name.rsplit(".", 1)[-1]
    file_type = LOGO_POLICY.type_for_extension(ext)
    if file_type is None:
        raise Http404
    response = private_file_response(
        name=tenant.logo.name,
        content_type=file_type.content_type,
        filename=f"logo.{file_type.extensions[0]}",
        inline=True,
    )
    if response.status_code == 200:
        current = request.get_full_path() == tenant.logo_src
        response["Cache-Control"] = (
            "public, max-age=31536000, immutable"
            if current
            else "public, max-age=0, must-revalidate"
        )
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    return response
