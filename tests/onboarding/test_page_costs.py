"""What the onboarding pages cost per request (issue 15): the console Onboarding tab, the
portal home and the portal journey take the same number of queries with 5 actions as with
50, each under its bound, and a warm request no longer looks the tenant's host up in the
database (the middleware's host cache, apps/tenancy/selectors.py)."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope

from apps.onboarding.demo import pipeline_build
from apps.onboarding.models import ActionProgress
from apps.onboarding.services import action_complete, action_validate, partner_enroll
from apps.partners.models import PartnerType
from tests.onboarding.factories import PI, UP, stage_specs

pytestmark = pytest.mark.django_db

# Bounds after issue 15 (each was two higher: the host lookup, then the unread count now
# read from the cache with the other nav badges).
TAB_QUERIES = 15
PORTAL_HOME_QUERIES = 14
JOURNEY_QUERIES = 13


def _enrolled(program: Any, *, account: Any, user: Any, n: int) -> None:
    """`account` in its own pipeline of `n` actions over two stages, half of the first
    stage's done by `user` and, where they need approval, all but one validated."""
    tenant = program.tenant
    with scope(tenant=tenant):
        built = pipeline_build(
            tenant=tenant,
            actor=program.admin,
            name=f"Pipeline of {n}",
            partner_types=[PartnerType.objects.get(tenant=tenant, name="Reseller / VAR")],
            stages=stage_specs(
                [
                    ("First", [(f"Step {i}", PI if i % 2 else UP, True) for i in range(n - 1)]),
                    ("Second", [("Last", PI, False)]),
                ]
            ),
        )
        enrollment = partner_enroll(
            tenant=tenant, actor=program.cam, account=account, pipeline=built.pipeline
        )
        rows = list(
            ActionProgress.objects.filter(enrollment=enrollment, action__stage__name="First")
            .order_by("action__position")
            .values_list("pk", flat=True)
        )
        done = rows[: max(2, n // 2)]
        for pk in done:
            action_complete(
                tenant=tenant, actor=user, progress_id=pk, submission={"legal_name": "x"}
            )
        for pk in done[1:]:
            action_validate(tenant=tenant, actor=program.cam, progress_id=pk)


def _count(client: Any, path: str) -> tuple[int, list[str]]:
    client.get(path)  # warm: the host cache, the session, the nav badges
    with CaptureQueriesContext(connection) as captured:
        response = client.get(path)
    assert response.status_code == 200, path
    return len(captured.captured_queries), [q["sql"] for q in captured.captured_queries]


def test_onboarding_pages_cost_the_same_with_5_and_50_actions(acme, client_for):
    _enrolled(acme, account=acme.partner, user=acme.partner_admin, n=5)
    _enrolled(acme, account=acme.other_partner, user=acme.other_partner_user, n=50)
    cam = client_for(acme, acme.cam)
    costs: dict[str, list[int]] = {"tab": [], "home": [], "journey": []}
    for account, user in ((acme.partner, acme.partner_admin), (acme.other_partner, None)):
        user = user or acme.other_partner_user
        portal = client_for(acme, user)
        for page, client, path in (
            ("tab", cam, f"/console/partners/{account.pk}/onboarding/"),
            ("home", portal, "/portal/"),
            ("journey", portal, "/portal/onboarding/"),
        ):
            count, statements = _count(client, path)
            assert not [s for s in statements if "tenancy_tenanthost" in s], (page, statements)
            costs[page].append(count)
    assert costs["tab"][0] == costs["tab"][1] <= TAB_QUERIES, costs
    assert costs["home"][0] == costs["home"][1] <= PORTAL_HOME_QUERIES, costs
    assert costs["journey"][0] == costs["journey"][1] <= JOURNEY_QUERIES, costs


def test_the_membership_query_has_no_orm_subquery_to_compile(acme, client_for):
    """The program switcher's flag comes with the membership in the same query."""
    _, statements = _count(client_for(acme, acme.cam), "/console/")
    (membership,) = [s for s in statements if 'AS "has_other_programs"' in s]
    assert "EXISTS (SELECT 1 FROM" in membership


BADGE_KEYS = ("notifications:unread", "applications:pending", "onboarding:queue", "milestones:")


class _CacheReads:
    """The default cache's reads, by call (the cache itself still runs)."""

    def __init__(self, monkeypatch: Any) -> None:
        from django.core.cache import caches

        cache = caches["default"]  # the instance, not the module's proxy
        self.calls: list[tuple[str, list[str]]] = []
        for name in ("get", "get_many"):
            original = getattr(cache, name)

            def counted(keys: Any, *args: Any, _name: str = name, _f: Any = original, **kw: Any):
                self.calls.append((_name, [keys] if isinstance(keys, str) else list(keys)))
                return _f(keys, *args, **kw)

            monkeypatch.setattr(cache, name, counted)

    def badge_calls(self) -> list[tuple[str, list[str]]]:
        return [(n, keys) for n, keys in self.calls if any(k.startswith(BADGE_KEYS) for k in keys)]


def test_a_warm_console_page_reads_every_nav_badge_in_one_cache_call(acme, client_for, monkeypatch):
    """Unread notifications, pending applications, work queue and open alerts: one
    `get_many` (apps/core/nav_badges.py), and no query for any of them once warm."""
    _enrolled(acme, account=acme.partner, user=acme.partner_admin, n=5)
    cam = client_for(acme, acme.cam)
    path = f"/console/partners/{acme.partner.pk}/onboarding/"
    cam.get(path)  # warm
    reads = _CacheReads(monkeypatch)
    with CaptureQueriesContext(connection) as captured:
        response = cam.get(path)
    assert response.status_code == 200
    ((name, keys),) = reads.badge_calls()
    assert name == "get_many"
    for prefix in BADGE_KEYS:
        assert [k for k in keys if k.startswith(prefix)], (prefix, keys)
    tables = ("notifications_notification", "applications_application", "milestones_alert")
    sql = [q["sql"] for q in captured.captured_queries]
    assert not [s for s in sql if any(f'"{t}"' in s for t in tables)], sql
