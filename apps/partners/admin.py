from django.contrib import admin

from apps.partners.models import PartnerAccount, PartnerDomain, PartnerType, PartnerUser


class PartnerDomainInline(admin.TabularInline):
    model = PartnerDomain
    extra = 0


@admin.register(PartnerAccount)
class PartnerAccountAdmin(admin.ModelAdmin):
    list_display = ("name", "tenant", "partner_type", "tier", "status", "created_at")
    list_filter = ("tenant", "status", "tier")
    search_fields = ("name",)
    raw_id_fields = ("cam", "partner_type")
    inlines = [PartnerDomainInline]


@admin.register(PartnerType)
class PartnerTypeAdmin(admin.ModelAdmin):
    list_display = ("name", "tenant", "position")
    list_filter = ("tenant",)


@admin.register(PartnerUser)
class PartnerUserAdmin(admin.ModelAdmin):
    list_display = ("membership", "account", "tenant")
    raw_id_fields = ("membership", "account")
