"""The console: the Pending Partners queue, one application, invitations, settings."""

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from apps.applications import selectors
from apps.applications.countries import country_name
from apps.applications.forms_invitations import InviteForm
from apps.applications.forms_queue import (
    STATUS_FILTERS,
    AddToAccountForm,
    ApproveForm,
    BulkForm,
    QueueFilterForm,
    RejectForm,
)
from apps.applications.forms_settings import SettingsForm, question_formset
from apps.applications.models import Application, Invitation
from apps.applications.services import (
    ApplicationError,
    application_add_to_account,
    application_approve,
    application_events,
    application_reject,
    applications_bulk_decide,
    invitation_events,
    invitation_resend,
    invitation_revoke,
    invitations_send,
    program_settings_update,
)
from apps.applications.services.transitions import statuses_allowing
from apps.partners.catalog import partner_types_offered
from apps.partners.selectors import partner_types_for
from apps.tenancy.access import console_admin_view, console_view

PAGE_SIZE = 25


def _application(request, pk: int) -> Application:
    try:
        return selectors.application_get(tenant=request.tenant, pk=pk)
    except Application.DoesNotExist as exc:
        raise Http404 from exc


def _detail_url(pk: int) -> str:
    return reverse("applications_console:detail", args=[pk])


@console_view
def queue(request):
    partner_types = list(partner_types_for(tenant=request.tenant))
    form = QueueFilterForm(request.GET or None, partner_types=partner_types)
    filters = form.filters()
    queryset = selectors.application_queue(tenant=request.tenant, filters=filters)
    page = Paginator(queryset, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(selectors.application_queue_rows(queryset=page.object_list))
    query = request.GET.copy()
    query.pop("page", None)
    status_query = query.copy()
    status_query.pop("status", None)
    counts = selectors.application_status_counts(tenant=request.tenant)
    request._pending_applications = counts.get("pending", 0)  # the nav badge's count
    status_tabs = [
        (value, label, None if value == "all" else counts.get(value, 0))
        for value, label in STATUS_FILTERS
    ]
    context = {
        "nav": "applications",
        "form": form,
        "filters": filters,
        "status_tabs": status_tabs,
        # The bulk bar and the row checkboxes: only where every listed row may be decided.
        "decidable": filters.status in statuses_allowing("approve", "reject"),
        "page": page,
        "query": query.urlencode(),
        "status_query": status_query.urlencode(),
    }
    template = "applications/queue.html#results" if request.htmx else "applications/queue.html"
    response = render(request, template, context)
    response["Vary"] = "HX-Request"
    return response


@console_view
def detail(request, pk: int):
    application = _application(request, pk)
    partner_types = partner_types_for(tenant=request.tenant)
    account_q = request.GET.get("account_q", "")[:200]
    choices = selectors.account_choices(tenant=request.tenant, q=account_q)
    matched = application.matched_account
    if matched is not None:
        choices = [matched] + [a for a in choices if a.pk != matched.pk]
    context = {
        "nav": "applications",
        "application": application,
        "events": application_events(application),
        "country": country_name(application.country),
        "matched": (
            selectors.account_summary(tenant=request.tenant, account=matched) if matched else None
        ),
        "approve_form": ApproveForm(
            initial={"partner_type": application.partner_type_id}, partner_types=partner_types
        ),
        "reject_form": RejectForm(),
        "account_q": account_q,
        "account_choices": choices,
        "history": selectors.application_history(tenant=request.tenant, application=application),
    }
    if request.htmx and request.GET.get("partial") == "accounts":
        return render(request, "applications/detail.html#account_picker", context)
    return render(request, "applications/detail.html", context)


def _decided(request, application, verb: str):
    messages.success(request, f"{application.company} {verb}.")
    return redirect(_detail_url(application.pk))


@console_view
@require_POST
def approve(request, pk: int):
    application = _application(request, pk)
    form = ApproveForm(request.POST, partner_types=partner_types_for(tenant=request.tenant))
    if not form.is_valid():
        messages.error(request, "Choose one of the program’s partner types.")
        return redirect(_detail_url(pk))
    try:
        application_approve(
            tenant=request.tenant,
            actor=request.user,
            application_id=application.pk,
            partner_type=form.cleaned_data["partner_type"],
        )
    except ApplicationError as exc:
        messages.error(request, str(exc))
        return redirect(_detail_url(pk))
    return _decided(request, application, "is approved as a new partner")


@console_view
@require_POST
def add_to_account(request, pk: int):
    application = _application(request, pk)
    form = AddToAccountForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose the partner account to add them to.")
        return redirect(_detail_url(pk))
    account = selectors.partner_account_find(tenant=request.tenant, pk=form.cleaned_data["account"])
    if account is None:
        messages.error(request, "Choose one of your partner accounts.")
        return redirect(_detail_url(pk))
    try:
        application_add_to_account(
            tenant=request.tenant,
            actor=request.user,
            application_id=application.pk,
            account_id=account.pk,
        )
    except ApplicationError as exc:
        messages.error(request, str(exc))
        return redirect(_detail_url(pk))
    messages.success(request, f"{application.full_name} is added to {account.name}.")
    return redirect(_detail_url(pk))


@console_view
@require_POST
def reject(request, pk: int):
    application = _application(request, pk)
    form = RejectForm(request.POST)
    form.is_valid()
    data = getattr(form, "cleaned_data", {})
    try:
        application_reject(
            tenant=request.tenant,
            actor=request.user,
            application_id=application.pk,
            reason=data.get("reason", ""),
            notify_applicant=bool(data.get("notify")),
        )
    except ApplicationError as exc:
        messages.error(request, str(exc))
        return redirect(_detail_url(pk))
    return _decided(request, application, "is rejected")


@console_view
@require_POST
def bulk(request):
    form = BulkForm(request.POST)
    back = reverse("applications_console:queue")
    if request.POST.get("next", "").startswith("?"):
        back += request.POST["next"]
    if not form.is_valid():
        messages.error(request, "Select at least one application, then approve or reject.")
        return redirect(back)
    data = form.cleaned_data
    result = applications_bulk_decide(
        tenant=request.tenant,
        actor=request.user,
        application_ids=data["ids"],
        decision=data["decision"],
        reason=data.get("reason", ""),
        notify_applicant=bool(data.get("notify")),
    )
    verb = "approved" if data["decision"] == "approve" else "rejected"
    if result.done:
        n = len(result.done)
        messages.success(request, f"{n} application{'s' if n != 1 else ''} {verb}.")
    for _pk, message in result.failed[:5]:
        messages.error(request, message)
    if len(result.failed) > 5:
        messages.error(request, f"{len(result.failed) - 5} more could not be {verb}.")
    return redirect(back)


# --- Invitations ---------------------------------------------------------------------------


def _invitation(request, pk: int) -> Invitation:
    invitation = selectors.invitation_get(tenant=request.tenant, pk=pk)
    if invitation is None:
        raise Http404
    return invitation


@console_view
def invitations(request):
    partner_types = partner_types_offered(tenant=request.tenant)
    form = InviteForm(request.POST or None, request.FILES or None, partner_types=partner_types)
    if request.method == "POST" and form.is_valid():
        try:
            batch = invitations_send(
                tenant=request.tenant,
                actor=request.user,
                emails=form.cleaned_data["addresses"],
                partner_type=form.cleaned_data["partner_type"],
                note=form.cleaned_data.get("note", ""),
            )
        except ApplicationError as exc:
            form.add_error(None, str(exc))
        else:
            _report_batch(request, batch)
            return redirect("applications_console:invitations")
    state = request.GET.get("state", "")
    rows = selectors.invitations_list(tenant=request.tenant, state=state)
    page = Paginator(rows, PAGE_SIZE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    accepted = selectors.invitation_accepted_applications(
        tenant=request.tenant, invitation_ids=[i.pk for i in page.object_list]
    )
    for invitation in page.object_list:
        invitation.application_id = accepted.get(invitation.pk)
        invitation.events = invitation_events(invitation)
    return render(
        request,
        "applications/invitations.html",
        {
            "nav": "applications",
            "form": form,
            "page": page,
            "state": state,
            "query": f"state={state}" if state else "",
        },
        status=422 if request.method == "POST" else 200,
    )


def _report_batch(request, batch) -> None:
    sent = len(batch.sent) + len(batch.resent)
    if sent:
        text = f"{sent} invitation{'s' if sent != 1 else ''} sent"
        if batch.resent:
            text += f" ({len(batch.resent)} of them again, with a new link)"
        messages.success(request, text + ".")
    for email, why in batch.skipped[:10]:
        messages.warning(request, f"Not invited: {email} {why}.")
    if len(batch.skipped) > 10:
        messages.warning(request, f"{len(batch.skipped) - 10} more addresses were not invited.")


@console_view
@require_POST
def invitation_resend_view(request, pk: int):
    invitation = _invitation(request, pk)
    try:
        invitation_resend(tenant=request.tenant, actor=request.user, invitation_id=invitation.pk)
    except ApplicationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"The invitation to {invitation.email} is sent again.")
    return redirect("applications_console:invitations")


@console_view
@require_POST
def invitation_revoke_view(request, pk: int):
    invitation = _invitation(request, pk)
    try:
        invitation_revoke(tenant=request.tenant, actor=request.user, invitation_id=invitation.pk)
    except ApplicationError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, f"The invitation to {invitation.email} is revoked.")
    return redirect("applications_console:invitations")


# --- Settings (program admins) -------------------------------------------------------------


@console_admin_view
def settings_view(request):
    current = selectors.program_settings_get(tenant=request.tenant)
    managers = list(selectors.channel_managers(tenant=request.tenant))
    if request.method == "POST":
        form = SettingsForm(request.POST, managers=managers)
        questions = question_formset(request.POST)
        if form.is_valid() and questions.is_valid():
            program_settings_update(
                tenant=request.tenant,
                actor=request.user,
                questions=questions.specs(),
                **form.service_fields(),
            )
            messages.success(request, "Application settings saved.")
            return redirect("applications_console:settings")
        status = 422
    else:
        form = SettingsForm(initial=SettingsForm.initial_from(current), managers=managers)
        questions = question_formset(questions=current.questions or [])
        status = 200
    return render(
        request,
        "applications/settings.html",
        {
            "nav": "applications",
            "form": form,
            "questions": questions,
            "decision_rows": _decision_rows(current),
            "apply_url": request.build_absolute_uri(reverse("applications_public:apply")),
        },
        status=status,
    )


def _decision_rows(current) -> list[tuple]:
    """DOMAIN §3's table, each row marked when it applies with the saved settings."""
    auto, matching = current.auto_onboarding, current.domain_matching
    return [
        ("Off", "Off", "Any", "Pending", not auto and not matching),
        ("On", "Off", "Any", "Approved: new partner", auto and not matching),
        ("Any", "On", "Matches a partner account", "Pending, partner proposed", matching),
        ("Any", "On", "Matches none", "Approved: new partner", matching),
        ("Any", "On", "Public mail provider", "Pending", matching),
    ]
