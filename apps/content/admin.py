from django.contrib import admin

from apps.content.models import Article, Asset, AssetVersion, ContentOpen


@admin.register(Asset)
class AssetAdmin(admin.ModelAdmin):
    list_display = ("title", "tenant", "kind", "category", "audience", "status", "updated_at")
    list_filter = ("tenant", "kind", "status")
    search_fields = ("title",)
    raw_id_fields = ("current_version", "created_by")


@admin.register(AssetVersion)
class AssetVersionAdmin(admin.ModelAdmin):
    list_display = ("original_name", "asset", "number", "size", "created_at")
    raw_id_fields = ("asset", "uploaded_by")


@admin.register(Article)
class ArticleAdmin(admin.ModelAdmin):
    list_display = ("title", "tenant", "slug", "status", "updated_at")
    list_filter = ("tenant", "status")
    search_fields = ("title",)
    raw_id_fields = ("created_by", "updated_by")


@admin.register(ContentOpen)
class ContentOpenAdmin(admin.ModelAdmin):
    list_display = ("created_at", "tenant", "user", "partner_account", "kind", "asset", "article")
    list_filter = ("tenant", "kind")
    raw_id_fields = ("user", "partner_account", "asset", "asset_version", "article")
