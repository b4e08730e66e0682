"""Forms of the milestone tracks editor. They check shape (numbers, choices); the services
in services/tracks_edit.py check the rules (windows ordered, a stage of this program…)."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.content.models import AssetCategory
from apps.core.text import single_line_validator
from apps.milestones.models import AlertKind, CompletionKind, Milestone, Phase, RuleCondition
from apps.milestones.services.tracks_common import ADDABLE_COMPLETIONS, MAX_DAY
from apps.onboarding.models import Stage
from apps.partners.verbs import EVENT_TYPES

RAISE_NOW = "raise_now"
FROM_NOW = "from_now"


def event_type_choices() -> list[tuple[str, str]]:
    """The declared partner event types, by name."""
    return sorted(((v.name, f"{v.name} · {v.label}") for v in EVENT_TYPES), key=lambda c: c[0])


def _lines(value: str) -> list[str]:
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def _words(value: str) -> list[str]:
    return [w.strip() for w in (value or "").replace(",", " ").split() if w.strip()]


def _day_field(label: Any, *, min_value: int = 1) -> forms.IntegerField:
    return forms.IntegerField(label=label, min_value=min_value, max_value=MAX_DAY)


class TrackSettingsForm(forms.Form):
    activation_window_days = _day_field(_("Activation window (days)"))
    priority_sequence = forms.CharField(
        label=_("Priority sequence"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("One step per line, most important first."),
    )
    critical_first_milestone = forms.CharField(
        label=_("Critical first milestone"), required=False, max_length=300
    )

    def clean_priority_sequence(self) -> list[str]:
        return _lines(self.cleaned_data["priority_sequence"])


class ActivationForm(forms.Form):
    milestones = forms.TypedMultipleChoiceField(
        label=_("Counts for activation"),
        coerce=int,
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("At least one milestone must count for activation.")},
    )

    def __init__(self, *args: Any, milestones: list[Milestone], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["milestones"].choices = [(m.pk, m.name) for m in milestones]  # type: ignore[attr-defined]


class MilestoneForm(forms.Form):
    name = forms.CharField(label=_("Name"), max_length=200, validators=[single_line_validator])
    phase = forms.TypedChoiceField(label=_("Phase"), choices=Phase.choices, coerce=int)
    window_from_day = _day_field(_("From day"), min_value=0)
    window_to_day = _day_field(_("To day"))
    responsible = forms.CharField(
        label=_("Responsible"), max_length=200, required=False, validators=[single_line_validator]
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        start, end = data.get("window_from_day"), data.get("window_to_day")
        if start is not None and end is not None and start > end:
            self.add_error("window_to_day", _("The window must end on or after the day it starts."))
        return data


class CompletionForm(forms.Form):
    event_types = forms.MultipleChoiceField(
        label=_("Events that complete it"), required=False, widget=forms.SelectMultiple
    )
    extra_event_types = forms.CharField(
        label=_("Other event types (sent by an external system)"),
        required=False,
        help_text=_("Separated by commas, e.g. crm.deal_won"),
    )
    event_reference = forms.CharField(label=_("With reference"), required=False, max_length=200)
    stage = forms.TypedChoiceField(
        label=_("Orientation stage"), required=False, coerce=int, empty_value=None
    )
    items = forms.CharField(
        label=_("Other items"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("One reference per line (a learning module’s key, action:12…)."),
    )
    content_categories = forms.MultipleChoiceField(
        label=_("Content that counts"),
        required=False,
        choices=AssetCategory.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text=_("Opening or downloading assets counts only for these categories (none: any)."),
    )

    def __init__(self, *args: Any, stages: list[Stage], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["event_types"].choices = event_type_choices()  # type: ignore[attr-defined]
        self.fields["stage"].choices = [("", _("No stage"))] + [  # type: ignore[attr-defined]
            (s.pk, f"{s.pipeline.name} · {s.name}") for s in stages
        ]

    def clean_stage(self) -> int | None:
        # Any id is passed on: the service refuses a stage that is not the program's.
        return self.cleaned_data.get("stage")

    def all_event_types(self) -> list[str]:
        return list(self.cleaned_data["event_types"]) + _words(
            self.cleaned_data["extra_event_types"]
        )

    def item_list(self) -> list[str]:
        return _lines(self.cleaned_data["items"])


class _RaisePast(forms.Form):
    # "check": show the "due now for N partners" question before applying; without it the
    # change applies from now on (nothing past due is raised).
    step = forms.CharField(required=False, widget=forms.HiddenInput)
    apply = forms.ChoiceField(
        required=False,
        choices=[(FROM_NOW, _("Apply from now on")), (RAISE_NOW, _("Raise now"))],
    )

    @property
    def raise_past(self) -> bool:
        return self.cleaned_data.get("apply") == RAISE_NOW

    @property
    def wants_check(self) -> bool:
        return self.cleaned_data.get("step") == "check" and not self.cleaned_data.get("apply")


class RuleForm(_RaisePast):
    day = _day_field(_("Alert day"))
    label = forms.CharField(label=_("Label"), max_length=200, validators=[single_line_validator])
    threshold = forms.IntegerField(label=_("Below (%)"), required=False, min_value=1, max_value=100)


class RuleAddForm(_RaisePast):
    day = _day_field(_("Alert day"))
    label = forms.CharField(label=_("Label"), max_length=200, validators=[single_line_validator])
    condition = forms.ChoiceField(
        label=_("Alert when"), choices=RuleCondition.choices, initial=RuleCondition.MISSING
    )
    threshold = forms.IntegerField(label=_("Below (%)"), required=False, min_value=1, max_value=100)
    event_types = forms.MultipleChoiceField(
        label=_("Its own events (optional)"), required=False, widget=forms.SelectMultiple
    )
    event_reference = forms.CharField(label=_("With reference"), required=False, max_length=200)
    kind = forms.ChoiceField(label=_("Kind"), choices=AlertKind.choices, initial=AlertKind.OVERDUE)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["event_types"].choices = event_type_choices()  # type: ignore[attr-defined]


CUSTOM = "custom"


class MilestoneAddForm(forms.Form):
    source = forms.ChoiceField(label=_("Milestone"))
    name = forms.CharField(
        label=_("Name"), max_length=200, required=False, validators=[single_line_validator]
    )
    phase = forms.TypedChoiceField(
        label=_("Phase"), choices=Phase.choices, coerce=int, required=False, empty_value=None
    )
    window_from_day = forms.IntegerField(
        label=_("From day"), min_value=0, max_value=MAX_DAY, required=False
    )
    window_to_day = forms.IntegerField(
        label=_("To day"), min_value=1, max_value=MAX_DAY, required=False
    )
    responsible = forms.CharField(
        label=_("Responsible"), max_length=200, required=False, validators=[single_line_validator]
    )
    completion = forms.ChoiceField(
        label=_("Completes when"),
        choices=[(k.value, k.label) for k in ADDABLE_COMPLETIONS],
        initial=CompletionKind.EVENT,
        required=False,
    )
    event_types = forms.MultipleChoiceField(
        label=_("Events that complete it"), required=False, widget=forms.SelectMultiple
    )

    def __init__(self, *args: Any, standard: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = [  # type: ignore[attr-defined]
            *[(f"standard:{key}", name) for key, name in standard],
            (CUSTOM, _("A milestone of our own…")),
        ]
        self.fields["event_types"].choices = event_type_choices()  # type: ignore[attr-defined]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        if data.get("source") == CUSTOM:
            for name in ("name", "phase", "window_from_day", "window_to_day"):
                if data.get(name) in (None, ""):
                    self.add_error(name, _("Required for a milestone of your own."))
        return data


class StartTrackingForm(forms.Form):
    source = forms.ChoiceField(label=_("Copy of"))

    def __init__(self, *args: Any, sources: list[tuple[str, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["source"].choices = sources  # type: ignore[attr-defined]
