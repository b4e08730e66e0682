"""Program admins create and revoke the program's API keys (a new key is shown once) and
read each key's request log."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from apps.api.errors import ApiError
from apps.api.forms import ApiKeyForm
from apps.api.pagination import keyset_page
from apps.api.selectors import api_keys_for, api_request_log_for
from apps.api.services import ApiKeyError, api_key_create, api_key_revoke
from apps.tenancy.access import console_admin_view

SESSION_NEW_KEY = "api_new_key"
LOG_PAGE = 100


def _page(request: HttpRequest, form: ApiKeyForm, *, status: int = 200) -> HttpResponse:
    new_key = request.session.pop(SESSION_NEW_KEY, None)
    return render(
        request,
        "api/keys.html",
        {
            "nav": "api_keys",
            "form": form,
            "keys": list(api_keys_for(tenant=request.tenant)),  # type: ignore[attr-defined]
            "new_key": new_key,
            "api_root": request.build_absolute_uri("/api/v1/"),
        },
        status=status,
    )


@console_admin_view
def api_keys(request: HttpRequest) -> HttpResponse:
    if request.method == "POST":
        form = ApiKeyForm(request.POST)
        if form.is_valid():
            try:
                created = api_key_create(
                    tenant=request.tenant,  # type: ignore[attr-defined]
                    actor=request.user,
                    name=form.cleaned_data["name"],
                    scopes=form.cleaned_data["scopes"],
                    expires_at=form.expires_at(),
                )
            except ApiKeyError as exc:
                form.add_error(None, str(exc))
            else:
                # Shown once, on the next page load, then gone from the session.
                request.session[SESSION_NEW_KEY] = {
                    "id": created.key.pk,
                    "name": created.key.name,
                    "secret": created.secret,
                }
                return redirect("api_console:keys")
        return _page(request, form, status=422)
    return _page(request, ApiKeyForm())


@console_admin_view
@require_POST
def api_key_revoke_view(request: HttpRequest, key_id: int) -> HttpResponse:
    if not api_keys_for(tenant=request.tenant).filter(pk=key_id).exists():  # type: ignore[attr-defined]
        raise Http404
    try:
        key = api_key_revoke(tenant=request.tenant, actor=request.user, key_id=key_id)  # type: ignore[attr-defined]
    except ApiKeyError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("“%(name)s” is revoked: requests with it are refused.") % {"name": key.name}
        )
    return redirect("api_console:keys")


@console_admin_view
def api_key_log(request: HttpRequest, key_id: int) -> HttpResponse:
    """The key's requests, newest first, LOG_PAGE at a time (status, method, route,
    latency, time; never a body)."""
    tenant = request.tenant  # type: ignore[attr-defined]
    key = api_keys_for(tenant=tenant).filter(pk=key_id).first()
    if key is None:
        raise Http404
    try:
        page = keyset_page(
            api_request_log_for(tenant=tenant, key=key),
            cursor=request.GET.get("cursor") or None,
            limit=LOG_PAGE,
            order=("-created_at", "-id"),
        )
    except ApiError as exc:
        raise Http404 from exc
    return render(
        request,
        "api/key_log.html",
        {
            "nav": "api_keys",
            "key": key,
            "rows": page["data"],
            "next_cursor": page["next_cursor"],
            "first_page": not request.GET.get("cursor"),
            "prefix": key.prefix,
            "retention_days": settings.API_REQUEST_LOG_DAYS,
        },
    )
