"""Forms of the applications app. They check shape (lengths, formats); services check rules."""

import csv
import io
import re

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.text import slugify

from apps.applications.countries import COUNTRIES
from apps.applications.models import ApplicationSource, ApplicationStatus, CamAssignment
from apps.applications.selectors import QueueFilters
from apps.onboarding.forms import FIELD_FACTORIES
from apps.onboarding.models import FieldKind
from apps.partners.models import Region

HONEYPOT = "hp_site_ref"
MAX_QUESTIONS = 15

# --- The public application form ---------------------------------------------------------


class ApplyForm(forms.Form):
    """The prospect's application. Labels Company, Email, First name, Last name and the
    button Apply are part of the public contract (DOMAIN §7)."""

    company = forms.CharField(label="Company", max_length=200)
    website = forms.URLField(label="Website", max_length=200, required=False, assume_scheme="https")
    first_name = forms.CharField(label="First name", max_length=100)
    last_name = forms.CharField(label="Last name", max_length=100)
    email = forms.EmailField(label="Email", max_length=254)
    phone = forms.CharField(label="Phone", max_length=40, required=False)
    country = forms.ChoiceField(
        label="Country", choices=[("", "Choose a country…"), *COUNTRIES], required=False
    )
    partner_type = forms.ModelChoiceField(
        label="Partner type",
        queryset=None,
        empty_label="Choose a partner type…",
        error_messages={"required": "Choose how you want to partner with us."},
    )
    message = forms.CharField(
        label="Message",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    # A field people never see: bots that fill every input give themselves away.
    hp_site_ref = forms.CharField(label="Leave this field empty", required=False, max_length=200)

    def __init__(self, *args, partner_types, questions=(), invitation=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner_type"].queryset = partner_types
        self.fields["company"].widget.attrs.update(autocomplete="organization")
        self.fields["first_name"].widget.attrs.update(autocomplete="given-name")
        self.fields["last_name"].widget.attrs.update(autocomplete="family-name")
        self.fields["email"].widget.attrs.update(autocomplete="email")
        self.fields["phone"].widget.attrs.update(autocomplete="tel", inputmode="tel")
        self.fields["website"].widget.attrs.update(autocomplete="url", placeholder="https://")
        self.fields["country"].widget.attrs.update(autocomplete="country")
        self.fields[HONEYPOT].widget.attrs.update(autocomplete="off", tabindex="-1")
        self.invitation = invitation
        if invitation is not None:
            # The CAM chose the partner type: it is fixed for the invitee.
            self.fields["partner_type"].queryset = partner_types.filter(
                pk=invitation.partner_type_id
            )
            self.fields["partner_type"].empty_label = None
            self.fields["partner_type"].initial = invitation.partner_type_id
            self.fields["email"].initial = invitation.email
        self.questions = []
        for spec in questions:
            factory = FIELD_FACTORIES.get(spec.get("kind"))
            if factory is None or not spec.get("key"):
                continue
            field = factory(spec)
            field.label = spec.get("label", "")
            field.required = bool(spec.get("required"))
            field.help_text = spec.get("help", "")
            name = f"q_{spec['key']}"
            self.fields[name] = field
            self.questions.append((name, spec))

    @property
    def question_fields(self):
        return [self[name] for name, _ in self.questions]

    @property
    def is_bot(self) -> bool:
        return bool(self.cleaned_data.get(HONEYPOT))

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean_phone(self):
        phone = self.cleaned_data["phone"].strip()
        if phone and not re.fullmatch(r"[0-9+()./\- ]{5,40}", phone):
            raise ValidationError("Enter a phone number with digits, spaces, + ( ) - only.")
        return phone

    def answers(self) -> list[dict]:
        """The extra questions as asked, with JSON-safe answers."""
        result = []
        for name, spec in self.questions:
            value = self.cleaned_data.get(name)
            if hasattr(value, "isoformat"):
                value = value.isoformat()
            elif value is not None and not isinstance(value, (str, bool, int, float)):
                value = str(value)
            result.append({"key": spec["key"], "label": spec.get("label", ""), "value": value})
        return result


class ResendForm(forms.Form):
    email = forms.EmailField(label="Email", max_length=254)

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()


# --- The console ------------------------------------------------------------------------

STATUS_FILTERS = [
    (ApplicationStatus.PENDING, "Pending"),
    (ApplicationStatus.UNCONFIRMED, "Awaiting confirmation"),
    (ApplicationStatus.APPROVED, "Approved"),
    (ApplicationStatus.ADDED, "Added to a partner"),
    (ApplicationStatus.REJECTED, "Rejected"),
    (ApplicationStatus.DECLINED, "Declined by the partner"),
    ("all", "All"),
]


class QueueFilterForm(forms.Form):
    q = forms.CharField(required=False, max_length=200)
    status = forms.ChoiceField(choices=STATUS_FILTERS, required=False)
    type = forms.TypedChoiceField(coerce=int, required=False, empty_value=None)
    source = forms.ChoiceField(
        choices=[("", "Invited or not"), *ApplicationSource.choices], required=False
    )
    matched = forms.ChoiceField(
        choices=[("", "Matched or not"), ("yes", "Matches a partner"), ("no", "No match")],
        required=False,
    )

    def __init__(self, *args, partner_types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["type"].choices = [("", "All types")] + [(t.pk, t.name) for t in partner_types]
        for name in ("status", "type", "source", "matched"):
            self.fields[name].widget.attrs["aria-label"] = name.title()

    def filters(self) -> QueueFilters:
        if not self.is_bound or not self.is_valid():
            return QueueFilters()
        data = self.cleaned_data
        status = data.get("status") or ApplicationStatus.PENDING
        return QueueFilters(
            status="" if status == "all" else status,
            partner_type=data.get("type"),
            source=data.get("source") or "",
            matched=data.get("matched") or "",
            q=data.get("q") or "",
        )


class ApproveForm(forms.Form):
    partner_type = forms.ModelChoiceField(label="Partner type", queryset=None, empty_label=None)

    def __init__(self, *args, partner_types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner_type"].queryset = partner_types


class AddToAccountForm(forms.Form):
    account = forms.IntegerField(
        label="Partner account",
        error_messages={"required": "Choose the partner account to add them to."},
    )


class RejectForm(forms.Form):
    reason = forms.CharField(
        label="Reason",
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Kept with the decision; included in the email if you send one.",
    )
    notify = forms.BooleanField(label="Email the applicant", required=False)


class IdListField(forms.Field):
    """Several ids from checkboxes of one name; anything that is not an id is dropped."""

    widget = forms.MultipleHiddenInput

    def to_python(self, value):
        values = value if isinstance(value, (list, tuple)) else [value] if value else []
        return list(dict.fromkeys(int(v) for v in values if str(v).isdigit()))[:200]


class BulkForm(forms.Form):
    ids = IdListField(required=False)
    decision = forms.ChoiceField(choices=[("approve", "Approve"), ("reject", "Reject")])
    reason = forms.CharField(required=False, max_length=2000)
    notify = forms.BooleanField(required=False)

    def clean_ids(self):
        ids = self.cleaned_data["ids"]
        if not ids:
            raise ValidationError("Select at least one application.")
        return ids


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

    def __init__(self, *args, partner_types, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["partner_type"].queryset = partner_types
        self.fields["csv_file"].widget.attrs["accept"] = ".csv,text/csv"

    def clean_csv_file(self):
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

    def clean(self):
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


# --- Settings (program admins) ---------------------------------------------------------


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
        label="Public mail providers",
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 6, "spellcheck": "false"}),
        help_text="One domain per line. Such addresses never match a partner and are never "
        "approved by domain matching.",
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

    def __init__(self, *args, managers, **kwargs):
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
    def region_bound_fields(self):
        return [self[name] for name in self.region_fields]

    @classmethod
    def initial_from(cls, settings) -> dict:
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

    def clean_public_mail_domains(self):
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
            raise ValidationError(f"Not a domain: {', '.join(bad[:5])}")
        return sorted(set(domains))

    def service_fields(self) -> dict:
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
    label = forms.CharField(label="Question", required=False, max_length=200)
    kind = forms.ChoiceField(label="Type", choices=QUESTION_KINDS, required=False)
    required = forms.BooleanField(label="Required", required=False)
    choices = forms.CharField(
        label="Choices",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 2, "placeholder": "One option per line"}),
    )
    help = forms.CharField(label="Help text", required=False, max_length=300)

    def clean(self):
        data = super().clean()
        is_choice = (data.get("label") or "").strip() and data.get("kind") == FieldKind.CHOICE
        if is_choice and len(self.choice_list()) < 2:
            self.add_error("choices", "Give at least two choices, one per line.")
        return data

    def choice_list(self) -> list[str]:
        text = self.cleaned_data.get("choices") or ""
        return [line.strip()[:200] for line in text.splitlines() if line.strip()][:50]


class BaseQuestionFormSet(forms.BaseFormSet):
    def specs(self) -> list[dict]:
        """The questions, in order, each with a stable key (kept when a label is edited)."""
        specs, used = [], set()
        for form in self.forms:
            data = form.cleaned_data
            label = (data.get("label") or "").strip()
            if not label:
                continue
            key = (data.get("key") or "").strip() or slugify(label)[:40] or "question"
            key = re.sub(r"[^a-z0-9_-]", "", key.lower()) or "question"
            base, n = key, 2
            while key in used:
                key, n = f"{base}-{n}", n + 1
            used.add(key)
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


QuestionFormSet = forms.formset_factory(
    QuestionRow,
    formset=BaseQuestionFormSet,
    extra=0,
    max_num=MAX_QUESTIONS,
    validate_max=True,
    absolute_max=MAX_QUESTIONS,
)
QUESTIONS_PREFIX = "questions"


def question_formset(data=None, *, questions=(), blank_rows: int = 2):
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
