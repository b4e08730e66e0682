"""The audit log page (/console/audit/, program admins) and its streamed CSV export."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from datetime import UTC
from typing import Any, NamedTuple

from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django_scopes import scope

from apps.audit.directory import partner_names
from apps.audit.forms import AuditLogFilterForm
from apps.audit.selectors import (
    AuditFilters,
    Cursor,
    audit_actor_choices,
    audit_log_export_rows,
    audit_log_page,
)
from apps.audit.services import audit_record
from apps.audit.verbs import AUDIT_EXPORTED
from apps.audit.vocabulary import audit_wording_text
from apps.core.spreadsheets import csv_safe
from apps.tenancy.access import console_admin_view
from apps.tenancy.http import TenantRequest

EXPORT_CHUNK = 2000
EXPORT_HEADER = (
    "time_utc",
    "actor_email",
    "actor_name",
    "verb",
    "wording",
    "target_type",
    "target_id",
    "target_label",
    "partner_id",
    "partner_name",
    "changes",
)
# Query-string keys that are positions, not filters (left out of links that change them).
_POSITION_KEYS = ("before", "after")


def _filter_query(request: HttpRequest, *, drop: tuple[str, ...] = ()) -> str:
    query = request.GET.copy()
    for key in (*_POSITION_KEYS, *drop):
        query.pop(key, None)
    return query.urlencode()


@console_admin_view
def audit_log(request: TenantRequest) -> HttpResponse:
    tenant = request.tenant
    form = AuditLogFilterForm(request.GET or None, tenant=tenant)
    filters = form.filters()
    page = audit_log_page(
        tenant=tenant,
        filters=filters,
        before=Cursor.decode(request.GET.get("before")),
        after=Cursor.decode(request.GET.get("after")),
    )
    names = partner_names(tenant=tenant, ids=[e.partner_id for e in page.events])
    for event in page.events:
        event.partner_name = names.get(event.partner_id or 0, "")
    context = {
        "nav": "settings",
        "settings_tab": "audit",
        "form": form,
        "filters": filters,
        "page": page,
        "query": _filter_query(request),
        "query_without_partner": _filter_query(request, drop=("partner", "partner_q")),
        "actor_choices": audit_actor_choices(tenant=tenant),
        "zone": form.zone,
    }
    with timezone.override(form.zone):
        return render(request, "audit/log.html", context)


class _Worded(NamedTuple):
    verb: str
    target_label: str
    data: Any


def _export_line(row: tuple[Any, ...], names: dict[int, str]) -> list[object]:
    (created_at, email, first, last, label, verb, ttype, tid, tlabel, partner_id, data) = row
    if email is None:  # the system (no actor)
        name = _("System") if label == "system" else label
    else:
        name = f"{first or ''} {last or ''}".strip()
    cells: list[object] = [
        created_at.astimezone(UTC).isoformat(),
        email or "",
        name,
        verb,
        audit_wording_text(_Worded(verb, tlabel, data)),
        ttype,
        tid,
        tlabel,
        partner_id if partner_id is not None else "",
        names.get(partner_id, "") if partner_id is not None else "",
        json.dumps(data, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True),
    ]
    return [csv_safe(cell) for cell in cells]


class _Echo:
    def write(self, value: str) -> str:
        return value


def _export_lines(tenant: Any, filters: AuditFilters, language: str | None) -> Iterator[str]:
    """The CSV, a chunk of rows at a time, from a server-side cursor: one query for the
    rows (fetched `EXPORT_CHUNK` at a time) and one per chunk for the partners' names."""
    writer = csv.writer(_Echo())
    # A streamed body is iterated after the view and the middleware have returned: hold the
    # tenant's scope and the request's language here.
    with scope(tenant=tenant), translation.override(language):
        yield writer.writerow(EXPORT_HEADER)
        chunk: list[tuple[Any, ...]] = []
        rows = audit_log_export_rows(tenant=tenant, filters=filters)
        for row in rows.iterator(chunk_size=EXPORT_CHUNK):
            chunk.append(row)
            if len(chunk) == EXPORT_CHUNK:
                yield _export_chunk(tenant, chunk, writer)
                chunk = []
        if chunk:
            yield _export_chunk(tenant, chunk, writer)


def _export_chunk(tenant: Any, chunk: list[tuple[Any, ...]], writer: Any) -> str:
    names = partner_names(tenant=tenant, ids=[row[9] for row in chunk])
    return "".join(writer.writerow(_export_line(row, names)) for row in chunk)


def _filters_text(form: AuditLogFilterForm, filters: AuditFilters) -> str:
    """The export's filters in words, for its own audit event."""
    parts = []
    if form.partner_name:
        parts.append(_("partner: %(name)s") % {"name": form.partner_name})
    elif filters.partner_ids:
        parts.append(_("%(count)d partners") % {"count": len(filters.partner_ids)})
    if filters.system:
        parts.append(_("by: System"))
    elif filters.actor_id is not None:
        parts.append(_("by: %(who)s") % {"who": form.cleaned_data.get("actor", "")})
    if filters.verb:
        parts.append(_("change: %(verb)s") % {"verb": filters.verb})
    if filters.since is not None:
        parts.append(_("from %(date)s") % {"date": form.cleaned_data["since"].isoformat()})
    if filters.until is not None:
        parts.append(_("to %(date)s") % {"date": form.cleaned_data["until"].isoformat()})
    return ", ".join(parts)


@console_admin_view
def audit_log_export(request: TenantRequest) -> StreamingHttpResponse:
    tenant = request.tenant
    form = AuditLogFilterForm(request.GET or None, tenant=tenant)
    filters = form.filters()
    with transaction.atomic():
        audit_record(
            tenant=tenant,
            actor=request.user,
            verb=AUDIT_EXPORTED,
            target=tenant,
            data={"filters": filters.as_data(), "filters_text": _filters_text(form, filters)},
        )
    stamp = timezone.now().strftime("%Y%m%d-%H%M")
    response = StreamingHttpResponse(
        _export_lines(tenant, filters, translation.get_language()),
        content_type="text/csv; charset=utf-8",
    )
    response["Content-Disposition"] = f'attachment; filename="audit-log-{stamp}.csv"'
    return response
