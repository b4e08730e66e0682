import csv
from collections.abc import Callable

from django.contrib import messages
from django.http import HttpResponse, QueryDict, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_POST
from django_scopes import scope

from apps.audit.selectors import Cursor, audit_timeline_page
from apps.core.spreadsheets import csv_safe
from apps.partners.access import (
    PartnerRequest,
    console_partner_view,
    portal_account_is_suspended,
    portal_partner_account,
)
from apps.partners.catalog import TierCatalogue, tier_catalogue, tier_choices
from apps.partners.explorer_registry import explorer_cells, explorer_columns
from apps.partners.forms import ExplorerFilterForm, PartnerBulkForm
from apps.partners.models import PartnerAccount
from apps.partners.saved_views import saved_view_query_clean, saved_views_for
from apps.partners.selectors import (
    channel_managers_for,
    partner_explorer_export_rows,
    partner_explorer_queryset,
    partner_types_for,
    partner_users_of,
)
from apps.partners.selectors_explorer import (
    PAGE_NUMBER_LIMIT,
    partner_explorer_page,
)
from apps.partners.selectors_profile import partner_profile_summary
from apps.partners.services import (
    PartnerError,
    partner_accounts_bulk_update,
    partner_reactivate,
    partner_status_events,
    partner_suspend,
)
from apps.tenancy.access import console_view, portal_ungated_view
from apps.tenancy.http import TenantRequest
from apps.tenancy.models import Membership

EXPORT_CHUNK = 2000


def _filter_form(
    request, managers: list[Membership] | None = None, tiers: TierCatalogue | None = None
) -> ExplorerFilterForm:
    tiers = tiers or tier_catalogue(tenant=request.tenant)
    return ExplorerFilterForm(
        request.GET or None,
        partner_types=list(partner_types_for(tenant=request.tenant)),
        managers=(
            managers if managers is not None else list(channel_managers_for(tenant=request.tenant))
        ),
        tiers=tiers.filter_choices(),
        tenant=request.tenant,
    )


@console_view
def partner_explorer(request: TenantRequest) -> HttpResponse:
    managers = list(channel_managers_for(tenant=request.tenant))
    tiers = tier_catalogue(tenant=request.tenant)
    partner_types = list(partner_types_for(tenant=request.tenant))
    form = ExplorerFilterForm(
        request.GET or None,
        partner_types=partner_types,
        managers=managers,
        tiers=tiers.filter_choices(),
        tenant=request.tenant,
    )
    filters = form.filters()
    # Keyset pages (apps/partners/selectors_explorer.py): `?after=`/`?before=` a row's
    # cursor; `?page=N` for old links to the first pages. No full COUNT(*) past 10,000.
    page = partner_explorer_page(
        tenant=request.tenant,
        filters=filters,
        type_order=[t.pk for t in partner_types],
        tier_order=[key for key, _label, _archived in tiers.rows],
        after=request.GET.get("after"),
        before=request.GET.get("before"),
        page_number=request.GET.get("page"),
    )
    if "cursor" in page.notes:
        messages.warning(request, _("That page link is not valid here: showing the first page."))
    if "page" in page.notes:
        messages.info(
            request,
            _("Page numbers go up to %(limit)d: use Next and Previous to go further.")
            % {"limit": PAGE_NUMBER_LIMIT},
        )
    labels = tiers.labels()
    # Columns other apps register (the current stage): one query each for the page's rows.
    columns = explorer_columns()
    cells = explorer_cells(tenant=request.tenant, account_ids=[p.pk for p in page.object_list])
    for partner in page.object_list:
        partner.tier_label = labels.get(partner.tier, partner.tier)
        partner.explorer_cells = [cells[c.name].get(partner.pk) for c in columns]
    query = request.GET.copy()
    for position in ("page", "after", "before"):
        query.pop(position, None)
    sort_query = query.copy()
    sort_query.pop("sort", None)
    context = {
        "nav": "partners",
        "form": form,
        "filters": filters,
        "page": page,
        "query": query.urlencode(),
        "sort_query": sort_query.urlencode(),
        "full_query": request.GET.urlencode(),
        "bulk_form": PartnerBulkForm(managers=managers, tiers=tiers.choices()),
        "columns": columns,
        "saved_query": saved_view_query_clean(query.urlencode()),
        "saved_views": saved_views_for(tenant=request.tenant, user=request.user),
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
    columns = explorer_columns()

    def chunk_lines(chunk: list[tuple]) -> str:
        # The registered columns (current stage) of a chunk: one query each per chunk.
        cells = explorer_cells(tenant=tenant, account_ids=[row[0] for row in chunk])
        lines = []
        for row in chunk:
            extra = [cells[c.name].get(row[0]) for c in columns]
            lines.append(
                writer.writerow(
                    [csv_safe(v.isoformat() if hasattr(v, "isoformat") else v) for v in row]
                    + [csv_safe(cell.text if cell else "") for cell in extra]
                )
            )
        return "".join(lines)

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
                    *(c.name for c in columns),
                ]
            )
            chunk: list[tuple] = []
            for row in partner_explorer_export_rows(tenant=tenant, queryset=queryset).iterator(
                chunk_size=EXPORT_CHUNK
            ):
                chunk.append(row)
                if len(chunk) == EXPORT_CHUNK:
                    yield chunk_lines(chunk)
                    chunk = []
            if chunk:
                yield chunk_lines(chunk)

    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(rows(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="partners-{stamp}.csv"'
    return response


@console_view
@require_POST
def partner_bulk_update(request: TenantRequest) -> HttpResponse:
    """Assign a CAM and/or set the tier of the accounts selected in the Explorer, then go
    back to the Explorer with the same filters."""
    managers = list(channel_managers_for(tenant=request.tenant))
    form = PartnerBulkForm(
        request.POST, managers=managers, tiers=tier_choices(tenant=request.tenant)
    )
    back = QueryDict(request.POST.get("query", ""))
    target = reverse("partners:explorer") + (f"?{back.urlencode()}" if back else "")
    if not form.is_valid():
        if "partner" in form.errors:
            messages.error(request, _("Select at least one partner."))
        else:
            messages.error(request, _("Choose an active channel manager or a tier."))
        return redirect(target)
    try:
        changed = partner_accounts_bulk_update(
            tenant=request.tenant,
            actor=request.user,
            account_ids=form.cleaned_data["partner"],
            cam_id=form.cleaned_data["cam"],
            tier=form.cleaned_data["tier"] or None,
        )
    except PartnerError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            ngettext(
                "%(count)d partner account updated.",
                "%(count)d partner accounts updated.",
                len(changed),
            )
            % {"count": len(changed)},
        )
    return redirect(target)


@console_partner_view
def partner_detail(request: PartnerRequest, partner_id: int) -> HttpResponse:
    account = request.partner_account
    # The timeline in keyset pages: `?before=<position>` shows the events older than it
    # (the whole page without JS; only the timeline's next items for htmx).
    timeline = audit_timeline_page(
        tenant=request.tenant,
        partner_id=account.pk,
        before=Cursor.decode(request.GET.get("before")),
    )
    if request.htmx and request.GET.get("before"):
        return render(
            request,
            "partners/detail.html#timeline_items",
            {"account": account, "timeline": timeline.events, "timeline_page": timeline},
        )
    return render(
        request,
        "partners/detail.html",
        {
            "nav": "partners",
            "tab": "overview",
            "account": account,
            "status_events": partner_status_events(account),
            "domains": list(account.domains.filter(tenant=request.tenant)),
            "users": list(partner_users_of(tenant=request.tenant, account=account)),
            # The company profile card (issue 12): two queries (settings, profile).
            "profile_summary": partner_profile_summary(tenant=request.tenant, account=account),
            "timeline": timeline.events,
            "timeline_page": timeline,
        },
    )


def _partner_status_change(
    request: PartnerRequest, service: Callable[..., PartnerAccount], done: str
) -> HttpResponse:
    account = request.partner_account
    try:
        service(
            tenant=request.tenant,
            actor=request.user,
            account_id=account.pk,
            reason=request.POST.get("reason", ""),
        )
    except PartnerError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, done % {"name": account.name})
    return redirect("partners:detail", partner_id=account.pk)


@console_partner_view
@require_POST
def partner_suspend_view(request: PartnerRequest, partner_id: int) -> HttpResponse:
    return _partner_status_change(
        request,
        partner_suspend,
        _("“%(name)s” is suspended: its users can no longer use the portal."),
    )


@console_partner_view
@require_POST
def partner_reactivate_view(request: PartnerRequest, partner_id: int) -> HttpResponse:
    return _partner_status_change(
        request,
        partner_reactivate,
        _("“%(name)s” is active again: its users are back where they left off."),
    )


@portal_ungated_view
def portal_suspended(request: TenantRequest) -> HttpResponse:
    """The one portal page a suspended account's users can open (403, saying why)."""
    if not portal_account_is_suspended(request):
        return redirect("portal:home")
    return render(
        request,
        "portal/suspended.html",
        {"account": portal_partner_account(request)},
        status=403,
    )
