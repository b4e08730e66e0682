"""The partner profile's vocabulary: its fields as a program can require them, their labels
and fieldsets, the default required set, and the logo's upload policy.

A "field" here is what a program ticks as required: most are one column of `PartnerProfile`;
a main contact (sales, marketing, technical) counts as filled when it has a name and an email.
Plain data, no model imports, so models, forms, selectors and services can all read it.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from apps.core.uploads import UploadPolicy

# The same rules as the program's logo (apps/home: PNG, JPEG or WebP, up to 1 MB; SVG can
# carry scripts, so it is refused). Declared here: partners sits below home.
PROFILE_LOGO_POLICY = UploadPolicy(
    max_bytes=1024 * 1024, allowed_types=frozenset({"png", "jpeg", "webp"})
)

CONTACT_KINDS: tuple[str, ...] = ("sales", "marketing", "technical")


@dataclass(frozen=True)
class ProfileField:
    key: str
    label: str | Promise
    fieldset: str
    # The model columns that must all be non-empty for the field to count as filled.
    columns: tuple[str, ...]


COMPANY = "company"
ADDRESS = "address"
CONTACTS = "contacts"
LOGO = "logo"

FIELDSET_LABELS: dict[str, str | Promise] = {
    COMPANY: _("Company"),
    ADDRESS: _("Address"),
    CONTACTS: _("Main contacts"),
    LOGO: _("Logo"),
}

PROFILE_FIELDS: tuple[ProfileField, ...] = (
    ProfileField("company_name", _("Legal company name"), COMPANY, ("company_name",)),
    ProfileField("display_name", _("Display name"), COMPANY, ("display_name",)),
    ProfileField("website", _("Website"), COMPANY, ("website",)),
    ProfileField("phone", _("Phone"), COMPANY, ("phone",)),
    ProfileField("description", _("What you sell"), COMPANY, ("description",)),
    ProfileField("address_line1", _("Address line 1"), ADDRESS, ("address_line1",)),
    ProfileField("address_line2", _("Address line 2"), ADDRESS, ("address_line2",)),
    ProfileField("city", _("City"), ADDRESS, ("city",)),
    ProfileField("postal_code", _("Postal code"), ADDRESS, ("postal_code",)),
    ProfileField("region", _("Region or state"), ADDRESS, ("region",)),
    ProfileField("country", _("Country"), ADDRESS, ("country",)),
    ProfileField("sales_contact", _("Sales contact"), CONTACTS, ("sales_name", "sales_email")),
    ProfileField(
        "marketing_contact",
        _("Marketing contact"),
        CONTACTS,
        ("marketing_name", "marketing_email"),
    ),
    ProfileField(
        "technical_contact",
        _("Technical contact"),
        CONTACTS,
        ("technical_name", "technical_email"),
    ),
    ProfileField("logo", _("Logo"), LOGO, ("logo",)),
)
PROFILE_FIELDS_BY_KEY: dict[str, ProfileField] = {f.key: f for f in PROFILE_FIELDS}
PROFILE_FIELD_CHOICES: list[tuple[str, str | Promise]] = [(f.key, f.label) for f in PROFILE_FIELDS]

# What a program requires until its admins choose (the logo is not required by default).
DEFAULT_REQUIRED_FIELDS: tuple[str, ...] = (
    "company_name",
    "website",
    "address_line1",
    "city",
    "country",
    "sales_contact",
    "marketing_contact",
    "technical_contact",
)


def default_required_fields() -> list[str]:
    """The model default of `ProfileSettings.required_fields` (a fresh list each time)."""
    return list(DEFAULT_REQUIRED_FIELDS)


def required_fields_clean(keys: object) -> list[str]:
    """Known keys only, in the catalogue's order, without duplicates."""
    wanted = set(keys) if isinstance(keys, list | tuple | set | frozenset) else set()
    return [f.key for f in PROFILE_FIELDS if f.key in wanted]
