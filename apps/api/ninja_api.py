"""The REST API (`/api/v1/`) on django-ninja: one `NinjaAPI`, every resource's router.

What every endpoint gets without asking (the routers only declare their operations):

- auth by API key with a scope (`apps/api/auth.py`), rate limits (`ratelimit.py`);
- errors in one envelope (`errors.py`), validation errors as 400 `invalid` with `fields`,
  unknown paths 404 and wrong methods 405 in the same envelope;
- `ETag` / `If-None-Match` on every GET (`etag.py`), `RateLimit-*` headers;
- one request-log row per request made with a key (`ApiRequestLog`);
- the OpenAPI 3.1 document at `/api/v1/schema/` (per program: its host is the server) and
  Swagger UI at `/api/v1/docs`, served from our static files (no CDN, no inline script).

Routers live in `apps/api/routers/<resource>.py` (see /tmp/api_contract16.md for owners).
"""

from __future__ import annotations

import copy
import json
import logging
import re
import time
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.db import DatabaseError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase, JsonResponse
from django.urls import URLPattern, URLResolver, reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from apps.api.auth import ApiKeyAuth
from apps.api.errors import (
    INVALID,
    METHOD_NOT_ALLOWED,
    NOT_FOUND,
    ErrorOut,
    error_body,
    install_handlers,
)
from apps.api.etag import etag_apply
from apps.api.models import ApiKey
from apps.api.routers import (
    alerts,
    applications,
    events,
    milestones,
    onboarding,
    partners,
    webhooks,
)
from apps.api.services import api_key_identify, api_request_log_record
from apps.tenancy.selectors import tenant_absolute_url

logger = logging.getLogger(__name__)

API_PREFIX = "/api/v1"

DESCRIPTION = """\
The REST API of your Onramp partner program: sync partners from your CRM, send
certifications from your LMS and deals from your deal desk, follow onboarding, decide
applications, and receive webhooks when something changes.

Each program has its own host (`https://<your program>/api/v1/`) and its own API keys.
The full guide, with every header and a verification snippet for webhooks, is
`docs/api.md`; this page is generated from the code, so it is always current.

## Authentication and scopes

Create a key in the console under **Settings → API keys** (program admins), choosing its
scopes and, optionally, an expiry. The key is shown once. Send it on every request:

    Authorization: Bearer onr_ab12cd34_…

No key, an unknown, revoked or expired key, or a key of another program: **401**
`unauthorized`. A key without the operation's scope (named under each operation):
**403** `insufficient_scope`. Scopes: `partners:read`, `partners:write`,
`events:write`, `onboarding:read`, `onboarding:write`, `applications:read`,
`applications:write`, `webhooks:manage`. What a key does is audited in its name.

## Errors

Every error has one shape; `fields` only for validation errors (**400** `invalid`):

    {"error": {"code": "invalid", "message": "The request is not valid.",
               "fields": {"partner_id": ["Input should be a valid integer"]}}}

An id of another program is **404** `not_found`, never 403. A change the domain refuses
(completing an action already validated) is **409** `conflict`.

## Lists, ETags, rate limits

Lists are pages: `?limit=` (1–100, default 50) and `?cursor=` (the `next_cursor` of the
previous page; `null` on the last one). Every GET answers with an `ETag`; send it back
in `If-None-Match` to get **304** with no body when nothing changed. Each key has a
token bucket: every response carries `RateLimit-Limit`, `RateLimit-Remaining`,
`RateLimit-Reset`; an empty bucket answers **429** with `Retry-After` (seconds).

## A complete example

1. **Create a key** in Settings → API keys with the scopes `partners:write` and
   `events:write`; copy it (it is shown once).
2. **Register a partner**:

       curl -X POST https://acme.onramp.example/api/v1/partners \\
         -H "Authorization: Bearer $ONRAMP_KEY" -H "Content-Type: application/json" \\
         -d '{"name": "Contoso", "domains": ["contoso.com"]}'

3. **Send a certification event** from your LMS (retries with the same
   `Idempotency-Key` record it once):

       curl -X POST https://acme.onramp.example/api/v1/events \\
         -H "Authorization: Bearer $ONRAMP_KEY" -H "Content-Type: application/json" \\
         -H "Idempotency-Key: lms-attempt-881" \\
         -d '{"partner_domain": "contoso.com", "type": "certification.passed",
              "reference": "sales", "user": "dana@contoso.com"}'

   The answer names the milestones it completed and the alerts it resolved.
4. **Receive the webhook**: add an endpoint under Settings → Webhooks (or `POST
   /api/v1/webhooks` with `webhooks:manage`) subscribed to `milestone.*`; Onramp POSTs the
   event to it, signed with the endpoint's secret.
5. **Verify its signature** before trusting it: see "Webhooks" in `docs/api.md` for the
   header format and a verification snippet in Python and Node.
"""


class OnrampAPI(NinjaAPI):
    """NinjaAPI whose OpenAPI document is per program (its host as server), names each
    operation's scope, and declares the responses every endpoint may give (401/403/429,
    400 for bad input, 404 for ids, 304 for GETs). Built once per process."""

    _document: dict[str, Any] | None = None

    def openapi_document(self, *, server_url: str) -> dict[str, Any]:
        if self._document is None:
            self._document = _complete(self, dict(self.get_openapi_schema(path_prefix="")))
        document = copy.copy(self._document)
        document["servers"] = [{"url": server_url}]
        return document


def _scopes_by_operation_id(api: NinjaAPI) -> dict[str, str | None]:
    scopes: dict[str, str | None] = {}
    for bound in api._get_bound_routers():
        for path_view in bound.path_operations.values():
            for operation in path_view.operations:
                op_id = operation.operation_id or api.get_openapi_operation_id(operation)
                scope = None
                for callback in operation.auth_callbacks:
                    if isinstance(callback, ApiKeyAuth):
                        scope = callback.scope
                scopes[op_id] = scope
    return scopes


_ERROR_REF = {"$ref": "#/components/schemas/ErrorOut"}
_COMMON_RESPONSES = {
    "400": _("The request is not valid; `fields` says why (code `invalid`)."),
    "401": _("No API key, or not a valid key of this program (code `unauthorized`)."),
    "403": _("The key lacks this operation's scope (code `insufficient_scope`)."),
    "404": _("No such object in this program (code `not_found`)."),
    "429": _("Too many requests with this key: retry after `Retry-After` seconds."),
}
_RATE_HEADERS = {
    "RateLimit-Limit": "The key's bucket size (requests).",
    "RateLimit-Remaining": "Requests left in the bucket now.",
    "RateLimit-Reset": "Seconds until the bucket is full again.",
}


def _error_response(status: str) -> dict[str, Any]:
    return {
        "description": str(_COMMON_RESPONSES[status]),
        "content": {"application/json": {"schema": _ERROR_REF}},
    }


def _complete(api: NinjaAPI, document: dict[str, Any]) -> dict[str, Any]:
    """Add what every operation shares to ninja's document."""
    document = json.loads(json.dumps(document, default=str))
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    error_schema = ErrorOut.model_json_schema(ref_template="#/components/schemas/{model}")
    for name, definition in error_schema.pop("$defs", {}).items():
        schemas.setdefault(name, definition)
    schemas.setdefault("ErrorOut", error_schema)
    schemes = document["components"].get("securitySchemes", {})
    scheme_name = next(iter(schemes), "ApiKeyAuth")
    scopes = _scopes_by_operation_id(api)
    for path, methods in document.get("paths", {}).items():
        for method, operation in methods.items():
            responses = operation.setdefault("responses", {})
            scope = scopes.get(operation.get("operationId", ""))
            has_input = bool(operation.get("parameters") or operation.get("requestBody"))
            needed = []
            if has_input:
                needed.append("400")
            if scope:
                needed += ["401", "403", "429"]
                operation["security"] = [{scheme_name: [scope]}]
                operation["description"] = (
                    operation.get("description", "") + f"\n\nScope: `{scope}`."
                ).strip()
            if "{" in path:
                needed.append("404")
            for status in needed:
                responses.setdefault(status, _error_response(status))
            if scope:
                for status, response in responses.items():
                    if status.startswith("2") or status == "429":
                        response.setdefault("headers", {}).update(
                            {
                                name: {"description": text, "schema": {"type": "integer"}}
                                for name, text in _RATE_HEADERS.items()
                            }
                        )
                if "429" in responses:
                    responses["429"]["headers"]["Retry-After"] = {
                        "description": "Seconds to wait before retrying.",
                        "schema": {"type": "integer"},
                    }
            if method == "get":
                ok = responses.get("200")
                if ok is not None:
                    ok.setdefault("headers", {})["ETag"] = {
                        "description": "Send it as If-None-Match to get 304 when unchanged.",
                        "schema": {"type": "string"},
                    }
                responses.setdefault(
                    "304", {"description": "Not modified: If-None-Match named the ETag."}
                )
    return document


api = OnrampAPI(
    title="Onramp API",
    version="1.0.0",
    description=DESCRIPTION,
    urls_namespace="api",
    openapi_url="/schema/",
    docs_url="/docs",
    # validatorUrl None: no badge fetched from validator.swagger.io (our CSP refuses it).
    docs=Swagger(settings={"validatorUrl": None, "tryItOutEnabled": False}),
)
install_handlers(api)

api.add_router("/events", events.router)
api.add_router("/partners", partners.router)
# Onboarding and milestones live under a partner in the URL, in routers of their own.
api.add_router("/partners", onboarding.router)
api.add_router("/partners", milestones.router)
api.add_router("/applications", applications.router)
api.add_router("/alerts", alerts.router)
api.add_router("/webhooks", webhooks.router)


# --- The views around ninja's: one wrapper per URL pattern --------------------------------

_CONVERTER = re.compile(r"<(?:\w+:)?(\w+)>")
_BODY_METHODS = ("POST", "PUT", "PATCH", "DELETE")


def _template(route: str) -> str:
    """`partners/<int:partner_id>` → `/partners/{partner_id}` (the request log's path)."""
    return "/" + _CONVERTER.sub(r"{\1}", route).strip("/")


def _json_body_required(request: HttpRequest) -> HttpResponse | None:
    if (
        request.method in _BODY_METHODS
        and request.body
        and request.content_type != ("application/json")
    ):
        return JsonResponse(
            error_body(INVALID, _("Send JSON with Content-Type: application/json.")),
            status=400,
        )
    return None


def _method_not_allowed(response: HttpResponseBase) -> HttpResponseBase:
    allow = ", ".join(sorted(m.strip() for m in response.get("Allow", "").split(",") if m))
    enveloped = JsonResponse(
        error_body(
            METHOD_NOT_ALLOWED,
            _("Use %(methods)s.") % {"methods": " or ".join(m.strip() for m in allow.split(","))},
        ),
        status=405,
    )
    enveloped["Allow"] = allow
    return enveloped


def _key_of_header(request: HttpRequest) -> ApiKey | None:
    scheme, _sep, raw = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not raw.strip():
        return None
    return api_key_identify(tenant=request.tenant, raw=raw.strip())  # type: ignore[attr-defined]


def _log(request: HttpRequest, template: str, status: int, started: float) -> None:
    """The request-log row of a request made with a key (one INSERT; never fails the
    request)."""
    key = getattr(request, "api_key", None) or getattr(request, "api_key_refused", None)
    if key is None and status == 405:
        # No operation ran (so no auth): still the key's request, if a key was sent.
        key = _key_of_header(request)
    if key is None:
        return
    try:
        api_request_log_record(
            key=key,
            method=request.method or "",
            path=template,
            status=status,
            latency_ms=round((time.perf_counter() - started) * 1000),
        )
    except DatabaseError:
        logger.exception("api: the request log row could not be written")


def api_endpoint(view: Callable[..., HttpResponseBase], *, route: str) -> Callable[..., Any]:
    """Wrap a ninja view: envelope for 405, ETag, rate-limit headers, the request log."""
    template = _template(route)

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if getattr(request, "tenant", None) is None:
            raise Http404
        started = time.perf_counter()
        try:
            response = _json_body_required(request) or view(request, *args, **kwargs)
        except Exception:
            # A server error (Django answers 500): still the key's request, logged as such.
            _log(request, template, 500, started)
            raise
        if response.status_code == 405 and response.get("Content-Type", "").startswith("text/"):
            response = _method_not_allowed(response)
        response = etag_apply(request, response)
        bucket = getattr(request, "api_rate_limit", None)
        if bucket is not None:
            for name, value in bucket.headers().items():
                response[name] = value
        _log(request, template, response.status_code, started)
        return response

    wrapper.csrf_exempt = True  # type: ignore[attr-defined]
    wrapper.access = "api_key"  # type: ignore[attr-defined]
    return wrapper


@csrf_exempt
def api_root(request: HttpRequest) -> HttpResponse:
    if getattr(request, "tenant", None) is None:
        raise Http404
    return JsonResponse(
        {
            "name": "Onramp API",
            "version": "v1",
            "schema": request.build_absolute_uri(reverse("api:openapi-json")),
            "docs": request.build_absolute_uri(reverse("api:openapi-view")),
            "endpoints": {
                name: request.build_absolute_uri(f"{API_PREFIX}/{name}")
                for name in ("events", "partners", "applications", "alerts", "webhooks")
            },
        }
    )


def api_schema(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    server = tenant_absolute_url(tenant=request.tenant, path=API_PREFIX)  # type: ignore[attr-defined]
    return JsonResponse(api.openapi_document(server_url=server), json_dumps_params={"indent": 1})


@csrf_exempt
def api_not_found(request: HttpRequest, **kwargs: Any) -> HttpResponse:
    if getattr(request, "tenant", None) is None:
        raise Http404
    return JsonResponse(error_body(NOT_FOUND, _("No such endpoint.")), status=404)


def api_urlpatterns() -> list[URLPattern | URLResolver]:
    """ninja's URL patterns, each view wrapped by `api_endpoint`; the schema view is ours.
    (ninja's own root pattern stays, for its reverse(); `api_root` comes first.)"""
    patterns, _app_name, _namespace = api.urls
    wrapped: list[URLPattern | URLResolver] = []
    for pattern in patterns:
        if isinstance(pattern, URLPattern):
            if pattern.name == "openapi-json":
                pattern.callback = api_schema
            pattern.callback = api_endpoint(pattern.callback, route=str(pattern.pattern))
        wrapped.append(pattern)
    return wrapped
