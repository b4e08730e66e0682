"""The wording of the program's emails (/console/settings/emails/), for program admins: the
list of emails, and per email its subject and intro with a preview and a reset."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from apps.notifications.forms_wording import EmailWordingForm
from apps.notifications.rendering import RenderedEmail, email_preview
from apps.notifications.selectors import email_wording_effective, email_wordings_of
from apps.notifications.services import WordingError, email_wording_reset, email_wording_save
from apps.notifications.wording import EMAILS, Email, email_get, sample_context
from apps.tenancy.access import console_admin_view
from apps.tenancy.http import TenantRequest


@console_admin_view
def wording_list(request: TenantRequest) -> HttpResponse:
    overrides = email_wordings_of(tenant=request.tenant)
    groups: dict[str, list[dict[str, Any]]] = {}
    for email in EMAILS.values():
        groups.setdefault(str(email.audience), []).append(
            {"email": email, "override": overrides.get(email.key)}
        )
    return render(
        request,
        "notifications/wording/list.html",
        {
            "nav": "settings",
            "settings_tab": "email_wording",
            "groups": groups.items(),
            "customised": len(overrides),
        },
    )


def _page(
    request: TenantRequest,
    *,
    email: Email,
    form: EmailWordingForm,
    own: bool,
    preview: RenderedEmail | None,
    previewing: bool = False,
    status: int = 200,
) -> HttpResponse:
    sample = sample_context(request.tenant) if preview is not None else {}
    return render(
        request,
        "notifications/wording/edit.html",
        {
            "nav": "settings",
            "settings_tab": "email_wording",
            "email": email,
            "form": form,
            "own": own,
            "preview": preview,
            "previewing": previewing,
            "variables": [
                {"variable": v, "example": v.value(sample) if sample else ""}
                for v in email.variables
            ],
            "default_subject": email.subject,
            "default_intro": email.intro,
        },
        status=status,
    )


@console_admin_view
def wording_edit(request: TenantRequest, key: str) -> HttpResponse:
    email = email_get(key)
    if email is None:
        raise Http404
    tenant = request.tenant
    subject, intro, own = email_wording_effective(tenant=tenant, key=key)
    if request.method != "POST":
        form = EmailWordingForm(email=email, initial={"subject": subject, "intro": intro})
        preview = email_preview(tenant=tenant, key=key, subject=subject, intro=intro)
        return _page(request, email=email, form=form, own=own, preview=preview)

    name = {"email": email.label}
    action = request.POST.get("action", "save")
    if action == "reset":
        if email_wording_reset(tenant=tenant, actor=request.user, key=key):
            messages.success(
                request, _("“%(email)s” is back to its default wording.") % {"email": email.label}
            )
        else:
            messages.info(
                request, _("“%(email)s” already uses its default wording.") % {"email": email.label}
            )
        return redirect("email_wording:edit", key=key)

    form = EmailWordingForm(request.POST, email=email)
    if not form.is_valid():
        return _page(request, email=email, form=form, own=own, preview=None, status=422)
    data = form.cleaned_data
    if action == "preview":
        preview = email_preview(
            tenant=tenant, key=key, subject=data["subject"], intro=data["intro"]
        )
        return _page(request, email=email, form=form, own=own, preview=preview, previewing=True)
    try:
        row = email_wording_save(
            tenant=tenant, actor=request.user, key=key, subject=data["subject"], intro=data["intro"]
        )
    except WordingError as exc:
        form.add_error(None, str(exc))
        return _page(request, email=email, form=form, own=own, preview=None, status=422)
    if row is None:
        messages.success(
            request, _("“%(email)s” uses its default wording.") % {"email": email.label}
        )
    else:
        messages.success(request, _("“%(email)s” saved.") % name)
    return redirect("email_wording:list")
