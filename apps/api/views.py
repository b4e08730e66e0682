"""The REST API (`/api/v1/`): JSON in and out, API-key authentication, no sessions.

The tenant comes from the host, like every page; the key must belong to that tenant.
"""

import json
import re
from datetime import timedelta
from functools import wraps

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import Http404, JsonResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from apps.api.openapi import (
    EVENT_TYPE_PATTERN,
    MAX_DATA_BYTES,
    MAX_USER_EMAIL,
    RESERVED_PREFIXES,
    openapi_document,
)
from apps.api.services import api_key_authenticate
from apps.milestones.models import Milestone
from apps.milestones.services import milestone_event_record
from apps.partners.models import PartnerAccount, PartnerDomain, PartnerStatus
from apps.partners.selectors import partner_users_of
from apps.tenancy.selectors import tenant_absolute_url

API_KEY = "api_key"  # the access rule of the API's views (not session-based)
MAX_IDEMPOTENCY_KEY = 96
FUTURE_TOLERANCE = timedelta(minutes=5)
_TYPE_RE = re.compile(EVENT_TYPE_PATTERN)
_FIELDS = {"partner_id", "partner_domain", "type", "occurred_at", "reference", "data", "user"}


def _error(status: int, code: str, message: str, fields: dict | None = None, **headers):
    body = {"error": {"code": code, "message": message}}
    if fields:
        body["error"]["fields"] = fields
    response = JsonResponse(body, status=status)
    for name, value in headers.items():
        response[name.replace("_", "-")] = value
    return response


def api_view(methods: tuple[str, ...], *, authenticated: bool = True):
    """Method check, then API-key authentication; the key is `request.api_key`."""

    def decorator(view):
        @csrf_exempt
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if getattr(request, "tenant", None) is None:
                raise Http404
            if request.method not in methods:
                return _error(
                    405,
                    "method_not_allowed",
                    f"Use {' or '.join(methods)}.",
                    Allow=", ".join(methods),
                )
            if authenticated:
                header = request.headers.get("Authorization", "")
                scheme, _, raw = header.partition(" ")
                key = (
                    api_key_authenticate(tenant=request.tenant, raw=raw.strip())
                    if scheme.lower() == "bearer"
                    else None
                )
                if key is None:
                    return _error(
                        401,
                        "unauthorized",
                        "Send a valid API key of this program: Authorization: Bearer onr_…",
                        WWW_Authenticate='Bearer realm="api"',
                    )
                request.api_key = key
            return view(request, *args, **kwargs)

        wrapper.access = API_KEY if authenticated else "public"
        return wrapper

    return decorator


@api_view(("GET",), authenticated=False)
def api_root(request):
    return JsonResponse(
        {
            "name": "Onramp API",
            "version": "v1",
            "schema": request.build_absolute_uri(reverse("api:schema")),
            "endpoints": {"events": request.build_absolute_uri(reverse("api:events"))},
        }
    )


@api_view(("GET",), authenticated=False)
def api_schema(request):
    server = tenant_absolute_url(tenant=request.tenant, path=reverse("api:root")).rstrip("/")
    return JsonResponse(openapi_document(server_url=server), json_dumps_params={"indent": 2})


def _validate(payload) -> tuple[dict, dict]:
    """The cleaned fields and the per-field errors of an event payload."""
    errors: dict[str, list[str]] = {}
    clean: dict = {}
    if not isinstance(payload, dict):
        return clean, {"body": ["Send a JSON object."]}
    for name in sorted(set(payload) - _FIELDS):
        errors.setdefault(name, []).append("Unknown field.")

    has_id, has_domain = "partner_id" in payload, "partner_domain" in payload
    if has_id == has_domain:
        errors.setdefault("partner", []).append("Give exactly one of partner_id, partner_domain.")
    elif has_id:
        value = payload["partner_id"]
        if isinstance(value, bool) or not isinstance(value, int) or value < 1:
            errors.setdefault("partner_id", []).append("A positive integer.")
        else:
            clean["partner_id"] = value
    else:
        value = payload["partner_domain"]
        if not isinstance(value, str) or not value.strip() or len(value) > 253:
            errors.setdefault("partner_domain", []).append("An email domain, like contoso.com.")
        else:
            clean["partner_domain"] = value.strip().lower().lstrip("@").rstrip(".")

    type_ = payload.get("type")
    if not isinstance(type_, str) or not type_:
        errors.setdefault("type", []).append("Required: a dotted event type.")
    elif len(type_) > 80 or not _TYPE_RE.match(type_):
        errors.setdefault("type", []).append(
            "Lower-case words separated by dots, at most 80 characters (deal.registered)."
        )
    elif type_.startswith(RESERVED_PREFIXES):
        errors.setdefault("type", []).append("onboarding.* and milestone.* are reserved.")
    else:
        clean["type"] = type_

    occurred = payload.get("occurred_at")
    if occurred is not None:
        moment = parse_datetime(occurred) if isinstance(occurred, str) else None
        if moment is None or moment.tzinfo is None:
            errors.setdefault("occurred_at", []).append(
                "An ISO 8601 date-time with a time zone (2026-03-02T14:30:00Z)."
            )
        elif moment > timezone.now() + FUTURE_TOLERANCE:
            errors.setdefault("occurred_at", []).append("In the future.")
        else:
            clean["occurred_at"] = moment

    reference = payload.get("reference", "")
    if not isinstance(reference, str) or len(reference) > 200:
        errors.setdefault("reference", []).append("A string of at most 200 characters.")
    else:
        clean["reference"] = reference.strip()

    user = payload.get("user")
    if user is not None:
        valid = isinstance(user, str) and len(user) <= MAX_USER_EMAIL
        if not valid or not _email_valid(user.strip()):
            errors.setdefault("user", []).append("An email address, like dana@contoso.com.")
        else:
            clean["user"] = user.strip().lower()

    data = payload.get("data", {})
    if not isinstance(data, dict):
        errors.setdefault("data", []).append("A JSON object.")
    elif len(json.dumps(data)) > MAX_DATA_BYTES:
        errors.setdefault("data", []).append(f"At most {MAX_DATA_BYTES} bytes of JSON.")
    else:
        clean["data"] = data
    return clean, errors


def _email_valid(value: str) -> bool:
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True


def _partner_user(tenant, account: PartnerAccount, email: str):
    """The active user of the partner account with that email, or None."""
    link = (
        partner_users_of(tenant=tenant, account=account)
        .filter(
            membership__is_active=True,
            membership__user__is_active=True,
            membership__user__email__iexact=email,
        )
        .first()
    )
    return link.membership.user if link else None


def _partner(tenant, clean: dict) -> PartnerAccount | None:
    if "partner_id" in clean:
        return PartnerAccount.objects.filter(tenant=tenant, pk=clean["partner_id"]).first()
    row = (
        PartnerDomain.objects.filter(tenant=tenant, domain=clean["partner_domain"])
        .select_related("account")
        .first()
    )
    return row.account if row else None


def _event_json(event, *, completed: list[str], resolved: int) -> dict:
    return {
        "id": event.pk,
        "partner_id": event.account_id,
        "type": event.type,
        "occurred_at": event.occurred_at.isoformat(),
        "recorded_at": event.created_at.isoformat(),
        "reference": event.reference,
        "data": event.data,
        "source": event.source,
        "user": event.recorded_by.email if event.recorded_by_id else None,
        "milestones_completed": completed,
        "alerts_resolved": resolved,
    }


@api_view(("POST",))
def api_events(request):
    idempotency_key = request.headers.get("Idempotency-Key", "").strip()
    if len(idempotency_key) > MAX_IDEMPOTENCY_KEY or not idempotency_key.isprintable():
        return _error(
            400,
            "invalid_request",
            "The request is not valid.",
            {"Idempotency-Key": [f"At most {MAX_IDEMPOTENCY_KEY} printable characters."]},
        )
    if request.content_type != "application/json":
        return _error(400, "invalid_request", "Send JSON with Content-Type: application/json.")
    try:
        payload = json.loads(request.body or b"null")
    except (ValueError, UnicodeDecodeError):
        return _error(400, "invalid_request", "The body is not valid JSON.")
    clean, errors = _validate(payload)
    if errors:
        return _error(400, "invalid_request", "The request is not valid.", errors)
    account = _partner(request.tenant, clean)
    if account is None:
        return _error(404, "not_found", "No partner of this program has that id or domain.")
    if account.status == PartnerStatus.SUSPENDED:
        return _error(
            409,
            "partner_suspended",
            "This partner is suspended: its events complete nothing until it is reactivated.",
        )
    user = None
    if "user" in clean:
        user = _partner_user(request.tenant, account, clean["user"])
        if user is None:
            return _error(
                400,
                "invalid_request",
                "The request is not valid.",
                {"user": ["Not an active user of this partner account."]},
            )
    result = milestone_event_record(
        tenant=request.tenant,
        account_id=account.pk,
        type=clean["type"],
        source="api",
        # The user the event is for: it counts for them (e.g. their orientation share) and
        # for the account.
        actor=user,
        occurred_at=clean.get("occurred_at"),
        reference=clean["reference"],
        data=clean["data"],
        idempotency_key=f"api:{idempotency_key}" if idempotency_key else "",
    )
    event = result.event
    if not result.created and (
        event.account_id != account.pk
        or event.type != clean["type"]
        or event.reference != clean["reference"][:200]
        or event.recorded_by_id != (user.pk if user else None)
    ):
        return _error(
            422,
            "idempotency_key_reused",
            "This Idempotency-Key was already used for a different event.",
        )
    completed = (
        list(
            Milestone.objects.filter(
                tenant=request.tenant, pk__in=result.completed_milestone_ids
            ).values_list("key", flat=True)
        )
        if result.completed_milestone_ids
        else []
    )
    return JsonResponse(
        _event_json(event, completed=completed, resolved=len(result.resolved_alert_ids)),
        status=201 if result.created else 200,
    )
