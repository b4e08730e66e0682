from django.contrib import admin

from apps.applications.models import Application, CamRotation, Invitation, ProgramSettings


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ("company", "email", "tenant", "status", "source", "rule", "created_at")
    list_filter = ("tenant", "status", "source")
    search_fields = ("company", "email")
    raw_id_fields = (
        "partner_type",
        "matched_account",
        "partner_account",
        "decided_by",
        "invitation",
    )
    readonly_fields = ("confirm_token_hash",)


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ("email", "tenant", "status", "expires_at", "created_at")
    list_filter = ("tenant", "status")
    search_fields = ("email",)
    raw_id_fields = ("partner_type", "invited_by")
    readonly_fields = ("token_hash",)


@admin.register(ProgramSettings)
class ProgramSettingsAdmin(admin.ModelAdmin):
    list_display = ("tenant", "auto_onboarding", "domain_matching", "cam_assignment")


@admin.register(CamRotation)
class CamRotationAdmin(admin.ModelAdmin):
    list_display = ("tenant", "user", "last_assigned_at", "assigned_count")
    raw_id_fields = ("user",)
