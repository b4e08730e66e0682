"""The program's application settings, and who becomes a new partner's channel manager."""

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from apps.applications import verbs
from apps.applications.countries import region_for
from apps.applications.models import CamAssignment, CamRotation, ProgramSettings
from apps.audit.services import audit_record
from apps.tenancy.models import Membership, Role

SETTINGS_FIELDS = (
    "auto_onboarding",
    "domain_matching",
    "public_mail_domains",
    "cam_assignment",
    "region_cams",
    "questions",
    "confirmation_intro",
    "approval_intro",
    "rejection_intro",
)


def program_settings_install(*, tenant) -> bool:
    """Give the program its settings row with the defaults, unless it has one. True if new."""
    _, created = ProgramSettings.objects.get_or_create(tenant=tenant)
    return created


@transaction.atomic
def program_settings_update(*, tenant, actor, **fields) -> ProgramSettings:
    """Change the application settings; the audit event records each changed value."""
    unknown = set(fields) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"Unknown settings: {sorted(unknown)}")
    ProgramSettings.objects.get_or_create(tenant=tenant)
    row = ProgramSettings.objects.select_for_update(of=("self",)).get(tenant=tenant)
    changes = {}
    for name, value in fields.items():
        if name == "public_mail_domains":
            value = sorted({d.strip().lower().lstrip("@") for d in value if d.strip()})
        before = getattr(row, name)
        if before != value:
            changes[name] = {"from": before, "to": value}
            setattr(row, name, value)
    if changes:
        row.save(update_fields=[*changes, "updated_at"])
        audit_record(
            tenant=tenant,
            actor=actor,
            verb=verbs.SETTINGS_CHANGED,
            target=row,
            data={"changes": _summarise(changes)},
        )
    return row


def _summarise(changes: dict) -> dict:
    """Long values (question lists, texts) are recorded as "changed", short ones in full."""
    out = {}
    for name, change in changes.items():
        if name in ("auto_onboarding", "domain_matching", "cam_assignment"):
            out[name] = change
        elif name == "public_mail_domains":
            before, after = set(change["from"] or []), set(change["to"] or [])
            out[name] = {"added": sorted(after - before), "removed": sorted(before - after)}
        else:
            out[name] = "changed"
    return out


def cam_for_new_partner(*, tenant, settings: ProgramSettings, country: str):
    """The channel manager a new partner account gets, or None when there is none.

    By region when configured and the region has an active CAM; otherwise round-robin:
    the active CAM least recently given a partner (never-assigned first, then by id), so
    the order is deterministic. Concurrent approvals take different CAMs (SKIP LOCKED).
    Call inside the approving transaction.
    """
    active = Membership.objects.filter(
        tenant=tenant, role=Role.CHANNEL_MANAGER, is_active=True
    ).values_list("user_id", flat=True)
    if settings.cam_assignment == CamAssignment.REGION:
        user_id = (settings.region_cams or {}).get(region_for(country))
        if user_id:
            membership = (
                Membership.objects.filter(
                    tenant=tenant,
                    user_id=user_id,
                    role__in=[Role.CHANNEL_MANAGER, Role.PROGRAM_ADMIN],
                    is_active=True,
                )
                .select_related("user")
                .first()
            )
            if membership is not None:
                _rotation_touch(tenant=tenant, user_id=membership.user_id)
                return membership.user
    user_ids = list(active)
    if not user_ids:
        return None
    CamRotation.objects.bulk_create(
        [CamRotation(tenant=tenant, user_id=uid) for uid in user_ids], ignore_conflicts=True
    )
    order = (F("last_assigned_at").asc(nulls_first=True), "assigned_count", "user_id")
    candidates = (
        CamRotation.objects.filter(tenant=tenant, user_id__in=user_ids)
        .select_related("user")  # the CAM comes with the row: no second read
        .order_by(*order)
    )
    row = candidates.select_for_update(of=("self",), skip_locked=True).first()
    if row is None:  # every CAM is being assigned right now: wait for the first
        row = candidates.select_for_update(of=("self",)).first()
    row.last_assigned_at = timezone.now()
    row.assigned_count = F("assigned_count") + 1
    row.save(update_fields=["last_assigned_at", "assigned_count"])
    return row.user


def _rotation_touch(*, tenant, user_id: int) -> None:
    """A region assignment also counts for the round-robin order."""
    CamRotation.objects.bulk_create(
        [CamRotation(tenant=tenant, user_id=user_id)], ignore_conflicts=True
    )
    CamRotation.objects.filter(tenant=tenant, user_id=user_id).update(
        last_assigned_at=timezone.now(), assigned_count=F("assigned_count") + 1
    )
