"""Checks the pipeline builder runs before it saves an action: the guards of pipeline edits.

Holds `PipelineError` (the message shown to the user), `clean_form_fields` (a Provide
information form's definition) and `_check_action` with its guards: the asset or article an
action opens must be one its pipeline's partners can open (`_check_content`,
`_check_asset_audience`), and upload types must be known (`_check_upload_types`). The edits
themselves are in `pipelines.py`.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from apps.content.models import Article, ArticleStatus, Asset, AssetAudienceType, Audience
from apps.core.questions import question_key
from apps.core.uploads import FILE_TYPES
from apps.onboarding.models import (
    APPROVABLE_TYPES,
    Action,
    ActionType,
    FieldKind,
    PipelineAssignment,
)
from apps.partners.catalog import tier_labels
from apps.partners.models import PartnerType

if TYPE_CHECKING:
    from apps.tenancy.models import Tenant


class PipelineError(Exception):
    """A pipeline edit broke a rule; the message is shown to the user."""


FIELD_KEY = re.compile(r"^[a-z][a-z0-9_]{0,49}$")


def clean_form_fields(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Check a Provide information form's definition; returns the normalised list."""
    cleaned: list[dict[str, Any]] = []
    keys: set[str] = set()
    for raw in fields:
        label = str(raw.get("label", "")).strip()
        if not label:
            continue
        given = {str(r["key"]) for r in fields if r.get("key")}  # kept keys: never taken
        key = str(raw.get("key") or question_key(label, taken=given))[:50]
        if not FIELD_KEY.match(key or ""):
            key = f"field_{len(cleaned) + 1}"
        if key in keys:
            raise PipelineError(f"Two fields are called “{key}”.")
        kind = raw.get("kind", FieldKind.TEXT)
        if kind not in FieldKind.values:
            raise PipelineError(f"Unknown field type “{kind}”.")
        choices = [str(c).strip() for c in raw.get("choices", []) if str(c).strip()]
        if kind == FieldKind.CHOICE and len(choices) < 2:
            raise PipelineError(f"“{label}” needs at least two choices.")
        keys.add(key)
        cleaned.append(
            {
                "key": key,
                "label": label[:200],
                "kind": kind,
                "required": bool(raw.get("required")),
                "choices": choices if kind == FieldKind.CHOICE else [],
                "help": str(raw.get("help", ""))[:300],
            }
        )
    return cleaned


def _check_asset_audience(
    *, tenant: Tenant, asset: Asset, partner_types: list[PartnerType]
) -> None:
    """Refuse `asset` when some partners of `partner_types` cannot see it (its audience is
    limited to other types, or to some tiers). Named accounts do not make a type see it."""
    if asset.audience == Audience.ALL or not partner_types:
        return
    allowed = set(
        AssetAudienceType.objects.filter(tenant=tenant, asset=asset).values_list(
            "partner_type_id", flat=True
        )
    )
    if allowed and not asset.audience_tiers:
        blind = [t for t in partner_types if t.pk not in allowed]
    else:  # a segment of tiers (some partners of every type miss out), or named accounts only
        blind = list(partner_types)
    if not blind:
        return
    names = ", ".join(t.name for t in sorted(blind, key=lambda t: (t.position, t.name)))
    if asset.audience_tiers:
        labels = tier_labels(tenant=tenant)
        tiers = ", ".join(labels.get(key, key) for key in asset.audience_tiers)
        raise PipelineError(
            _(
                "Not every partner of these types can see “%(asset)s” (its audience is limited "
                "to the tiers %(tiers)s): %(types)s. Widen the asset’s audience in the Assets "
                "library, or choose another asset."
            )
            % {"asset": asset.title, "tiers": tiers, "types": names}
        )
    raise PipelineError(
        _(
            "Partners of these types cannot see “%(asset)s”: %(types)s. Add them to the "
            "asset’s audience in the Assets library, or choose another asset."
        )
        % {"asset": asset.title, "types": names}
    )


def _pipeline_types(*, tenant: Tenant, pipeline_id: int) -> list[PartnerType]:
    return list(
        PartnerType.objects.filter(
            tenant=tenant,
            pk__in=PipelineAssignment.objects.filter(tenant=tenant, pipeline_id=pipeline_id).values(
                "partner_type_id"
            ),
        )
    )


def _check_content(
    *, tenant: Tenant, type: str, pipeline_id: int, fields: dict[str, Any], current: Action | None
) -> None:
    """The asset or article an action opens must be one its partners can open. Editing an
    action that keeps the content it already had is allowed (archiving that content warned
    its admin); choosing content is checked."""
    asset = fields.get("asset")
    if type == ActionType.VIEW_ASSET and isinstance(asset, Asset):
        if current is not None and current.asset_id == asset.pk:
            return
        if asset.is_archived:
            raise PipelineError(
                _(
                    "“%(asset)s” is archived: partners cannot open it. Restore it in the Assets "
                    "library, or choose another asset."
                )
                % {"asset": asset.title}
            )
        _check_asset_audience(
            tenant=tenant,
            asset=asset,
            partner_types=_pipeline_types(tenant=tenant, pipeline_id=pipeline_id),
        )
    article = fields.get("article")
    if type == ActionType.READ_ARTICLE and isinstance(article, Article):
        if current is not None and current.article_id == article.pk:
            return
        if article.status != ArticleStatus.PUBLISHED:
            raise PipelineError(
                _(
                    "“%(article)s” is not published: partners cannot read it. Publish it in the "
                    "Help center, or choose another article."
                )
                % {"article": article.title}
            )


def _check_upload_types(upload_types: Any) -> list[str]:
    types = [str(key) for key in (upload_types or [])]
    unknown = sorted({key for key in types if key not in FILE_TYPES})
    if unknown:
        accepted = ", ".join(f"{t.label} ({key})" for key, t in FILE_TYPES.items())
        raise PipelineError(
            _("Unknown file type: %(unknown)s. Accepted types: %(accepted)s.")
            % {"unknown": ", ".join(unknown), "accepted": accepted}
        )
    return list(dict.fromkeys(types))


def _check_action(
    *,
    tenant: Tenant,
    type: str,
    pipeline_id: int,
    fields: dict[str, Any],
    current: Action | None = None,
) -> dict[str, Any]:
    if type not in ActionType.values:
        raise PipelineError("Unknown action type.")
    if fields.get("requires_approval") and type not in APPROVABLE_TYPES:
        raise PipelineError("Only Provide information and Upload document can need approval.")
    if type == ActionType.VIEW_ASSET and not fields.get("asset"):
        raise PipelineError("Choose the asset to view.")
    if type == ActionType.READ_ARTICLE and not fields.get("article"):
        raise PipelineError("Choose the article to read.")
    for key in ("asset", "article"):
        obj = fields.get(key)
        if obj is not None and obj.tenant_id != tenant.pk:
            raise PipelineError("Unknown content.")
    _check_content(
        tenant=tenant, type=type, pipeline_id=pipeline_id, fields=fields, current=current
    )
    if "upload_types" in fields:
        fields["upload_types"] = _check_upload_types(fields["upload_types"])
    if type == ActionType.PROVIDE_INFORMATION:
        fields["form_fields"] = clean_form_fields(fields.get("form_fields") or [])
        if not fields["form_fields"]:
            raise PipelineError("Add at least one field to the form.")
    return fields


__all__ = [
    "PipelineError",
    "clean_form_fields",
]
