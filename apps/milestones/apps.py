from django.apps import AppConfig


class MilestonesConfig(AppConfig):
    name = "apps.milestones"
    label = "milestones"
    verbose_name = "Milestones and alerts"
