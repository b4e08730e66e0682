"""The console's invitation form: addresses typed or pasted, or a CSV from a CRM."""

from __future__ import annotations

import csv
import io
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db.models import QuerySet

from apps.partners.models import PartnerType

CSV_MAX_BYTES = 1024 * 1024
MAX_INVITES = 500


class InviteForm(forms.Form):
    emails = forms.CharField(
        label="Email addresses",
        required=False,
        max_length=40_000,
        widget=forms.Textarea(
            attrs={"rows": 5, "placeholder": "jane@contoso.com, raj@fabrikam.io"}
        ),
        help_text="One per line, or separated by commas or spaces.",
    )
    csv_file = forms.FileField(
        label="Or upload a CSV",
        required=False,
        help_text="Any column holding email addresses; up to 1 MB and 500 addresses.",
    )
    partner_type = forms.ModelChoiceField(
        label="Partner type", queryset=None, empty_label="Choose a partner type…"
    )
    note = forms.CharField(
        label="Personal note",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Added to the invitation email.",
    )

    def __init__(self, *args: Any, partner_types: QuerySet[PartnerType], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["partner_type"].queryset = partner_types
        self.fields["csv_file"].widget.attrs["accept"] = ".csv,text/csv"

    def clean_csv_file(self) -> list[str]:
        from apps.core.uploads import UploadPolicy, UploadRejected, validate_upload

        upload = self.cleaned_data.get("csv_file")
        if not upload:
            return []
        policy = UploadPolicy(max_bytes=CSV_MAX_BYTES, allowed_types=frozenset({"csv"}))
        try:
            checked = validate_upload(upload, policy)
        except UploadRejected as exc:
            raise ValidationError(exc.message) from exc
        raw = checked.file.read()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            text = raw.decode("cp1252", errors="replace")
        found = []
        for row in csv.reader(io.StringIO(text)):
            for cell in row:
                cell = cell.strip().strip("<>").lower()
                if "@" in cell and _is_email(cell):
                    found.append(cell)
        if not found:
            raise ValidationError("The CSV holds no email addresses.")
        return found

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        typed, bad = [], []
        for token in re.split(r"[\s,;]+", data.get("emails") or ""):
            token = token.strip().strip("<>").lower()
            if not token:
                continue
            (typed if _is_email(token) else bad).append(token)
        if bad:
            shown = ", ".join(bad[:5]) + ("…" if len(bad) > 5 else "")
            self.add_error("emails", f"These are not email addresses: {shown}")
        addresses = list(dict.fromkeys(typed + list(data.get("csv_file") or [])))
        if not addresses and not bad and "csv_file" not in self.errors:
            self.add_error("emails", "Enter at least one email address, or upload a CSV.")
        if len(addresses) > MAX_INVITES:
            self.add_error("emails", f"Invite at most {MAX_INVITES} addresses at a time.")
        data["addresses"] = addresses
        return data


def _is_email(value: str) -> bool:
    if len(value) > 254:
        return False
    try:
        validate_email(value)
    except ValidationError:
        return False
    return True
