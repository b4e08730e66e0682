"""The shared benchmark dataset: tenant `bench` on bench.localhost, its staff, and 100,000
partner accounts with 150,000 email domains (BENCH_PARTNERS=2000 seeds fewer, for a quick check
that every suite still runs; its figures are not comparable with the full-size run).

The tenant and the staff are created with the product's own services; the partner rows are
inserted set-based (INSERT ... SELECT generate_series) for speed, then the tables are vacuumed
and analysed so the planner sees them as a production database would. Deterministic: the same
rows on every run (setseed).
"""

import os
import time

from django.db import connection, transaction
from django_scopes import scope

from apps.home.services import program_create, staff_member_add
from apps.partners.models import PartnerAccount, PartnerDomain, PartnerType
from apps.tenancy.models import Role, Tenant

SLUG = "bench"
HOSTNAME = "bench.localhost"
CAM_EMAIL = "cam@bench.test"
CAM_PASSWORD = "bench-cam-password-4711"


def _partners() -> int:
    """BENCH_PARTNERS, default 100,000. Only the factors 2 and 5 keep the rows unique (see
    ACCOUNTS_SQL), and the onboarding suite needs a few hundred accounts of one type."""
    n = int(os.environ.get("BENCH_PARTNERS", "100000"))
    m = n
    for p in (2, 5):
        while m % p == 0:
            m //= p
    if n < 1000 or n > 115_200 or m != 1:
        raise ValueError(
            f"BENCH_PARTNERS={n}: use 2^a * 5^b between 1,000 and 115,200 (e.g. 2000, 100000)"
        )
    return n


PARTNERS = _partners()  # every second account gets a second domain: 1.5 x PARTNERS domains
DOMAIN_QUERY = "4821" if PARTNERS > 4821 else "48"

# Other channel managers the partners are spread over (no password: they never sign in).
OTHER_CAMS = [
    ("Avery", "Brooks"),
    ("Jordan", "Chen"),
    ("Morgan", "Diaz"),
    ("Riley", "Evans"),
    ("Quinn", "Fischer"),
    ("Taylor", "Garcia"),
    ("Harper", "Ito"),
]

# Company names: FIRST + SECOND + " " + THIRD + LEGAL, 40 * 30 * 12 * 8 = 115,200 distinct
# names. Only "North" contains "north", so ?q=north matches 1 account in 40 (2,500).
FIRST = (  # noqa: SIM905
    "North South East West Blue Red Green Silver Golden Iron Stone Bright Clear Swift Summit "
    "River Cedar Oak Pine Maple Harbor Lake Sky Star Sun Moon Falcon Eagle Fox Wolf Bear Lion "
    "Tiger Apex Vertex Nova Quantum Pixel Vector Delta"
).split()
SECOND = (  # noqa: SIM905
    "wind gate stone bridge field point ridge wood view line port way crest peak light path "
    "works shore vale brook mark sphere scale stack link net core base wave forge"
).split()
THIRD = (  # noqa: SIM905
    "Solutions Systems Networks Consulting Technologies IT Cloud Data Digital Partners "
    "Services Labs"
).split()
LEGAL = ["", " Ltd", " Inc", " GmbH", " LLC", " Group", " BV", " Pty"]
TLDS = ["com", "net", "io", "app", "biz", "tech", "cloud", "group"]  # no ccTLDs
assert (len(FIRST), len(SECOND), len(THIRD), len(LEGAL), len(TLDS)) == (40, 30, 12, 8, 8)

# Each account's number j is a permutation of 0..n-1 (7919 is prime, so coprime to n when n
# has only the factors 2 and 5), so names and domains are unique and not in id order.
# The primary domain is <first+second><j>.<generic tld>, e.g. northwind48210.com; even ids
# get a second one on their country's TLD, e.g. northwind48210.de. Digits appear only in
# domains, so ?q=4821 is a domain-only search (DOMAIN_QUERY; with 4,821 partners or fewer no
# j contains 4821, so a small dataset searches for "48").
ACCOUNTS_SQL = """
WITH s AS (
    SELECT mod(i * 7919, %(n)s) AS j,
           random() AS r_tier, random() AS r_region, random() AS r_country,
           random() AS r_cam, random() AS r_type, random() AS r_status,
           random() AS r_active, random() AS r_activated,
           now() - random() * interval '1095 days' AS created
    FROM generate_series(1::bigint, %(n)s) AS i
), t AS (
    SELECT s.*,
           CASE WHEN r_region < 0.35 THEN 'na' WHEN r_region < 0.65 THEN 'emea'
                WHEN r_region < 0.85 THEN 'apac' WHEN r_region < 0.95 THEN 'latam'
                ELSE '' END AS region,
           lower((%(first)s::text[])[1 + mod(j, 40)]
                 || (%(second)s::text[])[1 + mod(j / 40, 30)]) || j::text
               || '.' || (%(tlds)s::text[])[1 + mod(j / 7, 8)] AS domain
    FROM s
)
INSERT INTO partners_partneraccount
    (tenant_id, name, partner_type_id, tier, country, region, cam_id, status, website,
     created_at, activated_at)
SELECT %(tenant)s,
       (%(first)s::text[])[1 + mod(j, 40)] || (%(second)s::text[])[1 + mod(j / 40, 30)]
           || ' ' || (%(third)s::text[])[1 + mod(j / 1200, 12)]
           || (%(legal)s::text[])[1 + mod(j / 14400, 8)],
       (%(types)s::bigint[])[1 + floor(r_type * cardinality(%(types)s::bigint[]))::int],
       CASE WHEN r_tier < 0.50 THEN 'registered' WHEN r_tier < 0.75 THEN 'silver'
            WHEN r_tier < 0.90 THEN 'gold' ELSE 'platinum' END,
       CASE region
           WHEN 'na' THEN (ARRAY['US','US','US','CA'])[1 + floor(r_country * 4)::int]
           WHEN 'emea' THEN (ARRAY['GB','DE','FR','NL','SE','ES','IT','ZA','AE'])
                            [1 + floor(r_country * 9)::int]
           WHEN 'apac' THEN (ARRAY['AU','JP','SG','IN','NZ'])[1 + floor(r_country * 5)::int]
           WHEN 'latam' THEN (ARRAY['BR','MX','AR','CL','CO'])[1 + floor(r_country * 5)::int]
           ELSE '' END,
       region,
       CASE WHEN r_cam < 0.10 THEN NULL
            ELSE (%(cams)s::bigint[])[1 + floor((r_cam - 0.10) / 0.90
                                                * cardinality(%(cams)s::bigint[]))::int] END,
       CASE WHEN r_status < 0.08 THEN 'suspended' ELSE 'active' END,
       'https://www.' || domain,
       created,
       CASE WHEN r_active < 0.80
            THEN least(now(), created + r_activated * interval '60 days') END
FROM t
ORDER BY created  -- ids ascend with created_at, as they would in production
"""

DOMAINS_SQL = """
INSERT INTO partners_partnerdomain (tenant_id, account_id, domain)
SELECT tenant_id, id, substr(website, 13)
FROM partners_partneraccount WHERE tenant_id = %(tenant)s
UNION ALL
SELECT tenant_id, id,
       split_part(substr(website, 13), '.', 1) || '.'
           || CASE country WHEN '' THEN 'eu' WHEN 'GB' THEN 'co.uk' ELSE lower(country) END
FROM partners_partneraccount WHERE tenant_id = %(tenant)s AND mod(id, 2) = 0
"""


def seed() -> dict:
    """Create the dataset; returns a few numbers for the report."""
    started = time.perf_counter()
    with transaction.atomic():
        tenant = program_create(
            actor=None,
            slug=SLUG,
            name="Bench Partner Program",
            hostnames=[HOSTNAME],
            support_email="partners@bench.test",
        )
        with scope(tenant=tenant):
            cams = [
                staff_member_add(
                    tenant=tenant,
                    actor=None,
                    email=CAM_EMAIL,
                    role=Role.CHANNEL_MANAGER,
                    first_name="Casey",
                    last_name="Bench",
                    password=CAM_PASSWORD,
                ).user_id
            ]
            for first, last in OTHER_CAMS:
                cams.append(
                    staff_member_add(
                        tenant=tenant,
                        actor=None,
                        email=f"{first.lower()}.{last.lower()}@bench.test",
                        role=Role.CHANNEL_MANAGER,
                        first_name=first,
                        last_name=last,
                    ).user_id
                )
            types = list(
                PartnerType.objects.filter(tenant=tenant)
                .order_by("position")
                .values_list("id", flat=True)
            )
        params = {
            "tenant": tenant.pk,
            "n": PARTNERS,
            "types": types,
            "cams": cams,
            "first": FIRST,
            "second": SECOND,
            "third": THIRD,
            "legal": LEGAL,
            "tlds": TLDS,
        }
        with connection.cursor() as cursor:
            cursor.execute("SELECT setseed(0.4711)")
            cursor.execute(ACCOUNTS_SQL, params)
            cursor.execute(DOMAINS_SQL, params)
    inserted = time.perf_counter()
    with connection.cursor() as cursor:  # autocommit: VACUUM cannot run in a transaction
        cursor.execute("VACUUM (ANALYZE) partners_partneraccount, partners_partnerdomain")
    with scope(tenant=tenant):
        counts = {
            "partners": PartnerAccount.objects.filter(tenant=tenant).count(),
            "domains": PartnerDomain.objects.filter(tenant=tenant).count(),
            "cams": len(cams),
        }
    counts["insert_s"] = inserted - started
    counts["vacuum_s"] = time.perf_counter() - inserted
    return counts


def tenant() -> Tenant:
    return Tenant.objects.get(slug=SLUG)
