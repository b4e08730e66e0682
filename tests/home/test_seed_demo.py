import hashlib
import json

import pytest
from django.apps import apps as django_apps
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.test import Client
from django_scopes import scopes_disabled

from apps.tenancy.models import TenantOwned

pytestmark = pytest.mark.django_db


def _state():
    digest = hashlib.sha256()
    with scopes_disabled():
        for model in django_apps.get_models():
            if issubclass(model, TenantOwned) or model is get_user_model():
                rows = list(model._base_manager.order_by("pk").values())
                digest.update(json.dumps(rows, default=str, sort_keys=True).encode())
    return digest.hexdigest()


def test_seed_demo_is_idempotent_and_signs_in(settings):
    settings.DEBUG = True
    call_command("seed_demo")
    first = _state()
    call_command("seed_demo")
    assert _state() == first

    for host, email, landing in [
        ("acme.localhost", "admin@acme.test", "/console/"),
        ("acme.localhost", "cam@acme.test", "/console/"),
        ("acme.localhost", "partner@northwind.test", "/portal/"),
        ("globex.localhost", "admin@globex.test", "/console/"),
    ]:
        client = Client(headers={"host": host})
        response = client.post("/accounts/login/", {"login": email, "password": "onramp-demo"})
        assert response.status_code == 302, (email, response.content[:500])
        assert response["Location"] == landing
        assert client.get(landing).status_code == 200
