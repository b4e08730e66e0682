"""Console pages: the alert inbox, a partner's Milestones tab, the 90-day review package and
the program's milestone tracks. Authorise → form → service → render or redirect."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from apps.milestones.forms import (
    ActivityForm,
    BusinessPlanForm,
    InboxFilterForm,
    PlanItemFormSet,
    ReviewForm,
    SnoozeForm,
    TrackStartForm,
)
from apps.milestones.selectors.alerts import (
    INBOX_STATUSES,
    InboxFilters,
    alert_for_user,
    alert_inbox,
    alert_rules_for,
    alert_status_counts,
)
from apps.milestones.selectors.deals import partner_deals
from apps.milestones.selectors.review import review_package
from apps.milestones.selectors.timeline import partner_events_recent, partner_milestone_timeline
from apps.milestones.services import (
    AlertError,
    MilestoneError,
    PlanItem,
    alert_acknowledge,
    alert_snooze,
    business_plan_document,
    milestone_check_off,
    partner_activity_log,
    partner_track_start,
    review_record,
)
from apps.partners.access import console_partner_view
from apps.partners.selectors import channel_managers_for, partner_types_for
from apps.tenancy.access import console_view
from apps.tenancy.models import Role

if TYPE_CHECKING:
    from apps.partners.access import PartnerRequest
    from apps.partners.models import PartnerAccount
    from apps.tenancy.http import MemberRequest

PAGE_SIZE = 25


def _is_admin(request: MemberRequest) -> bool:
    return request.membership.role == Role.PROGRAM_ADMIN


def _moment(day: date | None) -> datetime | None:
    """A past day as a moment (now for today, midday otherwise)."""
    if day is None or day == timezone.localdate():
        return None
    return timezone.make_aware(datetime.combine(day, time(12, 0)))


# --- The alert inbox ---------------------------------------------------------------------


def _inbox_form(request: MemberRequest) -> InboxFilterForm:
    return InboxFilterForm(
        request.GET or None,
        rules=alert_rules_for(tenant=request.tenant),
        partner_types=list(partner_types_for(tenant=request.tenant)),
        managers=list(channel_managers_for(tenant=request.tenant)) if _is_admin(request) else [],
        is_admin=_is_admin(request),
    )


@console_view
def alert_inbox_view(request: MemberRequest) -> HttpResponse:
    form = _inbox_form(request)
    filters = form.filters()
    tenant, user, membership = request.tenant, request.user, request.membership
    rows = alert_inbox(tenant=tenant, user=user, membership=membership, filters=filters)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    counts = alert_status_counts(tenant=tenant, user=user, membership=membership, filters=filters)
    query = request.GET.copy()
    query.pop("page", None)
    status_query = query.copy()
    status_query.pop("status", None)
    context = {
        "nav": "alerts",
        "form": form,
        "filters": filters,
        "page": page,
        "counts": counts,
        "status_tabs": [(key, label, counts[key]) for key, label in INBOX_STATUSES.items()],
        "query": query.urlencode(),
        "status_query": status_query.urlencode(),
        "is_admin": _is_admin(request),
        "today": timezone.localdate(),
        "snooze_presets": _snooze_presets(),
        "filtered": any([filters.rule, filters.partner_type, filters.age, filters.cam]),
        "back": request.get_full_path(),
    }
    template = "milestones/inbox.html#results" if request.htmx else "milestones/inbox.html"
    response = render(request, template, context)
    response["Vary"] = "HX-Request"
    return response


def _snooze_presets() -> list[tuple[str, date]]:
    today = timezone.localdate()
    next_monday = today + timedelta(days=7 - today.weekday())
    if next_monday <= today + timedelta(days=1):
        next_monday += timedelta(days=7)
    return [
        ("Tomorrow", today + timedelta(days=1)),
        ("Next Monday", next_monday),
        ("In 2 weeks", today + timedelta(days=14)),
    ]


def _back(request: HttpRequest) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("alerts:inbox")


def _alert_row_response(
    request: MemberRequest, alert_id: int, error: str | None = None
) -> HttpResponse:
    """The alert's table row after a change (htmx swaps it in place)."""
    alert = (
        alert_inbox(
            tenant=request.tenant,
            user=request.user,
            membership=request.membership,
            filters=InboxFilters(status="all"),
        )
        .filter(pk=alert_id)
        .first()
    )
    return render(
        request,
        "milestones/inbox.html#alert_row",
        {
            "alert": alert,
            "is_admin": _is_admin(request),
            "today": timezone.localdate(),
            "snooze_presets": _snooze_presets(),
            "row_error": error,
            "back": _back(request),
        },
    )


@console_view
@require_POST
def alert_acknowledge_view(request: MemberRequest, alert_id: int) -> HttpResponse:
    alert = alert_for_user(
        tenant=request.tenant, user=request.user, membership=request.membership, alert_id=alert_id
    )
    if alert is None:
        raise Http404
    error = None
    try:
        alert_acknowledge(tenant=request.tenant, actor=request.user, alert_id=alert.pk)
    except AlertError as exc:
        error = str(exc)
    if request.htmx:
        return _alert_row_response(request, alert.pk, error)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, f"Alert acknowledged for {alert.account.name}.")
    return redirect(_back(request))


@console_view
@require_POST
def alert_snooze_view(request: MemberRequest, alert_id: int) -> HttpResponse:
    alert = alert_for_user(
        tenant=request.tenant, user=request.user, membership=request.membership, alert_id=alert_id
    )
    if alert is None:
        raise Http404
    form = SnoozeForm(request.POST)
    error = None
    if not form.is_valid():
        error = "Choose the day the alert should come back."
    else:
        try:
            alert_snooze(
                tenant=request.tenant,
                actor=request.user,
                alert_id=alert.pk,
                until=form.cleaned_data["until"],
            )
        except AlertError as exc:
            error = str(exc)
    if request.htmx:
        return _alert_row_response(request, alert.pk, error)
    if error:
        messages.error(request, error)
    else:
        until = form.cleaned_data["until"]
        messages.success(
            request,
            f"Alert for {alert.account.name} snoozed until {date_format(until, 'D j M Y')}.",
        )
    return redirect(_back(request))


# --- A partner's Milestones tab ------------------------------------------------------------


def _tracks_editor_url() -> str:
    """Where orientation items are chosen: the tracks editor (its URL name, or the settings
    page it replaces)."""
    for name in ("milestone_settings:tracks", "milestones_settings:tracks"):
        try:
            return reverse(name)
        except NoReverseMatch:
            continue
    return ""


def _tab_context(request: MemberRequest, account: PartnerAccount, **extra: Any) -> dict[str, Any]:
    timeline = partner_milestone_timeline(tenant=request.tenant, account=account)
    return {
        "nav": "partners",
        "tab": "milestones",
        "account": account,
        "timeline": timeline,
        "events": partner_events_recent(tenant=request.tenant, account=account),
        "deals": partner_deals(tenant=request.tenant, account=account) if timeline else [],
        "tracks_editor_url": _tracks_editor_url(),
        "activity_form": extra.pop("activity_form", None) or ActivityForm(),
        "start_form": extra.pop("start_form", None) or TrackStartForm(),
        "now": timezone.now(),
        **extra,
    }


@console_partner_view
def milestones_tab(request: PartnerRequest, partner_id: int) -> HttpResponse:
    account = request.partner_account
    return render(request, "milestones/tab.html", _tab_context(request, account))


@console_partner_view
@require_POST
def milestones_log(request: PartnerRequest, partner_id: int) -> HttpResponse:
    account = request.partner_account
    form = ActivityForm(request.POST)
    if form.is_valid():
        try:
            result = partner_activity_log(
                tenant=request.tenant,
                actor=request.user,
                account=account,
                activity=form.cleaned_data["activity"],
                occurred_at=_moment(form.cleaned_data["occurred_on"]),
                note=form.cleaned_data["note"],
                deal_reference=form.cleaned_data["deal_reference"],
                review_on=form.cleaned_data["review_on"],
            )
        except MilestoneError as exc:
            form.add_error(None, str(exc))
        else:
            label = result.event.data.get("label", result.event.type)
            done = len(result.completed_milestone_ids)
            resolved = len(result.resolved_alert_ids)
            extra = []
            if done:
                extra.append(f"{done} milestone{'s' if done > 1 else ''} completed")
            if resolved:
                extra.append(f"{resolved} alert{'s' if resolved > 1 else ''} resolved")
            messages.success(
                request,
                f"Logged: {label}." + (f" {', '.join(extra).capitalize()}." if extra else ""),
            )
            return redirect("milestones_partner:tab", partner_id=account.pk)
    return render(
        request,
        "milestones/tab.html",
        _tab_context(request, account, activity_form=form),
        status=422,
    )


@console_partner_view
@require_POST
def milestones_check_off(request: PartnerRequest, partner_id: int, item_id: int) -> HttpResponse:
    account = request.partner_account
    try:
        milestone_check_off(
            tenant=request.tenant,
            actor=request.user,
            account=account,
            partner_milestone_id=item_id,
            note=request.POST.get("note", "")[:2000],
        )
    except MilestoneError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Milestone checked off.")
    return redirect("milestones_partner:tab", partner_id=account.pk)


@console_partner_view
@require_POST
def milestones_start(request: PartnerRequest, partner_id: int) -> HttpResponse:
    account = request.partner_account
    form = TrackStartForm(request.POST)
    if form.is_valid():
        try:
            partner_track_start(
                tenant=request.tenant,
                actor=request.user,
                account=account,
                enrolled_at=_moment(form.cleaned_data["enrolled_on"]),
            )
        except MilestoneError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, f"Milestone tracking started for {account.name}.")
            return redirect("milestones_partner:tab", partner_id=account.pk)
    return render(
        request, "milestones/tab.html", _tab_context(request, account, start_form=form), status=422
    )


# --- The 90-day review package -------------------------------------------------------------


def _review_context(
    request: MemberRequest, account: PartnerAccount, **forms: Any
) -> dict[str, Any]:
    package = review_package(tenant=request.tenant, account=account)
    if package is None:
        raise Http404
    held = package["review"]
    return {
        "nav": "partners",
        "tab": "milestones",
        "account": account,
        "package": package,
        "review_form": forms.get("review_form")
        or ReviewForm(initial={"held_on": timezone.localdate()}),
        "plan_form": forms.get("plan_form") or BusinessPlanForm(),
        "item_formset": forms.get("item_formset") or PlanItemFormSet(prefix="items"),
        "now": timezone.now(),
        "held": held,
        "tracks_editor_url": _tracks_editor_url(),
    }


@console_partner_view
def review_view(request: PartnerRequest, partner_id: int) -> HttpResponse:
    account = request.partner_account
    try:
        context = _review_context(request, account)
    except Http404:
        # No milestone tracking yet: the Milestones tab offers to start it.
        return redirect("milestones_partner:tab", partner_id=account.pk)
    return render(request, "milestones/review.html", context)


@console_partner_view
@require_POST
def review_record_view(request: PartnerRequest, partner_id: int) -> HttpResponse:
    account = request.partner_account
    form = ReviewForm(request.POST)
    if form.is_valid():
        try:
            review_record(
                tenant=request.tenant,
                actor=request.user,
                account=account,
                held_on=form.cleaned_data["held_on"],
                notes=form.cleaned_data["notes"],
                scorecard_reviewed=form.cleaned_data["scorecard_reviewed"],
                attendees=form.cleaned_data["attendees"],
            )
        except MilestoneError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "The 90-day review is recorded.")
            return redirect("milestones_partner:review", partner_id=account.pk)
    return render(
        request,
        "milestones/review.html",
        _review_context(request, account, review_form=form),
        status=422,
    )


@console_partner_view
@require_POST
def review_plan_view(request: PartnerRequest, partner_id: int) -> HttpResponse:
    account = request.partner_account
    form = BusinessPlanForm(request.POST)
    items = PlanItemFormSet(request.POST, prefix="items")
    if form.is_valid() and items.is_valid():
        plan_items = [
            PlanItem(
                description=row["description"],
                owner=row.get("owner") or "joint",
                due_on=row["due_on"],
            )
            for row in items.cleaned_data
            if row.get("description")
        ]
        try:
            business_plan_document(
                tenant=request.tenant,
                actor=request.user,
                account=account,
                items=plan_items,
                **form.cleaned_data,
            )
        except MilestoneError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, "The joint business plan is documented.")
            return redirect("milestones_partner:review", partner_id=account.pk)
    return render(
        request,
        "milestones/review.html",
        _review_context(request, account, plan_form=form, item_formset=items),
        status=422,
    )


# Program settings: the milestone tracks editor is in views_tracks.py.
