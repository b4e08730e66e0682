"""The operator's Tenant admin, completed by the home layer: a program added (or saved) in
`/admin/` gets what it is missing (partner types, milestone template, settings), so `/apply/`
works on it at once. Registered here, not in apps.tenancy, to keep imports downward."""

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from apps.home.services import program_complete
from apps.tenancy.admin import TenantAdmin
from apps.tenancy.models import Tenant

admin.site.unregister(Tenant)


@admin.register(Tenant)
class ProgramAdmin(TenantAdmin):
    def save_related(self, request: HttpRequest, form: Any, formsets: Any, change: bool) -> None:
        super().save_related(request, form, formsets, change)
        program_complete(tenant=form.instance, actor=request.user)
