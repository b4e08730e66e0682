"""The API app's periodic work: the request log's retention purge."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings

from apps.api.services import api_request_log_purge_all_tenants


@shared_task(acks_late=True, ignore_result=True, expires=3000)
def api_request_log_purge() -> int:
    """Hourly: delete request-log rows older than API_REQUEST_LOG_DAYS (idempotent)."""
    return api_request_log_purge_all_tenants(
        older_than=timedelta(days=settings.API_REQUEST_LOG_DAYS)
    )
