"""Load the demo programs. Idempotent: a second run changes nothing."""

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from apps.home.demo import demo_seed


class Command(BaseCommand):
    help = "Load the demo programs acme and globex (development only)."

    def handle(self, *args: Any, **options: Any) -> None:
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DEBUG on: it creates known passwords.")
        demo_seed()
        self.stdout.write(self.style.SUCCESS("Demo programs acme and globex are ready."))
