"""The unread count in the nav is cached per user (apps/notifications/context_processors.py,
issue 15): a page costs no count query once warm, a new notification shows in the count on
the next page, and reading it (one, or all) clears it there too."""

from __future__ import annotations

import re
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope

from apps.notifications.models import Notification
from apps.notifications.services import notification_create, notification_mark_read

pytestmark = pytest.mark.django_db

BELL = re.compile(rb'aria-label="Notifications(?:, (\d+) unread)?"')


def _notify(program: Any, recipient: Any) -> Notification:
    with scope(tenant=program.tenant):
        return notification_create(
            tenant=program.tenant,
            recipient=recipient,
            kind="partner_assigned",
            context={"partner": program.partner, "actor_name": "Ada Admin"},
            url=f"/console/partners/{program.partner.pk}/",
            email=False,
        )


def _unread_on_page(client: Any) -> tuple[int, list[str]]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get("/console/")
    assert response.status_code == 200
    match = BELL.search(response.content)
    assert match is not None
    return int(match.group(1) or 0), [q["sql"] for q in captured.captured_queries]


def _count_queries(statements: list[str]) -> list[str]:
    return [
        s
        for s in statements
        if 'FROM "notifications_notification"' in s and "COUNT(" in s and "read_at" in s
    ]


def test_a_warm_page_reads_the_count_from_the_cache(acme, client_for):
    cam = client_for(acme, acme.cam)
    _notify(acme, acme.cam)
    first, statements = _unread_on_page(cam)
    assert first >= 1 and len(_count_queries(statements)) == 1
    again, statements = _unread_on_page(cam)
    assert again == first and _count_queries(statements) == []


def test_a_new_notification_shows_at_once_and_reading_it_clears_it(acme, client_for):
    cam = client_for(acme, acme.cam)
    start = _unread_on_page(cam)[0]  # now cached
    first = _notify(acme, acme.cam)
    assert _unread_on_page(cam)[0] == start + 1
    _notify(acme, acme.cam)
    assert _unread_on_page(cam)[0] == start + 2

    # Read one through the page's own button, then all through the service.
    response = cam.post(f"/notifications/{first.pk}/read/")
    assert response.status_code == 302
    assert _unread_on_page(cam)[0] == start + 1
    with scope(tenant=acme.tenant):
        notification_mark_read(tenant=acme.tenant, recipient=acme.cam)
    assert _unread_on_page(cam)[0] == 0


def test_one_users_notification_leaves_anothers_count_alone(acme, client_for):
    cam, admin = client_for(acme, acme.cam), client_for(acme, acme.admin)
    cam_start, admin_start = _unread_on_page(cam)[0], _unread_on_page(admin)[0]
    _notify(acme, acme.cam)
    assert _unread_on_page(cam)[0] == cam_start + 1
    count, statements = _unread_on_page(admin)
    assert count == admin_start and _count_queries(statements) == []  # still cached


def test_the_count_read_before_a_commit_is_not_kept_after_it(
    acme, client_for, django_capture_on_commit_callbacks
):
    """A page that counted inside the change's transaction (before its commit) stored the
    count under the version bumped then; the commit replaces the version again."""
    from django.core.cache import cache

    from apps.notifications.context_processors import unread_version_key

    cam = client_for(acme, acme.cam)
    start = _unread_on_page(cam)[0]
    with django_capture_on_commit_callbacks(execute=True):
        _notify(acme, acme.cam)
        before_commit = cache.get(unread_version_key(acme.tenant.pk, acme.cam.pk))
    assert cache.get(unread_version_key(acme.tenant.pk, acme.cam.pk)) != before_commit
    assert _unread_on_page(cam)[0] == start + 1
