"""Privacy controls (/console/settings/privacy/), for program admins: the retention setting,
finding a person, what the program holds about them, their export (JSON) and erasure."""

from __future__ import annotations

import json

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseBase, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from apps.home.forms_privacy import EraseForm, PersonSearchForm, RetentionForm
from apps.home.privacy import Person, person_export, person_holdings, person_resolve, person_search
from apps.home.services_privacy import (
    PersonNotFound,
    PrivacyError,
    person_erase,
    person_export_record,
    privacy_retention_set,
)
from apps.tenancy.access import console_admin_view
from apps.tenancy.http import MemberRequest


def _index(
    request: MemberRequest, *, retention_form: RetentionForm | None = None, status: int = 200
) -> HttpResponse:
    tenant = request.tenant
    search_form = PersonSearchForm(request.GET or None)
    results = None
    if search_form.is_bound and search_form.is_valid():
        results = person_search(tenant=tenant, query=search_form.cleaned_data["q"])
    return render(
        request,
        "home/privacy.html",
        {
            "nav": "settings",
            "retention_form": retention_form
            or RetentionForm(initial={"days": tenant.privacy_retention_days}),
            "search_form": search_form,
            "results": results,
        },
        status=status,
    )


@console_admin_view
@require_safe
def index(request: MemberRequest) -> HttpResponse:
    return _index(request)


@console_admin_view
@require_POST
def retention(request: MemberRequest) -> HttpResponseBase:
    form = RetentionForm(request.POST)
    if not form.is_valid():
        return _index(request, retention_form=form, status=422)
    try:
        changed = privacy_retention_set(
            tenant=request.tenant, actor=request.user, days=form.cleaned_data["days"]
        )
    except PrivacyError as exc:
        form.add_error("days", exc.message)
        return _index(request, retention_form=form, status=422)
    if changed:
        messages.success(request, _("Retention period saved."))
    return redirect("privacy:index")


def _person_or_404(request: MemberRequest, key: str) -> Person:
    person = person_resolve(tenant=request.tenant, key=key)
    if person is None:
        raise Http404
    return person


def _person_page(
    request: MemberRequest, person: Person, *, form: EraseForm | None = None, status: int = 200
) -> HttpResponse:
    holdings = person_holdings(tenant=request.tenant, person=person)
    return render(
        request,
        "home/privacy_person.html",
        {
            "nav": "settings",
            "person": person,
            "holdings": holdings,
            "erase_form": form or EraseForm(),
        },
        status=status,
    )


@console_admin_view
def person(request: MemberRequest, key: str) -> HttpResponse:
    # The person first: another program's key is a 404 whatever the method.
    found = _person_or_404(request, key)
    if request.method not in ("GET", "HEAD"):
        return HttpResponseNotAllowed(["GET", "HEAD"])
    return _person_page(request, found)


@console_admin_view
@require_POST
def export(request: MemberRequest, key: str) -> HttpResponse:
    found = _person_or_404(request, key)
    document = person_export(tenant=request.tenant, person=found)
    person_export_record(tenant=request.tenant, actor=request.user, person=found)
    filename = f"person-{found.key}-{timezone.now():%Y%m%d}.json"
    response = HttpResponse(
        json.dumps(document, indent=2, ensure_ascii=False, default=str),
        content_type="application/json; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    response["Cache-Control"] = "private, no-store, max-age=0"
    return response


@console_admin_view
@require_POST
def erase(request: MemberRequest, key: str) -> HttpResponseBase:
    form = EraseForm(request.POST)
    if not form.is_valid():
        return _person_page(request, _person_or_404(request, key), form=form, status=422)
    try:
        result = person_erase(
            tenant=request.tenant,
            actor=request.user,
            key=key,
            confirm_email=form.cleaned_data["confirm_email"],
        )
    except PersonNotFound:
        messages.info(request, _("Nothing is held about this person any more."))
        return redirect("privacy:index")
    except PrivacyError as exc:
        form.add_error("confirm_email", exc.message)
        return _person_page(request, _person_or_404(request, key), form=form, status=422)
    messages.success(
        request,
        _("Erased. The audit log and partner events now name them “%(name)s”.")
        % {"name": result.pseudonym},
    )
    return redirect("privacy:index")
