"""Create a complete program with its first program admin (see README, "Creating a program")."""

from smtplib import SMTPException
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import IntegrityError

from apps.home.services import ProgramError, program_create


class Command(BaseCommand):
    help = (
        "Create a partner program: its hosts, partner types, milestone template and settings, "
        "and its first program admin, who is emailed a set-password link."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--name", required=True, help="The program's name.")
        parser.add_argument("--slug", required=True, help="Unique short name (letters, digits, -).")
        parser.add_argument(
            "--host",
            required=True,
            action="append",
            dest="hosts",
            help="A hostname serving the program; repeat for more, the first is primary.",
        )
        parser.add_argument("--admin-email", required=True, help="The first program admin.")
        parser.add_argument("--admin-first-name", default="")
        parser.add_argument("--admin-last-name", default="")

    def handle(self, *args: Any, **options: Any) -> None:
        try:
            tenant = program_create(
                actor=None,
                slug=options["slug"],
                name=options["name"],
                hostnames=options["hosts"],
                admin_email=options["admin_email"],
                admin_first_name=options["admin_first_name"],
                admin_last_name=options["admin_last_name"],
            )
        except ProgramError as exc:
            raise CommandError(str(exc)) from exc
        except IntegrityError as exc:  # a concurrent create took the slug or a host
            raise CommandError(f"Nothing was created: {exc}") from exc
        except (SMTPException, OSError) as exc:
            # The program is committed; only the email (sent after the commit) failed.
            raise CommandError(
                f"The program {options['slug']} was created, but the email to "
                f"{options['admin_email']} failed ({exc}). They can use “Forgot password” "
                f"at https://{options['hosts'][0]}/accounts/password/reset/."
            ) from exc
        self.stdout.write(
            self.style.SUCCESS(
                f"Program {tenant.name} ({tenant.slug}) is ready on {', '.join(options['hosts'])}. "
                f"{options['admin_email'].strip().lower()} was emailed a sign-in link."
            )
        )
