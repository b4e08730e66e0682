import uuid
from dataclasses import dataclass

import pytest
from django.test import Client
from django_scopes import scope, scopes_disabled

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


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """Django empties the database between transactional tests with TRUNCATE, which the
    audit table's trigger refuses (apps/audit/migrations/0005): allowed in the test
    database only. tests/audit/test_truncate_and_role.py turns it off again to test it."""
    from django.db import connection

    with django_db_blocker.unblock():
        name = connection.settings_dict["NAME"]
        with connection.cursor() as cursor:
            database = connection.ops.quote_name(name)
            cursor.execute(f"ALTER DATABASE {database} SET onramp.audit_truncate = 'on'")
        connection.close()  # the next connection starts with the database's new default
    yield


@pytest.fixture(scope="session", autouse=True)
def _private_broker(worker_id):
    """Each xdist process gets its own Redis database as Celery broker, so a worker
    subprocess started by one test process never takes another process's tasks."""
    import os

    from django.conf import settings

    from config.celery import app

    index = 0 if worker_id == "master" else int(worker_id.removeprefix("gw")) + 1
    base = settings.CELERY_BROKER_URL.rsplit("/", 1)[0]
    url = f"{base}/{index + 1}"
    app.conf.broker_url = url
    os.environ["CELERY_BROKER_URL"] = url
    yield


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


def _make_program(slug: str, *, milestone_template: bool) -> Program:
    with scopes_disabled():
        tenant = program_create(
            actor=None,
            slug=slug,
            name=f"{slug.title()} Program",
            hostnames=[f"{slug}.localhost"],
            milestone_template=milestone_template,
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
def milestone_template() -> bool:
    """Request it (in a test's signature, or from a fixture or conftest) to give the
    programs (acme, globex) the standard milestone template, installed by `program_create`
    as in production. Without it the programs skip it: most tests never read milestones,
    and installing the template is most of a program's set-up."""
    return True


def _wants_milestone_template(request: pytest.FixtureRequest) -> bool:
    return "milestone_template" in request.fixturenames


@pytest.fixture
def acme(db, request) -> Program:
    return _make_program("acme", milestone_template=_wants_milestone_template(request))


@pytest.fixture
def globex(db, request) -> Program:
    return _make_program("globex", milestone_template=_wants_milestone_template(request))


@pytest.fixture
def client_for():
    """A test client on a tenant's host, signed in as `user` (or anonymous)."""

    def make(program: Program, user=None) -> Client:
        client = Client(headers={"host": program.host})
        if user is not None:
            client.force_login(user)
        return client

    return make


class WorkerProcess:
    """A real `celery worker` subprocess on the test database and the test Redis."""

    def __init__(self, mail_dir):
        self.mail_dir = mail_dir
        self.proc = None

    def start(self):
        import os
        import subprocess
        import sys
        from pathlib import Path

        from django.db import connection

        from config.celery import app

        db = connection.settings_dict
        env = {
            **os.environ,
            "DATABASE_URL": f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
            "EMAIL_URL": f"filemail://{self.mail_dir}",
            "CELERY_BROKER_URL": app.conf.broker_url,
            "SITE_SCHEME": "http",
        }
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool",
                "solo",
                "--without-heartbeat",
                "--without-mingle",
                "--without-gossip",
                "-Q",
                "celery,advance",  # the default queue and auto-advance's (settings.py)
                "-l",
                "WARNING",
            ],
            cwd=Path(__file__).resolve().parents[1],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return self

    def kill(self):
        import signal

        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self):
        import subprocess

        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()


@pytest.fixture
def celery_worker_process(tmp_path):
    worker = WorkerProcess(tmp_path / "mail")
    yield worker
    worker.stop()


def wait_for(predicate, timeout=60.0, interval=0.2):
    import time

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(interval)
    return predicate()


def race(*calls):
    """Run the calls in parallel threads released together; return results or exceptions.

    Each thread uses its own database connection (closed at the end), so this needs
    `pytest.mark.django_db(transaction=True)`.
    """
    import threading

    from django.db import connection

    barrier = threading.Barrier(len(calls))
    results = [None] * len(calls)

    def run(i, fn):
        try:
            barrier.wait()
            results[i] = fn()
        except Exception as exc:  # noqa: BLE001 - the test inspects it
            results[i] = exc
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i, fn)) for i, fn in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return results


def in_scope(tenant, fn, **kwargs):
    """A call of service `fn` for `tenant`, inside its scope (for `race`)."""

    def call():
        with scope(tenant=tenant):
            return fn(tenant=tenant, **kwargs)

    return call
