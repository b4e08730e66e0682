"""Bulk changes from the Partner Explorer's selection (CAM, tier)."""

from collections.abc import Collection
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.audit.services import AuditEntry, audit_record_many
from apps.notifications.services import notification_create
from apps.partners import verbs
from apps.partners.catalog import tier_choices
from apps.partners.models import (
    PartnerAccount,
)
from apps.partners.services.accounts import _notify_cam_assigned
from apps.partners.services.editing import _display, _require_staff_member
from apps.partners.services.errors import PartnerError
from apps.tenancy.models import STAFF_ROLES, Membership, Tenant

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
    The tier must be one the program offers (not archived). Returns the accounts that
    changed."""
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
    if tier and tier not in dict(tier_choices(tenant=tenant)):
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
