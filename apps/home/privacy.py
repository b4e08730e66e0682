"""Privacy controls (issue 14), the reads: finding a person, what the program holds about
them, and their export. The writes (retention purge, erasure) are in services_privacy.py.

A "person" is an email address of this program: a user with a membership here, or someone
who only applied or was invited (no user). Their key in URLs is `u<user id>`,
`a<application id>` or `i<invitation id>`; every key resolves inside the program's scope
only, so another program's ids are a 404.

What is held about a person is read from the schema, not from a hand list: in every
tenant-owned model, the rows that point at their user (directly, or through their
membership) and the rows whose text mentions their email address. A model added later is
covered the day it exists. Secret columns (hashes, tokens) are left out of the export.
"""

from __future__ import annotations

import datetime
import re
import uuid
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.db.models import Q
from django.utils import timezone

from apps.applications.models import Application, Invitation
from apps.core.redaction import mentions_q, text_fields
from apps.tenancy.models import Membership, Role, Tenant, TenantOwned

User = get_user_model()

EXPORT_FORMAT = "onramp.person-export/1"
SEARCH_MIN_CHARS = 3
SEARCH_LIMIT = 20
_KEY = re.compile(r"^([uai])([1-9][0-9]{0,17})$")
_SECRET = re.compile(r"(hash|token|secret|password)", re.IGNORECASE)


@dataclass(frozen=True)
class Person:
    """One person of the program: their email, and their user if they are a member."""

    key: str
    email: str
    user: Any = None  # a User with a membership in this program, or None
    names: tuple[str, ...] = ()  # full names the program holds for them

    @property
    def label(self) -> str:
        return self.names[0] if self.names else self.email


@dataclass
class Holding:
    """The rows of one model that concern the person."""

    model_label: str  # "applications.application"
    name: str  # "applications", for people
    rows: list[dict[str, Any]] = field(default_factory=list)


def _has_tenant_key(model: type[models.Model]) -> bool:
    if issubclass(model, TenantOwned):
        return True
    try:
        tenant = model._meta.get_field("tenant")
    except FieldDoesNotExist:
        return False
    return isinstance(tenant, models.ForeignKey) and tenant.related_model is Tenant


def tenant_models() -> list[type[models.Model]]:
    """Every concrete model with a `tenant` key (tenant-owned, or a row of a program such as
    an outbox message), in a stable order."""
    found = [m for m in django_apps.get_models() if not m._meta.proxy and _has_tenant_key(m)]
    return sorted(found, key=lambda m: m._meta.label_lower)


def user_foreign_keys(model: type[models.Model]) -> list[models.ForeignKey[Any, Any]]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.ForeignKey) and f.related_model is User
    ]


def _membership_foreign_keys(model: type[models.Model]) -> list[models.ForeignKey[Any, Any]]:
    return [
        f
        for f in model._meta.concrete_fields
        if isinstance(f, models.ForeignKey) and f.related_model is Membership
    ]


# Finding a person -------------------------------------------------------------------------


def _member(*, tenant: Tenant, email: str) -> Any:
    return (
        User.objects.filter(email__iexact=email, memberships__tenant=tenant).order_by("pk").first()
    )


def _names(*, tenant: Tenant, email: str, user: Any) -> tuple[str, ...]:
    names: list[str] = []
    if user is not None and (user.first_name or user.last_name):
        names.append(f"{user.first_name} {user.last_name}".strip())
    for first, last in (
        Application.objects.filter(tenant=tenant, email=email)
        .order_by()
        .values_list("first_name", "last_name")
        .distinct()
    ):
        full = f"{first} {last}".strip()
        if full and full not in names:
            names.append(full)
    return tuple(names)


def person_for_email(*, tenant: Tenant, email: str, key: str = "") -> Person | None:
    """The person of `tenant` with this email, or None when the program holds nothing under
    it (no membership, application or invitation)."""
    email = email.strip().lower()
    user = _member(tenant=tenant, email=email)
    if user is None and not (
        Application.objects.filter(tenant=tenant, email=email).exists()
        or Invitation.objects.filter(tenant=tenant, email=email).exists()
    ):
        return None
    if user is not None:
        key = f"u{user.pk}"
    return Person(
        key=key, email=email, user=user, names=_names(tenant=tenant, email=email, user=user)
    )


def person_resolve(*, tenant: Tenant, key: str) -> Person | None:
    """The person a URL key names in `tenant`, or None (unknown, another program's, or
    erased)."""
    match = _KEY.match(key or "")
    if match is None:
        return None
    kind, pk = match.group(1), int(match.group(2))
    email: str | None
    if kind == "u":
        email = (
            User.objects.filter(pk=pk, memberships__tenant=tenant)
            .values_list("email", flat=True)
            .first()
        )
    elif kind == "a":
        email = (
            Application.objects.filter(tenant=tenant, pk=pk).values_list("email", flat=True).first()
        )
    else:
        email = (
            Invitation.objects.filter(tenant=tenant, pk=pk).values_list("email", flat=True).first()
        )
    if email is None:
        return None
    return person_for_email(tenant=tenant, email=email, key=key)


@dataclass(frozen=True)
class PersonMatch:
    key: str
    email: str
    name: str
    what: str  # "member" / "applicant" / "invitee"
    role: str = ""


def person_search(*, tenant: Tenant, query: str) -> list[PersonMatch]:
    """People of the program whose email contains `query` (at least 3 characters): members
    first, then applicants and invitees without a user here. Three queries."""
    query = query.strip().lower()
    if len(query) < SEARCH_MIN_CHARS:
        return []
    found: dict[str, PersonMatch] = {}
    members = (
        Membership.objects.filter(tenant=tenant, user__email__icontains=query)
        .select_related("user")
        .order_by("user__email")[:SEARCH_LIMIT]
    )
    for m in members:
        email = m.user.email.lower()
        found[email] = PersonMatch(
            key=f"u{m.user_id}",
            email=email,
            name=f"{m.user.first_name} {m.user.last_name}".strip(),
            what="member",
            role=Role(m.role).label if m.role in Role.values else m.role,
        )
    applications = (
        Application.objects.filter(tenant=tenant, email__icontains=query)
        .order_by("email", "pk")
        .values_list("pk", "email", "first_name", "last_name")[: SEARCH_LIMIT * 3]
    )
    for pk, email, first, last in applications:
        if email not in found:
            found[email] = PersonMatch(
                key=f"a{pk}", email=email, name=f"{first} {last}".strip(), what="applicant"
            )
    invitations = (
        Invitation.objects.filter(tenant=tenant, email__icontains=query)
        .order_by("email", "pk")
        .values_list("pk", "email")[: SEARCH_LIMIT * 3]
    )
    for pk, email in invitations:
        if email not in found:
            found[email] = PersonMatch(key=f"i{pk}", email=email, name="", what="invitee")
    return sorted(found.values(), key=lambda m: (m.what != "member", m.email))[:SEARCH_LIMIT]


# What is held -----------------------------------------------------------------------------


def _person_q(model: type[models.Model], person: Person) -> Q | None:
    query = Q()
    if person.user is not None:
        for fk in user_foreign_keys(model):
            query |= Q(**{fk.attname: person.user.pk})
        for fk in _membership_foreign_keys(model):
            query |= Q(**{f"{fk.name}__user_id": person.user.pk})
    columns = text_fields(model)
    if columns:
        query |= mentions_q(columns, [person.email])
    return query if query else None


def _value(value: Any) -> Any:
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    if hasattr(value, "name") and hasattr(value, "storage"):  # a FieldFile
        return value.name or ""
    return value


def row_export(obj: models.Model) -> dict[str, Any]:
    """A row as JSON-ready data: every column but the tenant and secrets; foreign keys as
    ids, files as their stored names."""
    data: dict[str, Any] = {}
    for f in obj._meta.concrete_fields:
        if f.name == "tenant" or _SECRET.search(f.name):
            continue
        if isinstance(f, models.FileField):
            data[f.name] = _value(getattr(obj, f.name))
        else:
            data[f.attname] = _value(getattr(obj, f.attname))
    return data


def person_holdings(*, tenant: Tenant, person: Person) -> list[Holding]:
    """Every tenant-owned row that concerns the person, grouped by model (one query per
    model that can point at them)."""
    holdings: list[Holding] = []
    for model in tenant_models():
        query = _person_q(model, person)
        if query is None:
            continue
        rows = [
            row_export(obj)
            for obj in model._default_manager.filter(tenant=tenant).filter(query).order_by("pk")
        ]
        if rows:
            holdings.append(
                Holding(
                    model_label=model._meta.label_lower,
                    name=str(model._meta.verbose_name_plural),
                    rows=rows,
                )
            )
    return holdings


def user_export(user: Any) -> dict[str, Any]:
    return {
        "id": user.pk,
        "email": user.email,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "is_active": user.is_active,
        "date_joined": _value(user.date_joined),
        "last_login": _value(user.last_login),
        "language": getattr(user, "language", None),
    }


def person_export(*, tenant: Tenant, person: Person) -> dict[str, Any]:
    """Everything the program holds about the person, as one JSON-ready document."""
    return {
        "format": EXPORT_FORMAT,
        "generated_at": timezone.now().isoformat(),
        "program": {"name": tenant.name, "slug": tenant.slug},
        "person": {
            "email": person.email,
            "names": list(person.names),
            "user": user_export(person.user) if person.user is not None else None,
        },
        "records": {h.model_label: h.rows for h in person_holdings(tenant=tenant, person=person)},
    }
