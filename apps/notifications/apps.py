from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    name = "apps.notifications"
    label = "notifications"

    def ready(self) -> None:
        from apps.core.nav_badges import nav_badge_register
        from apps.notifications.context_processors import UNREAD_BADGE

        nav_badge_register(UNREAD_BADGE)
