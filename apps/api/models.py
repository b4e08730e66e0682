from django.conf import settings
from django.db import models

from apps.tenancy.models import TenantOwned


class ApiKey(TenantOwned):
    """A program's key for the REST API. Only a hash of the secret is stored.

    The full key is `onr_<prefix>_<secret>`; the prefix identifies the row and is shown in
    the console, the secret is shown once, when the key is created.
    """

    name = models.CharField(max_length=100)
    prefix = models.CharField(max_length=16, unique=True)
    secret_hash = models.CharField(max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["tenant", "-created_at"], name="api_key_tenant_created")]

    def __str__(self) -> str:
        return f"{self.name} (onr_{self.prefix}_…)"

    @property
    def is_active(self) -> bool:
        return self.revoked_at is None
