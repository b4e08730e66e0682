"""/admin/: platform host only, signed in through allauth, TOTP required, optional allowlist."""

from __future__ import annotations

import time
from typing import Any

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa import app_settings as mfa_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import (
    TOTP,
    format_hotp_value,
    generate_totp_secret,
    hotp_value,
)
from django.test import Client

from apps.accounts.models import User

pytestmark = pytest.mark.django_db

ROOT_EMAIL = "root@onramp.test"
ROOT_PASSWORD = "root-pw-123456"  # noqa: S105 - test fixture


@pytest.fixture
def root(db: Any) -> User:
    user = User.objects.create_superuser(email=ROOT_EMAIL, password=ROOT_PASSWORD)
    EmailAddress.objects.create(user=user, email=ROOT_EMAIL, verified=True, primary=True)
    return user


@pytest.fixture
def root_with_totp(root: User) -> tuple[User, str]:
    secret = generate_totp_secret()
    TOTP.activate(root, secret)
    return root, secret


@pytest.fixture
def platform(settings: Any) -> Client:
    return Client(headers={"host": settings.BASE_DOMAIN})


def _code(secret: str) -> str:
    counter = int(time.time()) // mfa_settings.TOTP_PERIOD  # the current period
    return format_hotp_value(hotp_value(secret, counter))


def test_admin_is_404_on_every_tenant_host(acme, client_for, root_with_totp, unscoped):
    root, _ = root_with_totp
    anonymous = client_for(acme)
    for path in ("/admin/", "/admin/login/", "/admin/tenancy/tenant/", "/admin/nothing/"):
        assert anonymous.get(path).status_code == 404, path
    # Not even a superuser with TOTP, nor a program admin, sees it on a program's host.
    assert client_for(acme, root).get("/admin/").status_code == 404
    assert client_for(acme, acme.admin).get("/admin/tenancy/tenant/").status_code == 404


def test_admin_login_is_allauths_with_next(platform):
    response = platform.get("/admin/")
    assert response.status_code == 302
    assert response["Location"] == "/admin/login/?next=/admin/"
    response = platform.get("/admin/login/?next=/admin/tenancy/tenant/")
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2Ftenancy%2Ftenant%2F"
    # An off-site next is dropped for the admin index.
    response = platform.get("/admin/login/?next=https://evil.example/")
    assert response["Location"] == "/accounts/login/?next=%2Fadmin%2F"


def test_djangos_admin_login_form_signs_nobody_in(platform, root_with_totp):
    platform.post("/admin/login/", {"username": ROOT_EMAIL, "password": ROOT_PASSWORD})
    assert "_auth_user_id" not in platform.session


def test_superuser_without_totp_is_sent_to_enrol_it(platform, root):
    response = platform.post(
        "/accounts/login/", {"login": ROOT_EMAIL, "password": ROOT_PASSWORD, "next": "/admin/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    # Signed in, but the admin index is out of reach until TOTP is on.
    response = platform.get("/admin/")
    assert response.status_code == 302
    assert platform.get("/admin/tenancy/tenant/").status_code == 302
    login = platform.get(response["Location"])
    assert login["Location"] == "/accounts/2fa/totp/activate/?next=%2Fadmin%2F"

    # The enrolment page works on the platform host (after the password again).
    response = platform.get("/accounts/2fa/totp/activate/")
    assert response["Location"].startswith("/accounts/reauthenticate/")
    platform.post("/accounts/reauthenticate/", {"password": ROOT_PASSWORD})
    setup = platform.get("/accounts/2fa/totp/activate/")
    assert setup.status_code == 200
    secret = setup.context["form"].secret
    done = platform.post("/accounts/2fa/totp/activate/", {"code": _code(secret)})
    assert done.status_code == 302
    assert Authenticator.objects.filter(user=root, type=Authenticator.Type.TOTP).exists()
    assert platform.get("/admin/").status_code == 200


def test_superuser_with_totp_signs_in_with_the_code_and_enters(platform, root_with_totp):
    root, secret = root_with_totp
    response = platform.post(
        "/accounts/login/", {"login": ROOT_EMAIL, "password": ROOT_PASSWORD, "next": "/admin/"}
    )
    assert response["Location"].startswith("/accounts/2fa/authenticate/")
    assert "_auth_user_id" not in platform.session  # the password alone is not enough
    assert platform.get("/admin/").status_code == 302
    response = platform.post("/accounts/2fa/authenticate/", {"code": _code(secret)})
    assert response["Location"] == "/admin/"
    assert platform.get("/admin/").status_code == 200
    assert platform.get("/admin/tenancy/tenant/").status_code == 200


def test_program_staff_cannot_sign_in_on_the_platform_host(acme, platform):
    response = platform.post(
        "/accounts/login/", {"login": acme.admin.email, "password": "pw-admin-123456"}
    )
    assert response.status_code == 200  # the form again
    assert "_auth_user_id" not in platform.session


def test_platform_host_serves_nothing_else(platform, root_with_totp):
    root, _ = root_with_totp
    platform.force_login(root)
    for path in ("/", "/console/", "/portal/", "/apply/"):
        assert platform.get(path).status_code == 404, path


def test_admin_sign_in_is_rate_limited(platform, root):
    for _ in range(5):
        platform.post("/accounts/login/", {"login": ROOT_EMAIL, "password": "wrong-password"})
    response = platform.post("/accounts/login/", {"login": ROOT_EMAIL, "password": ROOT_PASSWORD})
    assert "_auth_user_id" not in platform.session
    assert "Too many failed login attempts" in response.content.decode()


def test_allowlist_hides_the_admin_from_other_addresses(settings, root_with_totp):
    root, _ = root_with_totp
    settings.ADMIN_ALLOWED_IPS = ["10.0.0.0/8", "192.0.2.7"]
    outside = Client(headers={"host": settings.BASE_DOMAIN}, REMOTE_ADDR="198.51.100.1")
    outside.force_login(root)
    for path in ("/admin/", "/admin/login/", "/admin/tenancy/tenant/", "/accounts/login/"):
        assert outside.get(path).status_code == 404, path
    for address in ("10.20.30.40", "192.0.2.7"):
        inside = Client(headers={"host": settings.BASE_DOMAIN}, REMOTE_ADDR=address)
        inside.force_login(root)
        assert inside.get("/admin/").status_code == 200, address


def test_allowlist_checks_the_real_client_behind_the_proxy(settings, root_with_totp):
    root, _ = root_with_totp
    settings.ADMIN_ALLOWED_IPS = ["10.0.0.0/8"]
    # The proxy (127.0.0.1) forwards a request from 10.1.1.1.
    headers = {"host": settings.BASE_DOMAIN, "x-forwarded-for": "10.1.1.1"}
    behind = Client(headers=headers, REMOTE_ADDR="127.0.0.1")
    behind.force_login(root)
    settings.TRUSTED_PROXY_COUNT = 0
    assert behind.get("/admin/").status_code == 404  # the header is not believed
    settings.TRUSTED_PROXY_COUNT = 1
    assert behind.get("/admin/").status_code == 200
    # A client outside the list cannot talk its way in by prepending an address.
    spoofed = {"host": settings.BASE_DOMAIN, "x-forwarded-for": "10.1.1.1, 198.51.100.1"}
    liar = Client(headers=spoofed, REMOTE_ADDR="127.0.0.1")
    liar.force_login(root)
    assert liar.get("/admin/").status_code == 404


def test_an_unverified_operator_address_is_confirmed_on_the_platform_host(platform, root):
    EmailAddress.objects.filter(user=root).update(verified=False)
    response = platform.post("/accounts/login/", {"login": ROOT_EMAIL, "password": ROOT_PASSWORD})
    assert response["Location"].startswith("/accounts/confirm-email/")
    assert platform.get(response["Location"]).status_code == 200


def test_a_malformed_allowlist_fails_the_system_check(settings):
    from apps.core.admin_site import check_admin_allowlist

    settings.ADMIN_ALLOWED_IPS = ["10.0.0.0/8", "10.0.0.300", "office"]
    errors = check_admin_allowlist()
    assert [e.id for e in errors] == ["onramp.admin.E001"] * 2
    settings.ADMIN_ALLOWED_IPS = ["2001:db8::/32", "192.0.2.1"]
    assert check_admin_allowlist() == []
