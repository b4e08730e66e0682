"""The Celery app. Settings live in config/settings.py under the CELERY_ namespace.

The beat schedule below is the one reviewed list of periodic work. RedBeat keeps the
schedule in Redis behind a lock, so a second beat process started by mistake waits
instead of sending every task twice.
"""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("onramp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # Re-sends notification emails whose task was lost (worker killed before it ran).
    "notifications-email-sweep": {
        "task": "apps.notifications.tasks.notification_email_sweep",
        "schedule": 120.0,
    },
    # Moves partners whose current stage is done (repairs auto-advance tasks that a killed
    # worker lost) and completes View asset / Read article actions opened from the library.
    "onboarding-reconcile": {
        "task": "apps.onboarding.tasks.onboarding_reconcile",
        "schedule": 60.0,
    },
}
