from apps.onboarding.models import ActionFile, ActionProgress


def samples(program):
    progress = ActionProgress.objects.filter(
        tenant=program.tenant, partner_account=program.partner
    ).first()
    file = ActionFile.objects.filter(tenant=program.tenant).first()
    result = {
        "onboarding_console:tab": {"partner_id": program.partner.pk},
        "onboarding_console:move": {"partner_id": program.partner.pk},
        "onboarding_console:enroll": {"partner_id": program.partner.pk},
        "onboarding_console:reenroll": {"partner_id": program.partner.pk},
    }
    if progress:
        result.update(
            {
                "onboarding_console:event": {
                    "partner_id": program.partner.pk,
                    "progress_id": progress.pk,
                    "event": "skip",
                },
                "onboarding_portal:action": {"progress_id": progress.pk},
                "onboarding_portal:open": {"progress_id": progress.pk},
            }
        )
    if file:
        result["onboarding_console:file"] = {"partner_id": program.partner.pk, "file_id": file.pk}
        result["onboarding_portal:file"] = {"file_id": file.pk}
    result.update(_pipeline_builder_samples(program))
    result.update(_queue_samples(program))
    result.update(_nudges_samples(program))
    return result


def _pipeline_builder_samples(program):
    from apps.onboarding.models import Action

    action = (
        Action.objects.filter(tenant=program.tenant, archived_at__isnull=True)
        .select_related("stage")
        .first()
    )
    if action is None:
        return {}
    pipeline = {"pipeline_id": action.stage.pipeline_id}
    stage = {**pipeline, "stage_id": action.stage_id}
    action_ = {**pipeline, "action_id": action.pk}
    return {
        **{
            f"pipelines:{name}": pipeline
            for name in ("detail", "edit", "types", "enroll", "archive", "restore")
        },
        "pipelines:stage_create": pipeline,
        **{
            f"pipelines:{name}": stage
            for name in ("stage_edit", "stage_archive", "stage_move", "action_create")
        },
        **{
            f"pipelines:{name}": action_
            for name in ("action_edit", "action_archive", "action_move")
        },
    }


def _nudges_samples(program):
    from apps.notifications.preferences import opt_out_token
    from apps.onboarding.models import Pipeline

    token = opt_out_token(tenant_id=program.tenant.pk, user_id=program.partner_user.pk)
    result = {"nudges:opt_out": {"token": token}}
    pipeline = Pipeline.objects.filter(tenant=program.tenant).order_by("id").first()
    if pipeline is not None:
        result["nudges:settings"] = {"pipeline_id": pipeline.pk}
    return result


def setup(program):
    """A pipeline with an upload the partner has made, so every route has an object."""
    from django.core.files.base import ContentFile
    from django_scopes import scope

    from apps.onboarding.services import StoredFile, action_complete, partner_enroll
    from tests.onboarding.conftest import DEFAULT_SPEC, build_pipeline

    _, _, actions = build_pipeline(program, stages_spec=DEFAULT_SPEC)
    with scope(tenant=program.tenant):
        enrollment = partner_enroll(
            tenant=program.tenant, actor=program.cam, account=program.partner
        )
        progress = ActionProgress.objects.get(enrollment=enrollment, action=actions["Tax form"])
        action_complete(
            tenant=program.tenant,
            actor=program.partner_admin,
            progress_id=progress.pk,
            files=[
                StoredFile(
                    uploaded=ContentFile(b"%PDF-1.4 test"),
                    original_name="w9.pdf",
                    content_type="application/pdf",
                    size=13,
                    storage_key=f"tenants/{program.tenant.pk}/onboarding/isolation.pdf",
                )
            ],
        )


def _queue_samples(program):
    """The work queue's row buttons (/console/queue/<progress_id>/...)."""
    progress = (
        ActionProgress.objects.filter(tenant=program.tenant, partner_account=program.partner)
        .order_by("pk")
        .first()
    )
    if progress is None:
        return {}
    return {
        "queue:validate": {"progress_id": progress.pk},
        "queue:request_changes": {"progress_id": progress.pk},
    }
