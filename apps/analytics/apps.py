from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    name = "apps.analytics"
    label = "analytics"
    verbose_name = "Program analytics"

    def ready(self) -> None:
        # The console home's snapshot kind registers itself on import (the refresh task
        # recomputes every kind).
        from apps.analytics import selectors_dashboard  # noqa: F401
