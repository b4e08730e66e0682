from django.apps import AppConfig
from django.utils.module_loading import autodiscover_modules


class AuditConfig(AppConfig):
    name = "apps.audit"
    label = "audit"

    def ready(self) -> None:
        # Every app declares its audit verbs (and partner event types) in its `verbs.py`;
        # load them all, so the recorder and the timeline know the whole vocabulary.
        autodiscover_modules("verbs")
