from django.apps import AppConfig


class PartnersConfig(AppConfig):
    name = "apps.partners"
    label = "partners"

    def ready(self) -> None:
        from apps.partners.access import portal_suspended_gate
        from apps.tenancy.access import portal_gate_register

        portal_gate_register(portal_suspended_gate)
