from django.apps import AppConfig


class ApplicationsConfig(AppConfig):
    name = "apps.applications"
    label = "applications"
    verbose_name = "Partner applications"

    def ready(self) -> None:
        from apps.applications.selectors import program_free_mail_domains
        from apps.core.emaildomains import free_mail_program_register

        free_mail_program_register(program_free_mail_domains)

        from apps.applications.selectors import pending_badge
        from apps.core.nav_badges import nav_badge_register

        nav_badge_register(pending_badge())
