from django.conf import settings
from django.db import models

from apps.tenancy.models import TenantOwned


class AuditLogIsAppendOnly(Exception):
    pass


class AuditEvent(TenantOwned):
    """One decision or transition: who, when, what, on which object, with what change.

    Append-only: the model refuses updates and deletes, and a database trigger (see the
    migration) refuses them too, whatever code path tries.
    """

    created_at = models.DateTimeField(auto_now_add=True, db_index=False)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    # Kept even if the user is later removed; "system" for automatic changes.
    actor_label = models.CharField(max_length=254)
    verb = models.CharField(max_length=80)
    target_type = models.CharField(max_length=80)
    target_id = models.CharField(max_length=64)
    target_label = models.CharField(max_length=300, blank=True)
    # The partner account the event concerns, for the per-partner timeline. A plain id:
    # partner accounts live in a higher layer.
    partner_id = models.BigIntegerField(null=True, blank=True)
    data = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [
            # The audit log page and its keyset pages: (-created_at, -id) after each filter.
            models.Index(fields=["tenant", "-created_at", "-id"], name="audit_tenant_created_id"),
            models.Index(
                fields=["tenant", "partner_id", "-created_at", "-id"],
                name="audit_partner_timeline_id",
                condition=models.Q(partner_id__isnull=False),
            ),
            models.Index(fields=["tenant", "actor", "-created_at", "-id"], name="audit_actor"),
            models.Index(fields=["tenant", "verb", "-created_at", "-id"], name="audit_verb"),
            models.Index(fields=["tenant", "target_type", "target_id"], name="audit_target"),
        ]
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return (
            f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_label} {self.verb} {self.target_label}"
        )

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AuditLogIsAppendOnly("Audit events cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AuditLogIsAppendOnly("Audit events cannot be deleted.")
