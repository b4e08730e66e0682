from django.contrib import admin

from apps.notifications.models import Notification


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin):
    list_display = ("created_at", "tenant", "recipient", "kind", "title", "email_status")
    list_filter = ("tenant", "kind", "email_status")
    raw_id_fields = ("recipient",)
