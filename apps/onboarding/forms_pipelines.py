"""Forms of the pipeline builder. They check shape; the services check the rules."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any, ClassVar, cast

from django import forms
from django.conf import settings
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext as _

from apps.content.models import Article, ArticleStatus, AssetStatus
from apps.content.selectors import ConsoleAssetFilters, console_assets
from apps.core.text import single_line_validator
from apps.core.uploads import FILE_TYPES
from apps.onboarding.models import APPROVABLE_TYPES, Action, ActionType, FieldKind

if TYPE_CHECKING:
    from django.db.models import QuerySet

    from apps.content.models import Asset
    from apps.partners.models import PartnerAccount, PartnerType
    from apps.tenancy.models import Tenant

MAX_FORM_FIELDS = 40
EXTRA_FIELD_ROWS = 3
MAX_UPLOAD_MB = 100
MAX_UPLOAD_FILES = 20
DEFAULT_UPLOAD_TYPES = ["pdf", "png", "jpeg"]


class PipelineForm(forms.Form):
    name = forms.CharField(
        max_length=200,
        error_messages={"required": "Give the pipeline a name."},
        validators=[single_line_validator],
    )
    description = forms.CharField(
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown to your team only.",
    )


class PipelineTypesForm(forms.Form):
    partner_types: forms.ModelMultipleChoiceField[PartnerType] = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args: Any, partner_types: QuerySet[PartnerType], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        field = cast("forms.ModelMultipleChoiceField[PartnerType]", self.fields["partner_types"])
        field.queryset = partner_types
        field.error_messages["invalid_choice"] = "Unknown partner type."


class StageForm(forms.Form):
    name = forms.CharField(
        max_length=200,
        error_messages={"required": "Give the stage a name."},
        validators=[single_line_validator],
    )
    description = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 2})
    )


class EnrollForm(forms.Form):
    account: forms.ModelChoiceField[PartnerAccount] = forms.ModelChoiceField(
        queryset=None,
        error_messages={
            "required": "Choose a partner to enroll.",
            "invalid_choice": "That partner is already enrolled or does not exist.",
        },
    )

    def __init__(self, *args: Any, accounts: QuerySet[PartnerAccount], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        cast("forms.ModelChoiceField[PartnerAccount]", self.fields["account"]).queryset = accounts


def asset_choices(*, tenant: Tenant, current_id: int | None = None) -> QuerySet[Asset]:
    """The library's active assets, plus the action's current one even if archived since."""
    rows = console_assets(tenant=tenant, filters=ConsoleAssetFilters(status=""))
    wanted = Q(status=AssetStatus.ACTIVE)
    if current_id:
        wanted |= Q(pk=current_id)
    return rows.filter(wanted).order_by(Lower("title"), "id")


def article_choices(*, tenant: Tenant, current_id: int | None = None) -> QuerySet[Article]:
    """Published Help center articles, plus the action's current one even if unpublished."""
    rows = Article.objects.filter(tenant=tenant).defer(
        "body_markdown", "body_html", "body_text", "search_vector"
    )
    wanted = Q(status=ArticleStatus.PUBLISHED)
    if current_id:
        wanted |= Q(pk=current_id)
    return rows.filter(wanted).order_by(Lower("title"), "id")


# The stubs' form fields are generic; Django's are not subscriptable at run time.
if TYPE_CHECKING:
    _AssetChoiceBase = forms.ModelChoiceField[Asset]
    _ArticleChoiceBase = forms.ModelChoiceField[Article]
else:
    _AssetChoiceBase = _ArticleChoiceBase = forms.ModelChoiceField


class AssetChoiceField(_AssetChoiceBase):
    def label_from_instance(self, obj: Asset) -> str:
        kind = "Link" if obj.is_link else "File"
        suffix = " (archived)" if obj.is_archived else ""
        return f"{obj.title} · {kind}{suffix}"


class ArticleChoiceField(_ArticleChoiceBase):
    def label_from_instance(self, obj: Article) -> str:
        return (
            obj.title if obj.status == ArticleStatus.PUBLISHED else f"{obj.title} (not published)"
        )


# What each action type asks of the partner, for the type picker and the pipeline page's legend.
ACTION_TYPES = [
    {
        "value": ActionType.VIEW_ASSET,
        "label": ActionType.VIEW_ASSET.label,
        "description": "Open or download a file or link from the Assets library.",
        "completes": "Completes when opened",
    },
    {
        "value": ActionType.READ_ARTICLE,
        "label": ActionType.READ_ARTICLE.label,
        "description": "Read an article from the Help center.",
        "completes": "Completes when read",
    },
    {
        "value": ActionType.PROVIDE_INFORMATION,
        "label": ActionType.PROVIDE_INFORMATION.label,
        "description": "Fill in a form you design: text, dates, choices, checkboxes…",
        "completes": "Completes on submit, approval optional",
    },
    {
        "value": ActionType.UPLOAD_DOCUMENT,
        "label": ActionType.UPLOAD_DOCUMENT.label,
        "description": "Upload one or more files, such as a signed contract or a certificate.",
        "completes": "Completes on upload, approval optional",
    },
]
TYPE_INFO = {t["value"]: t for t in ACTION_TYPES}


class ActionForm(forms.Form):
    """An action's settings; only the fields of its type are kept."""

    title = forms.CharField(
        max_length=200,
        error_messages={"required": "Give the action a title."},
        validators=[single_line_validator],
    )
    instructions = forms.CharField(
        required=False,
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Shown to the partner above the action.",
    )
    asset = AssetChoiceField(
        queryset=None,
        required=False,
        empty_label="Choose an asset…",
        error_messages={"invalid_choice": "Choose one of your library’s assets."},
    )
    article = ArticleChoiceField(
        queryset=None,
        required=False,
        empty_label="Choose an article…",
        error_messages={"invalid_choice": "Choose one of your published articles."},
    )
    upload_types = forms.MultipleChoiceField(
        label="Allowed file types",
        choices=[(key, t.label) for key, t in FILE_TYPES.items()],
        widget=forms.CheckboxSelectMultiple,
        required=False,
        initial=DEFAULT_UPLOAD_TYPES,
    )
    upload_max_mb = forms.IntegerField(
        label="Max size per file (MB)", min_value=1, max_value=MAX_UPLOAD_MB, initial=25
    )
    upload_max_files = forms.IntegerField(
        label="Max number of files", min_value=1, max_value=MAX_UPLOAD_FILES, initial=5
    )
    # Kept for every type so that the service, which owns the rule, refuses approval on
    # types that complete by themselves; the page offers it only where it applies.
    requires_approval = forms.BooleanField(
        label="Needs approval",
        required=False,
        help_text="A channel manager validates the submission before it counts as completed.",
    )

    TYPE_FIELDS: ClassVar[dict[str, set[str]]] = {
        ActionType.VIEW_ASSET: {"asset"},
        ActionType.READ_ARTICLE: {"article"},
        ActionType.PROVIDE_INFORMATION: set(),
        ActionType.UPLOAD_DOCUMENT: {"upload_types", "upload_max_mb", "upload_max_files"},
    }
    SPECIFIC = {"asset", "article", "upload_types", "upload_max_mb", "upload_max_files"}

    def __init__(
        self,
        *args: Any,
        tenant: Tenant,
        action_type: str,
        action: Action | None = None,
        **kwargs: Any,
    ) -> None:
        if action is not None and "initial" not in kwargs:
            kwargs["initial"] = {
                "title": action.title,
                "instructions": action.instructions,
                "asset": action.asset_id,
                "article": action.article_id,
                "upload_types": action.upload_types,
                "upload_max_mb": action.upload_max_mb,
                "upload_max_files": action.upload_max_files,
                "requires_approval": action.requires_approval,
            }
        super().__init__(*args, **kwargs)
        self.action_type = action_type
        for name in self.SPECIFIC - self.TYPE_FIELDS[action_type]:
            del self.fields[name]
        if action is None and action_type in APPROVABLE_TYPES:
            self.fields["requires_approval"].initial = True
        if "asset" in self.fields:
            field = self.fields["asset"]
            cast(AssetChoiceField, field).queryset = asset_choices(
                tenant=tenant, current_id=action.asset_id if action else None
            )
            field.required = True
            field.error_messages["required"] = "Choose the asset to view."
        if "article" in self.fields:
            field = self.fields["article"]
            cast(ArticleChoiceField, field).queryset = article_choices(
                tenant=tenant, current_id=action.article_id if action else None
            )
            field.required = True
            field.error_messages["required"] = "Choose the article to read."
        if "upload_types" in self.fields:
            field = self.fields["upload_types"]
            field.required = True
            field.error_messages["required"] = "Allow at least one file type."
            field.error_messages["invalid_choice"] = _(
                "Unknown file type: %(value)s. Accepted types: {accepted}."
            ).format(accepted=", ".join(t.label for t in FILE_TYPES.values()))

    @property
    def approvable(self) -> bool:
        return self.action_type in APPROVABLE_TYPES

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        size, count = data.get("upload_max_mb"), data.get("upload_max_files")
        if size and count:
            # One submission carries every file: it must fit in the largest request body the
            # site accepts (MAX_REQUEST_BODY), or partners would be refused at upload time.
            ceiling_mb = settings.MAX_REQUEST_BODY // (1024 * 1024)
            if size * count > ceiling_mb:
                self.add_error(
                    "upload_max_files",
                    _(
                        "Together, %(count)s files of %(size)s MB could reach %(total)s MB, "
                        "more than the %(ceiling)s MB one upload may carry. Lower the size "
                        "or the number of files."
                    )
                    % {"count": count, "size": size, "total": size * count, "ceiling": ceiling_mb},
                )
        return data

    def service_fields(self) -> dict[str, Any]:
        """Keyword arguments for action_create / action_update (all but type and title)."""
        data = self.cleaned_data
        fields: dict[str, Any] = {
            "instructions": data["instructions"],
            "requires_approval": data["requires_approval"],
        }
        for name in self.TYPE_FIELDS[self.action_type]:
            fields[name] = data[name]
        return fields


# --- The form designer (Provide information) ---------------------------------------------


class FormFieldRow(forms.Form):
    """One field of a Provide information form. An empty label removes the row."""

    key = forms.CharField(required=False, max_length=50, widget=forms.HiddenInput)
    label = forms.CharField(
        validators=[single_line_validator],
        required=False,
        max_length=200,
        widget=forms.TextInput(attrs={"placeholder": "New field, e.g. Legal company name"}),
    )
    kind = forms.ChoiceField(
        label="Type", choices=FieldKind.choices, initial=FieldKind.TEXT, required=False
    )
    required = forms.BooleanField(required=False)
    choices = forms.CharField(
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Choice fields: one option per line.",
    )
    help = forms.CharField(label="Help text", required=False, max_length=300)

    def clean(self) -> dict[str, Any]:
        # Form.clean returns cleaned_data; the stubs allow None for overrides that do.
        data = cast("dict[str, Any]", super().clean())
        is_choice = data.get("label", "").strip() and data.get("kind") == FieldKind.CHOICE
        if is_choice and len(self.choice_list()) < 2:
            self.add_error("choices", "Give at least two choices, one per line.")
        return data

    def choice_list(self) -> list[str]:
        text = self.cleaned_data.get("choices", "")
        return [line.strip() for line in text.splitlines() if line.strip()]

    def spec(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "key": data.get("key", ""),
            "label": data["label"].strip(),
            "kind": data.get("kind") or FieldKind.TEXT,
            "required": bool(data.get("required")),
            "choices": self.choice_list(),
            "help": data.get("help", "").strip(),
        }


if TYPE_CHECKING:
    _FieldFormSetBase = forms.BaseFormSet[FormFieldRow]
else:
    _FieldFormSetBase = forms.BaseFormSet


class BaseFieldFormSet(_FieldFormSetBase):
    def specs(self) -> list[dict[str, Any]]:
        """The designed fields, in order, for the services (they normalise them)."""
        return [form.spec() for form in self.forms if form.cleaned_data.get("label", "").strip()]


def field_formset_class(extra: int = EXTRA_FIELD_ROWS) -> type[BaseFieldFormSet]:
    # formset_factory returns a subclass of `formset`; the stubs type it as the base class.
    return cast(
        "type[BaseFieldFormSet]",
        forms.formset_factory(
            FormFieldRow,
            formset=BaseFieldFormSet,
            extra=max(0, extra),
            max_num=MAX_FORM_FIELDS,
            validate_max=True,
            absolute_max=MAX_FORM_FIELDS,
        ),
    )


FIELDS_PREFIX = "fields"


def field_formset(
    data: Mapping[str, Any] | None = None,
    *,
    form_fields: list[dict[str, Any]] | None = None,
    extra: int = EXTRA_FIELD_ROWS,
) -> BaseFieldFormSet:
    """Bound to POST data, or unbound with an action's fields and `extra` empty rows."""
    if data is not None:
        return field_formset_class()(data, prefix=FIELDS_PREFIX)
    initial = [
        {
            "key": f.get("key", ""),
            "label": f.get("label", ""),
            "kind": f.get("kind", FieldKind.TEXT),
            "required": bool(f.get("required")),
            "choices": "\n".join(f.get("choices") or []),
            "help": f.get("help", ""),
        }
        for f in (form_fields or [])
    ]
    return field_formset_class(extra)(initial=initial, prefix=FIELDS_PREFIX)


def raw_values(form: forms.Form) -> dict[str, Any]:
    """What a bound form holds, as initial data for an unbound copy (no validation)."""
    return {bound.name: bound.value() for bound in form}


def field_formset_with_more_rows(
    bound: BaseFieldFormSet, *, more: int = EXTRA_FIELD_ROWS
) -> BaseFieldFormSet:
    """The "Add more fields" step: the rows typed so far (blank ones dropped) plus `more`."""
    rows = [raw_values(form) for form in bound.forms]
    kept = [row for row in rows if str(row.get("label") or "").strip()]
    total = min(MAX_FORM_FIELDS, max(len(rows), len(kept)) + more)
    return field_formset_class(total - len(kept))(initial=kept, prefix=FIELDS_PREFIX)
