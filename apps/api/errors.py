"""The API's one error envelope, and the handlers that put every failure into it.

Every error body is::

    {"error": {"code": "not_found", "message": "No partner with that id.",
               "fields": {"name": ["…"]}}}          # `fields` only for validation errors

Raise `ApiError(status, code, message, fields=None, headers=None)` from a handler, a
service wrapper or an auth callback; declare the statuses an operation answers with
`response={200: X, 404: ErrorOut, ...}` so the OpenAPI document (and schemathesis) know them.

Request validation by ninja/pydantic becomes 400 `invalid` with `fields` keyed by the
field's name (a body field `partner_id`, a query parameter `limit`, a header
`Idempotency-Key`). A rule across fields (a pydantic model validator) names its field with
`field_error("partner", "Give exactly one of …")`, raised inside the validator.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from pydantic import Field
from pydantic_core import PydanticCustomError

if TYPE_CHECKING:
    from ninja import NinjaAPI

# The codes of the envelope (the last part of the contract clients switch on).
INVALID = "invalid"
UNAUTHORIZED = "unauthorized"
INSUFFICIENT_SCOPE = "insufficient_scope"
NOT_FOUND = "not_found"
METHOD_NOT_ALLOWED = "method_not_allowed"
CONFLICT = "conflict"
RATE_LIMITED = "rate_limited"
INVALID_CURSOR = "invalid_cursor"

# The code ninja's own HttpError statuses map to.
_CODE_FOR_STATUS = {
    400: INVALID,
    401: UNAUTHORIZED,
    403: INSUFFICIENT_SCOPE,
    404: NOT_FOUND,
    405: METHOD_NOT_ALLOWED,
    409: CONFLICT,
    429: RATE_LIMITED,
}
FIELD_ERROR = "field_error"


class ApiError(Exception):
    """An error answered in the envelope: `raise ApiError(404, "not_found", _("…"))`."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        fields: dict[str, list[str]] | None = None,
        headers: dict[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.fields = fields
        self.headers = headers or {}


class ErrorDetail(Schema):
    code: str = Field(
        description=(
            "What went wrong, for programs: `invalid`, `invalid_cursor`, `unauthorized`, "
            "`insufficient_scope`, `not_found`, `method_not_allowed`, `conflict`, "
            "`rate_limited`, or an endpoint's own code (e.g. `partner_suspended`)."
        )
    )
    message: str = Field(description="What went wrong, for people (English).")
    fields: dict[str, list[str]] | None = Field(
        None, description="Per-field messages, for validation errors only."
    )


class ErrorOut(Schema):
    """The error envelope of every non-2xx response."""

    error: ErrorDetail = Field(description="The error.")


def field_error(field: str, message: str) -> PydanticCustomError:
    """A pydantic error for a model validator that names the field it is about."""
    return PydanticCustomError(FIELD_ERROR, message, {"field": field})


def error_body(code: str, message: str, fields: dict[str, list[str]] | None = None) -> dict:
    error: dict[str, Any] = {"code": code, "message": message}
    if fields:
        error["fields"] = fields
    return {"error": error}


def error_response(
    api: NinjaAPI | None,
    request: HttpRequest,
    status: int,
    code: str,
    message: str,
    *,
    fields: dict[str, list[str]] | None = None,
    headers: dict[str, str] | None = None,
) -> HttpResponse:
    from django.http import JsonResponse

    body = error_body(code, message, fields)
    response: HttpResponse = (
        api.create_response(request, body, status=status)
        if api is not None
        else JsonResponse(body, status=status)
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _field_name(error: dict) -> str:
    """The name a client knows a validation error by."""
    ctx = error.get("ctx") or {}
    if error.get("type") == FIELD_ERROR and ctx.get("field"):
        return str(ctx["field"])
    loc = [part for part in error.get("loc", ()) if not isinstance(part, int)]
    # loc is (source, parameter name, field, ...): ("body", "payload", "partner_id"),
    # ("query", "limit"), ("header", "Idempotency-Key"). A body schema's own field path
    # is what clients know; a whole-body error is "body".
    source = loc[0] if loc else "body"
    rest = [str(p) for p in loc[1:]]
    if source == "body":
        rest = rest[1:]  # the handler's parameter name
        return ".".join(rest) if rest else "body"
    return ".".join(rest) if rest else str(source)


def _message(error: dict) -> str:
    if error.get("type") == "extra_forbidden":
        return _("Unknown field.")
    if error.get("type") == "missing":
        return _("Required.")
    message = str(error.get("msg") or _("Not valid."))
    # pydantic prefixes the messages of ValueError raised in validators.
    return message.removeprefix("Value error, ")


def validation_fields(errors: list[dict]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for error in errors:
        messages = fields.setdefault(_field_name(error), [])
        message = _message(error)
        if message not in messages:
            messages.append(message)
    return fields


def install_handlers(api: NinjaAPI) -> None:
    """Replace ninja's default handlers with ones answering in the envelope."""

    def on_api_error(request: HttpRequest, exc: ApiError) -> HttpResponse:
        return error_response(
            api,
            request,
            exc.status,
            exc.code,
            exc.message,
            fields=exc.fields,
            headers=exc.headers,
        )

    def on_validation(request: HttpRequest, exc: ValidationError) -> HttpResponse:
        return error_response(
            api,
            request,
            400,
            INVALID,
            _("The request is not valid."),
            fields=validation_fields(exc.errors),
        )

    def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
        code = _CODE_FOR_STATUS.get(exc.status_code, INVALID)
        headers = {}
        message = str(exc)
        if isinstance(exc, AuthenticationError):
            message = _("Send a valid API key of this program: Authorization: Bearer onr_…")
            headers["WWW-Authenticate"] = 'Bearer realm="api"'
        elif exc.status_code == 400:
            message = _("The body is not valid JSON.")
        return error_response(api, request, exc.status_code, code, message, headers=headers)

    def on_404(request: HttpRequest, exc: Http404) -> HttpResponse:
        return error_response(api, request, 404, NOT_FOUND, _("Not found."))

    api.add_exception_handler(ApiError, on_api_error)
    api.add_exception_handler(ValidationError, on_validation)
    api.add_exception_handler(HttpError, on_http_error)
    api.add_exception_handler(Http404, on_404)
