"""The program admins' application settings: the decision switches, channel managers,
email intros, and the designer of the public form's extra questions."""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from apps.applications.models import CamAssignment, ProgramSettings
from apps.core.questions import question_key
from apps.core.text import single_line_validator
from apps.onboarding.models import FieldKind
from apps.partners.models import Region

MAX_QUESTIONS = 15


class SettingsForm(forms.Form):
    auto_onboarding = forms.BooleanField(
        label="Auto-onboarding",
        required=False,
        help_text="Approve every confirmed application without review (when domain matching "
        "is off).",
    )
    domain_matching = forms.BooleanField(
        label="Domain matching",
        required=False,
        help_text="Approve applicants whose email domain is new; send those whose domain "
        "belongs to a partner account to the queue, with that partner proposed.",
    )
    public_mail_domains = forms.CharField(
        label=_("More free-mail providers"),
        required=False,
        max_length=20_000,
        widget=forms.Textarea(
            attrs={"rows": 4, "spellcheck": "false", "placeholder": "mail.example.net"}
        ),
        help_text=_(
            "One domain per line, added to the thousands of free-mail providers Onramp "
            "already knows (gmail.com, hotmail.co.uk, gmx.net, pm.me, …). Such addresses "
            "never match a partner and are never approved by domain matching."
        ),
    )
    cam_assignment = forms.ChoiceField(
        label="Channel manager for new partners",
        choices=[
            (
                CamAssignment.ROUND_ROBIN,
                "Round-robin: the channel manager least recently given a partner",
            ),
            (CamAssignment.REGION, "By region, with round-robin where a region has no one"),
        ],
        widget=forms.RadioSelect,
    )
    confirmation_intro = forms.CharField(
        label="Confirmation email",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="The opening paragraph of the email that asks applicants to confirm.",
    )
    approval_intro = forms.CharField(
        label="Approval email",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    rejection_intro = forms.CharField(
        label="Rejection email",
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 3}),
    )

    def __init__(self, *args: Any, managers: Iterable[Any], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        choices = [("", "Round-robin")] + [
            (m.user_id, m.user.get_full_name() or m.user.email) for m in managers
        ]
        self.region_fields = []
        for value, label in Region.choices:
            name = f"region_{value}"
            self.fields[name] = forms.TypedChoiceField(
                label=label, choices=choices, coerce=int, empty_value=None, required=False
            )
            self.region_fields.append(name)

    @property
    def region_bound_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.region_fields]

    @classmethod
    def initial_from(cls, settings: ProgramSettings) -> dict[str, Any]:
        initial = {
            "auto_onboarding": settings.auto_onboarding,
            "domain_matching": settings.domain_matching,
            "public_mail_domains": "\n".join(settings.public_mail_domains or []),
            "cam_assignment": settings.cam_assignment,
            "confirmation_intro": settings.confirmation_intro,
            "approval_intro": settings.approval_intro,
            "rejection_intro": settings.rejection_intro,
        }
        for region, user_id in (settings.region_cams or {}).items():
            initial[f"region_{region}"] = user_id
        return initial

    def clean_public_mail_domains(self) -> list[str]:
        domains, bad = [], []
        for line in re.split(r"[\s,;]+", self.cleaned_data["public_mail_domains"]):
            line = line.strip().lower().lstrip("@")
            if not line:
                continue
            if re.fullmatch(r"[a-z0-9-]+(\.[a-z0-9-]+)+", line) and len(line) <= 253:
                domains.append(line)
            else:
                bad.append(line)
        if bad:
            raise ValidationError(_("Not a domain: %(domains)s") % {"domains": ", ".join(bad[:5])})
        return sorted(set(domains))

    def service_fields(self) -> dict[str, Any]:
        data = self.cleaned_data
        return {
            "auto_onboarding": data["auto_onboarding"],
            "domain_matching": data["domain_matching"],
            "public_mail_domains": data["public_mail_domains"],
            "cam_assignment": data["cam_assignment"],
            "region_cams": {
                name.removeprefix("region_"): data[name]
                for name in self.region_fields
                if data.get(name)
            },
            "confirmation_intro": data["confirmation_intro"].strip(),
            "approval_intro": data["approval_intro"].strip(),
            "rejection_intro": data["rejection_intro"].strip(),
        }


QUESTION_KINDS = [
    (FieldKind.TEXT, "Short text"),
    (FieldKind.LONG_TEXT, "Long text"),
    (FieldKind.URL, "URL"),
    (FieldKind.NUMBER, "Number"),
    (FieldKind.DATE, "Date"),
    (FieldKind.CHOICE, "Choice"),
    (FieldKind.CHECKBOX, "Checkbox"),
]


class QuestionRow(forms.Form):
    """One extra question of the public form. An empty label removes the row."""

    key = forms.CharField(required=False, max_length=50, widget=forms.HiddenInput)
    label = forms.CharField(
        label="Question", required=False, max_length=200, validators=[single_line_validator]
    )
    kind = forms.ChoiceField(label="Type", choices=QUESTION_KINDS, required=False)
    required = forms.BooleanField(label="Required", required=False)
    choices = forms.CharField(
        label="Choices",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "One option per line"}),
    )
    help = forms.CharField(label="Help text", required=False, max_length=300)

    def clean(self) -> dict[str, Any]:
        data = super().clean()
        is_choice = (data.get("label") or "").strip() and data.get("kind") == FieldKind.CHOICE
        if is_choice and len(self.choice_list()) < 2:
            self.add_error("choices", "Give at least two choices, one per line.")
        return data

    def choice_list(self) -> list[str]:
        text = self.cleaned_data.get("choices") or ""
        return [line.strip()[:200] for line in text.splitlines() if line.strip()][:50]


class BaseQuestionFormSet(forms.BaseFormSet):
    def specs(self) -> list[dict[str, Any]]:
        """The questions, in order, each with a stable key (kept when a label is edited)."""
        rows = [(form, (form.cleaned_data.get("label") or "").strip()) for form in self.forms]
        rows = [(form, label) for form, label in rows if label]
        # A question keeps the key it has (older keys may hold hyphens); new keys are made by
        # question_key and never take a key another row holds.
        stored = [_stored_key(form.cleaned_data.get("key")) for form, _label in rows]
        specs: list[dict[str, Any]] = []
        used: set[str] = set()
        for (form, label), key in zip(rows, stored, strict=True):
            if not key or key in used:
                key = question_key(key or label, taken=used | set(stored))
            used.add(key)
            data = form.cleaned_data
            kind = data.get("kind") or FieldKind.TEXT
            specs.append(
                {
                    "key": key,
                    "label": label,
                    "kind": kind,
                    "required": bool(data.get("required")),
                    "choices": form.choice_list() if kind == FieldKind.CHOICE else [],
                    "help": (data.get("help") or "").strip(),
                }
            )
        return specs


def _stored_key(value: str | None) -> str:
    """The key a row already has, as stored (letters, digits, "_" and "-"); "" when new."""
    return re.sub(r"[^a-z0-9_-]", "", (value or "").strip().lower())


QuestionFormSet = forms.formset_factory(
    QuestionRow,
    formset=BaseQuestionFormSet,
    extra=0,
    max_num=MAX_QUESTIONS,
    validate_max=True,
    absolute_max=MAX_QUESTIONS,
)
QUESTIONS_PREFIX = "questions"


def question_formset(
    data: Any = None, *, questions: Iterable[dict[str, Any]] = (), blank_rows: int = 2
) -> BaseQuestionFormSet:
    if data is not None:
        return QuestionFormSet(data, prefix=QUESTIONS_PREFIX)
    initial = [
        {
            "key": q.get("key", ""),
            "label": q.get("label", ""),
            "kind": q.get("kind", FieldKind.TEXT),
            "required": bool(q.get("required")),
            "choices": "\n".join(q.get("choices") or []),
            "help": q.get("help", ""),
        }
        for q in questions
    ]
    initial += [{} for _ in range(min(blank_rows, MAX_QUESTIONS - len(initial)))]
    return QuestionFormSet(initial=initial, prefix=QUESTIONS_PREFIX)
