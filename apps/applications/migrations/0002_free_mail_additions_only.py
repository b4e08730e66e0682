"""The program setting `public_mail_domains` now holds only the program's own additions to
the maintained free-mail list (apps/core/emaildomains.py): drop the entries that list already
covers (the old hand-written defaults every program started with)."""

from typing import Any

from django.db import migrations

from apps.core.emaildomains import FREE_MAIL_DOMAINS


def _additions_only(apps: Any, schema_editor: Any) -> None:
    ProgramSettings = apps.get_model("applications", "ProgramSettings")
    for row in ProgramSettings._base_manager.all().only("pk", "public_mail_domains"):
        before = list(row.public_mail_domains or [])
        after = [d for d in before if str(d).lower() not in FREE_MAIL_DOMAINS]
        if after != before:
            row.public_mail_domains = after
            row.save(update_fields=["public_mail_domains"])


class Migration(migrations.Migration):
    dependencies = [
        ("applications", "0001_initial"),
    ]

    operations = [
        migrations.RunPython(_additions_only, migrations.RunPython.noop),
    ]
