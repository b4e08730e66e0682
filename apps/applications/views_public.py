"""The public pages on the tenant's host: the application form, its invited variant, the
confirmation link and "send me a new link". Nothing here says whether an address is known."""

from django.shortcuts import redirect, render
from django.urls import reverse

from apps.applications import ratelimit, selectors
from apps.applications.forms_public import ApplyForm, ResendForm
from apps.applications.services import (
    Applicant,
    ApplicationError,
    application_confirm,
    application_confirmation_resend,
    application_submit,
)
from apps.applications.services.intake import (
    ALREADY_CONFIRMED,
    CONFIRMED,
    EXPIRED,
    INVALID,
    NEW,
    UPDATED,
)
from apps.partners.catalog import partner_types_offered
from apps.tenancy.access import public_view

TOO_MANY = (
    "You have sent several applications in a short time. To protect applicants, please "
    "wait an hour and try again."
)


def _form(request, *, invitation=None, data=None):
    settings = selectors.program_settings_get(tenant=request.tenant)
    return ApplyForm(
        data,
        # Archived types are not offered (an invitation keeps the one it was sent with).
        partner_types=partner_types_offered(
            tenant=request.tenant, keep=invitation.partner_type_id if invitation else None
        ),
        questions=settings.questions or [],
        invitation=invitation,
    )


def _render_form(request, form, *, invitation=None, status=200):
    return render(
        request,
        "applications/apply.html",
        {"form": form, "invitation": invitation},
        status=status,
    )


def _submit(request, form, *, invitation=None):
    """Validate → rate limits → store. Returns a response."""
    if not form.is_valid():
        return _render_form(request, form, invitation=invitation, status=422)
    email = form.cleaned_data["email"]
    over = ratelimit.limits_hit(
        request,
        tenant_id=request.tenant.pk,
        checks=[
            (ratelimit.APPLY_PER_IP, ratelimit.client_ip(request)),
            (ratelimit.APPLY_PER_EMAIL, email),
        ],
    )
    if over:
        form.add_error(None, TOO_MANY)
        return _render_form(request, form, invitation=invitation, status=429)
    if form.is_bot:
        return redirect("applications_public:sent")
    data = form.cleaned_data
    applicant = Applicant(
        email=email,
        first_name=data["first_name"],
        last_name=data["last_name"],
        company=data["company"],
        partner_type=data["partner_type"],
        website=data.get("website") or "",
        phone=data.get("phone") or "",
        country=data.get("country") or "",
        message=data.get("message") or "",
        answers=form.answers(),
    )
    verified = invitation is not None and email == invitation.email
    try:
        submission = application_submit(
            tenant=request.tenant,
            applicant=applicant,
            invitation=invitation,
            email_verified=verified,
            ip=ratelimit.client_ip(request) or None,
        )
    except ApplicationError as exc:
        form.add_error(None, str(exc))
        return _render_form(request, form, invitation=invitation, status=422)
    if verified and submission.outcome in (NEW, UPDATED):
        return redirect(request.path)  # the invitation page now shows the outcome
    return redirect("applications_public:sent")


@public_view
def apply(request):
    if request.method == "POST":
        return _submit(request, _form(request, data=request.POST))
    return _render_form(request, _form(request))


@public_view
def apply_sent(request):
    return render(request, "applications/sent.html", {"resent": "resent" in request.GET})


@public_view
def apply_invited(request, token: str):
    link = selectors.invitation_open(tenant=request.tenant, token=token)
    if link.state == selectors.INVALID:
        return render(request, "applications/link.html", {"state": "invalid"}, status=404)
    if link.state in (selectors.EXPIRED, selectors.REVOKED):
        return render(
            request,
            "applications/link.html",
            {"state": f"invitation_{link.state}", "invitation": link.invitation},
            status=410,
        )
    invitation = link.invitation
    if link.state != selectors.VALID:  # used: show what became of the application
        application = selectors.application_from_invitation(
            tenant=request.tenant, invitation=invitation
        )
        return render(
            request,
            "applications/outcome.html",
            {"application": application, "from_invitation": True},
        )
    if request.method == "POST":
        return _submit(
            request, _form(request, invitation=invitation, data=request.POST), invitation=invitation
        )
    return _render_form(request, _form(request, invitation=invitation), invitation=invitation)


@public_view
def confirm(request, token: str):
    """The link in the confirmation email. Opening it confirms (once) and decides."""
    if ratelimit.limit_hit(
        ratelimit.CONFIRM_PER_IP, tenant_id=request.tenant.pk, value=ratelimit.client_ip(request)
    ):
        return render(request, "applications/link.html", {"state": "slow_down"}, status=429)
    result = application_confirm(tenant=request.tenant, token=token)
    if result.state == INVALID:
        return render(request, "applications/link.html", {"state": "invalid"}, status=404)
    if result.state == EXPIRED:
        return render(
            request,
            "applications/link.html",
            {"state": "expired", "form": ResendForm()},
            status=410,
        )
    return render(
        request,
        "applications/outcome.html",
        {
            "application": result.application,
            "just_confirmed": result.state == CONFIRMED,
            "already_confirmed": result.state == ALREADY_CONFIRMED,
        },
    )


@public_view
def resend(request):
    form = ResendForm(request.POST or None)
    if request.method == "POST":
        if not form.is_valid():
            return render(request, "applications/resend.html", {"form": form}, status=422)
        email = form.cleaned_data["email"]
        over = ratelimit.limits_hit(
            request,
            tenant_id=request.tenant.pk,
            checks=[
                (ratelimit.RESEND_PER_IP, ratelimit.client_ip(request)),
                (ratelimit.RESEND_PER_EMAIL, email),
            ],
        )
        if over:
            form.add_error(None, TOO_MANY.replace("applications", "requests"))
            return render(request, "applications/resend.html", {"form": form}, status=429)
        application_confirmation_resend(tenant=request.tenant, email=email)
        return redirect(reverse("applications_public:sent") + "?resent=1")
    return render(request, "applications/resend.html", {"form": form})
