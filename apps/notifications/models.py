from django.conf import settings
from django.db import models

from apps.tenancy.models import TenantOwned


class EmailStatus(models.TextChoices):
    NONE = "none", "No email"
    PENDING = "pending", "Pending"
    SENT = "sent", "Sent"
    FAILED = "failed", "Failed"


class Notification(TenantOwned):
    """An in-app notification for one user, and the email that goes with it.

    The message is rendered once, when it is created, so the email task only delivers it.
    """

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="notifications"
    )
    kind = models.CharField(max_length=80)
    title = models.CharField(max_length=300)
    body = models.TextField(blank=True)
    url = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    # False for email-only messages (digests): they never show in the in-app list.
    in_app = models.BooleanField(default=True)
    email_status = models.CharField(max_length=10, choices=EmailStatus, default=EmailStatus.NONE)
    email_to = models.EmailField(blank=True)
    email_subject = models.CharField(max_length=300, blank=True)
    email_text = models.TextField(blank=True)
    email_html = models.TextField(blank=True)
    email_sent_at = models.DateTimeField(null=True, blank=True)
    email_attempts = models.PositiveSmallIntegerField(default=0)
    # A sender holds the row until then; a lost sender's lease simply runs out.
    email_lease_until = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["tenant", "recipient", "-created_at"], name="notif_recipient_created"
            ),
            models.Index(
                fields=["tenant", "recipient"],
                name="notif_recipient_unread",
                condition=models.Q(read_at__isnull=True, in_app=True),
            ),
            models.Index(
                fields=["created_at"],
                name="notif_email_pending",
                condition=models.Q(email_status="pending"),
            ),
        ]

    def __str__(self) -> str:
        return self.title


class EmailWording(TenantOwned):
    """A program's own subject and intro for one of its emails (apps/notifications/wording.py
    lists them by key). No row means the default wording."""

    key = models.CharField(max_length=80)
    subject = models.CharField(max_length=200)
    intro = models.TextField(max_length=2000)
    updated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "key"], name="notif_wording_one_per_key")
        ]

    def __str__(self) -> str:
        from apps.notifications.wording import EMAILS

        entry = EMAILS.get(self.key)
        return str(entry.label) if entry is not None else self.key


class EmailPreference(TenantOwned):
    """What one user of a program asked not to be emailed (apps/notifications/preferences.py).

    `reminders_opt_out_at` set: no onboarding reminders for this user in this program (the
    one-click link in every reminder). Transactional emails are not affected."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    reminders_opt_out_at = models.DateTimeField(null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["tenant", "user"], name="notif_preference_one_per_user")
        ]

    def __str__(self) -> str:
        return str(self.user)
