from django.apps import AppConfig


class OnboardingConfig(AppConfig):
    name = "apps.onboarding"
    label = "onboarding"

    def ready(self) -> None:
        from apps.content.uses import content_use_register
        from apps.onboarding.content_uses import pipeline_uses_of_content

        content_use_register(pipeline_uses_of_content)

        # The Partner Explorer's stage and stalled filters, current stage column.
        from apps.onboarding.explorer import explorer_register

        explorer_register()

        from apps.core.nav_badges import nav_badge_register
        from apps.onboarding.queue_badge import QUEUE_BADGE

        nav_badge_register(QUEUE_BADGE)
