from django.conf import settings
from django.core.validators import RegexValidator
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse
from django_scopes import ScopedManager


class Language(models.TextChoices):
    """A program's default language (used by the localisation work; stored now). Each is
    named in its own language, as language pickers do."""

    EN = "en", "English"
    FR = "fr", "Français"
    DE = "de", "Deutsch"
    ES = "es", "Español"


class Tenant(models.Model):
    """A vendor's partner program."""

    slug = models.SlugField(max_length=50, unique=True)
    name = models.CharField(max_length=200)
    brand_color = models.CharField(
        max_length=7,
        default="#4f46e5",
        validators=[RegexValidator(r"^#[0-9a-fA-F]{6}$", "Use a colour like #4f46e5.")],
    )
    logo_url = models.CharField(max_length=500, blank=True)
    # An uploaded logo (PNG, JPEG or WebP, checked by apps.core.uploads), stored in the
    # default storage under a server-made key; served by the `branding:logo` view. When set
    # it wins over `logo_url`.
    logo = models.FileField(max_length=255, blank=True)
    support_email = models.EmailField(blank=True)
    # An IANA time zone name ("Europe/Paris"); stored now, used by the localisation work.
    time_zone = models.CharField(max_length=64, default="UTC")
    language = models.CharField(max_length=10, choices=Language, default=Language.EN)
    # Privacy: unconfirmed applications and expired invitations are purged after this many
    # days (apps/home/services_privacy.py, a daily beat task).
    privacy_retention_days = models.PositiveSmallIntegerField(default=30)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(privacy_retention_days__gte=1)
                & models.Q(privacy_retention_days__lte=3650),
                name="tenancy_tenant_retention_days_range",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def logo_src(self) -> str:
        """The address of the program's logo for an <img>: the uploaded logo (its address
        changes with each upload, so it can be cached for long), else `logo_url`, else ""."""
        if self.logo and self.logo.name:
            version = self.logo.name.rsplit("/", 1)[-1].split(".", 1)[0][:12]
            return f"{reverse('branding:logo')}?v={version}"
        return self.logo_url


class TenantHost(models.Model):
    """A hostname that serves one tenant (acme.localhost, partners.acme.com)."""

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="hosts")
    hostname = models.CharField(max_length=253, unique=True, help_text="Lower case.")
    is_primary = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(hostname=Lower("hostname")), name="tenancy_host_lowercase"
            ),
            models.UniqueConstraint(
                fields=["tenant"],
                condition=models.Q(is_primary=True),
                name="tenancy_host_one_primary_per_tenant",
            ),
        ]

    def __str__(self) -> str:
        return self.hostname


class TenantOwned(models.Model):
    """Base for every tenant-owned row.

    The default manager fails closed: outside `django_scopes.scope(tenant=...)` any query
    raises ScopeError instead of returning every tenant's rows. Platform code that must see
    all tenants uses `scopes_disabled()` in a function named `*_all_tenants`.
    """

    tenant = models.ForeignKey(Tenant, on_delete=models.CASCADE, related_name="+")

    objects = ScopedManager(tenant="tenant")

    class Meta:
        abstract = True


class Role(models.TextChoices):
    PROGRAM_ADMIN = "program_admin", "Program admin"
    CHANNEL_MANAGER = "channel_manager", "Channel manager"
    PARTNER_ADMIN = "partner_admin", "Partner admin"
    PARTNER_USER = "partner_user", "Partner user"


STAFF_ROLES = frozenset({Role.PROGRAM_ADMIN, Role.CHANNEL_MANAGER})
PARTNER_ROLES = frozenset({Role.PARTNER_ADMIN, Role.PARTNER_USER})


class Membership(TenantOwned):
    """What one user may do in one tenant: exactly one role per tenant."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=20, choices=Role)
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="tenancy_membership_unique"),
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]),
                name="tenancy_membership_role_valid",
            ),
        ]
        indexes = [models.Index(fields=["tenant", "role"], name="tenancy_mem_tenant_role")]

    def __str__(self) -> str:
        return f"{self.user} @ {self.tenant} ({self.role})"

    @property
    def is_staff_role(self) -> bool:
        return self.role in STAFF_ROLES

    @property
    def is_partner_role(self) -> bool:
        return self.role in PARTNER_ROLES

    @property
    def is_program_admin(self) -> bool:
        return self.role == Role.PROGRAM_ADMIN
