from django import forms

from apps.core.text import single_line_validator


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        validators=[single_line_validator],
        label="Key name",
        max_length=100,
        help_text="The system that will use it, e.g. “Learning platform” or “CRM sync”.",
    )
