from django import forms


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label="Key name",
        max_length=100,
        help_text="The system that will use it, e.g. “Learning platform” or “CRM sync”.",
    )
