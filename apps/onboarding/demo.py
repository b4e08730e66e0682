"""Pipelines built from a plain description, with the product's own services.

`pipeline_build` is the one way a pipeline is put together outside the pipeline builder's
pages: `seed_demo` (the demo "Reseller onboarding" pipeline below), the benchmarks in
`bench/` and the test fixtures all describe their stages and actions as `StageSpec` /
`ActionSpec` and hand them to it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from apps.onboarding.models import Action, ActionType, Enrollment, Pipeline, Stage
from apps.onboarding.services import (
    action_create,
    partner_enroll,
    pipeline_assign_types,
    pipeline_create,
    stage_create,
)
from apps.partners.models import PartnerAccount, PartnerType

if TYPE_CHECKING:
    from apps.accounts.models import User
    from apps.content.models import Article, Asset
    from apps.tenancy.models import Tenant


@dataclass(frozen=True)
class ActionSpec:
    """One action of a stage; `fields` are passed on to `action_create` as they are
    (instructions, form_fields, upload_types, upload_max_files, asset, article)."""

    title: str
    type: str
    requires_approval: bool = False
    fields: Mapping[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class StageSpec:
    name: str
    actions: Sequence[ActionSpec] = ()
    description: str = ""


@dataclass
class BuiltPipeline:
    pipeline: Pipeline
    stages: list[Stage]
    actions: dict[str, Action]  # by title


def pipeline_build(
    *,
    tenant: Tenant,
    actor: User | None,
    name: str,
    stages: Iterable[StageSpec],
    description: str = "",
    partner_types: Sequence[PartnerType] = (),
) -> BuiltPipeline:
    """Create a pipeline, make it the default of `partner_types` (if any), then add the
    stages and their actions in order. Call it inside the tenant's scope."""
    pipeline = pipeline_create(tenant=tenant, actor=actor, name=name, description=description)
    if partner_types:
        pipeline_assign_types(
            tenant=tenant, actor=actor, pipeline=pipeline, partner_types=list(partner_types)
        )
    built = BuiltPipeline(pipeline=pipeline, stages=[], actions={})
    for spec in stages:
        stage = stage_create(
            tenant=tenant,
            actor=actor,
            pipeline=pipeline,
            name=spec.name,
            description=spec.description,
        )
        built.stages.append(stage)
        for action in spec.actions:
            # Said explicitly: the services default to approval for the types that allow it.
            extra = {**action.fields, "requires_approval": action.requires_approval}
            built.actions[action.title] = action_create(
                tenant=tenant,
                actor=actor,
                stage=stage,
                type=action.type,
                title=action.title,
                **extra,
            )
    return built


# --- The demo pipeline ---------------------------------------------------------------------

DEMO_PIPELINE = "Reseller onboarding"
DEMO_PIPELINE_TYPE = "Reseller / VAR"


def demo_pipeline_stages(
    *,
    asset: Asset | None = None,
    article: Article | None = None,
    deal_article: Article | None = None,
) -> list[StageSpec]:
    """The demo pipeline's stages; the content actions are left out when the library has
    no asset or article for them."""
    welcome: list[ActionSpec] = []
    if asset is not None:
        welcome.append(
            ActionSpec(
                "Read the partner program guide",
                ActionType.VIEW_ASSET,
                fields={
                    "asset": asset,
                    "instructions": "Everything about tiers, margins and support in one document.",
                },
            )
        )
    if article is not None:
        welcome.append(
            ActionSpec("Take the portal tour", ActionType.READ_ARTICLE, fields={"article": article})
        )
    welcome.append(
        ActionSpec(
            "Upload the signed NDA",
            ActionType.UPLOAD_DOCUMENT,
            requires_approval=True,
            fields={
                "upload_types": ["pdf"],
                "upload_max_files": 2,
                "instructions": "Sign the NDA you received by email and upload it as a PDF.",
            },
        )
    )
    enablement: list[ActionSpec] = []
    if deal_article is not None:
        enablement.append(
            ActionSpec(
                "Learn how deal registration works",
                ActionType.READ_ARTICLE,
                fields={"article": deal_article},
            )
        )
    enablement.append(
        ActionSpec(
            "First 90-day sales plan",
            ActionType.PROVIDE_INFORMATION,
            fields={
                "form_fields": [
                    {"label": "Target date for the first deal", "kind": "date", "required": True},
                    {"label": "Expected first-deal size (USD)", "kind": "number"},
                    {"label": "Accounts you will approach", "kind": "long_text"},
                ]
            },
        )
    )
    return [
        StageSpec(
            "Welcome & agreements",
            welcome,
            description="Get to know the program and sign the mutual NDA.",
        ),
        StageSpec(
            "Company profile",
            [
                ActionSpec(
                    "Company legal details",
                    ActionType.PROVIDE_INFORMATION,
                    requires_approval=True,
                    fields={
                        "form_fields": [
                            {"label": "Registered company name", "kind": "text", "required": True},
                            {"label": "VAT / tax number", "kind": "text", "required": True},
                            {"label": "Billing email", "kind": "email", "required": True},
                            {"label": "Website", "kind": "url"},
                            {"label": "Number of sales reps", "kind": "number"},
                            {
                                "label": "Primary market",
                                "kind": "choice",
                                "choices": [
                                    "North America",
                                    "Latin America",
                                    "EMEA",
                                    "Asia Pacific",
                                ],
                            },
                            {
                                "label": "I accept the reseller terms",
                                "kind": "checkbox",
                                "required": True,
                            },
                        ]
                    },
                ),
                ActionSpec(
                    "Upload your logo",
                    ActionType.UPLOAD_DOCUMENT,
                    fields={
                        "upload_types": ["png", "jpeg"],
                        "instructions": "For co-branded material and the partner locator.",
                    },
                ),
            ],
            description="The details we need for the reseller agreement.",
        ),
        StageSpec(
            "Kick-off call",
            description="Your channel manager walks you through the first 90 days.",
        ),
        StageSpec("Sales enablement", enablement),
    ]


def demo_content(*, tenant: Tenant) -> tuple[Asset | None, Article | None, Article | None]:
    """The demo asset and articles the pipeline points at, when the library has them:
    (first asset, first article that is not about deals, the deal registration article)."""
    from apps.content.models import Article, Asset

    asset = Asset.objects.filter(tenant=tenant).order_by("id").first()
    articles = list(Article.objects.filter(tenant=tenant).order_by("id"))
    deal = next((a for a in articles if "deal" in a.title.lower()), None)
    first = next((a for a in articles if a is not deal), None)
    return asset, first, deal


def demo_pipeline_build(
    *,
    tenant: Tenant,
    actor: User | None,
    asset: Asset | None = None,
    article: Article | None = None,
    deal_article: Article | None = None,
) -> BuiltPipeline:
    """The demo "Reseller onboarding" pipeline, the default of the Reseller / VAR type."""
    return pipeline_build(
        tenant=tenant,
        actor=actor,
        name=DEMO_PIPELINE,
        description="From signed agreements to the first registered deal.",
        partner_types=[PartnerType.objects.get(tenant=tenant, name=DEMO_PIPELINE_TYPE)],
        stages=demo_pipeline_stages(asset=asset, article=article, deal_article=deal_article),
    )


def onboarding_seed_demo(*, tenant: Tenant, actor: User | None, account: PartnerAccount) -> None:
    """The demo pipeline (pointing at the demo content) with `account` enrolled at its first
    stage. Idempotent: an existing pipeline of that name and an existing enrollment are kept."""
    pipeline = Pipeline.objects.filter(tenant=tenant, name=DEMO_PIPELINE).first()
    if pipeline is None:
        asset, article, deal_article = demo_content(tenant=tenant)
        pipeline = demo_pipeline_build(
            tenant=tenant, actor=actor, asset=asset, article=article, deal_article=deal_article
        ).pipeline
    if not Enrollment.objects.filter(tenant=tenant, partner_account=account).exists():
        partner_enroll(tenant=tenant, actor=actor, account=account, pipeline=pipeline)
