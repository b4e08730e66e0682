"""The isolation walker: every URL of the product, as a stranger and as every lower role.

Each tenant view declares who may open it (apps/tenancy/access.py). This test walks the
whole URL configuration, so a new page is checked the day it is added: a view without a
declared rule, or a route with parameters and no sample below, fails the walk.
"""

import hashlib
import importlib
import json
from pathlib import Path

import pytest
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.urls import URLPattern, URLResolver, get_resolver
from django_scopes import scopes_disabled

from apps.tenancy import access
from apps.tenancy.models import TenantOwned

# The walk reaches the milestones pages, whose samples need the standard milestone template.
pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("milestone_template")]

TESTS_DIR = Path(__file__).resolve().parents[1]

# URL prefixes that are not tenant product pages: the operator's admin, allauth's own
# pages (tested in tests/accounts), the health check, and the REST API, which authenticates
# with per-tenant API keys instead of sessions (its isolation is tested in tests/api).
NOT_PRODUCT = ("admin/", "accounts/", "healthz", "livez", "api/")


def _walk(patterns, prefix=""):
    for entry in patterns:
        if isinstance(entry, URLResolver):
            ns = entry.namespace
            for route, callback, name in _walk(entry.url_patterns, prefix + str(entry.pattern)):
                yield route, callback, (f"{ns}:{name}" if ns and name else name)
        elif isinstance(entry, URLPattern):
            yield prefix + str(entry.pattern), entry.callback, entry.name


def product_routes():
    routes = []
    for route, callback, name in _walk(get_resolver().url_patterns):
        if route.startswith(NOT_PRODUCT):
            continue
        routes.append((route, callback, name))
    return routes


def _samples(program):
    """Values for each route's parameters, all belonging to `program`.

    Every app whose routes take parameters provides `tests/<app>/isolation.py` with
    `samples(program) -> {route name: {parameter: value}}`, and optionally
    `setup(program)` to create the objects those samples point at (run once per program).
    """
    merged = {}
    for module_path in sorted(TESTS_DIR.glob("*/isolation.py")):
        module = importlib.import_module(f"tests.{module_path.parent.name}.isolation")
        flag = f"_setup_{module_path.parent.name}"
        if hasattr(module, "setup") and not getattr(program, flag, False):
            module.setup(program)
            setattr(program, flag, True)
        with scopes_disabled():
            merged.update(module.samples(program))
    return merged


def _path(route: str, params: dict) -> str:
    import re

    def sub(match):
        return str(params[match.group(2)])

    return "/" + re.sub(r"<(?:(\w+):)?(\w+)>", sub, route)


def _fingerprint():
    """A digest of every tenant-owned row and every user: any write changes it."""
    digest = hashlib.sha256()
    with scopes_disabled():
        for model in django_apps.get_models():
            if issubclass(model, TenantOwned) or model is get_user_model():
                rows = list(model._base_manager.order_by("pk").values())
                digest.update(json.dumps(rows, default=str, sort_keys=True).encode())
    return digest.hexdigest()


def test_every_product_view_declares_its_access_rule():
    missing = [route for route, callback, _ in product_routes() if not hasattr(callback, "access")]
    assert missing == [], f"views without an access rule: {missing}"


def test_every_route_with_parameters_has_a_sample(acme):
    samples = _samples(acme)
    for route, _, name in product_routes():
        if "<" in route:
            assert name in samples, f"add a sample for {name} ({route})"


# Routes whose parameters name no tenant's object but something every program has (an email
# of the registry, by key): another program's admin opening them sees their own program's.
NOT_TENANT_OBJECTS = {"email_wording:edit"}

EXPECTED_FOR_ROLE = {
    # access rule -> {role fixture attribute: expected status}
    access.CONSOLE: {"partner_admin": 404, "partner_user": 404},
    access.CONSOLE_ADMIN: {"cam": 403, "partner_admin": 404, "partner_user": 404},
    access.PORTAL: {"admin": 404, "cam": 404},
    access.PORTAL_ADMIN: {"admin": 404, "cam": 404, "partner_user": 403},
    access.AUTHENTICATED: {},
    access.PUBLIC: {},
}


def test_stranger_from_another_tenant_gets_404_everywhere_and_changes_nothing(
    acme, globex, client_for
):
    # A notification so that notification routes have a real object to aim at.
    from django_scopes import scope

    from apps.notifications.services import notification_create

    with scope(tenant=acme.tenant):
        notification_create(
            tenant=acme.tenant,
            recipient=acme.cam,
            kind="partner_assigned",
            context={"partner": acme.partner, "actor_name": "x"},
            url="/console/",
            email=False,
        )
    samples = _samples(acme)
    clients = [client_for(acme, u) for u in (globex.admin, globex.cam, globex.partner_admin)]
    before = _fingerprint()
    for client in clients:
        for route, callback, name in product_routes():
            if callback.access == access.PUBLIC:
                continue
            path = _path(route, samples.get(name, {}))
            for method in ("get", "post"):
                response = getattr(client, method)(path)
                assert response.status_code == 404, (method, path)
    assert _fingerprint() == before


def test_own_tenant_users_cannot_reach_another_tenants_objects(acme, globex, client_for):
    from django_scopes import scope

    from apps.notifications.services import notification_create

    with scope(tenant=acme.tenant):
        notification_create(
            tenant=acme.tenant,
            recipient=acme.admin,
            kind="partner_assigned",
            context={"partner": acme.partner, "actor_name": "x"},
            url="/console/",
            email=False,
        )
    acme_samples = _samples(acme)
    # globex's admin on globex's own host, aiming at acme's object ids.
    client = client_for(globex, globex.admin)
    before = _fingerprint()
    for route, _callback, name in product_routes():
        if "<" not in route or name in NOT_TENANT_OBJECTS:
            continue
        path = _path(route, acme_samples[name])
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            assert response.status_code in (404, 405), (method, path, response.status_code)
            assert response.status_code != 405 or method == "get"
    assert _fingerprint() == before


def test_lower_roles_are_refused_and_change_nothing(acme, client_for):
    from django_scopes import scope

    from apps.notifications.services import notification_create

    with scope(tenant=acme.tenant):
        for user in (acme.admin, acme.cam, acme.partner_admin, acme.partner_user):
            notification_create(
                tenant=acme.tenant,
                recipient=user,
                kind="partner_assigned",
                context={"partner": acme.partner, "actor_name": "x"},
                url="",
                email=False,
            )
    samples = _samples(acme)
    roles = ("admin", "cam", "partner_admin", "partner_user")
    clients = {role: client_for(acme, getattr(acme, role)) for role in roles}
    before = _fingerprint()
    checked = 0
    for route, callback, name in product_routes():
        path = _path(route, samples.get(name, {}))
        for role, expected in EXPECTED_FOR_ROLE[callback.access].items():
            client = clients[role]
            for method in ("get", "post"):
                response = getattr(client, method)(path)
                assert response.status_code == expected, (role, method, path)
                checked += 1
    assert checked > 0
    assert _fingerprint() == before


def test_anonymous_visitors_are_sent_to_sign_in(acme, client_for):
    samples = _samples_with_notification(acme)
    client = client_for(acme)
    for route, callback, name in product_routes():
        if callback.access == access.PUBLIC:
            continue
        path = _path(route, samples.get(name, {}))
        response = client.get(path)
        assert response.status_code == 302, path
        assert response["Location"].startswith("/accounts/login/"), path


def _samples_with_notification(program):
    from django_scopes import scope

    from apps.notifications.services import notification_create

    with scope(tenant=program.tenant):
        notification_create(
            tenant=program.tenant,
            recipient=program.cam,
            kind="partner_assigned",
            context={"partner": program.partner, "actor_name": "x"},
            url="",
            email=False,
        )
    return _samples(program)
