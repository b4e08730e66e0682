import csv

from django.core.paginator import Paginator
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone
from django_scopes import scope

from apps.audit.selectors import audit_events_for_partner
from apps.partners.access import PartnerRequest, console_partner_view
from apps.partners.forms import ExplorerFilterForm
from apps.partners.selectors import (
    channel_managers_for,
    partner_explorer_export_rows,
    partner_explorer_page_rows,
    partner_explorer_queryset,
    partner_types_for,
    partner_users_of,
)
from apps.tenancy.access import console_view

PAGE_SIZE = 25


def _filter_form(request) -> ExplorerFilterForm:
    return ExplorerFilterForm(
        request.GET or None,
        partner_types=list(partner_types_for(tenant=request.tenant)),
        managers=list(channel_managers_for(tenant=request.tenant)),
    )


@console_view
def partner_explorer(request):
    form = _filter_form(request)
    filters = form.filters()
    queryset = partner_explorer_queryset(tenant=request.tenant, filters=filters)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(
        partner_explorer_page_rows(tenant=request.tenant, queryset=page.object_list)
    )
    query = request.GET.copy()
    query.pop("page", None)
    sort_query = query.copy()
    sort_query.pop("sort", None)
    context = {
        "nav": "partners",
        "form": form,
        "filters": filters,
        "page": page,
        "query": query.urlencode(),
        "sort_query": sort_query.urlencode(),
    }
    template = "partners/explorer.html#results" if request.htmx else "partners/explorer.html"
    response = render(request, template, context)
    response["Vary"] = "HX-Request"
    return response


@console_view
def partner_explorer_export(request):
    form = _filter_form(request)
    filters = form.filters()
    tenant = request.tenant
    queryset = partner_explorer_queryset(tenant=tenant, filters=filters)

    class Echo:
        def write(self, value):
            return value

    writer = csv.writer(Echo())

    def rows():
        # A streamed body is iterated after the middleware has returned: hold the scope here.
        with scope(tenant=tenant):
            yield writer.writerow(
                [
                    "id",
                    "company",
                    "type",
                    "tier",
                    "country",
                    "region",
                    "cam",
                    "status",
                    "created",
                    "activated",
                ]
            )
            for row in partner_explorer_export_rows(tenant=tenant, queryset=queryset).iterator(
                chunk_size=2000
            ):
                yield writer.writerow(
                    [_csv_safe(v.isoformat() if hasattr(v, "isoformat") else v) for v in row]
                )

    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="partners-{stamp}.csv"'
    return response


def _csv_safe(value):
    """Neutralise spreadsheet formulas in exported text (CSV injection)."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return "" if value is None else value


@console_partner_view
def partner_detail(request: PartnerRequest, partner_id: int) -> HttpResponse:
    account = request.partner_account
    return render(
        request,
        "partners/detail.html",
        {
            "nav": "partners",
            "tab": "overview",
            "account": account,
            "domains": list(account.domains.filter(tenant=request.tenant)),
            "users": list(partner_users_of(tenant=request.tenant, account=account)),
            "timeline": list(
                audit_events_for_partner(tenant=request.tenant, partner_id=account.pk)
            ),
        },
    )
