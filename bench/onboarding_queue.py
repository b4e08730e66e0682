"""The work queue (/console/queue/) under load, part of the onboarding suite
(bench/onboarding.py calls `seed()` and `measure(ctx)`).

seed() enrolls QUEUE_PARTNERS active accounts not enrolled yet (across the bench's CAMs and
the unassigned ones) in pipeline "Bench work queue" with the product's `partner_enroll`, then
marks the four actions of its first stage submitted and Waiting for approval set-based
(answers for Provide information, one uploaded file per Upload document), submitted over the
last 30 days: WAITING actions in all. 2,000 partner users submitting one by one would only
make the seed slower; the page reads the same rows.

measure() loads the queue as the bench CAM ("My partners", the default: a share of them),
all of them (`?show=all`) and a deep page, next to /healthz, and counts the SQL of a request.
"""

import time

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import connection, transaction
from django.db.models.expressions import RawSQL
from django_scopes import scope

from apps.core.uploads import storage_key
from apps.onboarding.demo import ActionSpec, StageSpec, pipeline_build
from apps.onboarding.models import ActionFile, ActionProgress, ActionStatus, ActionType, Stage
from apps.onboarding.services.enrollment import partner_enroll
from apps.partners.models import PartnerAccount
from bench import dataset, lib

TITLE = "Onboarding"
PIPELINE = "Bench work queue"
PER_PARTNER = 4  # actions waiting per partner
QUEUE_PARTNERS = 500
WAITING = QUEUE_PARTNERS * PER_PARTNER  # 2,000
PATH = "/console/queue/"
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def seed() -> None:
    tenant = dataset.tenant()
    started = time.perf_counter()
    with scope(tenant=tenant):
        info, upload = ActionType.PROVIDE_INFORMATION, ActionType.UPLOAD_DOCUMENT
        legal = {"form_fields": [{"label": "Legal name", "kind": "text", "required": True}]}
        pdf = {"upload_types": ["pdf"]}
        built = pipeline_build(
            tenant=tenant,
            actor=None,
            name=PIPELINE,
            stages=[
                StageSpec(
                    "Paperwork",
                    [
                        ActionSpec("Company details", info, requires_approval=True, fields=legal),
                        ActionSpec("Signed agreement", upload, requires_approval=True, fields=pdf),
                        ActionSpec("Billing contact", info, requires_approval=True, fields=legal),
                        ActionSpec("Tax certificate", upload, requires_approval=True, fields=pdf),
                    ],
                ),
                StageSpec("Enablement", [ActionSpec("Sales questionnaire", info, fields=legal)]),
            ],
        )
        accounts = list(
            PartnerAccount.objects.filter(
                tenant=tenant, status="active", enrollments__isnull=True
            ).order_by("id")[:QUEUE_PARTNERS]
        )
        if len(accounts) < QUEUE_PARTNERS:
            raise RuntimeError(f"only {len(accounts)} active accounts not enrolled yet")
        for account in accounts:
            partner_enroll(tenant=tenant, actor=None, account=account, pipeline=built.pipeline)
        first = built.stages[0]
        key = default_storage.save(
            storage_key(tenant_id=tenant.pk, area="onboarding", ext="pdf"), ContentFile(PDF)
        )
        with transaction.atomic():
            rows = ActionProgress.objects.filter(tenant=tenant, action__stage=first)
            rows.update(
                status=ActionStatus.WAITING_FOR_APPROVAL,
                submission_round=1,
                submitted_at=RawSQL("now() - random() * interval '30 days'", []),
                submission={"legal_name": "Bench Partner Ltd"},
            )
            uploads = rows.filter(action__type=upload).values_list("pk", flat=True)
            uploader = get_user_model().objects.get(email=dataset.CAM_EMAIL)
            ActionFile.objects.bulk_create(
                (
                    ActionFile(
                        tenant=tenant,
                        progress_id=pk,
                        submission_round=1,
                        file=key,
                        original_name="document.pdf",
                        content_type="application/pdf",
                        size=len(PDF),
                        uploaded_by=uploader,
                    )
                    for pk in uploads
                ),
                batch_size=1000,
            )
        waiting = ActionProgress.objects.filter(
            tenant=tenant, status=ActionStatus.WAITING_FOR_APPROVAL
        ).count()
    with connection.cursor() as cursor:
        cursor.execute(
            "ANALYZE onboarding_actionprogress, onboarding_actionfile, onboarding_enrollment"
        )
    lib.log(
        f"{TITLE}: work queue, {QUEUE_PARTNERS} partners enrolled in {PIPELINE!r}, "
        f"{waiting} actions waiting in all, in {time.perf_counter() - started:.1f} s"
    )


def measure(ctx) -> None:
    from apps.onboarding.selectors_queue import queue_counts
    from apps.tenancy.models import Membership
    from bench.onboarding import _check, _page_costs

    tenant = ctx.tenant
    cam = get_user_model().objects.get(email=dataset.CAM_EMAIL)
    with scope(tenant=tenant):
        stage = Stage.objects.get(tenant=tenant, pipeline__name=PIPELINE, name="Paperwork")
        membership = Membership.objects.get(tenant=tenant, user=cam)
        counts = queue_counts(tenant=tenant, membership=membership)
    if counts["all"] < WAITING:
        raise RuntimeError(f"{counts['all']} actions waiting, expected {WAITING}: seeded?")
    deep = (counts["all"] + 49) // 50
    _check(ctx.target, PATH, b"Work queue", b"Validate selected")
    _check(ctx.target, f"{PATH}?show=all", stage.name.encode(), b"document.pdf")
    cases = [
        (f"work queue, my partners ({counts['mine']:,} waiting)", PATH, counts["mine"]),
        (f"work queue, all ({counts['all']:,} waiting)", f"{PATH}?show=all", counts["all"]),
        (f"work queue, all, last page ({deep})", f"{PATH}?show=all&page={deep}", counts["all"]),
    ]
    for label, path, matches in cases:
        ctx.http(TITLE, label, path, matches=matches)
    ctx.section(
        f"{TITLE}: SQL per work-queue page, one warm request through django.test.Client in "
        "the bench process (no HTTP, no concurrency)",
        _page_costs([(label.split(" (")[0], cam, path) for label, path, _ in cases]),
    )
