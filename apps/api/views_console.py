"""Program admins create and revoke the program's API keys (a new key is shown once)."""

from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.api.forms import ApiKeyForm
from apps.api.selectors import api_keys_for
from apps.api.services import ApiKeyError, api_key_create, api_key_revoke
from apps.tenancy.access import console_admin_view

SESSION_NEW_KEY = "api_new_key"


def _page(request, form, *, status=200):
    new_key = request.session.pop(SESSION_NEW_KEY, None)
    return render(
        request,
        "api/keys.html",
        {
            "nav": "api_keys",
            "form": form,
            "keys": list(api_keys_for(tenant=request.tenant)),
            "new_key": new_key,
            "api_root": request.build_absolute_uri("/api/v1/"),
        },
        status=status,
    )


@console_admin_view
def api_keys(request):
    if request.method == "POST":
        form = ApiKeyForm(request.POST)
        if form.is_valid():
            try:
                created = api_key_create(
                    tenant=request.tenant, actor=request.user, name=form.cleaned_data["name"]
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
def api_key_revoke_view(request, key_id: int):
    if not api_keys_for(tenant=request.tenant).filter(pk=key_id).exists():
        raise Http404
    try:
        key = api_key_revoke(tenant=request.tenant, actor=request.user, key_id=key_id)
    except ApiKeyError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"“{key.name}” is revoked: requests with it are refused.")
    return redirect("api_console:keys")
