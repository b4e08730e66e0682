"""A small hand-made program whose pipeline figures are known (tests/analytics/test_pipeline_*).

Pipeline "Reseller onboarding" (DEFAULT_SPEC): S1 Company details (Legal details, Tax form),
S2 Contract (Signed NDA), S3 Kick-off call (no action), S4 Enablement (Sales questionnaire).
Everyone enrolls at T0; the figures are read at NOW = T0 + 30 days.

    partner  type      S1 (entered→completed)   S2                      now in
    A        reseller  0 → 2 d                  2 → 6 d                 S3 since 6 d
    B        reseller  0 → 4 d                  4 d →                   S2 (stalled)
    C        reseller  0 → 6 d                  6 → 6 d, NDA skipped    S3 since 6 d
    D        reseller  0 →  (Tax form done)                             S1 (stalled)
    E        MSP       0 → 8 d                  8 d →                   S2 (stalled)
    F        reseller  0 →, moved at 1 d to "Distributor onboarding"     (its S1)

S1 durations 2, 4, 6, 8 days: median 5, p90 7.4 (6 + 0.7 × 2); without E (type filter):
2, 4, 6: median 4, p90 5.6. S2: only A timed (4 days; C skipped it).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine
from django_scopes import scope, scopes_disabled

from apps.onboarding.models import (
    ActionProgress,
    ActionStatus,
    Enrollment,
    EnrollmentStatus,
    Pipeline,
    StageProgress,
    StageStatus,
)
from apps.onboarding.services import partner_reenroll
from apps.partners.models import PartnerAccount, PartnerType
from tests.onboarding.factories import DEFAULT_SPEC, EnrollmentFactory, build_pipeline, stage_specs

T0 = datetime(2025, 3, 3, 9, 0, tzinfo=UTC)  # a Monday
NOW = T0 + timedelta(days=30)


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


@dataclass
class DataSet:
    program: Any
    pipeline: Pipeline
    other_pipeline: Pipeline
    stages: list
    actions: dict
    partners: dict[str, PartnerAccount] = field(default_factory=dict)
    enrollments: dict[str, Enrollment] = field(default_factory=dict)


def place(
    enrollment: Enrollment,
    stages: list,
    times: list[tuple[float, float | None]],
) -> None:
    """Set the enrollment's stage rows: (entered day, completed day or None) for the first
    len(times) stages; the last one without a completion is the current stage."""
    current = None
    for stage, (entered, completed) in zip(stages, times, strict=False):
        StageProgress.objects.filter(enrollment=enrollment, stage=stage).update(
            entered_at=day(entered),
            completed_at=None if completed is None else day(completed),
            status=StageStatus.CURRENT if completed is None else StageStatus.COMPLETED,
        )
        if completed is None:
            current = stage
        else:
            ActionProgress.objects.filter(enrollment=enrollment, action__stage=stage).update(
                status=ActionStatus.COMPLETED, completed_at=day(completed)
            )
    Enrollment.objects.filter(pk=enrollment.pk).update(current_stage=current)


def partner(program: Any, name: str, *, type_name: str = "Reseller / VAR", **fields: Any):
    with scopes_disabled():
        kind = PartnerType.objects.get(tenant=program.tenant, name=type_name)
        fields.setdefault("cam", program.cam)
        return PartnerAccount.objects.create(
            tenant=program.tenant, name=name, partner_type=kind, **fields
        )


def enroll(program: Any, account: PartnerAccount, pipeline: Pipeline, at: datetime) -> Enrollment:
    with time_machine.travel(at, tick=False):
        enrollment = EnrollmentFactory(actor=program.admin, account=account, pipeline=pipeline)
    assert enrollment is not None
    return enrollment


def build_data_set(program: Any) -> DataSet:
    pipeline, stages, actions = build_pipeline(program, stages_spec=DEFAULT_SPEC)
    from apps.onboarding.demo import pipeline_build

    with scope(tenant=program.tenant):
        other = pipeline_build(
            tenant=program.tenant,
            actor=program.admin,
            name="Distributor onboarding",
            partner_types=[],
            stages=stage_specs([("Paperwork", []), ("Training", [])]),
        ).pipeline
    data = DataSet(
        program=program, pipeline=pipeline, other_pipeline=other, stages=stages, actions=actions
    )
    specs = {
        "A": {"region": "emea"},
        "B": {"cam": None},
        "C": {},
        "D": {"tier": "gold"},
        "E": {"type_name": "Managed Service Provider"},
        "F": {},
    }
    for name, fields in specs.items():
        account = partner(program, f"{name} Partner", **fields)
        data.partners[name] = account
        data.enrollments[name] = enroll(program, account, pipeline, T0)
    s1, s2, s3, _s4 = stages
    with scopes_disabled():
        e = data.enrollments
        place(e["A"], stages, [(0, 2), (2, 6), (6, None)])
        place(e["B"], stages, [(0, 4), (4, None)])
        place(e["C"], stages, [(0, 6), (6, 6), (6, None)])
        ActionProgress.objects.filter(enrollment=e["C"], action__stage=s2).update(
            status=ActionStatus.SKIPPED, completed_at=day(6)
        )
        place(e["D"], stages, [(0, None)])
        ActionProgress.objects.filter(enrollment=e["D"], action=actions["Tax form"]).update(
            status=ActionStatus.COMPLETED
        )
        place(e["E"], stages, [(0, 8), (8, None)])
        place(e["F"], stages, [(0, None)])
    with time_machine.travel(day(1), tick=False), scope(tenant=program.tenant):
        data.enrollments["F2"] = partner_reenroll(
            tenant=program.tenant,
            actor=program.admin,
            account_id=data.partners["F"].pk,
            pipeline_id=other.pk,
        )
    with scopes_disabled():
        assert Enrollment.objects.get(pk=e["F"].pk).status == EnrollmentStatus.SUPERSEDED
    return data


@pytest.fixture
def data(acme) -> DataSet:
    return build_data_set(acme)
