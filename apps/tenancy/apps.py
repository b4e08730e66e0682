from django.apps import AppConfig


class TenancyConfig(AppConfig):
    name = "apps.tenancy"
    label = "tenancy"

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from apps.tenancy.models import Tenant, TenantHost
        from apps.tenancy.selectors import host_cache_bump

        # The middleware's host cache forgets every host when a program or address changes.
        for model in (Tenant, TenantHost):
            post_save.connect(host_cache_bump, sender=model, dispatch_uid=f"host-cache-{model}")
            post_delete.connect(host_cache_bump, sender=model, dispatch_uid=f"host-del-{model}")
