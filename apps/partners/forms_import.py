"""Forms of the CSV import: the upload, and the Import of a dry run."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.core.uploads import UploadRejected, display_name
from apps.partners.services import IMPORT_MAX_BYTES


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV file"),
        help_text=_("A .csv file in UTF-8, up to 10 MB and 10,000 partners."),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )

    def clean_file(self) -> tuple[str, bytes]:
        """(file name, bytes): a .csv name, at most IMPORT_MAX_BYTES (counted while reading)."""
        upload: Any = self.cleaned_data["file"]
        try:
            name = display_name(getattr(upload, "name", "") or "")
        except UploadRejected as exc:
            raise forms.ValidationError(exc.message) from exc
        if not name.lower().endswith((".csv", ".txt")):
            raise forms.ValidationError(_("Upload a .csv file (comma-separated values)."))
        chunks: list[bytes] = []
        size = 0
        for chunk in upload.chunks(64 * 1024):
            size += len(chunk)
            if size > IMPORT_MAX_BYTES:
                raise forms.ValidationError(
                    _("The file is larger than 10 MB, the limit for one import. Split it in parts.")
                )
            chunks.append(chunk)
        return name, b"".join(chunks)


class ImportApplyForm(forms.Form):
    upload = forms.CharField(max_length=64, widget=forms.HiddenInput)
    sha256 = forms.CharField(max_length=64, widget=forms.HiddenInput)
    digest = forms.CharField(max_length=64, widget=forms.HiddenInput)
    invite = forms.BooleanField(
        required=False,
        initial=True,
        label=_("Email the people added an invitation to set their password"),
    )
