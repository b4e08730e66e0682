"""Program settings (/console/settings/): name, branding, hostnames, time zone, language.

Every change is audited with its before and after values. Hostnames are platform-wide rows
(one hostname serves one program), so the "already used" check looks across tenants and the
unique index settles a race between two programs claiming the same address.
"""

from __future__ import annotations

import math
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.audit.services import audit_record
from apps.core.files import private_file_save, private_storage
from apps.core.uploads import CheckedUpload, UploadPolicy, storage_key
from apps.home import verbs
from apps.home.selectors_settings import time_zone_names
from apps.tenancy.models import Language, Tenant, TenantHost
from apps.tenancy.selectors import tenant_for_host_all_tenants

# A logo is a small picture: PNG, JPEG or WebP (SVG can carry scripts, so it is refused).
LOGO_POLICY = UploadPolicy(max_bytes=1024 * 1024, allowed_types=frozenset({"png", "jpeg", "webp"}))
MAX_HOSTS = 20
# WCAG 2.x level AA for normal-size text: the brand colour is the background of buttons
# with white text, and the colour of links on white.
AA_CONTRAST = 4.5
WHITE = "#ffffff"

_COLOUR = re.compile(r"^#[0-9a-f]{6}$")
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOSTNAME = re.compile(rf"^(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})+$")

FIELD_LABELS = {
    "name": gettext_lazy("name"),
    "brand_color": gettext_lazy("brand colour"),
    "support_email": gettext_lazy("support email"),
    "time_zone": gettext_lazy("time zone"),
    "language": gettext_lazy("language"),
}


class SettingsError(Exception):
    """A settings change the rules refuse; `field` names the form field it concerns."""

    def __init__(self, message: str, *, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


# Colour contrast (WCAG 2.x) -----------------------------------------------------------------


def _linear(channel: int) -> float:
    srgb = channel / 255
    return srgb / 12.92 if srgb <= 0.04045 else ((srgb + 0.055) / 1.055) ** 2.4


def relative_luminance(colour: str) -> float:
    """WCAG relative luminance of "#rrggbb": 0 for black, 1 for white."""
    value = colour.lstrip("#")
    r, g, b = (int(value[i : i + 2], 16) for i in (0, 2, 4))
    return 0.2126 * _linear(r) + 0.7152 * _linear(g) + 0.0722 * _linear(b)


def contrast_ratio(first: str, second: str) -> float:
    """The WCAG contrast ratio of two colours, from 1 (same) to 21 (black on white)."""
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def ratio_text(ratio: float) -> str:
    """ "4.47:1": rounded down, so a failing colour never shows as reaching 4.5."""
    return f"{math.floor(ratio * 100) / 100:.2f}:1"


def brand_colour_check(colour: str) -> str:
    """The colour, lower-cased, or SettingsError when white text on it fails WCAG AA."""
    colour = colour.strip().lower()
    if not _COLOUR.match(colour):
        raise SettingsError(_("Use a colour like #4f46e5."), field="brand_color")
    ratio = contrast_ratio(colour, WHITE)
    if ratio < AA_CONTRAST:
        raise SettingsError(
            _(
                "White text on %(colour)s has a contrast ratio of %(ratio)s; WCAG AA needs at "
                "least 4.5:1 so buttons and links stay readable. Choose a darker colour."
            )
            % {"colour": colour, "ratio": ratio_text(ratio)},
            field="brand_color",
        )
    return colour


# Hostnames --------------------------------------------------------------------------------


def hostname_normalise(raw: str) -> str:
    """A hostname as stored (lower case, ASCII, no trailing dot), or SettingsError."""
    text = (raw or "").strip().rstrip(".")
    if "://" in text or "/" in text or ":" in text or "@" in text:
        raise SettingsError(
            _("Enter only the address, like partners.example.com: no https://, port or path."),
            field="hostname",
        )
    try:
        host = text.encode("idna").decode("ascii").lower()
    except UnicodeError:
        host = ""
    if not _HOSTNAME.match(host):
        raise SettingsError(
            _("“%(host)s” is not a valid address. Use a domain name like partners.example.com.")
            % {"host": text},
            field="hostname",
        )
    if host.rsplit(".", 1)[-1].isdigit():
        raise SettingsError(
            _("Use a domain name, not an IP address."),
            field="hostname",
        )
    if host == str(settings.BASE_DOMAIN).lower():
        raise SettingsError(
            _("%(host)s is the platform’s own address; it cannot serve a program.")
            % {"host": host},
            field="hostname",
        )
    return host


def _taken_message(host: str) -> str:
    return _(
        "%(host)s is already used by another program. An address serves one program only: "
        "choose another, or ask whoever runs that program to remove it first."
    ) % {"host": host}


def _hosts_locked(*, tenant: Tenant) -> list[TenantHost]:
    """The program's host rows, locked in primary-key order."""
    return list(
        TenantHost.objects.select_for_update(of=("self",)).filter(tenant=tenant).order_by("pk")
    )


@transaction.atomic
def tenant_host_add(*, tenant: Tenant, actor: Any, hostname: str) -> TenantHost:
    """Add a custom domain to the program (not primary). It serves the program as soon as
    its DNS points here (the middleware's host cache forgets every host on any change)."""
    host = hostname_normalise(hostname)
    # Serialises additions within the program (the count and "already yours" checks).
    Tenant.objects.select_for_update(of=("self",)).filter(pk=tenant.pk).first()
    owner = tenant_for_host_all_tenants(hostname=host)
    if owner is not None and owner.pk == tenant.pk:
        raise SettingsError(
            _("%(host)s is already one of this program’s addresses.") % {"host": host},
            field="hostname",
        )
    if owner is not None:
        raise SettingsError(_taken_message(host), field="hostname")
    if TenantHost.objects.filter(tenant=tenant).count() >= MAX_HOSTS:
        raise SettingsError(
            _("A program can have at most %(n)d addresses; remove one first.") % {"n": MAX_HOSTS},
            field="hostname",
        )
    try:
        with transaction.atomic():
            row = TenantHost.objects.create(tenant=tenant, hostname=host, is_primary=False)
    except IntegrityError as exc:
        # Another program claimed it between the check and the insert.
        raise SettingsError(_taken_message(host), field="hostname") from exc
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.PROGRAM_HOST_ADDED,
        target=row,
        data={"host": host, "from": None, "to": host},
    )
    return row


@transaction.atomic
def tenant_host_make_primary(*, tenant: Tenant, actor: Any, host_id: int) -> TenantHost:
    """Make one of the program's hosts the primary (the one in email links); the previous
    primary stays as an ordinary address. TenantHost.DoesNotExist for another program's."""
    rows = _hosts_locked(tenant=tenant)
    target = next((row for row in rows if row.pk == host_id), None)
    if target is None:
        raise TenantHost.DoesNotExist
    if target.is_primary:
        return target
    previous = [row for row in rows if row.is_primary]
    for row in previous:  # first, so that one primary per program holds at every statement
        row.is_primary = False
        row.save(update_fields=["is_primary"])
    target.is_primary = True
    target.save(update_fields=["is_primary"])
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.PROGRAM_HOST_PRIMARY_CHANGED,
        target=target,
        data={"from": previous[0].hostname if previous else None, "to": target.hostname},
    )
    return target


@transaction.atomic
def tenant_host_remove(*, tenant: Tenant, actor: Any, host_id: int, current_host: str) -> str:
    """Remove an address of the program: never the primary, never the last, never the one
    the admin is using (`current_host`, the request's host). Returns the hostname removed.
    TenantHost.DoesNotExist for another program's."""
    rows = _hosts_locked(tenant=tenant)
    target = next((row for row in rows if row.pk == host_id), None)
    if target is None:
        raise TenantHost.DoesNotExist
    if len(rows) <= 1:
        raise SettingsError(_("A program needs at least one address."))
    if target.is_primary:
        raise SettingsError(
            _("%(host)s is the primary address; make another address primary first.")
            % {"host": target.hostname}
        )
    current = current_host.split(":", 1)[0].strip().lower().rstrip(".")
    if target.hostname == current:
        raise SettingsError(
            _(
                "You are using %(host)s right now. Open the settings through another of the "
                "program’s addresses to remove it."
            )
            % {"host": target.hostname}
        )
    hostname = target.hostname
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.PROGRAM_HOST_REMOVED,
        target=target,
        data={"host": hostname, "from": hostname, "to": None},
    )
    target.delete()
    return hostname


# Name, colour, contact, time zone, language ---------------------------------------------


def _settings_check(
    *, name: str, brand_color: str, support_email: str, time_zone: str, language: str
) -> dict[str, str]:
    values = {
        "name": " ".join(name.split()),
        "brand_color": brand_colour_check(brand_color),
        "support_email": support_email.strip().lower(),
        "time_zone": time_zone.strip(),
        "language": language.strip(),
    }
    if not values["name"]:
        raise SettingsError(_("Give the program a name."), field="name")
    if len(values["name"]) > 200:  # Tenant.name's max_length
        raise SettingsError(_("Use at most 200 characters."), field="name")
    if values["support_email"]:
        try:
            validate_email(values["support_email"])
        except ValidationError as exc:
            raise SettingsError(_("Enter a valid email address."), field="support_email") from exc
    if values["time_zone"] not in time_zone_names():
        raise SettingsError(_("Choose a time zone from the list."), field="time_zone")
    if values["language"] not in Language.values:
        raise SettingsError(_("Choose a language from the list."), field="language")
    return values


@transaction.atomic
def program_settings_update(
    *,
    tenant: Tenant,
    actor: Any,
    name: str,
    brand_color: str,
    support_email: str,
    time_zone: str,
    language: str,
) -> list[str]:
    """Change the program's name, brand colour, support email, time zone and language.
    Returns the fields changed (none: nothing written, nothing audited)."""
    values = _settings_check(
        name=name,
        brand_color=brand_color,
        support_email=support_email,
        time_zone=time_zone,
        language=language,
    )
    locked = Tenant.objects.select_for_update(of=("self",)).get(pk=tenant.pk)
    changed = [field for field, value in values.items() if getattr(locked, field) != value]
    if not changed:
        return []
    before = {field: getattr(locked, field) for field in changed}
    for field in changed:
        setattr(locked, field, values[field])
        setattr(tenant, field, values[field])
    locked.save(update_fields=changed)
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.PROGRAM_SETTINGS_CHANGED,
        target=locked,
        data={
            "fields": ", ".join(str(FIELD_LABELS[field]) for field in changed),
            "from": before,
            "to": {field: values[field] for field in changed},
        },
    )
    return changed


# Logo -------------------------------------------------------------------------------------


def _logo_replace(*, tenant: Tenant, actor: Any, name: str, original_name: str) -> None:
    """Point the program at logo file `name` ("" to remove), audit it, and delete the
    previous file once the change is committed."""
    locked = Tenant.objects.select_for_update(of=("self",)).get(pk=tenant.pk)
    previous = locked.logo.name or ""
    if previous == name:
        return
    locked.logo.name = name
    locked.save(update_fields=["logo"])
    tenant.logo.name = name
    audit_record(
        tenant=tenant,
        actor=actor,
        verb=verbs.PROGRAM_LOGO_CHANGED,
        target=locked,
        data={"from": previous, "to": name, "file": original_name},
    )
    if previous:
        transaction.on_commit(lambda: private_storage().delete(previous), robust=True)


def program_logo_set(*, tenant: Tenant, actor: Any, upload: CheckedUpload) -> str:
    """Store a checked logo (see LOGO_POLICY) under a new key and make it the program's
    logo; the file is removed again when the change does not commit."""
    if upload.ext not in {ext for t in LOGO_POLICY.types for ext in t.extensions}:
        raise SettingsError(_("Upload %(what)s.") % {"what": LOGO_POLICY.describe()}, field="logo")
    key = storage_key(tenant_id=tenant.pk, area="branding", ext=upload.ext)
    name = private_file_save(key=key, upload=upload)
    try:
        with transaction.atomic():
            _logo_replace(tenant=tenant, actor=actor, name=name, original_name=upload.original_name)
    except Exception:
        private_storage().delete(name)
        raise
    return name


@transaction.atomic
def program_logo_remove(*, tenant: Tenant, actor: Any) -> None:
    """Go back to the program's initial (or `logo_url`) in the headers."""
    _logo_replace(tenant=tenant, actor=actor, name="", original_name="")
