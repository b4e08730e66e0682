"""CSV import of partner accounts (program admins): upload, dry run, Import; the template."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.contrib import messages
from django.http import HttpResponse, HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.uploads import REQUEST_OVERHEAD_BYTES
from apps.partners.catalog import tier_labels
from apps.partners.forms_import import ImportApplyForm, ImportUploadForm
from apps.partners.models import Region
from apps.partners.services import (
    IMPORT_MAX_BYTES,
    IMPORT_MAX_ROWS,
    ImportFileError,
    ImportPlan,
    PartnerImportRefused,
    PartnerImportStale,
    partner_import_apply,
    partner_import_discard,
    partner_import_parse,
    partner_import_plan,
    partner_import_stash,
    partner_import_template_rows,
    partner_import_unstash,
)
from apps.partners.services.importing import StashedImport
from apps.tenancy.access import console_admin_view
from apps.tenancy.http import MemberRequest

FIELD_LABELS = {
    "name": gettext_lazy("Company"),
    "partner_type": gettext_lazy("Type"),
    "tier": gettext_lazy("Tier"),
    "region": gettext_lazy("Region"),
    "cam": gettext_lazy("CAM"),
    "domains": gettext_lazy("Domains"),
    "users": gettext_lazy("People added"),
    "partner_admins": gettext_lazy("Partner admins"),
}
ACTION_LABELS = {
    "create": gettext_lazy("Create"),
    "update": gettext_lazy("Update"),
    "unchanged": gettext_lazy("Unchanged"),
    "error": gettext_lazy("Error"),
}
ACTION_BADGES = {"create": "green", "update": "blue", "unchanged": "gray", "error": "red"}


def _upload_page(
    request: MemberRequest,
    *,
    form: ImportUploadForm | None = None,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    return render(
        request,
        "partners/import.html",
        {
            "nav": "partners",
            "form": form or ImportUploadForm(),
            "error": error,
            "max_rows": IMPORT_MAX_ROWS,
            "max_mb": IMPORT_MAX_BYTES // (1024 * 1024),
        },
        status=status,
    )


def _shown(field: str, value: Any, tiers: dict[str, str]) -> str:
    if value is None or value == "" or value == []:
        return "—"
    if field == "tier":
        return tiers.get(str(value), str(value))
    if field == "region":
        return str(dict(Region.choices).get(value, value))
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    return str(value)


def _plan_page(
    request: MemberRequest,
    *,
    stashed: StashedImport,
    plan: ImportPlan,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    tiers = tier_labels(tenant=request.tenant)
    rows = [
        {
            "row": p,
            "label": ACTION_LABELS[p.action],
            "badge": ACTION_BADGES[p.action],
            "changes": [
                (FIELD_LABELS.get(f, f), _shown(f, old, tiers), _shown(f, new, tiers))
                for f, old, new in p.changes
                if not (p.action == "create" and f == "name")
            ],
        }
        for p in plan.rows
    ]
    apply_form = ImportApplyForm(
        initial={"upload": stashed.token, "sha256": stashed.sha256, "digest": plan.digest}
    )
    return render(
        request,
        "partners/import.html",
        {
            "nav": "partners",
            "stashed": stashed,
            "plan": plan,
            "rows": rows,
            "error_rows": [r for r in rows if r["row"].action == "error"],
            "apply_form": apply_form,
            "error": error,
        },
        status=status,
    )


def _too_large(request: MemberRequest) -> bool:
    """Refuse an oversized body from its Content-Length, before Django reads the upload."""
    try:
        length = int(request.headers.get("content-length") or 0)
    except ValueError:
        return True
    return length > IMPORT_MAX_BYTES + REQUEST_OVERHEAD_BYTES


@console_admin_view
def partner_import(request: MemberRequest) -> HttpResponseBase:
    if request.method == "POST":
        if _too_large(request):
            refusal = _(
                "The file is larger than %(mb)d MB, the limit for one import. Nothing was "
                "read: split it in parts."
            ) % {"mb": IMPORT_MAX_BYTES // (1024 * 1024)}
            return _upload_page(request, error=refusal, status=413)
        if "digest" in request.POST:
            return _apply(request)
        return _upload(request)
    token = request.GET.get("upload", "")
    if not token:
        return _upload_page(request)
    stashed = partner_import_unstash(
        tenant_id=request.tenant.pk, user_id=request.user.pk, token=token
    )
    if stashed is None:
        messages.error(request, _("This upload has expired. Upload the file again."))
        return redirect("partners:import")
    plan = partner_import_plan(tenant=request.tenant, rows=partner_import_parse(stashed.data))
    return _plan_page(request, stashed=stashed, plan=plan, status=200)


def _upload(request: MemberRequest) -> HttpResponseBase:
    form = ImportUploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _upload_page(request, form=form, status=422)
    name, data = form.cleaned_data["file"]
    try:
        partner_import_parse(data)
    except ImportFileError as exc:
        form.add_error("file", str(exc))
        return _upload_page(request, form=form, status=422)
    stashed = partner_import_stash(
        tenant_id=request.tenant.pk, user_id=request.user.pk, name=name, data=data
    )
    return redirect(reverse("partners:import") + f"?upload={stashed.token}")


def _apply(request: MemberRequest) -> HttpResponseBase:
    form = ImportApplyForm(request.POST)
    stashed = None
    if form.is_valid():
        stashed = partner_import_unstash(
            tenant_id=request.tenant.pk,
            user_id=request.user.pk,
            token=form.cleaned_data["upload"],
        )
    if stashed is None or stashed.sha256 != form.cleaned_data.get("sha256"):
        messages.error(request, _("This upload has expired. Upload the file again."))
        return redirect("partners:import")
    try:
        result = partner_import_apply(
            tenant=request.tenant,
            actor=request.user,
            data=stashed.data,
            digest=form.cleaned_data["digest"],
            file_name=stashed.name,
            send_invitations=form.cleaned_data["invite"],
        )
    except PartnerImportRefused as exc:
        plan = exc.plan or partner_import_plan(
            tenant=request.tenant, rows=partner_import_parse(stashed.data)
        )
        status = 409 if isinstance(exc, PartnerImportStale) else 422
        return _plan_page(request, stashed=stashed, plan=plan, error=str(exc), status=status)
    partner_import_discard(
        tenant_id=request.tenant.pk, user_id=request.user.pk, token=stashed.token
    )
    if result.created or result.updated:
        messages.success(
            request,
            _(
                "Imported %(file)s: %(created)d partners created, %(updated)d updated, "
                "%(unchanged)d unchanged; %(people)d people added, %(invited)d invited."
            )
            % {
                "file": stashed.name,
                "created": result.created,
                "updated": result.updated,
                "unchanged": result.unchanged,
                "people": result.people_added,
                "invited": result.invitations,
            },
        )
    else:
        messages.info(
            request,
            _("Nothing to import: every row of %(file)s is already there.")
            % {"file": stashed.name},
        )
    return redirect("partners:explorer")


@console_admin_view
def partner_import_template(request: MemberRequest) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(partner_import_template_rows())
    # With a BOM, Excel opens the file as UTF-8.
    response = HttpResponse("\ufeff" + buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = 'attachment; filename="partners-import-template.csv"'
    return response
