"""The form of an email's wording (/console/settings/emails/<key>/)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.notifications.formatting import wording_errors
from apps.notifications.wording import Email

SUBJECT_MAX = 200
INTRO_MAX = 2000


class EmailWordingForm(forms.Form):
    subject = forms.CharField(label=_("Subject"), max_length=SUBJECT_MAX)
    intro = forms.CharField(
        label=_("Intro"),
        max_length=INTRO_MAX,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_(
            "The paragraphs after the greeting. Leave a blank line between paragraphs. "
            "Buttons and links are added below it."
        ),
    )

    def __init__(self, *args: Any, email: Email, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.email = email

    def _checked(self, name: str) -> str:
        value: str = self.cleaned_data[name]
        errors = wording_errors(value, self.email.names)
        if errors:
            raise forms.ValidationError(errors)
        return value

    def clean_subject(self) -> str:
        subject = self.cleaned_data["subject"]
        if "\n" in subject or "\r" in subject:
            raise forms.ValidationError(_("A subject is one line."))
        return self._checked("subject")

    def clean_intro(self) -> str:
        return self._checked("intro")
