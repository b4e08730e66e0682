"""Invitations: a CAM sends people a link to the application form, prefilled and marked
invited. The link is issued when the email is sent (emails.py); resending issues a new one."""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models.functions import Lower
from django.utils import timezone

from apps.applications import verbs
from apps.applications.models import OPEN_STATUSES, Application, Invitation, InvitationStatus
from apps.applications.services.errors import ApplicationError, InvalidTransition
from apps.applications.services.transitions import INVITATION_TRANSITIONS
from apps.applications.tokens import INVITE_TTL
from apps.audit.services import audit_record
from apps.partners.models import PartnerType
from apps.tenancy.models import Membership

MAX_INVITATIONS = 500


def _send_after_commit(*, tenant, invitation_id: int, email: str = "") -> None:
    """Queue the invitation's email in the outbox, in the current transaction."""
    from apps.outbox.services import outbox_enqueue

    outbox_enqueue(
        tenant=tenant,
        kind="applications.invitation_email",
        payload={"invitation_id": invitation_id},
        summary=email,
    )


@dataclass
class InvitationBatch:
    sent: list = field(default_factory=list)
    resent: list = field(default_factory=list)
    skipped: list = field(default_factory=list)  # (email, why)


@transaction.atomic
def invitations_send(
    *, tenant, actor, emails: list[str], partner_type: PartnerType, note: str = ""
) -> InvitationBatch:
    """Invite each address once. Members and people who already applied are skipped; an
    address with an open invitation gets it again (new link, new expiry, this type)."""
    if partner_type.tenant_id != tenant.pk:
        raise ApplicationError("Choose one of the program’s partner types.")
    wanted = list(dict.fromkeys(e.strip().lower() for e in emails if e and e.strip()))
    if len(wanted) > MAX_INVITATIONS:
        raise ApplicationError(f"Invite at most {MAX_INVITATIONS} addresses at a time.")
    members = set(
        Membership.objects.filter(tenant=tenant, is_active=True)
        .annotate(address=Lower("user__email"))
        .filter(address__in=wanted)
        .values_list("address", flat=True)
    )
    applied = set(
        Application.objects.filter(
            tenant=tenant, email__in=wanted, status__in=OPEN_STATUSES
        ).values_list("email", flat=True)
    )
    open_invitations = {
        inv.email: inv
        for inv in Invitation.objects.select_for_update(of=("self",)).filter(
            tenant=tenant, email__in=wanted, status=InvitationStatus.PENDING
        )
    }
    batch = InvitationBatch()
    expires = timezone.now() + INVITE_TTL
    note = note.strip()[:1000]
    for email in wanted:
        if email in members:
            batch.skipped.append((email, "already a member of the program"))
            continue
        if email in applied:
            batch.skipped.append((email, "has already applied"))
            continue
        invitation = open_invitations.get(email)
        if invitation is not None:
            invitation.partner_type = partner_type
            invitation.note = note
            invitation.expires_at = expires
            invitation.invited_by = actor
            invitation.save(update_fields=["partner_type", "note", "expires_at", "invited_by"])
            batch.resent.append(invitation)
            verb = verbs.INVITATION_RESENT
        else:
            invitation = Invitation.objects.create(
                tenant=tenant,
                email=email,
                partner_type=partner_type,
                note=note,
                invited_by=actor,
                expires_at=expires,
            )
            batch.sent.append(invitation)
            verb = verbs.INVITATION_SENT
        audit_record(
            tenant=tenant,
            actor=actor,
            verb=verb,
            target=invitation,
            data={"email": email, "type": partner_type.name},
        )
        _send_after_commit(tenant=tenant, invitation_id=invitation.pk, email=email)
    return batch


def _lock(*, tenant, invitation_id: int) -> Invitation:
    invitation = (
        Invitation.objects.select_for_update(of=("self",))
        .filter(tenant=tenant, pk=invitation_id)
        .first()
    )
    if invitation is None:
        raise ApplicationError("That invitation does not exist.")
    return invitation


def _require(invitation: Invitation, event: str) -> str:
    sources, target = INVITATION_TRANSITIONS[event]
    if invitation.status not in sources:
        raise InvalidTransition(
            f"The invitation to {invitation.email} was already "
            f"{invitation.get_status_display().lower()}."
        )
    return target


@transaction.atomic
def invitation_resend(*, tenant, actor, invitation_id: int) -> Invitation:
    """Send the invitation again with a new link and a new expiry (also once expired)."""
    invitation = _lock(tenant=tenant, invitation_id=invitation_id)
    _require(invitation, "resend")
    invitation.expires_at = timezone.now() + INVITE_TTL
    invitation.save(update_fields=["expires_at"])
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.INVITATION_RESENT,
        target=invitation,
        data={"email": invitation.email},
    )
    _send_after_commit(tenant=tenant, invitation_id=invitation.pk, email=invitation.email)
    return invitation


@transaction.atomic
def invitation_revoke(*, tenant, actor, invitation_id: int) -> Invitation:
    """The link stops working at once; an application already made from it is unaffected."""
    invitation = _lock(tenant=tenant, invitation_id=invitation_id)
    before = invitation.status
    target = _require(invitation, "revoke")
    invitation.status = target
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["status", "revoked_at"])
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.INVITATION_REVOKED,
        target=invitation,
        data={"email": invitation.email, "from": before, "to": target},
    )
    return invitation
