from django.contrib import admin

from apps.tenancy.models import Membership, Tenant, TenantHost


class TenantHostInline(admin.TabularInline):
    model = TenantHost
    extra = 0


@admin.register(Tenant)
class TenantAdmin(admin.ModelAdmin):
    list_display = ("name", "slug", "created_at")
    search_fields = ("name", "slug")
    inlines = [TenantHostInline]
    # Set by the program admins at /console/settings/ (the logo upload is checked there).
    readonly_fields = ("logo", "time_zone", "language", "privacy_retention_days")


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ("user", "tenant", "role", "is_active", "created_at")
    list_filter = ("role", "is_active", "tenant")
    search_fields = ("user__email",)
    raw_id_fields = ("user",)
