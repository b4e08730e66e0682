"""Nudges: the reminders and the welcome email that chase partners for the CAM.

Reminders. Each pipeline names reminder days (`Pipeline.reminder_days`, e.g. [3, 7]): an
action open for the partner is due on the calendar days (UTC for now; the program's time
zone will apply once programs schedule in it) that many days after it became open. An
action becomes open for the partner when its stage became current (`StageProgress
.entered_at`; for rows from before that column, the later of the enrollment's start and the
last stage completion), or, for an action in Action required, when changes were requested
(its `updated_at`). Open means what the partner can act on (`progress_available_to_partner`):
Pending in the current stage of an enrollment in progress, or Action required.

The sweep (hourly from NUDGE_HOUR_UTC, `nudge_sweep`) finds in one set-based query the
partners with a due action, then emails each of their users at most once a day: a
`NudgeSent(tenant, user, day)` row claims the day (INSERT … ON CONFLICT DO NOTHING), in the
same transaction that re-reads what is still open and creates the notification (the durable
email path of apps.notifications). So two sweeps at once send one email; an action done
meanwhile is left out, and with nothing left nothing is sent. Users who opted out (the
link in every reminder, apps/notifications/preferences.py), deactivated members and the
users of a suspended partner get none.

Welcome. When a partner is enrolled in a pipeline with `welcome_email` on, each of its users
gets an email listing the first stage's actions. It is transactional: the reminders'
opt-out does not apply to it.

The settings (a pipeline's reminder days and welcome email, a user's opt-out) are written by
nudges_settings.py.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import connection, transaction
from django.db.models import (
    BooleanField,
    Case,
    DateField,
    DateTimeField,
    F,
    Func,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import Coalesce, Greatest, TruncDate
from django.urls import reverse
from django.utils import timezone
from django_scopes import scopes_disabled

from apps.audit.services import audit_record
from apps.notifications.preferences import opt_out_token, reminders_opted_out
from apps.notifications.services import notification_create
from apps.onboarding import verbs
from apps.onboarding.models import (
    ActionProgress,
    ActionStatus,
    Enrollment,
    EnrollmentStatus,
    NudgeSent,
    Pipeline,
    StageProgress,
)
from apps.partners.models import PartnerStatus, PartnerUser
from apps.tenancy.models import Tenant
from apps.tenancy.selectors import tenant_absolute_url

if TYPE_CHECKING:
    from django.db.backends.base.base import BaseDatabaseWrapper
    from django.db.models.sql.compiler import SQLCompiler

    from apps.accounts.models import User

# Reminders leave from this hour (UTC) on; the hourly beat entry catches up after downtime.
NUDGE_HOUR_UTC = 8


class ReminderDue(Func):
    """`(today - opened_on) = ANY(reminder_days)`: the action reaches a reminder day today."""

    output_field = BooleanField()
    arity = 3

    def as_sql(  # type: ignore[override]
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        **extra_context: Any,
    ) -> tuple[str, list[Any]]:
        parts: list[str] = []
        params: list[Any] = []
        for expression in self.source_expressions:
            sql, sql_params = compiler.compile(expression)
            parts.append(sql)
            params.extend(sql_params)
        today, opened_on, days = parts
        return f"(({today}) - ({opened_on}) = ANY({days}))", params


# --- Reads: what is open, since when, and due today ------------------------------------------


def _opened_at() -> Case:
    """When each ActionProgress row became open for the partner (see the module doc)."""
    stage_entered = StageProgress.objects.filter(
        tenant_id=OuterRef("tenant_id"),
        enrollment_id=OuterRef("enrollment_id"),
        stage_id=OuterRef("action__stage_id"),
    ).values("entered_at")[:1]
    last_completed = (
        StageProgress.objects.filter(
            tenant_id=OuterRef("tenant_id"),
            enrollment_id=OuterRef("enrollment_id"),
            completed_at__isnull=False,
        )
        .order_by("-completed_at")
        .values("completed_at")[:1]
    )
    entered = Coalesce(
        Subquery(stage_entered, output_field=DateTimeField()),
        Greatest(
            F("enrollment__started_at"), Subquery(last_completed, output_field=DateTimeField())
        ),
    )
    return Case(
        When(status=ActionStatus.ACTION_REQUIRED, then=F("updated_at")),
        default=entered,
        output_field=DateTimeField(),
    )


def open_for_partner(*, tenant: Tenant) -> QuerySet[ActionProgress]:
    """The actions partners can act on now (as `progress_available_to_partner`), of active
    partners, in current enrollments."""
    return ActionProgress.objects.filter(
        tenant=tenant, partner_account__status=PartnerStatus.ACTIVE
    ).filter(
        Q(status=ActionStatus.ACTION_REQUIRED, enrollment__status__in=_CURRENT)
        | Q(
            status=ActionStatus.PENDING,
            enrollment__status=EnrollmentStatus.IN_PROGRESS,
            action__archived_at__isnull=True,
            action__stage_id=F("enrollment__current_stage_id"),
        )
    )


_CURRENT = [EnrollmentStatus.IN_PROGRESS, EnrollmentStatus.COMPLETED]


def due_today(*, tenant: Tenant, today: datetime.date) -> QuerySet[ActionProgress]:
    """The open actions that reach one of their pipeline's reminder days on `today` (UTC)."""
    return (
        open_for_partner(tenant=tenant)
        .exclude(enrollment__pipeline__reminder_days=[])
        .annotate(opened_on=TruncDate(_opened_at(), tzinfo=datetime.UTC))
        .filter(ReminderDue(_Date(today), F("opened_on"), F("enrollment__pipeline__reminder_days")))
    )


class _Date(Func):
    """A date parameter, cast in SQL (`ReminderDue` subtracts dates)."""

    output_field = DateField()

    def __init__(self, day: datetime.date) -> None:
        super().__init__()
        self.day = day

    def as_sql(  # type: ignore[override]
        self,
        compiler: SQLCompiler,
        connection: BaseDatabaseWrapper,
        **extra_context: Any,
    ) -> tuple[str, list[Any]]:
        return "%s::date", [self.day.isoformat()]


@dataclass(frozen=True)
class Recipient:
    user: User
    account_id: int


def nudge_recipients(*, tenant: Tenant, today: datetime.date) -> list[Recipient]:
    """The partner users to remind on `today`: users of partners with a due action, active
    members with an email address, who did not turn reminders off. Two queries, plus one
    for the opt-outs."""
    account_ids = set(
        due_today(tenant=tenant, today=today)
        .order_by()
        .values_list("partner_account_id", flat=True)
        .distinct()
    )
    if not account_ids:
        return []
    links = list(
        PartnerUser.objects.filter(
            tenant=tenant,
            account_id__in=account_ids,
            account__status=PartnerStatus.ACTIVE,
            membership__is_active=True,
            membership__user__is_active=True,
        )
        .exclude(membership__user__email="")
        .select_related("membership__user")
        .order_by("account_id", "membership__user_id")
    )
    opted_out = reminders_opted_out(tenant=tenant, user_ids=[u.membership.user_id for u in links])
    return [
        Recipient(user=link.membership.user, account_id=link.account_id)
        for link in links
        if link.membership.user_id not in opted_out
    ]


def _still_remindable(*, tenant: Tenant, user: User, account_id: int) -> bool:
    """At send time: still an active member of this active partner, and not opted out."""
    if reminders_opted_out(tenant=tenant, user_ids=[user.pk]):
        return False
    return PartnerUser.objects.filter(
        tenant=tenant,
        account_id=account_id,
        account__status=PartnerStatus.ACTIVE,
        membership__user=user,
        membership__is_active=True,
        membership__user__is_active=True,
    ).exists()


# --- Reminders -------------------------------------------------------------------------------


def _claim_day(
    *, tenant: Tenant, user: User, account_id: int, day: datetime.date, now: datetime.datetime
) -> int | None:
    """Claim `user`'s reminder of `day`: the new row's id, or None when it is taken (sent,
    or being sent by a concurrent sweep, which this waits for)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"""
            INSERT INTO {NudgeSent._meta.db_table}
                (tenant_id, user_id, account_id, day, claimed_at, action_count)
            VALUES (%(tenant)s, %(user)s, %(account)s, %(day)s, %(now)s, 0)
            ON CONFLICT (tenant_id, user_id, day) DO NOTHING
            RETURNING id
            """,  # noqa: S608 - the table name is ours, the values are parameters
            {"tenant": tenant.pk, "user": user.pk, "account": account_id, "day": day, "now": now},
        )
        row = cursor.fetchone()
    return row[0] if row else None


def _action_links(*, tenant: Tenant, rows: list[ActionProgress]) -> list[dict[str, Any]]:
    base = tenant_absolute_url(tenant=tenant, path="")
    return [
        {
            "title": row.action.title,
            "stage": row.action.stage.name,
            "changes_requested": row.status == ActionStatus.ACTION_REQUIRED,
            "comment": row.comment if row.status == ActionStatus.ACTION_REQUIRED else "",
            "link": base + reverse("onboarding_portal:action", args=[row.pk]),
        }
        for row in rows
    ]


@transaction.atomic
def nudge_send(
    *,
    tenant: Tenant,
    user: User,
    account_id: int,
    today: datetime.date,
    now: datetime.datetime | None = None,
) -> int:
    """Remind `user` of their partner's actions due `today`, once: claims the day, re-reads
    what is still open (and whether the user still gets reminders), and creates the email.
    Returns how many actions it listed (0: already claimed, or nothing left to send)."""
    now = now or timezone.now()
    claim = _claim_day(tenant=tenant, user=user, account_id=account_id, day=today, now=now)
    if claim is None:
        return 0
    if not _still_remindable(tenant=tenant, user=user, account_id=account_id):
        return 0
    rows = list(
        due_today(tenant=tenant, today=today)
        .filter(partner_account_id=account_id)
        .select_related("action__stage", "enrollment__pipeline")
        .order_by("action__stage__position", "action__stage_id", "action__position", "action_id")
    )
    if not rows:
        return 0
    actions = _action_links(tenant=tenant, rows=rows)
    unsubscribe = tenant_absolute_url(
        tenant=tenant,
        path=reverse("nudges:opt_out", args=[opt_out_token(tenant_id=tenant.pk, user_id=user.pk)]),
    )
    notification_create(
        tenant=tenant,
        recipient=user,
        kind="onboarding_reminder",
        in_app=False,
        url=reverse("portal:home"),
        context={
            "open_actions": actions,
            "pipeline": rows[0].enrollment.pipeline,
            "unsubscribe_url": unsubscribe,
        },
    )
    NudgeSent.objects.filter(tenant=tenant, pk=claim).update(sent_at=now, action_count=len(rows))
    audit_record(
        tenant=tenant,
        actor=None,
        verb=verbs.ONBOARDING_REMINDED,
        target=rows[0].enrollment,
        partner_id=account_id,
        data={"to": user.email, "count": len(rows), "actions": [a["title"] for a in actions]},
    )
    return len(rows)


def nudge_sweep(*, tenant: Tenant, now: datetime.datetime | None = None) -> int:
    """Send today's reminders of `tenant` (each user in their own transaction). Returns how
    many emails were created. Idempotent: a second run the same day sends none."""
    now = now or timezone.now()
    today = now.astimezone(datetime.UTC).date()
    sent = 0
    for recipient in nudge_recipients(tenant=tenant, today=today):
        if nudge_send(
            tenant=tenant,
            user=recipient.user,
            account_id=recipient.account_id,
            today=today,
            now=now,
        ):
            sent += 1
    return sent


def nudge_tenants_all_tenants() -> list[int]:
    """The programs with a pipeline that reminds (archived ones too: their partners are
    still onboarding). Platform code: reads across tenants."""
    with scopes_disabled():
        return sorted(
            set(Pipeline.objects.exclude(reminder_days=[]).values_list("tenant_id", flat=True))
        )


# --- Welcome email ---------------------------------------------------------------------------


def welcome_email_send(*, tenant: Tenant, enrollment: Enrollment) -> int:
    """Email each user of the newly enrolled partner the first stage's actions, when the
    pipeline says so. A step of `partner_enroll` (the email leaves after its commit).
    Returns how many emails were created."""
    pipeline = enrollment.pipeline
    stage = enrollment.current_stage
    if not pipeline.welcome_email or stage is None:
        return 0
    rows = list(
        ActionProgress.objects.filter(
            tenant=tenant,
            enrollment=enrollment,
            action__stage=stage,
            action__archived_at__isnull=True,
        )
        .select_related("action__stage")
        .order_by("action__position", "action_id")
    )
    actions = _action_links(tenant=tenant, rows=rows)
    users = [
        link.membership.user
        for link in PartnerUser.objects.filter(
            tenant=tenant,
            account_id=enrollment.partner_account_id,
            account__status=PartnerStatus.ACTIVE,
            membership__is_active=True,
            membership__user__is_active=True,
        )
        .select_related("membership__user")
        .order_by("membership__user_id")
    ]
    for user in users:
        notification_create(
            tenant=tenant,
            recipient=user,
            kind="onboarding_welcome",
            in_app=False,
            url=reverse("portal:home"),
            context={"pipeline": pipeline, "stage": stage, "open_actions": actions},
        )
    return len(users)
