from django import forms
from django.core.validators import URLValidator

from apps.content.models import (
    ArticleCategory,
    ArticleStatus,
    AssetCategory,
    AssetKind,
    AssetStatus,
    Audience,
)
from apps.content.selectors import (
    CONSOLE_SORTS,
    ConsoleArticleFilters,
    ConsoleAssetFilters,
    LibraryFilters,
    partner_accounts_by_name_or_domain,
)
from apps.content.services.assets import ASSET_UPLOAD_POLICY
from apps.core.text import single_line_validator
from apps.core.uploads import SafeFileField
from apps.partners.catalog import tier_choices

FILE_HELP = (
    "PDF, Word, Excel, PowerPoint, images (PNG, JPEG, GIF, WebP), text or CSV, MP4/WebM "
    "video or ZIP, up to 25 MB. Longer videos: add them as a link."
)


def _lenient(form: forms.Form) -> dict:
    """A filter form's valid parts: a forged value drops only that filter."""
    if not form.is_bound:
        return {}
    if form.is_valid():
        return form.cleaned_data
    return {k: v for k, v in form.cleaned_data.items() if k not in form.errors}


class AssetForm(forms.Form):
    """Create (a file or a link) or edit an asset's details and audience."""

    title = forms.CharField(max_length=200, validators=[single_line_validator])
    description = forms.CharField(
        required=False, max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    category = forms.ChoiceField(choices=AssetCategory.choices, initial=AssetCategory.OTHER)
    tags = forms.CharField(
        required=False,
        max_length=400,
        help_text="Separate with commas, e.g. pricing, emea, 2025.",
    )
    file = SafeFileField(policy=ASSET_UPLOAD_POLICY, required=False, help_text=FILE_HELP)
    url = forms.URLField(
        label="Link",
        required=False,
        max_length=2000,
        assume_scheme="https",
        validators=[URLValidator(schemes=["http", "https"])],
        help_text="A web address starting with https:// (a video, a microsite, a shared folder).",
    )
    audience = forms.ChoiceField(
        choices=[
            (Audience.ALL, "All partners"),
            (Audience.SELECTED, "Only some partners"),
        ],
        initial=Audience.ALL,
        widget=forms.RadioSelect,
        label="Who can see it",
    )
    partner_types = forms.ModelMultipleChoiceField(
        queryset=None, required=False, widget=forms.CheckboxSelectMultiple
    )
    tiers = forms.MultipleChoiceField(required=False, widget=forms.CheckboxSelectMultiple)
    accounts = forms.CharField(
        label="Named partner accounts",
        required=False,
        max_length=20000,
        widget=forms.Textarea(
            attrs={"rows": 3, "placeholder": "northwind.test\nContoso Managed IT"}
        ),
        help_text="One company name or email domain per line. They see it whatever their type.",
    )

    def __init__(self, *args, tenant, partner_types, kind: str, creating: bool, **kwargs):
        super().__init__(*args, **kwargs)
        self.tenant = tenant
        self.kind = kind
        self.fields["partner_types"].queryset = partner_types
        self.fields["partner_types"].label_from_instance = lambda t: t.name
        # The program's tiers; an archived one stays listed on an asset that targets it.
        self.fields["tiers"].choices = tier_choices(
            tenant=tenant, keep=self.initial.get("tiers") or ()
        )
        if kind == AssetKind.LINK:
            del self.fields["file"]
            self.fields["url"].required = True
        else:
            del self.fields["url"]
            if creating:
                self.fields["file"].required = True
            else:
                del self.fields["file"]

    def clean_tags(self) -> list[str]:
        return [t for t in self.cleaned_data["tags"].split(",") if t.strip()]

    def clean_accounts(self):
        lines = self.cleaned_data["accounts"].splitlines()
        accounts, problems = partner_accounts_by_name_or_domain(tenant=self.tenant, entries=lines)
        if problems:
            raise forms.ValidationError(problems)
        return accounts

    def clean(self):
        data = super().clean()
        nobody = not (data.get("partner_types") or data.get("tiers") or data.get("accounts"))
        if data.get("audience") == Audience.SELECTED and nobody and "accounts" not in self.errors:
            self.add_error(
                "audience",
                "Choose at least one partner type, tier or partner account below, "
                "or make it visible to all partners.",
            )
        return data


class ReplaceFileForm(forms.Form):
    file = SafeFileField(policy=ASSET_UPLOAD_POLICY, label="New file", help_text=FILE_HELP)
    note = forms.CharField(
        label="What changed",
        required=False,
        max_length=300,
        widget=forms.TextInput(attrs={"placeholder": "e.g. Updated prices for Q3"}),
    )


class ConsoleAssetFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200)
    category = forms.ChoiceField(
        required=False, choices=[("", "All categories"), *AssetCategory.choices]
    )
    kind = forms.ChoiceField(
        required=False, choices=[("", "Files and links"), ("file", "Files"), ("link", "Links")]
    )
    audience = forms.ChoiceField(required=False, choices=[("", "Any audience"), *Audience.choices])
    status = forms.ChoiceField(
        required=False,
        choices=[(AssetStatus.ACTIVE, "Active"), (AssetStatus.ARCHIVED, "Archived")],
    )
    sort = forms.ChoiceField(required=False, choices=[(k, k) for k in CONSOLE_SORTS])

    def filters(self) -> ConsoleAssetFilters:
        data = _lenient(self)
        return ConsoleAssetFilters(
            q=data.get("q") or "",
            category=data.get("category") or "",
            kind=data.get("kind") or "",
            audience=data.get("audience") or "",
            status=data.get("status") or AssetStatus.ACTIVE,
            sort=data.get("sort") or "-updated",
        )


class LibraryFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200)
    category = forms.ChoiceField(
        required=False, choices=[("", "All categories"), *AssetCategory.choices]
    )

    def filters(self) -> LibraryFilters:
        data = _lenient(self)
        return LibraryFilters(q=data.get("q") or "", category=data.get("category") or "")


class ArticleForm(forms.Form):
    title = forms.CharField(max_length=200, validators=[single_line_validator])
    slug = forms.SlugField(
        label="Address",
        required=False,
        max_length=120,
        help_text="The end of the article’s web address. Left empty, it is made from the title.",
    )
    category = forms.ChoiceField(choices=ArticleCategory.choices)
    body = forms.CharField(
        label="Article",
        required=False,
        max_length=200_000,
        widget=forms.Textarea(attrs={"rows": 22, "class": "markdown-editor", "spellcheck": "true"}),
        help_text="Markdown: # Heading, **bold**, *italic*, [link](https://…), - lists, > quotes.",
    )


class ConsoleArticleFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200)
    status = forms.ChoiceField(required=False, choices=[("", "Any status"), *ArticleStatus.choices])
    category = forms.ChoiceField(
        required=False, choices=[("", "All categories"), *ArticleCategory.choices]
    )

    def filters(self) -> ConsoleArticleFilters:
        data = _lenient(self)
        return ConsoleArticleFilters(
            q=data.get("q") or "",
            status=data.get("status") or "",
            category=data.get("category") or "",
        )


class HelpSearchForm(forms.Form):
    q = forms.CharField(required=False, max_length=200)
    category = forms.ChoiceField(
        required=False, choices=[("", "All topics"), *ArticleCategory.choices]
    )

    def values(self) -> tuple[str, str]:
        data = _lenient(self)
        return (data.get("q") or "").strip(), data.get("category") or ""
