import uuid
from dataclasses import dataclass

import pytest
from django.test import Client
from django_scopes import scopes_disabled

from apps.home.services import program_create, staff_member_add
from apps.partners.models import PartnerType
from apps.partners.services import partner_account_create, partner_user_add
from apps.tenancy.models import Role


@pytest.fixture(autouse=True)
def _test_settings(settings):
    # Plain HTTP test servers, and a private cache namespace per test (the cache is the
    # real Redis shared by all xdist workers, so prefixes keep tests apart).
    settings.SECURE_SSL_REDIRECT = False
    settings.SESSION_COOKIE_SECURE = False
    settings.CSRF_COOKIE_SECURE = False
    settings.SECURE_HSTS_SECONDS = 0
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    caches = {k: dict(v) for k, v in settings.CACHES.items()}
    caches["default"]["KEY_PREFIX"] = f"test-{uuid.uuid4().hex}"
    settings.CACHES = caches
    settings.SITE_SCHEME = "http"
    # Hashing cost is not under test; a fast hasher keeps fixtures quick.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def unscoped():
    """Test set-up and assertions read across tenants; code under test sets its own scope."""
    with scopes_disabled():
        yield


@dataclass
class Program:
    tenant: object
    host: str
    admin: object
    cam: object
    partner: object  # partner account
    partner_admin: object
    partner_user: object
    other_partner: object
    other_partner_user: object


def _make_program(slug: str) -> Program:
    with scopes_disabled():
        tenant = program_create(
            actor=None, slug=slug, name=f"{slug.title()} Program", hostnames=[f"{slug}.localhost"]
        )
        admin = staff_member_add(
            tenant=tenant,
            actor=None,
            email=f"admin@{slug}.test",
            role=Role.PROGRAM_ADMIN,
            first_name="Ada",
            last_name="Admin",
            password="pw-admin-123456",
        ).user
        cam = staff_member_add(
            tenant=tenant,
            actor=admin,
            email=f"cam@{slug}.test",
            role=Role.CHANNEL_MANAGER,
            first_name="Casey",
            last_name="Cam",
            password="pw-cam-123456",
        ).user
        reseller = PartnerType.objects.get(tenant=tenant, name="Reseller / VAR")
        partner = partner_account_create(
            tenant=tenant,
            actor=admin,
            name=f"{slug.title()} Partner One",
            partner_type=reseller,
            domains=[f"one.{slug}.test"],
            cam=cam,
        )
        other = partner_account_create(
            tenant=tenant,
            actor=admin,
            name=f"{slug.title()} Partner Two",
            partner_type=reseller,
            domains=[f"two.{slug}.test"],
            cam=cam,
        )
        partner_admin = partner_user_add(
            tenant=tenant,
            actor=cam,
            account=partner,
            email=f"padmin@one.{slug}.test",
            role=Role.PARTNER_ADMIN,
            password="pw-padmin-123456",
        ).membership.user
        partner_user = partner_user_add(
            tenant=tenant,
            actor=cam,
            account=partner,
            email=f"puser@one.{slug}.test",
            role=Role.PARTNER_USER,
            password="pw-puser-123456",
        ).membership.user
        other_partner_user = partner_user_add(
            tenant=tenant,
            actor=cam,
            account=other,
            email=f"padmin@two.{slug}.test",
            role=Role.PARTNER_ADMIN,
            password="pw-other-123456",
        ).membership.user
    return Program(
        tenant=tenant,
        host=f"{slug}.localhost",
        admin=admin,
        cam=cam,
        partner=partner,
        partner_admin=partner_admin,
        partner_user=partner_user,
        other_partner=other,
        other_partner_user=other_partner_user,
    )


@pytest.fixture
def acme(db) -> Program:
    return _make_program("acme")


@pytest.fixture
def globex(db) -> Program:
    return _make_program("globex")


@pytest.fixture
def client_for():
    """A test client on a tenant's host, signed in as `user` (or anonymous)."""

    def make(program: Program, user=None) -> Client:
        client = Client(HTTP_HOST=program.host)
        if user is not None:
            client.force_login(user)
        return client

    return make
