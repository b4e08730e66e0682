"""The Assets library and the Help center: the content that onboarding actions point at."""

from django.conf import settings
from django.contrib.postgres.fields import ArrayField
from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.search import SearchVectorField
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone

from apps.partners.models import TIER_KEY_MAX_LENGTH, PartnerAccount, PartnerType
from apps.tenancy.models import TenantOwned


class AssetCategory(models.TextChoices):
    SALES = "sales", "Sales enablement"
    MARKETING = "marketing", "Marketing"
    BRAND = "brand", "Brand & logos"
    PRICING = "pricing", "Pricing"
    TECHNICAL = "technical", "Technical"
    TRAINING = "training", "Training"
    LEGAL = "legal", "Contracts & legal"
    OTHER = "other", "Other"


class AssetKind(models.TextChoices):
    FILE = "file", "File"
    LINK = "link", "Link"


class Audience(models.TextChoices):
    ALL = "all", "All partners"
    SELECTED = "selected", "Selected partners"


class AssetStatus(models.TextChoices):
    ACTIVE = "active", "Active"
    ARCHIVED = "archived", "Archived"


class Asset(TenantOwned):
    """A file (with its versions) or an external link in the Assets library.

    Audience: everyone, or "selected": a partner sees it when it matches the segment (its
    type is one of `audience_types` if any are set, and its tier one of `audience_tiers` if
    any are set; at least one of the two is set) or its account is named in
    `audience_accounts`. The rule is one selector: `assets_visible_to`.
    """

    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    category = models.CharField(max_length=20, choices=AssetCategory, default=AssetCategory.OTHER)
    tags = ArrayField(models.CharField(max_length=40), default=list, blank=True)
    kind = models.CharField(max_length=10, choices=AssetKind)
    url = models.URLField(max_length=2000, blank=True)
    current_version = models.ForeignKey(
        "AssetVersion", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    audience = models.CharField(max_length=10, choices=Audience, default=Audience.ALL)
    # Keys of the program's tiers (apps.partners.catalog), checked by the asset services.
    audience_tiers = ArrayField(
        models.CharField(max_length=TIER_KEY_MAX_LENGTH), default=list, blank=True
    )
    status = models.CharField(max_length=10, choices=AssetStatus, default=AssetStatus.ACTIVE)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)
    archived_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(models.Q(kind="link") & ~models.Q(url=""))
                | (models.Q(kind="file") & models.Q(url="")),
                name="content_asset_link_has_url",
            ),
            models.CheckConstraint(
                condition=models.Q(kind__in=["file", "link"]), name="content_asset_kind_valid"
            ),
            models.CheckConstraint(
                condition=models.Q(status__in=["active", "archived"]),
                name="content_asset_status_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(audience__in=["all", "selected"]),
                name="content_asset_audience_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "status", "-updated_at", "-id"], name="content_asset_list"
            ),
            models.Index("tenant", Lower("title"), "id", name="content_asset_title"),
            GinIndex(fields=["tags"], name="content_asset_tags"),
            GinIndex(fields=["title"], name="content_asset_title_trgm", opclasses=["gin_trgm_ops"]),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_link(self) -> bool:
        return self.kind == AssetKind.LINK

    @property
    def is_archived(self) -> bool:
        return self.status == AssetStatus.ARCHIVED


class AssetVersion(TenantOwned):
    """One uploaded file of an asset. Replacing the file adds a version; none is deleted."""

    asset = models.ForeignKey(Asset, on_delete=models.PROTECT, related_name="versions")
    number = models.PositiveIntegerField()
    # The storage key, made by apps.core.uploads.storage_key: never user input.
    file_name = models.CharField(max_length=300)
    original_name = models.CharField(max_length=255)
    ext = models.CharField(max_length=10)
    content_type = models.CharField(max_length=120)
    size = models.BigIntegerField()
    note = models.CharField(max_length=300, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-number"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "asset", "number"], name="content_version_number_unique"
            ),
            models.UniqueConstraint(fields=["file_name"], name="content_version_file_unique"),
        ]

    def __str__(self) -> str:
        return f"{self.original_name} (v{self.number})"


class AssetAudienceType(TenantOwned):
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="audience_type_rows")
    partner_type = models.ForeignKey(PartnerType, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "asset", "partner_type"], name="content_audience_type_unique"
            ),
        ]


class AssetAudienceAccount(TenantOwned):
    asset = models.ForeignKey(Asset, on_delete=models.CASCADE, related_name="audience_account_rows")
    account = models.ForeignKey(PartnerAccount, on_delete=models.CASCADE, related_name="+")

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "asset", "account"], name="content_audience_account_unique"
            ),
        ]


class ArticleCategory(models.TextChoices):
    GETTING_STARTED = "getting_started", "Getting started"
    DEALS = "deals", "Deals & sales"
    MARKETING = "marketing", "Marketing & brand"
    TECHNICAL = "technical", "Technical"
    PROGRAM = "program", "Program & benefits"
    BILLING = "billing", "Billing & payments"
    OTHER = "other", "Other"


class ArticleStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published"


class Article(TenantOwned):
    """A Help center article. The Markdown is rendered and sanitised once, when saved."""

    title = models.CharField(max_length=200)
    slug = models.SlugField(max_length=120)
    category = models.CharField(
        max_length=20, choices=ArticleCategory, default=ArticleCategory.OTHER
    )
    body_markdown = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    body_text = models.TextField(blank=True)
    excerpt = models.CharField(max_length=300, blank=True)
    status = models.CharField(max_length=10, choices=ArticleStatus, default=ArticleStatus.DRAFT)
    published_at = models.DateTimeField(null=True, blank=True)
    search_vector = SearchVectorField(null=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "slug"], name="content_article_slug_unique"),
            models.CheckConstraint(
                condition=models.Q(status__in=["draft", "published"]),
                name="content_article_status_valid",
            ),
        ]
        indexes = [
            models.Index(
                fields=["tenant", "status", "-updated_at", "-id"], name="content_article_list"
            ),
            GinIndex(fields=["search_vector"], name="content_article_search"),
        ]

    def __str__(self) -> str:
        return self.title

    @property
    def is_published(self) -> bool:
        return self.status == ArticleStatus.PUBLISHED


class OpenKind(models.TextChoices):
    VIEW = "view", "Viewed"
    DOWNLOAD = "download", "Downloaded"
    READ = "read", "Read"


class ContentOpen(TenantOwned):
    """A partner user viewed or downloaded an asset, or read an article. Append-only.

    Higher layers (onboarding actions, milestones) react to these rows; there is no signal.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    partner_account = models.ForeignKey(PartnerAccount, on_delete=models.CASCADE, related_name="+")
    asset = models.ForeignKey(
        Asset, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    asset_version = models.ForeignKey(
        AssetVersion, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    article = models.ForeignKey(
        Article, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=10, choices=OpenKind)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(
                        asset__isnull=False, article__isnull=True, kind__in=["view", "download"]
                    )
                    | models.Q(
                        asset__isnull=True,
                        asset_version__isnull=True,
                        article__isnull=False,
                        kind="read",
                    )
                ),
                name="content_open_one_object",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "created_at"], name="content_open_created"),
            models.Index(
                fields=["tenant", "partner_account", "asset"],
                name="content_open_partner_asset",
                condition=models.Q(asset__isnull=False),
            ),
            models.Index(
                fields=["tenant", "partner_account", "article"],
                name="content_open_partner_article",
                condition=models.Q(article__isnull=False),
            ),
            models.Index(
                fields=["tenant", "asset", "-created_at"],
                name="content_open_asset",
                condition=models.Q(asset__isnull=False),
            ),
            models.Index(
                fields=["tenant", "article", "-created_at"],
                name="content_open_article",
                condition=models.Q(article__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user_id} {self.kind} {self.asset_id or self.article_id}"
