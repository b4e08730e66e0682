from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django_scopes import scope

from apps.milestones.models import Alert, Milestone, PartnerMilestone
from apps.milestones.services import milestone_sweep_all_tenants
from tests.milestones.factories import PartnerTrackFactory
from tests.onboarding.conftest import journey  # noqa: F401 - shared fixture

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)


def day(n: float) -> datetime:
    """Day n of a partner enrolled at T0."""
    return T0 + timedelta(days=n)


def start_tracking(program, account=None, *, at=T0):
    """Start milestone tracking for `account` (default: the program's partner) at `at`."""
    with time_machine.travel(at, tick=False):
        return PartnerTrackFactory(account=account or program.partner, actor=program.cam)


def sweep(at):
    with time_machine.travel(at, tick=False):
        return milestone_sweep_all_tenants()


def alerts(program, account=None, **filters):
    with scope(tenant=program.tenant):
        rows = Alert.objects.filter(tenant=program.tenant, **filters)
        if account is not None:
            rows = rows.filter(account=account)
        return list(rows.select_related("rule", "rule__milestone").order_by("due_at", "id"))


def item(program, key, account=None):
    with scope(tenant=program.tenant):
        return PartnerMilestone.objects.select_related("milestone").get(
            tenant=program.tenant,
            account=account or program.partner,
            milestone__key=key,
        )


def orientation_stage(program, partner_type="Reseller / VAR", actions=5):
    """A pipeline stage of `actions` actions, named as the orientation of `partner_type`'s
    track (what the tracks editor sets). Returns the stage's action ids, in order."""
    from apps.onboarding.demo import ActionSpec, StageSpec, pipeline_build
    from apps.onboarding.models import ActionType

    with scope(tenant=program.tenant):
        built = pipeline_build(
            tenant=program.tenant,
            actor=program.admin,
            name=f"Orientation for {partner_type}",
            stages=[
                StageSpec(
                    "Program orientation",
                    [
                        ActionSpec(f"Module {n}", ActionType.UPLOAD_DOCUMENT)
                        for n in range(1, actions + 1)
                    ],
                )
            ],
        )
        stage = built.stages[0]
        Milestone.objects.filter(
            tenant=program.tenant, track__partner_type__name=partner_type, key="orientation"
        ).update(stage=stage)
    return [built.actions[f"Module {n}"].pk for n in range(1, actions + 1)]


@pytest.fixture
def tracked(acme):
    """acme's partner (a Reseller / VAR) tracked from T0."""
    return start_tracking(acme)


@pytest.fixture(autouse=True)
def _milestone_template(milestone_template):
    """Every milestones test runs on programs that have the milestone template."""
