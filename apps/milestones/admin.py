from django.contrib import admin

from apps.milestones.models import (
    Alert,
    AlertRule,
    Milestone,
    PartnerMilestone,
    PartnerTrack,
    Track,
)


class AlertRuleInline(admin.TabularInline):
    model = AlertRule
    extra = 0


@admin.register(Milestone)
class MilestoneAdmin(admin.ModelAdmin):
    list_display = ("name", "tenant", "track", "key", "phase", "window_from_day", "window_to_day")
    list_filter = ("tenant", "phase")
    inlines = [AlertRuleInline]


class MilestoneInline(admin.TabularInline):
    model = Milestone
    extra = 0
    fields = ("key", "name", "phase", "window_from_day", "window_to_day", "counts_for_activation")


@admin.register(Track)
class TrackAdmin(admin.ModelAdmin):
    list_display = ("partner_type", "tenant", "activation_window_days")
    list_filter = ("tenant",)
    inlines = [MilestoneInline]


@admin.register(PartnerTrack)
class PartnerTrackAdmin(admin.ModelAdmin):
    list_display = ("account", "tenant", "track", "enrolled_at", "activated_at", "dark_at")
    list_filter = ("tenant",)
    raw_id_fields = ("account",)


@admin.register(PartnerMilestone)
class PartnerMilestoneAdmin(admin.ModelAdmin):
    list_display = ("account", "milestone", "due_at", "completed_at")
    list_filter = ("tenant",)
    raw_id_fields = ("account", "partner_track", "completion_event")


@admin.register(Alert)
class AlertAdmin(admin.ModelAdmin):
    list_display = ("account", "rule", "status", "due_at", "raised_at", "snoozed_until")
    list_filter = ("tenant", "status")
    raw_id_fields = ("account", "partner_milestone", "checkpoint")
