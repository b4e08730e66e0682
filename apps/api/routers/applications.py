"""/api/v1/applications: what prospects sent, where each stands, and the decision, with
approve and reject made by the API key through the same decision services as the Pending
Partners queue (apps/applications/services/reviews.py). Decisions are final: deciding an
application someone (or something) already decided is a 409 `conflict` that says who did.
"""

from typing import Annotated, Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Body, Field, Path, Query, Router, Schema

from apps.api.auth import scoped
from apps.api.errors import CONFLICT, NOT_FOUND, ApiError, ErrorOut
from apps.api.pagination import PageParams, keyset_page, page_of
from apps.api.schemas.applications import (
    ApplicationApproveIn,
    ApplicationOut,
    ApplicationRejectIn,
    ApplicationStatusValue,
    ApplicationSummaryOut,
)
from apps.api.schemas.common import ID_MAX, UtcDateTime
from apps.api.selectors_applications import (
    api_application_get,
    api_applications,
    api_partner_type_get,
)
from apps.applications.models import Application, DecidedVia
from apps.applications.services import ApplicationError
from apps.applications.services.reviews import application_approve, application_reject

router = Router(tags=["Applications"])

READ = "applications:read"
WRITE = "applications:write"

ApplicationId = Annotated[int, Path(ge=1, le=ID_MAX, description="The application's id.")]
ApplicationPage = page_of(ApplicationSummaryOut, name="ApplicationPage")

_READ_ERRORS: dict[int, Any] = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut}
_WRITE_ERRORS: dict[int, Any] = {**_READ_ERRORS, 409: ErrorOut}
_ORDER = ("-created_at", "-id")


class ApplicationFilters(Schema):
    # Not nullable: a query string cannot say null; an absent parameter is "no filter".
    status: ApplicationStatusValue = Field(  # type: ignore[assignment]
        None, description="Only applications in this status (e.g. `pending`)."
    )
    since: UtcDateTime = Field(  # type: ignore[assignment]
        None,
        description=(
            "Only applications submitted at or after this time (ISO 8601; without an offset, UTC)."
        ),
    )


def _summary(application: Application) -> dict[str, Any]:
    return {
        "id": application.pk,
        "status": application.status,
        "source": application.source,
        "email": application.email,
        "first_name": application.first_name,
        "last_name": application.last_name,
        "company": application.company,
        "country": application.country or None,
        "partner_type": {
            "id": application.partner_type.pk,
            "name": application.partner_type.name,
        },
        "created_at": application.created_at,
        "confirmed_at": application.confirmed_at,
        "decision": {
            "rule": application.rule or None,
            "decided_at": application.decided_at,
            "decided_via": application.decided_via or None,
            "reason": application.decision_reason,
            "partner_id": application.partner_account_id,
            "matched_partner_id": application.matched_account_id,
            "review_note": application.review_note,
        },
    }


def _detail(application: Application) -> dict[str, Any]:
    answers = application.answers if isinstance(application.answers, list) else []
    return {
        **_summary(application),
        "website": application.website,
        "phone": application.phone,
        "message": application.message,
        "answers": [
            {
                "key": str(answer.get("key", "")),
                "label": str(answer.get("label", "")),
                "value": answer.get("value"),
            }
            for answer in answers
            if isinstance(answer, dict)
        ],
        "updated_at": application.updated_at,
    }


def _application(request: HttpRequest, application_id: int) -> Application:
    application = api_application_get(tenant=request.tenant, application_id=application_id)  # type: ignore[attr-defined]
    if application is None:
        raise ApiError(404, NOT_FOUND, _("No application with that id."))
    return application


@router.get(
    "",
    auth=scoped(READ),
    response={200: ApplicationPage, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut},
    operation_id="applications_list",
    summary="List applications",
    description=(
        "The program's applications, newest first, filtered by `status` and `since` (submitted "
        "at or after), one page at a time (`cursor`, `limit`). Scope `applications:read`."
    ),
)
def applications_list(
    request: HttpRequest,
    page: Query[PageParams],
    filters: Query[ApplicationFilters],
) -> dict[str, Any]:
    rows = api_applications(
        tenant=request.tenant,  # type: ignore[attr-defined]
        status=filters.status,
        since=filters.since,
    )
    return keyset_page(
        rows,
        cursor=page.cursor,
        limit=page.limit,
        order=_ORDER,
        transform=lambda items: [_summary(item) for item in items],
    )


@router.get(
    "/{application_id}",
    auth=scoped(READ),
    response={200: ApplicationOut, **_READ_ERRORS},
    operation_id="application_get",
    summary="Get an application",
    description=(
        "One application: the applicant, their answers to the program's questions, its "
        "status and the decision. Scope `applications:read`."
    ),
)
def application_get(request: HttpRequest, application_id: ApplicationId) -> dict[str, Any]:
    return _detail(_application(request, application_id))


def _decided(request: HttpRequest, application_id: int) -> dict[str, Any]:
    """The application as it is now, after a decision."""
    return _detail(_application(request, application_id))


@router.post(
    "/{application_id}/approve",
    auth=scoped(WRITE),
    response={200: ApplicationOut, **_WRITE_ERRORS},
    operation_id="application_approve",
    summary="Approve an application",
    description=(
        "Approves a pending application as a new partner account (of the type applied for, "
        "or `partner_type_id`): the account, its first partner admin with a set-password "
        "email, its pipeline and milestone track, and a channel manager, as from the Pending "
        "Partners queue. The API key is the decision's actor. 409 `conflict` when the "
        "application is not pending (decisions are final). Scope `applications:write`."
    ),
)
def application_approve_endpoint(
    request: HttpRequest,
    application_id: ApplicationId,
    payload: Body[ApplicationApproveIn | None] = None,
) -> dict[str, Any]:
    _application(request, application_id)
    partner_type = None
    if payload is not None and payload.partner_type_id is not None:
        partner_type = api_partner_type_get(
            tenant=request.tenant,  # type: ignore[attr-defined]
            partner_type_id=payload.partner_type_id,
        )
        if partner_type is None:
            raise ApiError(404, NOT_FOUND, _("No partner type with that id in this program."))
    try:
        application_approve(
            tenant=request.tenant,  # type: ignore[attr-defined]
            actor=request.api_key,  # type: ignore[attr-defined]
            application_id=application_id,
            partner_type=partner_type,
            via=DecidedVia.API,
        )
    except ApplicationError as exc:
        raise ApiError(409, CONFLICT, str(exc)) from exc
    return _decided(request, application_id)


@router.post(
    "/{application_id}/reject",
    auth=scoped(WRITE),
    response={200: ApplicationOut, **_WRITE_ERRORS},
    operation_id="application_reject",
    summary="Reject an application",
    description=(
        "Rejects a pending application, with an optional `reason` (kept with the decision) "
        "and, with `notify_applicant`, the program's rejection email. The API key is the "
        "decision's actor. 409 `conflict` when the application is not pending. Scope "
        "`applications:write`."
    ),
)
def application_reject_endpoint(
    request: HttpRequest,
    application_id: ApplicationId,
    payload: Body[ApplicationRejectIn | None] = None,
) -> dict[str, Any]:
    _application(request, application_id)
    try:
        application_reject(
            tenant=request.tenant,  # type: ignore[attr-defined]
            actor=request.api_key,  # type: ignore[attr-defined]
            application_id=application_id,
            reason=payload.reason if payload is not None else "",
            notify_applicant=payload.notify_applicant if payload is not None else False,
            via=DecidedVia.API,
        )
    except ApplicationError as exc:
        raise ApiError(409, CONFLICT, str(exc)) from exc
    return _decided(request, application_id)
