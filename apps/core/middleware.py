"""Edge middleware: the request-body ceiling and the security headers of every response.

Two layers refuse an oversized request body before anything reads it:

- `RequestBodyLimitWSGI` wraps the WSGI application (config/wsgi.py): a declared
  Content-Length above `MAX_REQUEST_BODY` is answered 413 without entering Django, and a
  body without a declared length (chunked) is read through `LimitedInput`, which stops at
  the ceiling instead of reading on.
- `RequestBodyLimitMiddleware`, first in MIDDLEWARE, does the same check for servers and
  test clients that call Django's handler directly (runserver's live server, the test
  Client), before CSRF or a view touches `request.POST`.

Django parses multipart bodies lazily and only up to Content-Length, so refusing on the
declared length means nothing is read or spooled to disk.

`SecurityHeadersMiddleware` adds Permissions-Policy, the `sandbox` policy on file
downloads, and lets a program's external logo through `img-src`.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import RequestDataTooBig
from django.http import FileResponse, HttpRequest, HttpResponse, HttpResponseBase
from django.templatetags.static import static
from django.utils.html import escape
from django.utils.translation import gettext as _

from apps.core.files import FILE_CSP

# Browser features no page of the product uses: denied to the page and any frame in it.
PERMISSIONS_POLICY = ", ".join(
    f"{feature}=()"
    for feature in (
        "accelerometer",
        "autoplay",
        "camera",
        "display-capture",
        "geolocation",
        "gyroscope",
        "magnetometer",
        "microphone",
        "midi",
        "payment",
        "usb",
        "serial",
        "hid",
        "screen-wake-lock",
        "xr-spatial-tracking",
        "browsing-topics",
    )
)


WSGIEnviron = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[WSGIEnviron, StartResponse], Iterable[bytes]]


def max_request_body() -> int:
    limit: int = settings.MAX_REQUEST_BODY
    return limit


class RequestBodyTooLarge(RequestDataTooBig):
    """A body without a declared length went past MAX_REQUEST_BODY while being read."""


def declared_length(environ: WSGIEnviron) -> int | None:
    """The request's Content-Length, or None when absent or unreadable."""
    raw = environ.get("CONTENT_LENGTH") or ""
    try:
        return int(raw) if raw.strip() else None
    except ValueError:
        return None


def body_too_large(environ: WSGIEnviron) -> bool:
    length = declared_length(environ)
    return length is not None and length > max_request_body()


class LimitedInput:
    """A wsgi.input that raises RequestBodyTooLarge instead of reading past `limit` bytes."""

    def __init__(self, stream: Any, limit: int) -> None:
        self._stream = stream
        self._limit = limit
        self.consumed = 0

    def _count(self, data: bytes) -> bytes:
        self.consumed += len(data)
        if self.consumed > self._limit:
            raise RequestBodyTooLarge(_("The request body is larger than the server accepts."))
        return data

    def _room(self, size: int | None) -> int:
        # Ask for at most one byte beyond the limit: enough to know it was exceeded.
        room = self._limit - self.consumed + 1
        return room if size is None or size < 0 else min(size, room)

    def read(self, size: int | None = -1) -> bytes:
        return self._count(self._stream.read(self._room(size)))

    def readline(self, size: int | None = -1) -> bytes:
        return self._count(self._stream.readline(self._room(size)))

    def readlines(self, hint: int | None = -1) -> list[bytes]:
        return list(self)

    def __iter__(self) -> Iterator[bytes]:
        while line := self.readline():
            yield line


def too_large_page() -> bytes:
    """The short page a refused request gets (no template: Django may not be entered)."""
    megabytes = max_request_body() // (1024 * 1024)
    title = escape(_("Request too large"))
    message = escape(
        _(
            "This request is larger than the %(size)s MB the server accepts. "
            "Send smaller files, or fewer at a time."
        )
        % {"size": megabytes}
    )
    back = escape(_("Go back"))
    page = (
        '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title}</title>"
        f'<link rel="stylesheet" href="{escape(static("css/onramp.css"))}"></head>'
        '<body class="public-body"><div class="public-shell">'
        f'<main id="main" class="auth-card"><h1>{title}</h1><p>{message}</p>'
        f'<p><a href="/">{back}</a></p></main></div></body></html>'
    )
    return page.encode()


def refusal_headers() -> list[tuple[str, str]]:
    """The headers of a response made outside Django's middleware (the 413 page)."""
    from csp.utils import build_policy

    return [
        ("Content-Type", "text/html; charset=utf-8"),
        ("Content-Security-Policy", build_policy()),
        ("Permissions-Policy", PERMISSIONS_POLICY),
        ("Referrer-Policy", settings.SECURE_REFERRER_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Cache-Control", "no-store"),
    ]


class RequestBodyLimitWSGI:
    """WSGI wrapper: refuse a declared oversized body, cap one without a declared length."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        if body_too_large(environ):
            body = too_large_page()
            start_response(
                "413 Content Too Large",
                [*refusal_headers(), ("Content-Length", str(len(body)))],
            )
            return [body]
        if declared_length(environ) is None and "wsgi.input" in environ:
            environ["wsgi.input"] = LimitedInput(environ["wsgi.input"], max_request_body())
        return self.app(environ, start_response)


class RequestBodyLimitMiddleware:
    """First in MIDDLEWARE: a 413 before anything reads a body above MAX_REQUEST_BODY."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if body_too_large(request.META):
            return self._refuse()
        try:
            return self.get_response(request)
        except RequestBodyTooLarge:
            return self._refuse()

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if isinstance(exception, RequestBodyTooLarge):
            return self._refuse()
        return None

    @staticmethod
    def _refuse() -> HttpResponse:
        response = HttpResponse(too_large_page(), status=413)
        for name, value in refusal_headers():
            response[name] = value
        return response


# A host[:port] and nothing else: the value goes into a header, so no spaces, `;` or quotes.
_HOST = re.compile(r"[a-z0-9]([a-z0-9.-]*[a-z0-9])?(:[0-9]{1,5})?", re.IGNORECASE)


def _origin(url: str) -> str | None:
    """The scheme and host of an http(s) URL, safe to put in a CSP source list."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme in ("http", "https") and _HOST.fullmatch(parts.netloc):
        return f"{parts.scheme}://{parts.netloc.lower()}"
    return None


class SecurityHeadersMiddleware:
    """Permissions-Policy everywhere, a sandbox on served files, the program's logo origin.

    Placed just inside django-csp's CSPMiddleware, so the policy it builds sees what this
    middleware sets on the response (`_csp_update`, or a header of its own on files).
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        response.setdefault("Permissions-Policy", PERMISSIONS_POLICY)
        if isinstance(response, FileResponse) or response.has_header("Content-Disposition"):
            response["Content-Security-Policy"] = FILE_CSP
            response["X-Content-Type-Options"] = "nosniff"
            return response
        tenant = getattr(request, "tenant", None)
        logo_url = getattr(tenant, "logo_url", "") if tenant is not None else ""
        if logo_url and not getattr(tenant.logo, "name", ""):
            origin = _origin(logo_url)
            if origin:
                # A program may point at a logo on its own website (Settings, `logo_url`).
                response._csp_update = {"img-src": [origin]}  # type: ignore[attr-defined]
        return response
