import hashlib
import json
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.accounts.services import user_get_or_create
from apps.audit.services import AuditEntry, audit_record, audit_record_many
from apps.notifications.services import notification_create
from apps.partners import verbs
from apps.partners.models import (
    DEFAULT_PARTNER_TYPES,
    FREE_MAIL_DOMAINS,
    PartnerAccount,
    PartnerDomain,
    PartnerEvent,
    PartnerStatus,
    PartnerType,
    PartnerUser,
)
from apps.partners.verbs import EVENT_SOURCES, event_type_require
from apps.tenancy.models import PARTNER_ROLES, STAFF_ROLES, Membership, Role, Tenant
from apps.tenancy.services import membership_grant


class PartnerError(Exception):
    """A partner-account rule was broken; the message is shown to the user."""


def partner_types_install_defaults(*, tenant: Tenant) -> list[PartnerType]:
    existing = {
        name.lower()
        for name in PartnerType.objects.filter(tenant=tenant).values_list("name", flat=True)
    }
    created = [
        PartnerType(tenant=tenant, name=name, position=i)
        for i, name in enumerate(DEFAULT_PARTNER_TYPES)
        if name.lower() not in existing
    ]
    return PartnerType.objects.bulk_create(created)


def normalise_domain(domain: str) -> str:
    domain = domain.strip().lower().lstrip("@").rstrip(".")
    if not domain or " " in domain or "." not in domain or "/" in domain:
        raise PartnerError(f"“{domain}” is not an email domain.")
    return domain


@transaction.atomic
def partner_account_create(
    *,
    tenant: Tenant,
    actor,
    name: str,
    partner_type: PartnerType,
    domains: list[str] = (),
    **fields,
) -> PartnerAccount:
    if partner_type.tenant_id != tenant.pk:
        raise PartnerError("Unknown partner type.")
    account = PartnerAccount.objects.create(
        tenant=tenant, name=name.strip(), partner_type=partner_type, **fields
    )
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.PARTNER_CREATED,
        target=account,
        partner_id=account.pk,
        data={"name": account.name, "type": partner_type.name},
    )
    for domain in domains:
        partner_domain_add(tenant=tenant, actor=actor, account=account, domain=domain)
    if account.cam is not None and account.cam != actor:
        _notify_cam_assigned(tenant=tenant, actor=actor, account=account)
    return account


def _notify_cam_assigned(*, tenant: Tenant, actor, account: PartnerAccount) -> None:
    notification_create(
        tenant=tenant,
        recipient=account.cam,
        kind="partner_assigned",
        context={
            "partner": account,
            "actor_name": actor.get_full_name() if actor is not None else "Onramp",
        },
        url=reverse("partners:detail", args=[account.pk]),
    )


@transaction.atomic
def partner_domain_add(
    *, tenant: Tenant, actor, account: PartnerAccount, domain: str
) -> PartnerDomain:
    domain = normalise_domain(domain)
    try:
        with transaction.atomic():
            row = PartnerDomain.objects.create(tenant=tenant, account=account, domain=domain)
    except IntegrityError as exc:
        raise PartnerError(f"The domain {domain} already belongs to a partner account.") from exc
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.PARTNER_DOMAIN_ADDED,
        target=account,
        partner_id=account.pk,
        data={"domain": domain},
    )
    return row


@transaction.atomic
def partner_user_add(
    *,
    tenant: Tenant,
    actor,
    account: PartnerAccount,
    email: str,
    role: Role = Role.PARTNER_USER,
    first_name: str = "",
    last_name: str = "",
    password: str | None = None,
) -> PartnerUser:
    """Add a person to a partner account: identity (if new), membership and the link."""
    if role not in PARTNER_ROLES:
        raise PartnerError("Partner users have a partner role.")
    if account.tenant_id != tenant.pk:
        raise PartnerError("Unknown partner account.")
    email = email.strip().lower()
    user, _ = user_get_or_create(
        email=email, first_name=first_name, last_name=last_name, password=password
    )
    membership, previous = membership_grant(tenant=tenant, user=user, role=role)
    link = PartnerUser.objects.filter(tenant=tenant, membership=membership).first()
    if link is not None and link.account_id != account.pk:
        raise PartnerError(f"{email} already belongs to another partner account.")
    if previous not in (None, "") and previous not in PARTNER_ROLES:
        raise PartnerError(f"{email} is a member of the program staff.")
    if link is None:
        link = PartnerUser.objects.create(tenant=tenant, membership=membership, account=account)
    elif previous is None:
        return link  # already there with this role: nothing changed
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.PARTNER_USER_ADDED if previous == "" else verbs.PARTNER_USER_ROLE_CHANGED,
        target=account,
        partner_id=account.pk,
        data={"user": email, "from": previous or None, "to": str(role)},
    )
    return link


def partner_event_record(
    *,
    tenant: Tenant,
    account_id: int,
    type: str,
    source: str,
    occurred_at=None,
    reference: str = "",
    data: dict | None = None,
    idempotency_key: str = "",
    actor=None,
) -> tuple[PartnerEvent, bool]:
    """Append an event to the partner's log. Returns (event, created).

    With an `idempotency_key`, recording the same key again returns the first event and
    creates nothing (the database's unique index decides, so concurrent retries are safe).
    The type must be declared in an app's `verbs.py` (else `UnknownVerb`), unless an
    external system sent it (see `apps.partners.verbs`).
    """
    from django.utils import timezone

    if source not in EVENT_SOURCES:
        raise PartnerError(f"Unknown event source “{source}”.")
    type = type.strip().lower()
    if not type or len(type) > 80:
        raise PartnerError("An event needs a type of at most 80 characters.")
    event_type_require(type=type, source=source)
    fields = {
        "tenant": tenant,
        "account_id": account_id,
        "type": type,
        "source": source,
        "occurred_at": occurred_at or timezone.now(),
        "reference": reference[:200],
        "data": data or {},
        "recorded_by": actor,
    }
    if not idempotency_key:
        return PartnerEvent.objects.create(**fields), True
    try:
        with transaction.atomic():
            return PartnerEvent.objects.create(idempotency_key=idempotency_key, **fields), True
    except IntegrityError:
        return PartnerEvent.objects.get(tenant=tenant, idempotency_key=idempotency_key), False


# --- Set-based writes for higher layers (the milestones sweep) -------------------------------

# A SELECT or WITH body handed to the set-based services below: SQL text and its parameters.
SqlQuery = tuple[str, Sequence[Any] | Mapping[str, Any]]

# The columns of the SELECT `partner_events_record_many` inserts, in this order.
PARTNER_EVENT_ROW_COLUMNS = (
    "tenant_id",
    "account_id",
    "type",
    "occurred_at",
    "reference",
    "data",
    "idempotency_key",
    "recorded_by_id",
)


def partner_events_record_many(
    *, source: str, types: Collection[str], rows: SqlQuery, now: datetime
) -> int:
    """Append the events a higher layer's SELECT yields, in one `INSERT … SELECT`: the
    set-based `partner_event_record` (e.g. the content library's opens, every tenant at once).

    `rows` returns PARTNER_EVENT_ROW_COLUMNS with positional (`%s`) parameters; `types` are
    the event types it may yield, each declared (else `UnknownVerb`); other rows are skipped.
    Every event needs an idempotency key: a key already recorded (by an earlier run, or a
    concurrent one) is skipped, so re-reading the same rows records nothing twice.
    Returns how many events were recorded.
    """
    if source not in EVENT_SOURCES:
        raise PartnerError(f"Unknown event source “{source}”.")
    for name in types:
        event_type_require(type=name, source=source)
    sql, params = rows
    columns = ", ".join(PARTNER_EVENT_ROW_COLUMNS)
    picked = ", ".join(f"s.{column}" for column in PARTNER_EVENT_ROW_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {PartnerEvent._meta.db_table} ({columns}, source, created_at)
            SELECT {picked}, %s, %s FROM ({sql}) AS s
            WHERE s.idempotency_key <> '' AND s.type = ANY(%s)
            ON CONFLICT (tenant_id, idempotency_key) WHERE NOT (idempotency_key = '')
            DO NOTHING
            """,  # noqa: S608 - the table and columns are constants, values are parameters
            [source, now, *params, sorted(types)],
        )
        return cursor.rowcount


def _timestamps(activated_at: datetime | None, dark_since: datetime | None) -> dict[str, Any]:
    return {
        "activated_at": activated_at.isoformat() if activated_at else None,
        "dark_since": dark_since.isoformat() if dark_since else None,
    }


def _partner_accounts_update_many(
    *, changes: SqlQuery, assignments: str, condition: str, verb: str
) -> list[tuple[int, int]]:
    """One `UPDATE` of the accounts a WITH body's `changes` query yields, audited with the
    activation and dark timestamps before and after."""
    sql, params = changes
    table = PartnerAccount._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            WITH {sql}
            UPDATE {table} a SET {assignments}
              FROM changes JOIN {table} old ON old.id = changes.account_id
             WHERE a.id = changes.account_id {condition}
            RETURNING a.id, a.tenant_id, a.name, old.activated_at, old.dark_since,
                      a.activated_at, a.dark_since
            """,  # noqa: S608 - fixed fragments, values are parameters
            params,
        )
        rows = cursor.fetchall()
    audit_record_many(
        actor=None,
        entries=(
            AuditEntry(
                tenant_id=tenant_id,
                verb=verb,
                target_type=PartnerAccount._meta.label_lower,
                target_id=account_id,
                target_label=name,
                partner_id=account_id,
                data={
                    "from": _timestamps(old_activated, old_dark),
                    "to": _timestamps(new_activated, new_dark),
                },
            )
            for (
                account_id,
                tenant_id,
                name,
                old_activated,
                old_dark,
                new_activated,
                new_dark,
            ) in rows
        ),
    )
    return [(row[0], row[1]) for row in rows]


def partner_accounts_activate_many(*, changes: SqlQuery) -> list[tuple[int, int]]:
    """Mark activated, in one statement, the accounts a higher layer's query yields: the
    first activation moment is kept, the dark flag cleared; each audited (system actor, from
    and to). Returns (account id, tenant id) of each.

    `changes` is the body of a WITH clause whose last query, named `changes`, returns
    (account_id, at). A WITH body rather than a subquery, so that the caller's own write
    (milestones marking its tracks activated) is part of the same statement.
    """
    return _partner_accounts_update_many(
        changes=changes,
        assignments="activated_at = COALESCE(a.activated_at, changes.at), dark_since = NULL",
        condition="",
        verb=verbs.PARTNER_ACTIVATED,
    )


def partner_accounts_mark_dark_many(*, changes: SqlQuery) -> list[tuple[int, int]]:
    """Mark dark since `at`, in one statement, the accounts (not activated) a higher layer's
    query yields; each audited (system actor, from and to). `changes` as for
    `partner_accounts_activate_many`. Returns (account id, tenant id) of each."""
    return _partner_accounts_update_many(
        changes=changes,
        assignments="dark_since = changes.at",
        condition="AND a.activated_at IS NULL",
        verb=verbs.PARTNER_WENT_DARK,
    )


# --- Account status: suspend and reactivate ------------------------------------------------

StatusTable = dict[str, tuple[frozenset[str], str]]

# The only allowed changes of PartnerAccount.status: event -> (from statuses, to status).
# Services read targets from this table; the console's buttons are computed from it.
PARTNER_STATUS_TRANSITIONS: StatusTable = {
    "suspend": (frozenset({PartnerStatus.ACTIVE}), PartnerStatus.SUSPENDED),
    "reactivate": (frozenset({PartnerStatus.SUSPENDED}), PartnerStatus.ACTIVE),
}
# The audit verb each status event records.
PARTNER_STATUS_VERBS: dict[str, str] = {
    "suspend": verbs.PARTNER_SUSPENDED,
    "reactivate": verbs.PARTNER_REACTIVATED,
}
REASON_MAX_LENGTH = 500


def partner_status_events(account: PartnerAccount) -> frozenset[str]:
    """What staff may do with the account's status now ("suspend", "reactivate")."""
    return frozenset(
        event
        for event, (sources, _target) in PARTNER_STATUS_TRANSITIONS.items()
        if account.status in sources
    )


def _require_staff(*, tenant: Tenant, actor: Any, refusal: str = "") -> None:
    """PartnerError (with `refusal`) unless `actor` is an active staff member of `tenant`."""
    if (
        actor is None
        or not getattr(actor, "is_authenticated", False)
        or not Membership.objects.filter(
            tenant=tenant, user=actor, role__in=STAFF_ROLES, is_active=True
        ).exists()
    ):
        raise PartnerError(refusal or _("Only the program’s staff can change a partner’s status."))


def _partner_status_change(
    *, tenant: Tenant, actor: Any, account_id: int, event: str, reason: str = ""
) -> PartnerAccount:
    _require_staff(tenant=tenant, actor=actor)
    try:
        account = PartnerAccount.objects.select_for_update(of=("self",)).get(
            tenant=tenant, pk=account_id
        )
    except PartnerAccount.DoesNotExist as exc:
        raise PartnerError(_("Unknown partner account.")) from exc
    sources, target = PARTNER_STATUS_TRANSITIONS[event]
    if account.status not in sources:
        raise PartnerError(
            _("“%(name)s” is already %(status)s.")
            % {"name": account.name, "status": account.get_status_display().lower()}
        )
    previous = account.status
    account.status = target
    account.save(update_fields=["status"])
    data: dict[str, Any] = {"from": previous, "to": target}
    reason = reason.strip()[:REASON_MAX_LENGTH]
    if reason:
        data["reason"] = reason
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=PARTNER_STATUS_VERBS[event],
        target=account,
        partner_id=account.pk,
        data=data,
    )
    return account


@transaction.atomic
def partner_suspend(
    *, tenant: Tenant, actor: Any, account_id: int, reason: str = ""
) -> PartnerAccount:
    """Suspend the account: its users can only see the suspended page; no alerts are raised.

    Their progress is kept untouched, so reactivating resumes where they were.
    """
    return _partner_status_change(
        tenant=tenant, actor=actor, account_id=account_id, event="suspend", reason=reason
    )


@transaction.atomic
def partner_reactivate(
    *, tenant: Tenant, actor: Any, account_id: int, reason: str = ""
) -> PartnerAccount:
    """Give a suspended account's users their portal back, where they left it."""
    return _partner_status_change(
        tenant=tenant, actor=actor, account_id=account_id, event="reactivate", reason=reason
    )


def partner_account_require_active(*, account: PartnerAccount) -> None:
    """Refuse (PartnerError) anything a suspended account's users try to do."""
    if account.status == PartnerStatus.SUSPENDED:
        raise PartnerError(
            _("This partner account is suspended. Contact the program team to reactivate it.")
        )


# --- Partner accounts by hand: add and edit (issue 10, point 3) ----------------------------


class PartnerDomainError(PartnerError):
    """A domain given for an account cannot be its domain (shown on the domains field)."""


class PartnerEditConflict(PartnerError):
    """The account changed since the form was opened (another person saved first)."""


def partner_account_version(*, account: PartnerAccount, domains: Collection[str]) -> str:
    """A short digest of the editable fields: an edit form carries it, and the update refuses
    a form opened before someone else's change (no silent lost update)."""
    state = {
        "partner_type": account.partner_type_id,
        "tier": account.tier,
        "region": account.region,
        "cam": account.cam_id,
        "domains": sorted(domains),
    }
    return hashlib.sha256(json.dumps(state, sort_keys=True).encode()).hexdigest()[:16]


def _domains_check(
    *, tenant: Tenant, domains: Collection[str], account: PartnerAccount | None
) -> list[str]:
    """Normalise and de-duplicate `domains`; refuse free-mail domains and domains of another
    account in the program, naming them (PartnerDomainError)."""
    clean: list[str] = []
    for raw in domains:
        try:
            domain = normalise_domain(raw)
        except PartnerError as exc:
            raise PartnerDomainError(str(exc)) from exc
        if domain in FREE_MAIL_DOMAINS:
            raise PartnerDomainError(
                _("%(domain)s is a free email provider: it cannot be a partner’s domain.")
                % {"domain": domain}
            )
        if domain not in clean:
            clean.append(domain)
    taken = (
        PartnerDomain.objects.filter(tenant=tenant, domain__in=clean)
        .exclude(account=account)
        .select_related("account")
        .order_by("domain")
        .first()
    )
    if taken is not None:
        raise PartnerDomainError(
            _("The domain %(domain)s already belongs to the partner account “%(name)s”.")
            % {"domain": taken.domain, "name": taken.account.name}
        )
    return clean


def _cam_check(*, tenant: Tenant, cam: Any) -> None:
    if cam is None:
        return
    if not Membership.objects.filter(
        tenant=tenant, user=cam, role__in=STAFF_ROLES, is_active=True
    ).exists():
        raise PartnerError(_("The channel manager must be an active member of the staff."))


def _require_staff_member(*, tenant: Tenant, actor: Any) -> None:
    _require_staff(
        tenant=tenant,
        actor=actor,
        refusal=_("Only the program’s staff can add or edit partner accounts."),
    )


@transaction.atomic
def partner_account_add(
    *,
    tenant: Tenant,
    actor: Any,
    name: str,
    partner_type: PartnerType,
    tier: str,
    region: str = "",
    cam: Any = None,
    domains: Collection[str] = (),
) -> PartnerAccount:
    """Add a partner account by hand (console): staff only; its domains are checked (no
    free-mail domain, none of another account's) before anything is written."""
    _require_staff_member(tenant=tenant, actor=actor)
    if partner_type.tenant_id != tenant.pk:
        raise PartnerError(_("Unknown partner type."))
    clean = _domains_check(tenant=tenant, domains=domains, account=None)
    _cam_check(tenant=tenant, cam=cam)
    try:
        return partner_account_create(
            tenant=tenant,
            actor=actor,
            name=name,
            partner_type=partner_type,
            domains=clean,
            tier=tier,
            region=region,
            cam=cam,
        )
    except PartnerError as exc:
        # Checked above: only a concurrent claim of one of the domains gets here.
        raise PartnerDomainError(str(exc)) from exc


def _display(field: str, value: Any) -> Any:
    """A field's value as the audit event keeps it (JSON-friendly, readable)."""
    if field == "partner_type":
        return value.name if value is not None else None
    if field == "cam":
        return value.email if value is not None else None
    return value


@transaction.atomic
def partner_account_update(
    *,
    tenant: Tenant,
    actor: Any,
    account_id: int,
    version: str,
    partner_type: PartnerType,
    tier: str,
    region: str = "",
    cam: Any = None,
    domains: Collection[str] = (),
) -> PartnerAccount:
    """Edit an account's type, tier, region, CAM and domains, audited with the changed fields
    before and after. `version` is `partner_account_version` as the form showed it: if the
    account changed since, nothing is saved (PartnerEditConflict)."""
    _require_staff_member(tenant=tenant, actor=actor)
    try:
        account = (
            PartnerAccount.objects.select_for_update(of=("self",))
            .select_related("partner_type", "cam")
            .get(tenant=tenant, pk=account_id)
        )
    except PartnerAccount.DoesNotExist as exc:
        raise PartnerError(_("Unknown partner account.")) from exc
    current = list(
        PartnerDomain.objects.filter(tenant=tenant, account=account).values_list(
            "domain", flat=True
        )
    )
    if version != partner_account_version(account=account, domains=current):
        raise PartnerEditConflict(
            _(
                "Someone else changed “%(name)s” after you opened this form. Nothing was "
                "saved: review the current values and make your change again."
            )
            % {"name": account.name}
        )
    if partner_type.tenant_id != tenant.pk:
        raise PartnerError(_("Unknown partner type."))
    clean = _domains_check(tenant=tenant, domains=domains, account=account)
    if cam is not None and cam.pk != account.cam_id:
        _cam_check(tenant=tenant, cam=cam)
    wanted = {"partner_type": partner_type, "tier": tier, "region": region, "cam": cam}
    before: dict[str, Any] = {}
    after: dict[str, Any] = {}
    changed_fields: list[str] = []
    for field, value in wanted.items():
        old = getattr(account, field)
        if (old.pk if hasattr(old, "pk") else old) != (value.pk if hasattr(value, "pk") else value):
            before[field] = _display(field, old)
            after[field] = _display(field, value)
            setattr(account, field, value)
            changed_fields.append(field)
    removed = sorted(set(current) - set(clean))
    added = [d for d in clean if d not in current]
    if removed or added:
        before["domains"] = sorted(current)
        after["domains"] = sorted(clean)
    if not before:
        return account
    if changed_fields:
        account.save(update_fields=changed_fields)
    if removed:
        PartnerDomain.objects.filter(tenant=tenant, account=account, domain__in=removed).delete()
    for domain in added:
        try:
            with transaction.atomic():
                PartnerDomain.objects.create(tenant=tenant, account=account, domain=domain)
        except IntegrityError as exc:
            raise PartnerDomainError(
                _("The domain %(domain)s already belongs to another partner account.")
                % {"domain": domain}
            ) from exc
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.PARTNER_UPDATED,
        target=account,
        partner_id=account.pk,
        data={"from": before, "to": after, "fields": ", ".join(sorted(before))},
    )
    if "cam" in changed_fields and account.cam is not None and account.cam != actor:
        _notify_cam_assigned(tenant=tenant, actor=actor, account=account)
    return account


# --- Bulk change from the Partner Explorer's selection (issue 10, point 2) ----------------

BULK_UPDATE_MAX = 500


@transaction.atomic
def partner_accounts_bulk_update(
    *,
    tenant: Tenant,
    actor: Any,
    account_ids: Collection[int],
    cam_id: int | None = None,
    tier: str | None = None,
) -> list[PartnerAccount]:
    """Assign a CAM and/or set the tier of up to BULK_UPDATE_MAX accounts in one transaction:
    staff only; the CAM must be an active staff member; an id that is not one of this
    tenant's accounts refuses the whole change (nothing is saved). Rows are locked in pk
    order; each changed account is audited with its fields before and after, and a newly
    assigned CAM gets one message for the selection (the single-edit one for one account).
    Returns the accounts that changed."""
    from apps.partners.models import Tier

    _require_staff_member(tenant=tenant, actor=actor)
    ids = sorted({int(pk) for pk in account_ids})
    if not ids:
        raise PartnerError(_("Select at least one partner."))
    if len(ids) > BULK_UPDATE_MAX:
        raise PartnerError(
            _("Select at most %(max)d partners at a time.") % {"max": BULK_UPDATE_MAX}
        )
    if cam_id is None and not tier:
        raise PartnerError(_("Choose a channel manager or a tier to apply."))
    if tier and tier not in Tier.values:
        raise PartnerError(_("Unknown tier."))
    cam = None
    if cam_id is not None:
        membership = (
            Membership.objects.filter(
                tenant=tenant, user_id=cam_id, role__in=STAFF_ROLES, is_active=True
            )
            .select_related("user")
            .first()
        )
        if membership is None:
            raise PartnerError(_("The channel manager must be an active member of the staff."))
        cam = membership.user
    accounts = list(
        PartnerAccount.objects.select_for_update(of=("self",))
        .select_related("partner_type", "cam")
        .filter(tenant=tenant, pk__in=ids)
        .order_by("pk")
    )
    if len(accounts) != len(ids):
        raise PartnerError(_("Unknown partner account."))
    wanted: dict[str, Any] = {}
    if cam is not None:
        wanted["cam"] = cam
    if tier:
        wanted["tier"] = tier
    changed: list[PartnerAccount] = []
    entries: list[AuditEntry] = []
    newly_assigned: list[PartnerAccount] = []
    for account in accounts:
        before: dict[str, Any] = {}
        after: dict[str, Any] = {}
        for field, value in wanted.items():
            old = getattr(account, field)
            if (old.pk if hasattr(old, "pk") else old) != (
                value.pk if hasattr(value, "pk") else value
            ):
                before[field] = _display(field, old)
                after[field] = _display(field, value)
                setattr(account, field, value)
        if not before:
            continue
        changed.append(account)
        if "cam" in before and account.cam != actor:
            newly_assigned.append(account)
        entries.append(
            AuditEntry(
                tenant_id=tenant.pk,
                verb=verbs.PARTNER_UPDATED,
                target_type=PartnerAccount._meta.label_lower,
                target_id=account.pk,
                target_label=str(account),
                partner_id=account.pk,
                data={"from": before, "to": after, "fields": ", ".join(sorted(before))},
            )
        )
    if not changed:
        return []
    updates: dict[str, Any] = {"tier": tier} if tier else {}
    if cam is not None:
        updates["cam_id"] = cam.pk
    PartnerAccount.objects.filter(tenant=tenant, pk__in=[a.pk for a in changed]).update(**updates)
    audit_record_many(actor=actor, entries=entries)
    if len(newly_assigned) == 1:
        _notify_cam_assigned(tenant=tenant, actor=actor, account=newly_assigned[0])
    elif newly_assigned and cam is not None:
        # One message for the whole selection, never one email per partner.
        names = sorted(a.name for a in newly_assigned)
        notification_create(
            tenant=tenant,
            recipient=cam,
            kind="partners_assigned",
            context={
                "count": len(names),
                "names": names[:10],
                "actor_name": actor.get_full_name() if actor is not None else "Onramp",
            },
            url=reverse("partners:explorer") + f"?cam={cam.pk}",
        )
    return changed
