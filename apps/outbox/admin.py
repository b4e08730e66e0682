from django.contrib import admin

from apps.outbox.models import OutboxMessage


@admin.register(OutboxMessage)
class OutboxMessageAdmin(admin.ModelAdmin):
    list_display = ("created_at", "tenant", "kind", "summary", "status", "attempts", "last_error")
    list_filter = ("status", "kind", "tenant")
    # The payload may carry a rendered email with its links: shown to superusers only
    # (the admin), never in the console.
    readonly_fields = [f.name for f in OutboxMessage._meta.fields]
