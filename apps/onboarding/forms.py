from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from django import forms

from apps.onboarding.models import Action, FieldKind

if TYPE_CHECKING:
    from django.core.files.uploadedfile import UploadedFile
    from django.utils.datastructures import MultiValueDict

    from apps.core.uploads import CheckedUpload

# A form field for each kind of designed field, made from the field's spec.
FIELD_FACTORIES: dict[str, Callable[[dict[str, Any]], forms.Field]] = {
    FieldKind.TEXT: lambda f: forms.CharField(max_length=500),
    FieldKind.LONG_TEXT: lambda f: forms.CharField(
        max_length=5000, widget=forms.Textarea(attrs={"rows": 4})
    ),
    FieldKind.EMAIL: lambda f: forms.EmailField(),
    FieldKind.URL: lambda f: forms.URLField(assume_scheme="https"),
    FieldKind.NUMBER: lambda f: forms.DecimalField(max_digits=18, decimal_places=4),
    FieldKind.DATE: lambda f: forms.DateField(widget=forms.DateInput(attrs={"type": "date"})),
    FieldKind.CHOICE: lambda f: forms.ChoiceField(
        choices=[("", "Choose…")] + [(c, c) for c in f["choices"]]
    ),
    FieldKind.CHECKBOX: lambda f: forms.BooleanField(),
}


class ProvideInformationForm(forms.Form):
    """The form a program admin designed for a Provide information action."""

    def __init__(
        self,
        *args: Any,
        action: Action,
        initial_answers: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        for spec in action.form_fields:
            field = FIELD_FACTORIES[spec["kind"]](spec)
            field.label = spec["label"]
            field.required = bool(spec.get("required"))
            field.help_text = spec.get("help", "")
            if initial_answers and spec["key"] in initial_answers:
                field.initial = initial_answers[spec["key"]]
            self.fields[spec["key"]] = field

    def answers(self) -> dict[str, Any]:
        """JSON-safe answers, keyed by field key."""
        result: dict[str, Any] = {}
        for key, value in self.cleaned_data.items():
            if hasattr(value, "isoformat"):
                value = value.isoformat()
            elif value is not None and not isinstance(value, (str, bool, int, float)):
                value = str(value)
            result[key] = value
        return result


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked in the form's clean_files."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("widget", MultipleFileInput(attrs={"multiple": True}))
        super().__init__(*args, **kwargs)

    def clean(self, data: object, initial: object = None) -> list[UploadedFile[bytes]]:
        if isinstance(data, (list, tuple)):
            return [super(MultipleFileField, self).clean(d, initial) for d in data]
        return [super().clean(data, initial)] if data else []


class UploadDocumentForm(forms.Form):
    # Named like Form.files (the uploaded data): the form's metaclass moves declared fields
    # into base_fields, so on instances `self.files` stays the uploaded data.
    files = MultipleFileField(label="Files", required=False)  # type: ignore[assignment]

    def __init__(self, *args: Any, action: Action, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.action = action

    def clean_files(self) -> list[tuple[UploadedFile[bytes], CheckedUpload]]:
        from apps.core.uploads import UploadPolicy, UploadRejected, validate_upload

        uploaded = cast("MultiValueDict[str, UploadedFile[bytes]]", self.files).getlist("files")
        if not uploaded:
            raise forms.ValidationError("Choose at least one file to upload.")
        if len(uploaded) > self.action.upload_max_files:
            raise forms.ValidationError(
                f"Upload at most {self.action.upload_max_files} file"
                f"{'s' if self.action.upload_max_files != 1 else ''}."
            )
        policy = UploadPolicy(
            max_bytes=self.action.upload_max_mb * 1024 * 1024,
            allowed_types=frozenset(self.action.upload_types) or UploadPolicy().allowed_types,
        )
        checked = []
        for f in uploaded:
            try:
                checked.append((f, validate_upload(f, policy)))
            except UploadRejected as exc:
                raise forms.ValidationError(str(exc)) from exc
        return checked
