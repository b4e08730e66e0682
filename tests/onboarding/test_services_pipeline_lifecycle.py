"""services/pipelines.py, pipeline_archive / pipeline_restore, and the enrollments an archived
pipeline refuses (partner_enroll, partner_reenroll, an application's approval)."""

import pytest
from django.db import connection
from django.urls import reverse
from django.utils import timezone
from django_scopes import scope

from apps.audit.models import AuditEvent
from apps.onboarding.demo import pipeline_build
from apps.onboarding.models import (
    ActionProgress,
    Enrollment,
    EnrollmentStatus,
    Pipeline,
    PipelineAssignment,
)
from apps.onboarding.services import (
    OnboardingError,
    PipelineError,
    action_complete,
    partner_enroll,
    partner_reenroll,
    pipeline_assign_types,
    pipeline_create,
    pipeline_update,
)
from apps.onboarding.services.pipelines import pipeline_archive, pipeline_restore
from apps.partners.models import PartnerType
from tests.conftest import in_scope, race
from tests.onboarding.factories import DEFAULT_SPEC, PI, build_pipeline, stage_specs
from tests.onboarding.pipeline_builder import snapshot

pytestmark = pytest.mark.django_db

SPARE_SPEC = [("Welcome", [("Say hello", PI, False)])]


def _spare(program, name="Spare pipeline"):
    """A pipeline no partner type has as default (so it can be archived)."""
    with scope(tenant=program.tenant):
        return pipeline_build(
            tenant=program.tenant,
            actor=program.admin,
            name=name,
            stages=stage_specs(SPARE_SPEC),
        ).pipeline


def _archive(program, pipeline, actor=None):
    with scope(tenant=program.tenant):
        return pipeline_archive(
            tenant=program.tenant, actor=actor or program.admin, pipeline_id=pipeline.pk
        )


def _restore(program, pipeline):
    with scope(tenant=program.tenant):
        return pipeline_restore(tenant=program.tenant, actor=program.admin, pipeline_id=pipeline.pk)


def _reload(program, pipeline):
    with scope(tenant=program.tenant):
        return Pipeline.objects.get(pk=pipeline.pk)


# --- Archive -----------------------------------------------------------------------------------


def test_archive_then_restore_is_audited(acme):
    spare = _spare(acme)
    archived = _archive(acme, spare)
    assert archived.archived_at is not None
    assert _reload(acme, spare).archived_at is not None
    restored = _restore(acme, spare)
    assert restored.archived_at is None and _reload(acme, spare).archived_at is None
    with scope(tenant=acme.tenant):
        events = list(
            AuditEvent.objects.filter(verb__in=["pipeline.archived", "pipeline.restored"])
            .order_by("id")
            .values_list("verb", "data", "actor_id")
        )
    assert events == [
        ("pipeline.archived", {"from": "live", "to": "archived"}, acme.admin.pk),
        ("pipeline.restored", {"from": "archived", "to": "live"}, acme.admin.pk),
    ]


def test_partners_in_an_archived_pipeline_carry_on(acme):
    spare = _spare(acme)
    with scope(tenant=acme.tenant):
        enrollment = partner_enroll(
            tenant=acme.tenant, actor=acme.admin, account=acme.partner, pipeline=spare
        )
    _archive(acme, spare)
    with scope(tenant=acme.tenant):
        progress = ActionProgress.objects.get(enrollment=enrollment)
        action_complete(
            tenant=acme.tenant,
            actor=acme.partner_user,
            progress_id=progress.pk,
            submission={"legal_name": "Acme"},
        )
        progress.refresh_from_db()
        assert progress.status == "completed"
        assert Enrollment.objects.get(pk=enrollment.pk).status != EnrollmentStatus.SUPERSEDED


def test_a_types_default_pipeline_cannot_be_archived(acme):
    built, _, _ = build_pipeline(acme, stages_spec=DEFAULT_SPEC)
    before = snapshot(acme)
    with pytest.raises(PipelineError, match="default pipeline of Reseller / VAR"):
        _archive(acme, built)
    assert snapshot(acme) == before


def test_archiving_twice_is_refused(acme):
    spare = _spare(acme)
    _archive(acme, spare)
    with pytest.raises(PipelineError, match="already archived"):
        _archive(acme, spare)


def test_restoring_a_live_pipeline_is_refused(acme):
    spare = _spare(acme)
    with pytest.raises(PipelineError, match="is not archived"):
        _restore(acme, spare)


def test_another_programs_pipeline_is_unknown(acme, globex):
    spare = _spare(globex)
    with pytest.raises(PipelineError, match="Unknown pipeline"):
        _archive(acme, spare)
    assert _reload(globex, spare).archived_at is None


def test_restore_when_a_live_pipeline_has_taken_the_name(acme):
    spare = _spare(acme, "Partner basics")
    _archive(acme, spare)
    with scope(tenant=acme.tenant):
        pipeline_create(tenant=acme.tenant, actor=acme.admin, name="Partner basics")
    with pytest.raises(PipelineError, match="A live pipeline is already called “Partner basics”"):
        _restore(acme, spare)
    assert _reload(acme, spare).archived_at is not None
    with scope(tenant=acme.tenant):
        assert not AuditEvent.objects.filter(verb="pipeline.restored").exists()


def test_the_unique_index_catches_a_clash_the_check_could_miss(acme):
    """The name check and the index agree: the IntegrityError becomes the same message."""
    spare = _spare(acme, "Partner basics")
    _archive(acme, spare)
    with scope(tenant=acme.tenant):
        live = pipeline_create(tenant=acme.tenant, actor=acme.admin, name="Other")
        # Renamed behind the service's back (as a concurrent rename could).
        Pipeline.objects.filter(pk=live.pk).update(name="Partner basics")
    with pytest.raises(PipelineError, match="already called"):
        _restore(acme, spare)
    with connection.cursor() as cursor:  # the transaction is still usable
        cursor.execute("SELECT 1")


def test_an_archived_pipeline_cannot_be_renamed_or_assigned(acme):
    spare = _spare(acme)
    _archive(acme, spare)
    with scope(tenant=acme.tenant):
        reseller = PartnerType.objects.get(tenant=acme.tenant, name="Reseller / VAR")
        with pytest.raises(PipelineError, match="is archived"):
            pipeline_assign_types(
                tenant=acme.tenant, actor=acme.admin, pipeline=spare, partner_types=[reseller]
            )
        assert not PipelineAssignment.objects.filter(pipeline=spare).exists()
        # Its name is free for a new live pipeline.
        pipeline_update(
            tenant=acme.tenant,
            actor=acme.admin,
            pipeline=pipeline_create(tenant=acme.tenant, actor=acme.admin, name="New"),
            name=spare.name,
            description="",
        )


@pytest.mark.django_db(transaction=True)
def test_two_admins_archiving_at_once_archive_once(acme):
    spare = _spare(acme)
    results = race(
        in_scope(acme.tenant, pipeline_archive, actor=acme.admin, pipeline_id=spare.pk),
        in_scope(acme.tenant, pipeline_archive, actor=acme.admin, pipeline_id=spare.pk),
    )
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(errors) == 1 and "already archived" in str(errors[0])
    with scope(tenant=acme.tenant):
        assert AuditEvent.objects.filter(verb="pipeline.archived").count() == 1


# --- An archived pipeline takes no new partners -------------------------------------------------


def test_enrolling_in_an_archived_pipeline_is_refused(acme):
    spare = _archive(acme, _spare(acme))
    with scope(tenant=acme.tenant), pytest.raises(OnboardingError, match="is archived"):
        partner_enroll(tenant=acme.tenant, actor=acme.admin, account=acme.partner, pipeline=spare)
    with scope(tenant=acme.tenant):
        assert not Enrollment.objects.filter(partner_account=acme.partner).exists()


def test_moving_a_partner_to_an_archived_pipeline_is_refused(acme):
    build_pipeline(acme, stages_spec=DEFAULT_SPEC)
    spare = _archive(acme, _spare(acme))
    with scope(tenant=acme.tenant):
        current = partner_enroll(tenant=acme.tenant, actor=acme.admin, account=acme.partner)
        with pytest.raises(OnboardingError, match="“Spare pipeline” is archived"):
            partner_reenroll(
                tenant=acme.tenant,
                actor=acme.admin,
                account_id=acme.partner.pk,
                pipeline_id=spare.pk,
            )
        assert list(Enrollment.objects.filter(partner_account=acme.partner)) == [current]
        assert Enrollment.objects.get(pk=current.pk).status == EnrollmentStatus.IN_PROGRESS


def test_a_type_whose_default_was_archived_is_not_enrolled(acme):
    """Archiving refuses a default pipeline; should one be archived anyway (an older row),
    new partners of the type are simply not enrolled, like a type without a pipeline."""
    built, _, _ = build_pipeline(acme, stages_spec=DEFAULT_SPEC)
    with scope(tenant=acme.tenant):
        Pipeline.objects.filter(pk=built.pk).update(archived_at=timezone.now())
        assert partner_enroll(tenant=acme.tenant, actor=acme.admin, account=acme.partner) is None


def test_an_application_approved_into_an_archived_default_is_approved_not_enrolled(acme):
    from tests.applications.conftest import apply_and_confirm, configure, reload

    built, _, _ = build_pipeline(acme, stages_spec=DEFAULT_SPEC)
    with scope(tenant=acme.tenant):
        Pipeline.objects.filter(pk=built.pk).update(archived_at=timezone.now())
    configure(acme, auto_onboarding=True)
    result = apply_and_confirm(acme, "peter@initech.example")
    app = reload(acme, result.decision.application)
    assert app.status == "approved"
    with scope(tenant=acme.tenant):
        assert not Enrollment.objects.filter(partner_account_id=app.partner_account_id).exists()
        approved = AuditEvent.objects.get(verb="application.approved")
        assert approved.data["pipeline"] is None


# --- The builder's pages ------------------------------------------------------------------------


def test_archive_and_restore_from_the_builder(acme, admin):
    spare = _spare(acme)
    page = admin.get(reverse("pipelines:detail", args=[spare.pk])).content.decode()
    assert reverse("pipelines:archive", args=[spare.pk]) in page
    response = admin.post(reverse("pipelines:archive", args=[spare.pk]))
    assert response.status_code == 302
    assert response["Location"] == reverse("pipelines:list") + "#archived"
    listing = admin.get(reverse("pipelines:list")).content.decode()
    assert "Archived pipelines" in listing
    assert reverse("pipelines:restore", args=[spare.pk]) in listing
    assert admin.get(reverse("pipelines:detail", args=[spare.pk])).status_code == 404
    response = admin.post(reverse("pipelines:restore", args=[spare.pk]))
    assert response.status_code == 302
    assert _reload(acme, spare).archived_at is None


def test_the_builder_shows_why_a_default_pipeline_stays(acme, admin):
    built, _, _ = build_pipeline(acme, stages_spec=DEFAULT_SPEC)
    page = admin.get(reverse("pipelines:detail", args=[built.pk])).content.decode()
    assert "give that type another pipeline first" in page
    response = admin.post(reverse("pipelines:archive", args=[built.pk]), follow=True)
    assert "default pipeline of Reseller / VAR" in response.content.decode()
    assert _reload(acme, built).archived_at is None


def test_the_builder_shows_a_restore_name_clash(acme, admin):
    spare = _spare(acme, "Partner basics")
    _archive(acme, spare)
    with scope(tenant=acme.tenant):
        pipeline_create(tenant=acme.tenant, actor=acme.admin, name="Partner basics")
    response = admin.post(reverse("pipelines:restore", args=[spare.pk]), follow=True)
    assert "A live pipeline is already called “Partner basics”" in response.content.decode()
    assert _reload(acme, spare).archived_at is not None


@pytest.mark.parametrize("role", ["cam", "partner_admin", "partner_user"])
def test_only_program_admins_archive_and_restore(acme, client_for, role):
    spare = _spare(acme)
    client = client_for(acme, getattr(acme, role))
    assert client.post(reverse("pipelines:archive", args=[spare.pk])).status_code in (403, 404)
    assert _reload(acme, spare).archived_at is None
    _archive(acme, spare)
    assert client.post(reverse("pipelines:restore", args=[spare.pk])).status_code in (403, 404)
    assert _reload(acme, spare).archived_at is not None


def test_another_programs_pipeline_is_404(acme, globex, admin):
    theirs = _spare(globex)
    assert admin.post(reverse("pipelines:archive", args=[theirs.pk])).status_code == 404
    _archive(globex, theirs)
    assert admin.post(reverse("pipelines:restore", args=[theirs.pk])).status_code == 404
    assert _reload(globex, theirs).archived_at is not None


def test_restoring_a_live_pipeline_by_url_is_404(acme, admin):
    spare = _spare(acme)
    assert admin.post(reverse("pipelines:restore", args=[spare.pk])).status_code == 404


def test_the_list_page_query_count_holds_with_many_archived_pipelines(
    acme, admin, django_assert_max_num_queries
):
    for i in range(3):
        _archive(acme, _spare(acme, f"Old {i}"))
    with django_assert_max_num_queries(20) as few:
        admin.get(reverse("pipelines:list"))
    for i in range(3, 15):
        _archive(acme, _spare(acme, f"Old {i}"))
    with django_assert_max_num_queries(len(few.captured_queries)):
        page = admin.get(reverse("pipelines:list")).content.decode()
    assert "Old 14" in page
