"""Every existing program gets the four tiers it used so far, as its own catalogue."""

from django.db import migrations

DEFAULT_TIERS = [
    ("registered", "Registered"),
    ("silver", "Silver"),
    ("gold", "Gold"),
    ("platinum", "Platinum"),
]


def install(apps, schema_editor):
    Tenant = apps.get_model("tenancy", "Tenant")
    PartnerTier = apps.get_model("partners", "PartnerTier")
    rows = [
        PartnerTier(tenant_id=tenant_id, key=key, label=label, position=i)
        for tenant_id in Tenant.objects.values_list("pk", flat=True)
        for i, (key, label) in enumerate(DEFAULT_TIERS)
    ]
    PartnerTier.objects.bulk_create(rows, ignore_conflicts=True)


class Migration(migrations.Migration):
    dependencies = [
        ("partners", "0006_partner_tiers_and_archived_types"),
        ("tenancy", "0001_initial"),
    ]

    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
