"""The demo programs acme and globex, put together from each app's `demo.py`.

`seed_demo` runs `demo_seed()`. Every step skips what exists, so a second run changes nothing.
"""

from __future__ import annotations

from django.db import transaction
from django_scopes import scope, scopes_disabled

from apps.accounts.models import User
from apps.applications.demo import applications_seed_demo
from apps.content.demo import content_seed_demo
from apps.home.services import program_create, staff_member_add
from apps.milestones.demo import milestones_seed_demo
from apps.milestones.services import milestone_sweep_all_tenants, milestone_template_install
from apps.onboarding.demo import onboarding_seed_demo
from apps.partners.demo import partners_seed_demo
from apps.tenancy.models import Role, Tenant

PASSWORD = "onramp-demo"  # every demo sign-in


def program_seed_demo(*, slug: str, name: str, host: str, colour: str) -> Tenant:
    """The program `slug`, created (with its starting data) unless it exists."""
    with scopes_disabled():
        tenant = Tenant.objects.filter(slug=slug).first()
    if tenant is None:
        tenant = program_create(
            actor=None,
            slug=slug,
            name=name,
            hostnames=[host],
            brand_color=colour,
            support_email=f"partners@{slug}.test",
        )
    return tenant


def acme_seed_demo(*, tenant: Tenant) -> None:
    """Staff, partners, content, the onboarding pipeline, applications and milestones."""
    admin = staff_member_add(
        tenant=tenant,
        actor=None,
        email="admin@acme.test",
        role=Role.PROGRAM_ADMIN,
        first_name="Ada",
        last_name="Admin",
        password=PASSWORD,
    ).user
    cam = staff_member_add(
        tenant=tenant,
        actor=admin,
        email="cam@acme.test",
        role=Role.CHANNEL_MANAGER,
        first_name="Casey",
        last_name="Manager",
        password=PASSWORD,
    ).user
    northwind = partners_seed_demo(tenant=tenant, admin=admin, cam=cam, password=PASSWORD)
    content_seed_demo(tenant=tenant, actor=cam)
    onboarding_seed_demo(tenant=tenant, actor=admin, account=northwind)
    applications_seed_demo(tenant=tenant, admin=admin, cam=cam)
    milestones_seed_demo(tenant=tenant, cam=cam)


def globex_seed_demo(*, tenant: Tenant) -> User:
    """A second program with only its admin: for seeing tenants apart."""
    milestone_template_install(tenant=tenant)
    return staff_member_add(
        tenant=tenant,
        actor=None,
        email="admin@globex.test",
        role=Role.PROGRAM_ADMIN,
        first_name="Grace",
        last_name="Hopper",
        password=PASSWORD,
    ).user


@transaction.atomic
def demo_seed() -> None:
    acme = program_seed_demo(
        slug="acme", name="Acme Cloud Partner Program", host="acme.localhost", colour="#4f46e5"
    )
    globex = program_seed_demo(
        slug="globex", name="Globex Partner Network", host="globex.localhost", colour="#0f766e"
    )
    with scope(tenant=acme):
        acme_seed_demo(tenant=acme)
    with scope(tenant=globex):
        globex_seed_demo(tenant=globex)
    # One sweep now, so that the console home and the alert inbox agree from the first page.
    milestone_sweep_all_tenants()
