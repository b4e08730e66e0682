import logging
from typing import Any

from django.apps import AppConfig
from django.db import transaction
from django.http import HttpRequest

logger = logging.getLogger(__name__)


def _portal_access_on_login(sender: Any, request: HttpRequest, user: Any, **kwargs: Any) -> None:
    """allauth's `user_logged_in`: a partner user's first sign-in confirms their account's
    portal access (`portal.access_confirmed`, once per account). Never fails the sign-in."""
    tenant = getattr(request, "tenant", None)
    if tenant is None:
        return
    from apps.partners.services.profile import portal_access_confirm

    try:
        with transaction.atomic():
            portal_access_confirm(tenant=tenant, user=user)
    except Exception:
        logger.exception("could not record portal access for user %s", getattr(user, "pk", None))


class PartnersConfig(AppConfig):
    name = "apps.partners"
    label = "partners"

    def ready(self) -> None:
        from allauth.account.signals import user_logged_in

        from apps.audit.directory import partner_directory_register
        from apps.partners.access import portal_suspended_gate
        from apps.partners.audit_directory import DIRECTORY
        from apps.tenancy.access import portal_gate_register

        portal_gate_register(portal_suspended_gate)
        partner_directory_register(DIRECTORY)
        user_logged_in.connect(
            _portal_access_on_login, dispatch_uid="partners.portal_access_on_login"
        )
