"""Onboarding rows made through the services, as the product makes them.

Pipelines are built with `apps/onboarding/demo.py`'s `pipeline_build`, the builder that
`seed_demo` and `bench/` use too.
"""

from __future__ import annotations

from typing import Any

import factory
from django_scopes import scope

from apps.onboarding.demo import ActionSpec, BuiltPipeline, StageSpec, pipeline_build
from apps.onboarding.models import Action, ActionType, Enrollment, Pipeline, Stage
from apps.onboarding.services import action_create, partner_enroll, stage_create
from apps.partners.models import PartnerType

PI = ActionType.PROVIDE_INFORMATION
UP = ActionType.UPLOAD_DOCUMENT
LEGAL_FIELDS = [
    {"label": "Legal name", "kind": "text", "required": True},
    {"label": "VAT number", "kind": "text", "required": False},
]

# [(stage name, [(action title, type, requires approval), ...]), ...]
DEFAULT_SPEC = [
    ("Company details", [("Legal details", PI, True), ("Tax form", UP, False)]),
    ("Contract", [("Signed NDA", UP, True)]),
    ("Kick-off call", []),
    ("Enablement", [("Sales questionnaire", PI, False)]),
]


def stage_specs(stages_spec: list[tuple[str, list[tuple[str, str, bool]]]]) -> list[StageSpec]:
    """The short test notation as `StageSpec`s; Provide information actions get a two-field
    form (Legal name, VAT number)."""
    return [
        StageSpec(
            name,
            [
                ActionSpec(
                    title,
                    type_,
                    requires_approval=approval,
                    fields={"form_fields": LEGAL_FIELDS} if type_ == PI else {},
                )
                for title, type_, approval in actions
            ],
        )
        for name, actions in stages_spec
    ]


def build_pipeline(
    program: Any, *, stages_spec: list[tuple[str, list[tuple[str, str, bool]]]]
) -> tuple[Pipeline, list[Stage], dict[str, Action]]:
    """ "Reseller onboarding", the Reseller / VAR default, made by the program admin."""
    tenant = program.tenant
    with scope(tenant=tenant):
        built: BuiltPipeline = pipeline_build(
            tenant=tenant,
            actor=program.admin,
            name="Reseller onboarding",
            partner_types=[PartnerType.objects.get(tenant=tenant, name="Reseller / VAR")],
            stages=stage_specs(stages_spec),
        )
    return built.pipeline, built.stages, built.actions


class ServiceFactory(factory.Factory):
    """A factory whose `create` calls a service inside the tenant's scope (no `build`)."""

    class Meta:
        abstract = True

    actor = None

    @classmethod
    def _create(cls, model_class: type, *args: Any, **kwargs: Any) -> Any:
        with scope(tenant=kwargs["tenant"]):
            return cls._service(**kwargs)

    @classmethod
    def _service(cls, **kwargs: Any) -> Any:
        raise NotImplementedError


class PipelineFactory(ServiceFactory):
    """`PipelineFactory(tenant=..., partner_types=[...], stages=[StageSpec(...)])`."""

    class Meta:
        model = Pipeline

    name = factory.Sequence(lambda n: f"Pipeline {n}")
    description = ""
    partner_types: tuple[PartnerType, ...] = ()
    stages: tuple[StageSpec, ...] = ()

    @classmethod
    def _service(cls, **kwargs: Any) -> Pipeline:
        return pipeline_build(**kwargs).pipeline


class StageFactory(ServiceFactory):
    class Meta:
        model = Stage

    tenant = factory.SelfAttribute("pipeline.tenant")  # pipeline= is required
    name = factory.Sequence(lambda n: f"Stage {n}")
    description = ""

    @classmethod
    def _service(cls, **kwargs: Any) -> Stage:
        return stage_create(**kwargs)


class ActionFactory(ServiceFactory):
    """An Upload document action by default; Provide information gets LEGAL_FIELDS."""

    class Meta:
        model = Action

    tenant = factory.SelfAttribute("stage.tenant")  # stage= is required
    type = UP
    title = factory.Sequence(lambda n: f"Action {n}")

    @classmethod
    def _service(cls, **kwargs: Any) -> Action:
        if kwargs["type"] == PI:
            kwargs.setdefault("form_fields", LEGAL_FIELDS)
        return action_create(**kwargs)


class EnrollmentFactory(ServiceFactory):
    """`partner_enroll` of `account`: into its type's pipeline, or `pipeline`."""

    class Meta:
        model = Enrollment

    tenant = factory.SelfAttribute("account.tenant")  # account= is required
    pipeline = None

    @classmethod
    def _service(cls, **kwargs: Any) -> Enrollment | None:
        return partner_enroll(**kwargs)
