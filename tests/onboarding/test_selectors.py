"""apps/onboarding/selectors.py: reads of a partner's progress and files."""

import pytest
from django.core.files.base import ContentFile
from django_scopes import scope

from apps.onboarding.models import ActionProgress
from apps.onboarding.selectors import action_file_get, action_file_list
from apps.onboarding.services import StoredFile, action_complete, action_request_changes
from tests.onboarding.factories import UP, EnrollmentFactory, build_pipeline

pytestmark = pytest.mark.django_db


def _upload(program, progress, name):
    with scope(tenant=program.tenant):
        action_complete(
            tenant=program.tenant,
            actor=program.partner_admin,
            progress_id=progress.pk,
            files=[
                StoredFile(
                    uploaded=ContentFile(b"%PDF-1.4 test"),
                    original_name=name,
                    content_type="application/pdf",
                    size=13,
                    storage_key=f"tenants/{program.tenant.pk}/onboarding/{name}",
                )
            ],
        )


def test_action_file_get_is_scoped_to_the_partner_and_the_tenant(acme, globex, journey):
    progress = journey.progress("Tax form")
    _upload(acme, progress, "w9.pdf")
    with scope(tenant=acme.tenant):
        (row,) = action_file_list(tenant=acme.tenant, progress=journey.progress("Tax form"))
        mine = action_file_get(
            tenant=acme.tenant, partner_account_id=acme.partner.pk, file_id=row.pk
        )
        assert mine == row
        assert (
            action_file_get(
                tenant=acme.tenant, partner_account_id=acme.other_partner.pk, file_id=row.pk
            )
            is None
        )
    with scope(tenant=globex.tenant):
        assert (
            action_file_get(
                tenant=globex.tenant, partner_account_id=acme.partner.pk, file_id=row.pk
            )
            is None
        )


def test_action_file_list_is_the_current_round_only_in_one_query(acme, django_assert_num_queries):
    _, _, actions = build_pipeline(acme, stages_spec=[("Papers", [("Signed NDA", UP, True)])])
    enrollment = EnrollmentFactory(actor=acme.cam, account=acme.partner)

    def progress():
        with scope(tenant=acme.tenant):
            return ActionProgress.objects.get(enrollment=enrollment, action=actions["Signed NDA"])

    before_any = progress()
    with scope(tenant=acme.tenant), django_assert_num_queries(0):
        assert action_file_list(tenant=acme.tenant, progress=before_any) == []
    _upload(acme, progress(), "first.pdf")
    with scope(tenant=acme.tenant):
        action_request_changes(
            tenant=acme.tenant, actor=acme.cam, progress_id=progress().pk, comment="Unsigned"
        )
    _upload(acme, progress(), "second.pdf")
    current = progress()
    with scope(tenant=acme.tenant), django_assert_num_queries(1):
        rows = action_file_list(tenant=acme.tenant, progress=current)
    assert current.submission_round == 2
    assert [r.original_name for r in rows] == ["second.pdf"]
