"""Console (manage) and portal (read) views of the Assets library."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from apps.content import selectors
from apps.content.forms import AssetForm, ConsoleAssetFilterForm, LibraryFilterForm, ReplaceFileForm
from apps.content.models import Asset, AssetCategory, AssetKind, AssetVersion, OpenKind
from apps.content.services.assets import (
    ASSET_UPLOAD_POLICY,
    asset_archive,
    asset_create,
    asset_replace_file,
    asset_restore,
    asset_update,
)
from apps.content.services.errors import ContentError
from apps.content.services.opens import content_open_record
from apps.content.services.transitions import asset_events
from apps.content.uses import content_uses_warn
from apps.core.files import private_file_response
from apps.core.uploads import FILE_TYPES, FileType, too_large_message, upload_request_too_large
from apps.partners.models import PartnerAccount
from apps.partners.selectors import partner_account_of_membership, partner_types_for
from apps.tenancy.access import console_view, portal_view

CONSOLE_PAGE_SIZE = 25
PORTAL_PAGE_SIZE = 24


def _query_without_page(request: HttpRequest) -> str:
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


def _partner_account(request: HttpRequest) -> PartnerAccount | None:
    return partner_account_of_membership(membership=request.membership)


def _file_type_for(version: AssetVersion | None) -> FileType | None:
    if version is None:
        return None
    return next((t for t in FILE_TYPES.values() if version.ext in t.extensions), None)


# Console: assets -------------------------------------------------------------------------------


@console_view
def console_asset_list(request: HttpRequest) -> HttpResponse:
    form = ConsoleAssetFilterForm(request.GET or None)
    filters = form.filters()
    queryset = selectors.console_assets(tenant=request.tenant, filters=filters)
    page = Paginator(queryset, CONSOLE_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(
        selectors.console_asset_page_rows(tenant=request.tenant, queryset=page.object_list)
    )
    context = {
        "nav": "assets",
        "form": form,
        "filters": filters,
        "page": page,
        "query": _query_without_page(request),
    }
    template = (
        "content/console_asset_list.html#results"
        if request.htmx
        else "content/console_asset_list.html"
    )
    response = render(request, template, context)
    response["Vary"] = "HX-Request"
    return response


def _asset_form(
    request: HttpRequest,
    *,
    kind: str,
    creating: bool,
    data: Any = None,
    files: Any = None,
    initial: dict[str, Any] | None = None,
) -> AssetForm:
    return AssetForm(
        data,
        files,
        initial=initial,
        tenant=request.tenant,
        partner_types=partner_types_for(tenant=request.tenant),
        kind=kind,
        creating=creating,
    )


def _audience_args(data: dict[str, Any]) -> dict[str, Any]:
    return {
        "audience": data["audience"],
        "partner_types": list(data.get("partner_types") or []),
        "tiers": data.get("tiers") or [],
        "accounts": data.get("accounts") or [],
    }


@console_view
def console_asset_create(request: HttpRequest) -> HttpResponse:
    kind = AssetKind.LINK if request.GET.get("kind") == AssetKind.LINK else AssetKind.FILE
    status = 200
    request_error = ""
    if request.method == "POST":
        if upload_request_too_large(request, ASSET_UPLOAD_POLICY):
            # Nothing of the oversized body is validated or stored.
            form = _asset_form(request, kind=kind, creating=True, data=request.POST)
            request_error = too_large_message(ASSET_UPLOAD_POLICY)
            form.is_valid()
            form.errors["file"] = form.error_class([request_error])
            status = 413
        else:
            form = _asset_form(
                request, kind=kind, creating=True, data=request.POST, files=request.FILES
            )
            if form.is_valid():
                data = form.cleaned_data
                try:
                    asset = asset_create(
                        tenant=request.tenant,
                        actor=request.user,
                        title=data["title"],
                        description=data["description"],
                        category=data["category"],
                        tags=data["tags"],
                        upload=data.get("file"),
                        url=data.get("url") or "",
                        **_audience_args(data),
                    )
                except ContentError as exc:
                    form.add_error(None, str(exc))
                else:
                    messages.success(request, f"“{asset.title}” was added to the library.")
                    return redirect("content_console:asset_edit", pk=asset.pk)
            status = 422
    else:
        form = _asset_form(request, kind=kind, creating=True)
    return render(
        request,
        "content/console_asset_create.html",
        {"nav": "assets", "form": form, "kind": kind, "request_error": request_error},
        status=status,
    )


def _console_asset(request: HttpRequest, pk: int) -> Asset:
    try:
        return selectors.asset_get(tenant=request.tenant, pk=pk)
    except Asset.DoesNotExist as exc:
        raise Http404 from exc


def _asset_page(
    request: HttpRequest,
    asset: Asset,
    *,
    form: AssetForm | None = None,
    replace_form: ReplaceFileForm | None = None,
    status: int = 200,
    request_error: str = "",
) -> HttpResponse:
    types, accounts = selectors.asset_audience(tenant=request.tenant, asset=asset)
    if form is None:
        form = _asset_form(
            request,
            kind=asset.kind,
            creating=False,
            initial={
                "title": asset.title,
                "description": asset.description,
                "category": asset.category,
                "tags": ", ".join(asset.tags),
                "url": asset.url,
                "audience": asset.audience,
                "partner_types": [t.pk for t in types],
                "tiers": asset.audience_tiers,
                "accounts": "\n".join(a.name for a in accounts),
            },
        )
    return render(
        request,
        "content/console_asset_edit.html",
        {
            "nav": "assets",
            "asset": asset,
            "events": asset_events(asset),
            "form": form,
            "replace_form": replace_form or ReplaceFileForm(),
            "versions": list(selectors.asset_versions(tenant=request.tenant, asset=asset)),
            "opens": selectors.asset_recent_opens(tenant=request.tenant, asset=asset),
            "file_type": _file_type_for(asset.current_version),
            "audience_types": types,
            "audience_accounts": accounts,
            "request_error": request_error,
        },
        status=status,
    )


@console_view
def console_asset_edit(request: HttpRequest, pk: int) -> HttpResponse:
    asset = _console_asset(request, pk)
    if request.method != "POST":
        return _asset_page(request, asset)
    form = _asset_form(request, kind=asset.kind, creating=False, data=request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            asset_update(
                tenant=request.tenant,
                actor=request.user,
                asset=asset,
                title=data["title"],
                description=data["description"],
                category=data["category"],
                tags=data["tags"],
                url=data.get("url"),
                **_audience_args(data),
            )
        except ContentError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "Changes saved.")
            return redirect("content_console:asset_edit", pk=asset.pk)
    return _asset_page(request, asset, form=form, status=422)


@console_view
@require_POST
def console_asset_replace(request: HttpRequest, pk: int) -> HttpResponse:
    asset = _console_asset(request, pk)
    if upload_request_too_large(request, ASSET_UPLOAD_POLICY):
        replace_form = ReplaceFileForm()
        error = too_large_message(ASSET_UPLOAD_POLICY)
        return _asset_page(
            request, asset, replace_form=replace_form, status=413, request_error=error
        )
    replace_form = ReplaceFileForm(request.POST, request.FILES)
    if replace_form.is_valid():
        try:
            version = asset_replace_file(
                tenant=request.tenant,
                actor=request.user,
                asset=asset,
                upload=replace_form.cleaned_data["file"],
                note=replace_form.cleaned_data["note"],
            )
        except ContentError as exc:
            replace_form.add_error(None, str(exc))
        else:
            messages.success(request, f"New file uploaded: this is version {version.number}.")
            return redirect("content_console:asset_edit", pk=asset.pk)
    return _asset_page(request, asset, replace_form=replace_form, status=422)


def _asset_status_change(
    request: HttpRequest, pk: int, service: Callable[..., Asset], done: str
) -> HttpResponse:
    asset = _console_asset(request, pk)
    try:
        service(tenant=request.tenant, actor=request.user, asset=asset)
    except ContentError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done.format(title=asset.title))
        if service is asset_archive:  # the pipelines that still send partners to it
            content_uses_warn(request, tenant=request.tenant, asset=asset)
    return redirect("content_console:asset_edit", pk=asset.pk)


@console_view
@require_POST
def console_asset_archive(request: HttpRequest, pk: int) -> HttpResponse:
    return _asset_status_change(
        request, pk, asset_archive, "“{title}” was archived: partners no longer see it."
    )


@console_view
@require_POST
def console_asset_restore(request: HttpRequest, pk: int) -> HttpResponse:
    return _asset_status_change(request, pk, asset_restore, "“{title}” is back in the library.")


@console_view
def console_asset_version_download(request: HttpRequest, pk: int, version_pk: int) -> HttpResponse:
    """Staff download any version (not recorded as a partner open)."""
    try:
        version = selectors.asset_version_get(tenant=request.tenant, asset_pk=pk, pk=version_pk)
    except AssetVersion.DoesNotExist as exc:
        raise Http404 from exc
    file_type = _file_type_for(version)
    return private_file_response(
        name=version.file_name,
        content_type=version.content_type,
        filename=version.original_name,
        inline=bool(file_type and file_type.inline) and request.GET.get("download") != "1",
    )


# Portal ----------------------------------------------------------------------------------------


@portal_view
def portal_asset_list(request: HttpRequest) -> HttpResponse:
    account = _partner_account(request)
    form = LibraryFilterForm(request.GET or None)
    filters = form.filters()
    queryset = selectors.portal_library(
        tenant=request.tenant, partner_account=account, filters=filters
    )
    page = Paginator(queryset, PORTAL_PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    counts = selectors.portal_library_categories(tenant=request.tenant, partner_account=account)
    categories = [
        (value, label, counts[value]) for value, label in AssetCategory.choices if value in counts
    ]
    return render(
        request,
        "content/portal_asset_list.html",
        {
            "nav": "assets",
            "partner_account": account,
            "form": form,
            "filters": filters,
            "page": page,
            "categories": categories,
            "total": sum(counts.values()),
            "query": _query_without_page(request),
        },
    )


def _visible_asset(request: HttpRequest, pk: int) -> tuple[PartnerAccount | None, Asset]:
    account = _partner_account(request)
    try:
        asset = selectors.asset_get_visible(tenant=request.tenant, partner_account=account, pk=pk)
    except Asset.DoesNotExist as exc:
        raise Http404 from exc
    return account, asset


@portal_view
def portal_asset_detail(request: HttpRequest, pk: int) -> HttpResponse:
    account, asset = _visible_asset(request, pk)
    return render(
        request,
        "content/portal_asset_detail.html",
        {
            "nav": "assets",
            "partner_account": account,
            "asset": asset,
            "file_type": _file_type_for(asset.current_version),
        },
    )


def _serve_asset(request: HttpRequest, pk: int, *, kind: str) -> HttpResponse:
    account, asset = _visible_asset(request, pk)
    version = asset.current_version
    if asset.is_link:
        if kind == OpenKind.DOWNLOAD:
            raise Http404
    elif version is None:
        raise Http404
    content_open_record(
        tenant=request.tenant, user=request.user, partner_account=account, asset=asset, kind=kind
    )
    if asset.is_link:
        response = HttpResponseRedirect(asset.url)  # http(s) only: checked when saved
        response["Cache-Control"] = "private, no-store"
        response["Referrer-Policy"] = "no-referrer"
        return response
    file_type = _file_type_for(version)
    return private_file_response(
        name=version.file_name,
        content_type=version.content_type,
        filename=version.original_name,
        inline=kind == OpenKind.VIEW and bool(file_type and file_type.inline),
    )


@portal_view
def portal_asset_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Open in the browser (PDF, images, video, text) or follow a link; records a view."""
    return _serve_asset(request, pk, kind=OpenKind.VIEW)


@portal_view
def portal_asset_download(request: HttpRequest, pk: int) -> HttpResponse:
    """Download the file (Content-Disposition: attachment); records a download."""
    return _serve_asset(request, pk, kind=OpenKind.DOWNLOAD)
