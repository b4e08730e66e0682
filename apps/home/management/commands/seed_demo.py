"""Load the demo programs. Idempotent: a second run changes nothing."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django_scopes import scope, scopes_disabled

from apps.home.services import program_create, staff_member_add
from apps.partners.models import PartnerAccount, PartnerType, Region, Tier
from apps.partners.services import partner_account_create, partner_user_add
from apps.tenancy.models import Role, Tenant

PASSWORD = "onramp-demo"

# (company, type, tier, country, region, domain) for a believable Partner Explorer.
ACME_PARTNERS = [
    (
        "Northwind Solutions",
        "Reseller / VAR",
        Tier.GOLD,
        "US",
        Region.NORTH_AMERICA,
        "northwind.test",
    ),
    (
        "Contoso Managed IT",
        "Managed Service Provider",
        Tier.SILVER,
        "GB",
        Region.EMEA,
        "contoso.test",
    ),
    (
        "Fabrikam Integrators",
        "Systems Integrator",
        Tier.PLATINUM,
        "DE",
        Region.EMEA,
        "fabrikam.test",
    ),
    ("Tailspin Distribution", "Distributor", Tier.GOLD, "NL", Region.EMEA, "tailspin.test"),
    (
        "Adventure Works Referrals",
        "Referral / Agent",
        Tier.REGISTERED,
        "CA",
        Region.NORTH_AMERICA,
        "adventureworks.test",
    ),
    (
        "Proseware Cloud",
        "Technology / Alliance",
        Tier.SILVER,
        "US",
        Region.NORTH_AMERICA,
        "proseware.test",
    ),
    (
        "Litware Networks",
        "Reseller / VAR",
        Tier.REGISTERED,
        "BR",
        Region.LATIN_AMERICA,
        "litware.test",
    ),
    (
        "Woodgrove Services",
        "Managed Service Provider",
        Tier.GOLD,
        "AU",
        Region.APAC,
        "woodgrove.test",
    ),
    ("Lucerne Consulting", "Systems Integrator", Tier.SILVER, "CH", Region.EMEA, "lucerne.test"),
    ("Wingtip Partners", "Reseller / VAR", Tier.SILVER, "SG", Region.APAC, "wingtip.test"),
    (
        "Blue Yonder Advisory",
        "Referral / Agent",
        Tier.REGISTERED,
        "MX",
        Region.LATIN_AMERICA,
        "blueyonder.test",
    ),
    ("Coho Data Systems", "Technology / Alliance", Tier.GOLD, "JP", Region.APAC, "coho.test"),
]


class Command(BaseCommand):
    help = "Load the demo programs acme and globex (development only)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("seed_demo only runs with DEBUG on: it creates known passwords.")
        with transaction.atomic():
            acme = self._program("acme", "Acme Cloud Partner Program", "acme.localhost", "#4f46e5")
            globex = self._program(
                "globex", "Globex Partner Network", "globex.localhost", "#0f766e"
            )
            with scope(tenant=acme):
                self._acme(acme)
            with scope(tenant=globex):
                staff_member_add(
                    tenant=globex,
                    actor=None,
                    email="admin@globex.test",
                    role=Role.PROGRAM_ADMIN,
                    first_name="Grace",
                    last_name="Hopper",
                    password=PASSWORD,
                )
        self.stdout.write(self.style.SUCCESS("Demo programs acme and globex are ready."))

    def _program(self, slug, name, host, colour) -> Tenant:
        with scopes_disabled():
            tenant = Tenant.objects.filter(slug=slug).first()
        if tenant is None:
            tenant = program_create(
                actor=None,
                slug=slug,
                name=name,
                hostnames=[host],
                brand_color=colour,
                support_email=f"partners@{slug}.test",
            )
        return tenant

    def _acme(self, acme: Tenant) -> None:
        admin = staff_member_add(
            tenant=acme,
            actor=None,
            email="admin@acme.test",
            role=Role.PROGRAM_ADMIN,
            first_name="Ada",
            last_name="Admin",
            password=PASSWORD,
        ).user
        cam = staff_member_add(
            tenant=acme,
            actor=admin,
            email="cam@acme.test",
            role=Role.CHANNEL_MANAGER,
            first_name="Casey",
            last_name="Manager",
            password=PASSWORD,
        ).user
        types = {t.name: t for t in PartnerType.objects.filter(tenant=acme)}
        existing = set(PartnerAccount.objects.filter(tenant=acme).values_list("name", flat=True))
        for i, (name, type_name, tier, country, region, domain) in enumerate(ACME_PARTNERS):
            if name in existing:
                continue
            partner_account_create(
                tenant=acme,
                actor=admin,
                name=name,
                partner_type=types[type_name],
                domains=[domain],
                tier=tier,
                country=country,
                region=region,
                cam=(cam if i % 3 != 2 else admin),
                website=f"https://www.{domain}",
            )
        northwind = PartnerAccount.objects.get(tenant=acme, name="Northwind Solutions")
        partner_user_add(
            tenant=acme,
            actor=cam,
            account=northwind,
            email="partner@northwind.test",
            role=Role.PARTNER_ADMIN,
            first_name="Nina",
            last_name="Northwind",
            password=PASSWORD,
        )
