from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex, OpClass
from django.db import models
from django.db.models.functions import Lower, Upper
from django.utils.translation import gettext_lazy as _

from apps.partners.profile_fields import default_required_fields
from apps.tenancy.models import Membership, TenantOwned

DEFAULT_PARTNER_TYPES = [
    "Reseller / VAR",
    "Managed Service Provider",
    "Systems Integrator",
    "Distributor",
    "Referral / Agent",
    "Technology / Alliance",
]


# Free-mail domains (never a partner account's domain): apps/core/emaildomains.py.


class PartnerType(TenantOwned):
    name = models.CharField(max_length=100)
    position = models.PositiveSmallIntegerField(default=0)
    # An archived type is offered by no picker; its accounts, pipelines and tracks keep it.
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "name"]
        constraints = [
            models.UniqueConstraint(
                "tenant", Lower("name"), name="partners_type_name_unique_per_tenant"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Tier(models.TextChoices):
    """The default tiers every program starts with (its catalogue is `PartnerTier`)."""

    REGISTERED = "registered", "Registered"
    SILVER = "silver", "Silver"
    GOLD = "gold", "Gold"
    PLATINUM = "platinum", "Platinum"


TIER_KEY_MAX_LENGTH = 20


class PartnerTier(TenantOwned):
    """A tier of one program. Accounts hold its `key`, which never changes: renaming changes
    the label only; an archived tier is offered by no picker, its accounts keep it."""

    key = models.SlugField(max_length=TIER_KEY_MAX_LENGTH)
    label = models.CharField(max_length=60)
    position = models.PositiveSmallIntegerField(default=0)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["position", "key"]
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="partners_tier_key_unique"),
            models.UniqueConstraint(
                "tenant", Lower("label"), name="partners_tier_label_unique_per_tenant"
            ),
        ]

    def __str__(self) -> str:
        return self.label


class Region(models.TextChoices):
    NORTH_AMERICA = "na", "North America"
    LATIN_AMERICA = "latam", "Latin America"
    EMEA = "emea", "Europe, Middle East & Africa"
    APAC = "apac", "Asia Pacific"


class PartnerStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    SUSPENDED = "suspended", "Suspended"


class PartnerAccount(TenantOwned):
    """A partner company in one program."""

    name = models.CharField(max_length=200)
    partner_type = models.ForeignKey(PartnerType, on_delete=models.PROTECT, related_name="+")
    # The key of one of the program's `PartnerTier`s (checked by forms and services).
    tier = models.CharField(max_length=TIER_KEY_MAX_LENGTH, default=Tier.REGISTERED)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166 country code")
    region = models.CharField(max_length=10, choices=Region, blank=True)
    cam = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name="channel manager",
    )
    status = models.CharField(max_length=12, choices=PartnerStatus, default=PartnerStatus.ACTIVE)
    website = models.URLField(blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    activated_at = models.DateTimeField(null=True, blank=True)
    # Written by the milestones layer: enrolled past the track's activation window without
    # completing its activation milestones (cleared when the partner activates).
    dark_since = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=["active", "suspended"]),
                name="partners_account_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(country="") | models.Q(country=Upper("country")),
                name="partners_account_country_upper",
            ),
        ]
        indexes = [
            models.Index("tenant", Lower("name"), "id", name="partners_acct_tenant_name"),
            models.Index(fields=["tenant", "-created_at", "-id"], name="partners_acct_created"),
            models.Index(fields=["tenant", "partner_type", "id"], name="partners_acct_type"),
            models.Index(fields=["tenant", "tier", "id"], name="partners_acct_tier"),
            models.Index(fields=["tenant", "cam", "id"], name="partners_acct_cam"),
            models.Index(fields=["tenant", "status", "id"], name="partners_acct_status"),
            models.Index(fields=["tenant", "region", "id"], name="partners_acct_region"),
            # Partner Explorer's activation filters (milestones writes both columns).
            models.Index(
                fields=["tenant", "id"],
                name="partners_acct_activated",
                condition=models.Q(activated_at__isnull=False),
            ),
            models.Index(
                fields=["tenant", "id"],
                name="partners_acct_dark",
                condition=models.Q(dark_since__isnull=False),
            ),
            # The Explorer's type and tier sorts walk one group at a time (keyset pages).
            models.Index(
                "tenant", "partner_type", Lower("name"), "id", name="partners_acct_type_name"
            ),
            models.Index("tenant", "tier", Lower("name"), "id", name="partners_acct_tier_name"),
            # icontains compares UPPER(name): the trigram index is on that expression.
            GinIndex(OpClass(Upper("name"), name="gin_trgm_ops"), name="partners_acct_name_trgm"),
        ]

    def __str__(self) -> str:
        return self.name

    def get_tier_display(self) -> str:
        """The tier's label in the program's catalogue (one query: a list of accounts reads
        `apps.partners.catalog.tier_labels` once instead)."""
        label = (
            PartnerTier.objects.filter(tenant_id=self.tenant_id, key=self.tier)
            .values_list("label", flat=True)
            .first()
        )
        if label is None:
            defaults = dict(Tier.choices)
            label = str(defaults.get(self.tier, self.tier))
        return label


class PartnerDomain(TenantOwned):
    """An email domain owned by a partner account; a domain belongs to at most one."""

    account = models.ForeignKey(PartnerAccount, on_delete=models.CASCADE, related_name="domains")
    domain = models.CharField(max_length=253)

    class Meta:
        ordering = ["domain"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "domain"], name="partners_domain_unique_per_tenant"
            ),
            models.CheckConstraint(
                condition=models.Q(domain=Lower("domain")), name="partners_domain_lowercase"
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "account"], name="partners_domain_account"),
            GinIndex(OpClass(Upper("domain"), name="gin_trgm_ops"), name="partners_domain_trgm"),
        ]

    def __str__(self) -> str:
        return self.domain


class PartnerUser(TenantOwned):
    """Links a partner-role membership to its one partner account."""

    membership = models.OneToOneField(
        Membership, on_delete=models.CASCADE, related_name="partner_user"
    )
    account = models.ForeignKey(PartnerAccount, on_delete=models.CASCADE, related_name="users")
    title = models.CharField(max_length=120, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        indexes = [models.Index(fields=["tenant", "account"], name="partners_user_account")]

    def __str__(self) -> str:
        return f"{self.membership.user} ({self.account})"


class PartnerEvent(TenantOwned):
    """Something that happened for a partner account: the log later layers write and read.

    Onboarding records completed actions and stages, the content library records opens,
    external systems send events through the API, CAMs log calls and reviews. Milestones
    and alerts are computed from these rows.
    """

    account = models.ForeignKey(PartnerAccount, on_delete=models.CASCADE, related_name="events")
    type = models.CharField(max_length=80)
    occurred_at = models.DateTimeField()
    source = models.CharField(max_length=20)
    reference = models.CharField(max_length=200, blank=True)
    data = models.JSONField(default=dict, blank=True)
    # A retried API request with the same key records one event.
    idempotency_key = models.CharField(max_length=100, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-occurred_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "idempotency_key"],
                condition=~models.Q(idempotency_key=""),
                name="partners_event_idempotency_key_unique",
            ),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "account", "type", "occurred_at"], name="partners_event_lookup"
            ),
            models.Index(fields=["tenant", "type", "created_at"], name="partners_event_by_type"),
            # The milestones sweep reads the events recorded since its last pass.
            models.Index(fields=["created_at"], name="partners_event_created"),
        ]

    def __str__(self) -> str:
        return f"{self.type} for {self.account_id}"


class SavedView(TenantOwned):
    """A staff member's named set of Partner Explorer filters (its query string), listed in
    their console nav under Partners. Private to its user, per program."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    name = models.CharField(max_length=80)
    # Only the Explorer's known parameters (apps/partners/services/saved_views.py checks).
    query = models.CharField(max_length=2000)
    position = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["position", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "user", "name"], name="partners_saved_view_name_unique"
            ),
        ]

    def __str__(self) -> str:
        return self.name


class PartnerProfile(TenantOwned):
    """A partner company's own profile (/portal/profile/): company details, address, logo
    and its main contacts. One per account, created the first time it is read for writing;
    prefilled from the account (name, website, country). Its completion is measured against
    the fields the program requires (`ProfileSettings`)."""

    account = models.OneToOneField(PartnerAccount, on_delete=models.CASCADE, related_name="profile")
    company_name = models.CharField(_("legal company name"), max_length=200, blank=True)
    display_name = models.CharField(_("display name"), max_length=200, blank=True)
    website = models.URLField(_("website"), blank=True)
    phone = models.CharField(_("phone"), max_length=40, blank=True)
    description = models.CharField(_("what you sell"), max_length=500, blank=True)
    address_line1 = models.CharField(_("address line 1"), max_length=200, blank=True)
    address_line2 = models.CharField(_("address line 2"), max_length=200, blank=True)
    city = models.CharField(_("city"), max_length=100, blank=True)
    postal_code = models.CharField(_("postal code"), max_length=20, blank=True)
    region = models.CharField(_("region or state"), max_length=100, blank=True)
    country = models.CharField(
        _("country"), max_length=2, blank=True, help_text="ISO 3166 country code"
    )
    # PNG, JPEG or WebP (PROFILE_LOGO_POLICY, checked by apps.core.uploads), stored in the
    # default storage under a server-made key; served by the profile views after their check.
    logo = models.FileField(_("logo"), max_length=255, blank=True)
    sales_name = models.CharField(_("sales contact name"), max_length=200, blank=True)
    sales_email = models.EmailField(_("sales contact email"), blank=True)
    sales_phone = models.CharField(_("sales contact phone"), max_length=40, blank=True)
    marketing_name = models.CharField(_("marketing contact name"), max_length=200, blank=True)
    marketing_email = models.EmailField(_("marketing contact email"), blank=True)
    marketing_phone = models.CharField(_("marketing contact phone"), max_length=40, blank=True)
    technical_name = models.CharField(_("technical contact name"), max_length=200, blank=True)
    technical_email = models.EmailField(_("technical contact email"), blank=True)
    technical_phone = models.CharField(_("technical contact phone"), max_length=40, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(country="") | models.Q(country=Upper("country")),
                name="partners_profile_country_upper",
            ),
        ]

    def __str__(self) -> str:
        return f"Profile of {self.account_id}"


class ProfileSettings(TenantOwned):
    """A program's choice of the partner profile fields that count towards completion (keys
    of `apps.partners.profile_fields.PROFILE_FIELDS`). One row per program, created on its
    first change; until then the defaults apply."""

    required_fields = ArrayField(
        models.CharField(max_length=40), default=default_required_fields, blank=True
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant"], name="partners_profile_settings_unique"),
        ]

    def __str__(self) -> str:
        return f"Profile settings of {self.tenant_id}"
