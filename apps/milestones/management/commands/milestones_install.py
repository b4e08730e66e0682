"""Install the milestone template for existing programs, and start milestone tracking for
partners enrolled in onboarding before it existed."""

from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django_scopes import scope, scopes_disabled

from apps.milestones.services import milestone_sweep_all_tenants, milestone_template_install
from apps.milestones.services.statements import intake_enrollments, materialise
from apps.tenancy.models import Tenant


class Command(BaseCommand):
    help = "Install the seed-004 milestone template in every program (idempotent)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--tenant", help="Only this program (slug).")

    def handle(self, *args: Any, **options: Any) -> None:
        from django.db import transaction
        from django.utils import timezone

        with scopes_disabled():
            rows = Tenant.objects.order_by("id")
            if options["tenant"]:
                rows = rows.filter(slug=options["tenant"])
            tenants = list(rows)
        for tenant in tenants:
            with scope(tenant=tenant):
                created = milestone_template_install(tenant=tenant)
            self.stdout.write(f"{tenant.slug}: {created}")
        # Every enrollment without tracking (not only the recent ones the sweep reads).
        with transaction.atomic():
            track_ids, _ = intake_enrollments(after_id=0, now=timezone.now())
            materialise(partner_track_ids=track_ids, now=timezone.now())
        self.stdout.write(f"Milestone tracking started for {len(track_ids)} enrolled partners.")
        result = milestone_sweep_all_tenants()
        self.stdout.write(f"Sweep: {len(result.alerts_raised)} alerts raised.")
