"""A staff member's saved Partner Explorer views: save the current filters under a name,
rename, delete. Each user manages only their own (the views look them up by user, so
another user's id is a 404); names are unique per user and program (a constraint too)."""

from __future__ import annotations

from typing import Any

from django.db import IntegrityError, transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from apps.audit.services import audit_record
from apps.partners import verbs
from apps.partners.models import SavedView
from apps.partners.saved_views import (
    QUERY_MAX_LENGTH,
    saved_view_query_clean,
    saved_views_changed,
)
from apps.partners.services.errors import PartnerError
from apps.tenancy.models import STAFF_ROLES, Membership, Tenant

NAME_MAX_LENGTH = 80
SAVED_VIEWS_MAX = 30  # per user and program: the nav stays a list one can read


class SavedViewNameTaken(PartnerError):
    """The user already has a view of this name."""


def _require_staff(*, tenant: Tenant, actor: Any) -> None:
    if (
        actor is None
        or not Membership.objects.filter(
            tenant=tenant, user_id=actor.pk, role__in=STAFF_ROLES, is_active=True
        ).exists()
    ):
        raise PartnerError(_("Only the program’s staff can save Partner Explorer views."))


def _clean_name(value: str) -> str:
    name = " ".join((value or "").split())
    if not name:
        raise PartnerError(_("Give the view a name."))
    if len(name) > NAME_MAX_LENGTH:
        raise PartnerError(
            _("Use at most %(max)d characters for the name.") % {"max": NAME_MAX_LENGTH}
        )
    return name


def _taken(name: str) -> SavedViewNameTaken:
    return SavedViewNameTaken(_("You already have a view called “%(name)s”.") % {"name": name})


def _locked(*, tenant: Tenant, actor: Any, view_id: int) -> SavedView:
    view = (
        SavedView.objects.select_for_update(of=("self",))
        .filter(tenant=tenant, user_id=actor.pk, pk=view_id)
        .first()
    )
    if view is None:
        raise PartnerError(_("That saved view no longer exists."))
    return view


@transaction.atomic
def saved_view_create(*, tenant: Tenant, actor: Any, name: str, query: str) -> SavedView:
    """Save the Explorer's filters (`query`, its query string: only the known filter
    parameters are kept) as the actor's view `name`, last in their list."""
    _require_staff(tenant=tenant, actor=actor)
    name = _clean_name(name)
    cleaned = saved_view_query_clean(query)
    if not cleaned:
        raise PartnerError(_("Choose some filters first: a view saves a filtered list."))
    if len(cleaned) > QUERY_MAX_LENGTH:
        raise PartnerError(_("These filters are too long to save."))
    mine = SavedView.objects.filter(tenant=tenant, user_id=actor.pk)
    if mine.count() >= SAVED_VIEWS_MAX:
        raise PartnerError(
            _("You have %(max)d saved views: delete one first.") % {"max": SAVED_VIEWS_MAX}
        )
    if mine.filter(name=name).exists():
        raise _taken(name)
    last = mine.aggregate(m=Max("position"))["m"]
    try:
        with transaction.atomic():  # a savepoint: the unique constraint has the last word
            view = SavedView.objects.create(
                tenant=tenant,
                user=actor,
                name=name,
                query=cleaned,
                position=0 if last is None else last + 1,
            )
    except IntegrityError as exc:
        raise _taken(name) from exc
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.SAVED_VIEW_CREATED,
        target=view,
        data={"name": {"from": None, "to": name}, "query": {"from": None, "to": cleaned}},
    )
    saved_views_changed(tenant_id=tenant.pk, user_id=actor.pk)
    return view


@transaction.atomic
def saved_view_rename(*, tenant: Tenant, actor: Any, view_id: int, name: str) -> SavedView:
    view = _locked(tenant=tenant, actor=actor, view_id=view_id)
    name = _clean_name(name)
    before = view.name
    if name == before:
        return view
    if SavedView.objects.filter(tenant=tenant, user_id=actor.pk, name=name).exists():
        raise _taken(name)
    view.name = name
    try:
        with transaction.atomic():
            view.save(update_fields=["name"])
    except IntegrityError as exc:
        raise _taken(name) from exc
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.SAVED_VIEW_RENAMED,
        target=view,
        data={"name": {"from": before, "to": name}},
    )
    saved_views_changed(tenant_id=tenant.pk, user_id=actor.pk)
    return view


@transaction.atomic
def saved_view_delete(*, tenant: Tenant, actor: Any, view_id: int) -> str:
    """Delete the actor's view; returns its name."""
    view = _locked(tenant=tenant, actor=actor, view_id=view_id)
    name, query = view.name, view.query
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.SAVED_VIEW_DELETED,
        target=view,
        data={"name": {"from": name, "to": None}, "query": {"from": query, "to": None}},
    )
    view.delete()
    saved_views_changed(tenant_id=tenant.pk, user_id=actor.pk)
    return name
