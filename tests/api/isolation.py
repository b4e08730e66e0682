"""Samples for the isolation walker: an API key of the program (console pages only; the
API itself is tested in tests/api/)."""

from apps.api.models import ApiKey


def setup(program):
    from django_scopes import scope

    from apps.api.services import api_key_create

    with scope(tenant=program.tenant):
        api_key_create(tenant=program.tenant, actor=program.admin, name="Isolation")


def samples(program):
    key = ApiKey.objects.filter(tenant=program.tenant).first()
    if key is None:
        return {}
    return {"api_console:revoke": {"key_id": key.pk}, "api_console:log": {"key_id": key.pk}}
