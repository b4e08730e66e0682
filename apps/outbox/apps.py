from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class OutboxConfig(AppConfig):
    name = "apps.outbox"
    label = "outbox"
    verbose_name = "Outbox"

    def ready(self) -> None:
        from apps.accounts.adapter import account_mail_sender_register
        from apps.outbox.mail import mail_enqueue, mail_handlers_register

        # The rendered-email handler ("mail.send"), and allauth's emails (password reset,
        # email confirmation) sent through it rather than from the request.
        mail_handlers_register()
        account_mail_sender_register(mail_enqueue)
        # Each app registers the handlers of its side effects in its `tasks.py` (the module
        # that used to hold their Celery tasks); load them all, as the admin finds admin.py.
        autodiscover_modules("tasks")
