"""A request id and the tenant on every log line, for web requests and Celery tasks.

- `RequestIdMiddleware` (first in MIDDLEWARE) takes the proxy's `X-Request-ID` when it looks
  like an id (letters, digits, `.`, `_`, `:`, `-`; at most 128) or makes one, keeps it for
  the request (a context variable), tags Sentry events with it and echoes it in the
  response's `X-Request-ID`.
- In a Celery task the task id plays that part (`celery_signals_connect`, from
  CoreConfig.ready).
- `RequestContextFilter` (on the LOGGING handler) adds `request_id` and `tenant` (the slug
  of the tenant in scope, else of the request's tenant; "-" when none) to every record.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Callable
from contextvars import ContextVar, Token
from typing import Any

from django.http import HttpRequest, HttpResponseBase
from django_scopes import get_scope

HEADER = "X-Request-ID"
_VALID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")
NONE = "-"

request_id_var: ContextVar[str | None] = ContextVar("onramp_request_id", default=None)
_request_var: ContextVar[HttpRequest | None] = ContextVar("onramp_request", default=None)


def request_id_new() -> str:
    return uuid.uuid4().hex


def request_id_from(value: str | None) -> str:
    """The proxy's id when it is one, else a new one (never the client's arbitrary text)."""
    if value and _VALID.fullmatch(value):
        return value
    return request_id_new()


def request_id_get() -> str | None:
    return request_id_var.get()


def _tenant_slug() -> str:
    current = get_scope()
    tenant = current.get("tenant") if current.get("_enabled", True) else None
    if tenant is None:
        request = _request_var.get()
        tenant = getattr(request, "tenant", None) if request is not None else None
    return getattr(tenant, "slug", None) or NONE


class RequestContextFilter(logging.Filter):
    """Adds `request_id` and `tenant` to every record (never filters one out)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get() or NONE
        if not hasattr(record, "tenant"):
            try:
                record.tenant = _tenant_slug()
            except Exception:  # noqa: BLE001 - logging must never fail
                record.tenant = NONE
        return True


def _sentry_tag(request_id: str) -> None:
    try:
        import sentry_sdk  # noqa: PLC0415
    except ImportError:  # pragma: no cover - installed
        return
    sentry_sdk.set_tag("request_id", request_id)


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        request_id = request_id_from(request.headers.get(HEADER))
        request.request_id = request_id  # type: ignore[attr-defined]
        request_id_var.set(request_id)
        _request_var.set(request)
        _sentry_tag(request_id)
        try:
            response = self.get_response(request)
        except BaseException:
            _request_context_clear()
            raise
        response[HEADER] = request_id
        # Cleared when the server closes the response: Django logs 4xx responses
        # ("Not Found: …") after the middleware has returned, and they carry the id too.
        response._resource_closers.append(_request_context_clear)  # type: ignore[attr-defined]
        return response


def _request_context_clear() -> None:
    request_id_var.set(None)
    _request_var.set(None)


# --- Celery ---------------------------------------------------------------------------------

_task_tokens: dict[str, Token[str | None]] = {}


def _task_started(task_id: str | None = None, **_: Any) -> None:
    if task_id:
        _task_tokens[task_id] = request_id_var.set(task_id)
        _sentry_tag(task_id)


def _task_finished(task_id: str | None = None, **_: Any) -> None:
    token = _task_tokens.pop(task_id, None) if task_id else None
    if token is not None:
        try:
            request_id_var.reset(token)
        except ValueError:  # set in another context (should not happen): just clear it
            request_id_var.set(None)


def celery_signals_connect() -> None:
    """Log lines of a task carry its id as their request id."""
    from celery.signals import task_postrun, task_prerun  # noqa: PLC0415

    task_prerun.connect(_task_started, weak=False, dispatch_uid="onramp_request_id_prerun")
    task_postrun.connect(_task_finished, weak=False, dispatch_uid="onramp_request_id_postrun")
