"""Demo partners for `seed_demo`: a believable Partner Explorer. Idempotent."""

from __future__ import annotations

from typing import TYPE_CHECKING

from apps.partners.models import PartnerAccount, PartnerType, Region, Tier
from apps.partners.services import partner_account_create, partner_user_add
from apps.tenancy.models import Role

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.tenancy.models import Tenant

ACME_PARTNERS: list[tuple[str, str, Tier, str, Region, str]] = [
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


def partners_seed_demo(*, tenant: Tenant, admin: User, cam: User, password: str) -> PartnerAccount:
    """The ACME_PARTNERS accounts (skipping names that exist), every third one managed by
    the admin and the others by `cam`, and Northwind's partner admin, who signs in with
    `password`. Returns Northwind Solutions."""
    types = {t.name: t for t in PartnerType.objects.filter(tenant=tenant)}
    existing = set(PartnerAccount.objects.filter(tenant=tenant).values_list("name", flat=True))
    for i, (name, type_name, tier, country, region, domain) in enumerate(ACME_PARTNERS):
        if name in existing:
            continue
        partner_account_create(
            tenant=tenant,
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
    northwind = PartnerAccount.objects.get(tenant=tenant, name="Northwind Solutions")
    partner_user_add(
        tenant=tenant,
        actor=cam,
        account=northwind,
        email="partner@northwind.test",
        role=Role.PARTNER_ADMIN,
        first_name="Nina",
        last_name="Northwind",
        password=password,
    )
    return northwind
