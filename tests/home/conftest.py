import hashlib
import json

import pytest
from allauth.account.models import EmailAddress
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django_scopes import scopes_disabled

from apps.tenancy.models import Tenant, TenantHost, TenantOwned


def database_state() -> str:
    """A digest of every tenant, host, tenant-owned row, user and email address."""
    digest = hashlib.sha256()
    with scopes_disabled():
        for model in django_apps.get_models():
            if issubclass(model, TenantOwned) or model in (
                get_user_model(),
                Tenant,
                TenantHost,
                EmailAddress,
            ):
                rows = list(model._base_manager.order_by("pk").values())
                digest.update(json.dumps(rows, default=str, sort_keys=True).encode())
    return digest.hexdigest()


@pytest.fixture
def state():
    return database_state
