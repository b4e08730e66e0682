from django.apps import AppConfig


class MilestonesConfig(AppConfig):
    name = "apps.milestones"
    label = "milestones"
    verbose_name = "Milestones and alerts"

    def ready(self) -> None:
        # The Partner Explorer's milestones filters (apps/partners/explorer_registry.py).
        from apps.milestones.explorer import explorer_register

        explorer_register()
