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
    nina = partner_user_add(
        tenant=tenant,
        actor=cam,
        account=northwind,
        email="partner@northwind.test",
        role=Role.PARTNER_ADMIN,
        first_name="Nina",
        last_name="Northwind",
        password=password,
    ).membership.user
    _profiles_seed_demo(tenant=tenant, northwind=northwind, nina=nina)
    return northwind


def _profiles_seed_demo(*, tenant: Tenant, northwind: PartnerAccount, nina: User) -> None:
    """Company profiles: Northwind's partly filled by Nina (no technical contact yet, so the
    demo can finish it), Contoso's complete (the milestones demo records its
    `profile.completed`), Tailspin's barely started. Profiles that exist are left alone."""
    from apps.partners.models import PartnerProfile
    from apps.partners.services.profile import partner_profile_update

    if not PartnerProfile.objects.filter(tenant=tenant, account=northwind).exists():
        partner_profile_update(
            tenant=tenant,
            actor=nina,
            account_id=northwind.pk,
            values={
                "company_name": "Northwind Solutions Inc.",
                "description": "Network and security hardware for mid-size retailers.",
                "phone": "+1 206 555 0134",
                "address_line1": "1200 Harbor Avenue",
                "city": "Seattle",
                "postal_code": "98101",
                "region": "WA",
                "sales_name": "Nina Northwind",
                "sales_email": "partner@northwind.test",
                "marketing_name": "Marco Lee",
                "marketing_email": "marco@northwind.test",
            },
        )
    seeded = {
        "Contoso Managed IT": {
            "company_name": "Contoso Managed IT Ltd",
            "description": "Managed backup and endpoint security for UK schools.",
            "address_line1": "18 Queen Street",
            "city": "London",
            "postal_code": "EC4N 1SP",
            "sales_name": "Olivia Reid",
            "sales_email": "olivia@contoso.test",
            "marketing_name": "Harry Patel",
            "marketing_email": "harry@contoso.test",
            "technical_name": "Ada Brooks",
            "technical_email": "ada@contoso.test",
        },
        "Tailspin Distribution": {"description": "Value-added distribution in the Benelux."},
    }
    accounts = PartnerAccount.objects.filter(tenant=tenant, name__in=list(seeded)).exclude(
        profile__isnull=False
    )
    for account in accounts:
        PartnerProfile.objects.create(
            tenant=tenant,
            account=account,
            display_name=account.name,
            website=account.website,
            country=account.country,
            **seeded[account.name],
        )
