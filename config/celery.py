"""The Celery app. Settings live in config/settings.py under the CELERY_ namespace.

The beat schedule below is the one reviewed list of periodic work. RedBeat keeps the
schedule in Redis behind a lock, so a second beat process started by mistake waits
instead of sending every task twice.
"""

import os

from celery import Celery
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("onramp")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

app.conf.beat_schedule = {
    # The transactional outbox: delivers every due message (emails, auto-advance requests,
    # digests) whose nudge was lost or that failed and waited its backoff. Rows are claimed
    # with FOR UPDATE SKIP LOCKED, so overlapping sweeps never deliver one twice.
    "outbox-sweep": {
        "task": "apps.outbox.tasks.outbox_sweep",
        "schedule": 30.0,
        "options": {"expires": 25},
    },
    # Moves partners whose current stage is done (repairs auto-advance tasks that a killed
    # worker lost) and completes View asset / Read article actions opened from the library.
    "onboarding-reconcile": {
        "task": "apps.onboarding.tasks.onboarding_reconcile",
        "schedule": 60.0,
    },
    # Milestones: starts tracking for newly enrolled partners, applies new events (and content
    # library opens), marks dark partners and raises every due alert exactly once; idempotent,
    # so a late or duplicate run is harmless. Expires rather than queueing up behind a backlog.
    "milestones-sweep": {
        "task": "apps.milestones.tasks.milestone_sweep",
        "schedule": 60.0,
        "options": {"expires": 55},
    },
    # The CAMs' daily alert digest: hourly, so a missed hour catches up; each CAM gets one
    # email a day (claimed in the database), from 07:00 UTC.
    # Onboarding reminders (nudges): hourly, so a missed hour catches up; each partner user
    # gets one email a day at most (claimed in the database), from 08:00 UTC.
    "onboarding-nudges": {
        "task": "apps.onboarding.tasks.nudges_send",
        "schedule": crontab(minute=15),
    },
    # Analytics rollup: recomputes the viewed analytics snapshots whose program's data moved
    # (or that grew stale); a run stops at its time budget and leaves the rest to the next.
    "analytics-snapshots-refresh": {
        "task": "apps.analytics.tasks.analytics_snapshots_refresh",
        "schedule": 120.0,
        "options": {"expires": 110},
    },
    # Privacy: deletes each program's unconfirmed applications and expired invitations older
    # than its retention setting (30 days by default); daily, idempotent.
    "privacy-retention-purge": {
        "task": "apps.home.tasks.privacy_retention_purge",
        "schedule": crontab(hour=3, minute=40),
    },
    "milestones-alert-digest": {
        "task": "apps.milestones.tasks.alert_digests_send",
        "schedule": crontab(minute=5),
    },
    # The API's per-key request log: rows older than API_REQUEST_LOG_DAYS go; hourly, in
    # batches, idempotent.
    "api-request-log-purge": {
        "task": "apps.api.tasks.api_request_log_purge",
        "schedule": crontab(minute=25),
    },
}
