"""CSV import of partner accounts (issue 10, point 5): a 10,000-row file, as a program admin
would upload it, dry run then Import, through the services the console calls.

seed() adds a program admin to the bench tenant. measure() generates the file (every row a new
partner with two domains, a type, tier, region and CAM, and two people, one a partner admin),
times the dry run (read + check every row against the 100,000-partner tenant), the Import
(all or nothing, one transaction; invitations off: the worker would send them after commit)
and the dry run of the same file again (every row unchanged). Target: under a minute.
"""

import csv
import io
import time

from django.db import connection
from django.test.utils import CaptureQueriesContext
from django_scopes import scope

from apps.home.services import staff_member_add
from apps.partners.services import (
    partner_import_apply,
    partner_import_parse,
    partner_import_plan,
)
from apps.tenancy.models import Role
from bench import dataset, lib

TITLE = "CSV import"
ROWS = 10_000
ADMIN_EMAIL = "import-admin@bench.test"
TARGET_S = 60.0
TYPES = ["Reseller / VAR", "Managed Service Provider", "Systems Integrator", "Distributor"]
TIERS = ["Registered", "Silver", "Gold", "Platinum"]
REGIONS = ["NA", "LATAM", "EMEA", "APAC"]


def seed() -> None:
    tenant = dataset.tenant()
    with scope(tenant=tenant):
        staff_member_add(
            tenant=tenant, actor=None, email=ADMIN_EMAIL, role=Role.PROGRAM_ADMIN, first_name="Imo"
        )


def _file(rows: int = ROWS) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(["company", "domains", "partner type", "tier", "region", "cam email", "users"])
    for i in range(rows):
        writer.writerow(
            [
                f"Imported Partner {i:05d}",
                f"imported{i:05d}.example; imported{i:05d}-eu.example",
                TYPES[i % len(TYPES)],
                TIERS[i % len(TIERS)],
                REGIONS[i % len(REGIONS)],
                dataset.CAM_EMAIL,
                f"Ana Diaz <ana@imported{i:05d}.example> [admin]; bob@imported{i:05d}.example",
            ]
        )
    return buffer.getvalue().encode()


def _timed(fn):
    started = time.perf_counter()
    with CaptureQueriesContext(connection) as queries:
        result = fn()
    return result, time.perf_counter() - started, len(queries)


def measure(ctx) -> None:
    from django.contrib.auth import get_user_model

    tenant = ctx.tenant
    admin = get_user_model().objects.get(email=ADMIN_EMAIL)
    data = _file()
    lib.log(f"{TITLE}: {ROWS:,} rows, {len(data) / 1e6:.1f} MB")
    with scope(tenant=tenant):
        plan, dry_s, dry_q = _timed(
            lambda: partner_import_plan(tenant=tenant, rows=partner_import_parse(data))
        )
        if plan.has_errors:
            raise RuntimeError(f"import bench: {plan.error_rows[0].errors}")
        result, apply_s, apply_q = _timed(
            lambda: partner_import_apply(
                tenant=tenant,
                actor=admin,
                data=data,
                digest=plan.digest,
                file_name="bench.csv",
                send_invitations=False,
            )
        )
        again, again_s, again_q = _timed(
            lambda: partner_import_plan(tenant=tenant, rows=partner_import_parse(data))
        )
    if result.created != ROWS or again.counts["unchanged"] != ROWS:
        raise RuntimeError(f"import bench: {result} / {dict(again.counts)}")
    rows = [
        ["dry run (read + check every row)", f"{dry_s:.2f}", f"{ROWS / dry_s:,.0f}", dry_q],
        ["Import (one transaction)", f"{apply_s:.2f}", f"{ROWS / apply_s:,.0f}", apply_q],
        ["dry run + Import", f"{dry_s + apply_s:.2f}", f"{ROWS / (dry_s + apply_s):,.0f}", ""],
        ["dry run of the same file again", f"{again_s:.2f}", f"{ROWS / again_s:,.0f}", again_q],
    ]
    text = (
        f"{ROWS:,} new partners, {2 * ROWS:,} domains, {result.people_added:,} people "
        f"({len(data) / 1e6:.1f} MB), into the tenant of {ctx.dataset_size}; "
        f"target: dry run + Import under {TARGET_S:.0f} s\n"
    )
    text += lib.table(["step", "seconds", "rows/s", "queries"], rows, align="lrrr")
    ctx.section(f"{TITLE} ({ROWS:,} rows)", text)
    if dry_s + apply_s > TARGET_S:
        ctx.note(f"{TITLE}: dry run + Import of {ROWS:,} rows took {dry_s + apply_s:.1f} s")
