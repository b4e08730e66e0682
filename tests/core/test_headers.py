"""Security headers on every page the isolation walker visits, opened by a role that may.

The URL discovery and the samples are the walker's own (tests/tenancy/test_isolation.py), so a
new page is checked the day it is added.
"""

import re

import pytest
from django.core.files.base import ContentFile
from django.test import RequestFactory

from apps.core.files import private_file_response, private_storage
from apps.tenancy import access
from tests.tenancy.test_isolation import _path, _samples_with_notification, product_routes

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("milestone_template")]

# Who opens each kind of page: the lowest role the access rule lets in is not needed here,
# any role that gets the page itself (not a refusal) is.
OPENER = {
    access.CONSOLE: "admin",
    access.CONSOLE_ADMIN: "admin",
    access.AUTHENTICATED: "admin",
    access.PORTAL: "partner_admin",
    access.PORTAL_ADMIN: "partner_admin",
    access.PUBLIC: None,
}

EXPECTED_CSP = {
    "default-src": "'self'",
    "script-src": "'self'",
    "style-src": "'self'",
    "style-src-elem": "'self'",
    "style-src-attr": "'unsafe-inline'",
    "img-src": "'self' data:",
    "object-src": "'none'",
    "base-uri": "'none'",
    "form-action": "'self'",
    "frame-ancestors": "'none'",
}

INLINE_SCRIPT = re.compile(r"<script(?![^>]*\ssrc=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)


def _directives(header: str) -> dict[str, str]:
    parts = (p.strip().split(" ", 1) for p in header.split(";") if p.strip())
    return {p[0]: (p[1] if len(p) > 1 else "") for p in parts}


def _assert_common(response, where) -> None:
    assert "camera=()" in response["Permissions-Policy"], where
    assert "microphone=()" in response["Permissions-Policy"], where
    assert "geolocation=()" in response["Permissions-Policy"], where
    assert "payment=()" in response["Permissions-Policy"], where
    assert "usb=()" in response["Permissions-Policy"], where
    assert response["X-Content-Type-Options"] == "nosniff", where


def _assert_html_headers(response, where) -> None:
    _assert_common(response, where)
    assert _directives(response["Content-Security-Policy"]) == EXPECTED_CSP, where
    assert response["Referrer-Policy"] == "same-origin", where
    assert response["X-Frame-Options"] == "DENY", where
    html = response.content.decode()
    assert not INLINE_SCRIPT.search(html), (where, INLINE_SCRIPT.search(html))
    assert not INLINE_HANDLER.search(html), (where, INLINE_HANDLER.search(html))


def _assert_file_headers(response, where) -> None:
    _assert_common(response, where)
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'", where


def test_every_walked_page_carries_the_security_headers(acme, client_for):
    samples = _samples_with_notification(acme)
    clients = {
        role: client_for(acme, getattr(acme, role) if role else None)
        for role in set(OPENER.values())
    }
    html_pages = files = 0
    for route, callback, name in product_routes():
        path = _path(route, samples.get(name, {}))
        response = clients[OPENER[callback.access]].get(path)
        where = (name, path, response.status_code)
        if response.has_header("Content-Disposition"):
            _assert_file_headers(response, where)
            files += 1
        elif response.get("Content-Type", "").startswith("text/html"):
            _assert_html_headers(response, where)
            html_pages += 1 if response.status_code == 200 else 0
        else:
            _assert_common(response, where)
    assert html_pages > 50
    assert files > 0


@pytest.mark.parametrize("path", ["/accounts/login/", "/no-such-page/"])
def test_sign_in_and_error_pages_carry_them_too(acme, client_for, path):
    response = client_for(acme).get(path)
    assert response.status_code in (200, 404)
    _assert_html_headers(response, path)


def test_a_programs_external_logo_is_the_only_extra_image_source(acme, client_for):
    tenant = acme.tenant
    tenant.logo_url = "https://cdn.acme.example/brand/logo.png"
    tenant.save(update_fields=["logo_url"])
    response = client_for(acme, acme.partner_admin).get("/")
    img_src = _directives(response["Content-Security-Policy"])["img-src"]
    assert img_src == "'self' data: https://cdn.acme.example"


@pytest.mark.parametrize(
    "logo_url",
    ["https://evil.example;script-src *", "https://a.example 'unsafe-inline'", "javascript:x"],
)
def test_a_logo_url_cannot_inject_into_the_policy(acme, client_for, logo_url):
    tenant = acme.tenant
    tenant.logo_url = logo_url
    tenant.save(update_fields=["logo_url"])
    response = client_for(acme, acme.partner_admin).get("/")
    assert _directives(response["Content-Security-Policy"]) == EXPECTED_CSP


def test_a_served_private_file_is_sandboxed(acme):
    name = private_storage().save("tests/page.html", ContentFile(b"<script>alert(1)</script>"))
    response = private_file_response(
        name=name, content_type="text/html", filename="page.html", inline=True
    )
    assert response["Content-Security-Policy"] == "sandbox; default-src 'none'"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("inline")
    response.close()


def test_the_print_button_works_without_inline_script(acme, client_for):
    """The 90-day review's Print button: wired by static/js/print.js, hidden without it."""
    samples = _samples_with_notification(acme)
    route = next(r for r, _, name in product_routes() if name == "milestones_partner:review")
    response = client_for(acme, acme.admin).get(_path(route, samples["milestones_partner:review"]))
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(r"<button[^>]*\sdata-print\s[^>]*hidden", html)
    assert "js/print.js" in html
    assert "onclick" not in html


def test_htmx_is_configured_for_the_policy(acme, client_for):
    html = client_for(acme, acme.admin).get("/console/").content.decode()
    assert '"includeIndicatorStyles": false' in html
    assert '"allowEval": false' in html


def test_request_factory_file_response_via_middleware(acme):
    # Any response handing out a file gets the sandbox, even one not made by core/files.py.
    from django.http import HttpResponse

    from apps.core.middleware import SecurityHeadersMiddleware

    def view(request):
        response = HttpResponse(b"a,b\n", content_type="text/csv")
        response["Content-Disposition"] = 'attachment; filename="x.csv"'
        return response

    response = SecurityHeadersMiddleware(view)(RequestFactory().get("/"))
    _assert_file_headers(response, "csv")
