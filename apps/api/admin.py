from django.contrib import admin

from apps.api.models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = (
        "name",
        "tenant",
        "prefix",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
    )
    list_filter = ("tenant",)
    readonly_fields = ("prefix", "secret_hash", "created_by", "created_at", "last_used_at")
