"""Reading a partner import file (CSV) into rows: encoding, header, cells, the users cell.

Nothing here touches the database: `partner_import_parse` turns the uploaded bytes into
`ImportRow`s (each with the problems found in its own cells) or refuses the whole file
(`ImportFileError`) when it cannot be read as the documented CSV. `importing.py` then checks
the rows against the program (types, tiers, staff, domains and people already there).
"""

from __future__ import annotations

import codecs
import csv
import io
import re
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from apps.core.text import has_control_characters
from apps.partners.services.errors import PartnerError

IMPORT_MAX_BYTES = 10 * 1024 * 1024
IMPORT_MAX_ROWS = 10_000

# Column key -> the header spellings accepted for it (compared after `_header_key`).
COLUMNS: dict[str, tuple[str, ...]] = {
    "company": ("company", "company name", "name"),
    "domains": ("domains", "domain", "email domains"),
    "partner_type": ("partner type", "type"),
    "tier": ("tier",),
    "region": ("region",),
    "cam": ("cam email", "cam", "channel manager", "channel manager email"),
    "users": ("users", "user emails", "people"),
}
REQUIRED_COLUMNS = ("company", "domains", "partner_type")
# The header of the template CSV, and how the page names each column.
COLUMN_TITLES: dict[str, str] = {
    "company": "company",
    "domains": "domains",
    "partner_type": "partner type",
    "tier": "tier",
    "region": "region",
    "cam": "cam email",
    "users": "users",
}
COLUMN_LABELS = {
    "company": gettext_lazy("company"),
    "domains": gettext_lazy("domains"),
    "partner_type": gettext_lazy("partner type"),
    "tier": gettext_lazy("tier"),
    "region": gettext_lazy("region"),
    "cam": gettext_lazy("CAM email"),
    "users": gettext_lazy("users"),
}
MAX_LENGTHS = {"company": 200, "partner_type": 100, "tier": 50, "region": 60, "cam": 254}
# Spreadsheets run a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = "=+-@\t\r"
ADMIN_FLAGS = frozenset({"admin", "partner admin", "partner_admin"})

_SPLIT_DOMAINS = re.compile(r"[\s;,]+")
_SPLIT_USERS = re.compile(r"[;\n]+")
_FLAG = re.compile(r"\[([^\[\]]*)\]")
_NAMED = re.compile(r"^(?P<name>.*?)\s*<(?P<email>[^<>]*)>$")
_UTF16_BOMS = (codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)


class ImportFileError(PartnerError):
    """The whole file is refused (encoding, shape, header, size); nothing was read from it."""


@dataclass(frozen=True)
class ImportPerson:
    """One person of a row's users cell."""

    email: str
    first_name: str = ""
    last_name: str = ""
    admin: bool = False


@dataclass
class ImportRow:
    """One data row of the file, as written (trimmed); `errors` are problems in its cells."""

    line: int
    company: str = ""
    domains: list[str] = field(default_factory=list)
    partner_type: str = ""
    tier: str = ""
    region: str = ""
    cam: str = ""
    users: list[ImportPerson] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    raw_domains: str = ""
    raw_users: str = ""


def _header_key(name: str) -> str:
    return " ".join(name.replace("_", " ").replace("-", " ").split()).lower()


_HEADERS = {spelling: key for key, spellings in COLUMNS.items() for spelling in spellings}


def _decode(data: bytes) -> str:
    if not data or not data.strip():
        raise ImportFileError(_("The file is empty."))
    if data.startswith(_UTF16_BOMS) or b"\x00" in data[:4096]:
        raise ImportFileError(
            _(
                "The file is saved as UTF-16. Save it as “CSV UTF-8 (comma delimited)” and "
                "upload it again."
            )
        )
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise ImportFileError(
            _(
                "The file is not UTF-8 text (line %(line)d has a character in another "
                "encoding, such as Windows-1252). In Excel choose “CSV UTF-8 (comma "
                "delimited)” when saving, then upload it again."
            )
            % {"line": line}
        ) from exc
    if "\x00" in text:
        raise ImportFileError(_("The file contains binary data: it is not a CSV file."))
    return text


def _delimiter(header_line: str) -> str:
    """Comma, unless the header has none and uses semicolons or tabs (Excel in many locales)."""
    for candidate in (",", ";", "\t"):
        if candidate in header_line:
            return candidate
    return ","


def _columns(header: list[str]) -> dict[str, int]:
    positions: dict[str, int] = {}
    unknown: list[str] = []
    for index, name in enumerate(header):
        key = _HEADERS.get(_header_key(name))
        if not name.strip():
            continue
        if key is None:
            unknown.append(name.strip())
        elif key in positions:
            raise ImportFileError(
                _("The column “%(name)s” appears twice in the header.") % {"name": name.strip()}
            )
        else:
            positions[key] = index
    if unknown:
        raise ImportFileError(
            _("Unknown column(s): %(unknown)s. The columns are: %(known)s.")
            % {
                "unknown": ", ".join(f"“{u}”" for u in unknown),
                "known": ", ".join(COLUMN_TITLES.values()),
            }
        )
    missing = [COLUMN_TITLES[k] for k in REQUIRED_COLUMNS if k not in positions]
    if missing:
        raise ImportFileError(
            _(
                "The header has no %(missing)s column. The first line must name the "
                "columns: %(known)s."
            )
            % {
                "missing": ", ".join(f"“{m}”" for m in missing),
                "known": ", ".join(COLUMN_TITLES.values()),
            }
        )
    return positions


def _person(entry: str, errors: list[str]) -> ImportPerson | None:
    admin = False
    for flag in _FLAG.findall(entry):
        if _header_key(flag) in ADMIN_FLAGS:
            admin = True
        else:
            errors.append(
                _("Unknown flag “[%(flag)s]” in users: the only flag is [admin].") % {"flag": flag}
            )
            return None
    entry = _FLAG.sub("", entry).strip()
    match = _NAMED.match(entry)
    name, email = (
        (match.group("name").strip(" \"'"), match.group("email")) if match else ("", entry)
    )
    email = email.strip().lower()
    try:
        validate_email(email)
    except ValidationError:
        errors.append(
            _("“%(entry)s” in users is not an email address (write Name <email> [admin]).")
            % {"entry": entry[:120]}
        )
        return None
    first, _sep, last = " ".join(name.split()).partition(" ")
    if len(first) > 150 or len(last) > 150:
        errors.append(_("The name of %(email)s is too long.") % {"email": email})
        return None
    if has_control_characters(first + last):
        errors.append(
            _("The name of %(email)s has invisible control characters.") % {"email": email}
        )
        return None
    return ImportPerson(email=email, first_name=first, last_name=last, admin=admin)


def _people(cell: str, errors: list[str]) -> list[ImportPerson]:
    people: dict[str, ImportPerson] = {}
    for entry in _SPLIT_USERS.split(cell):
        if not entry.strip():
            continue
        person = _person(entry.strip(), errors)
        if person is None:
            continue
        seen = people.get(person.email)
        if seen is None:
            people[person.email] = person
        elif person.admin and not seen.admin:
            people[person.email] = ImportPerson(
                person.email,
                seen.first_name or person.first_name,
                seen.last_name or person.last_name,
                True,
            )
    return list(people.values())


def _row(line: int, cells: list[str], positions: dict[str, int], width: int) -> ImportRow:
    row = ImportRow(line=line)
    if len(cells) > width and any(c.strip() for c in cells[width:]):
        row.errors.append(
            _("This line has %(cells)d cells but the header names %(width)d columns.")
            % {"cells": len(cells), "width": width}
        )
    values: dict[str, str] = {}
    for key, index in positions.items():
        raw = cells[index] if index < len(cells) else ""
        value = raw.strip()
        first = raw.lstrip(" ")[:1]
        if first and first in FORMULA_STARTS:
            row.errors.append(
                _(
                    "The %(column)s cell starts with “%(char)s”: cells that look like "
                    "spreadsheet formulas are refused. Remove the leading character."
                )
                % {"column": COLUMN_LABELS[key], "char": first.strip() or _("a tab")}
            )
        limit = MAX_LENGTHS.get(key)
        if limit and len(value) > limit:
            row.errors.append(
                _("The %(column)s cell is longer than %(limit)d characters.")
                % {"column": COLUMN_LABELS[key], "limit": limit}
            )
            value = value[:limit]
        values[key] = value
    row.company = " ".join(values.get("company", "").split())
    row.partner_type = " ".join(values.get("partner_type", "").split())
    row.tier = values.get("tier", "")
    row.region = values.get("region", "")
    row.cam = values.get("cam", "").lower()
    row.raw_domains = values.get("domains", "")
    row.domains = [d for d in _SPLIT_DOMAINS.split(row.raw_domains) if d]
    row.raw_users = values.get("users", "")
    row.users = _people(row.raw_users, row.errors)
    if not row.company:
        row.errors.append(_("The company cell is empty."))
    elif has_control_characters(row.company):
        row.errors.append(_("The company name has invisible control characters."))
    if not row.domains:
        row.errors.append(_("Give at least one email domain."))
    return row


def partner_import_parse(data: bytes) -> list[ImportRow]:
    """The data rows of an import file (blank lines skipped), or ImportFileError."""
    if len(data) > IMPORT_MAX_BYTES:
        raise ImportFileError(
            _("The file is larger than %(mb)d MB, the limit for one import. Split it in parts.")
            % {"mb": IMPORT_MAX_BYTES // (1024 * 1024)}
        )
    text = _decode(data)
    first_line = text.lstrip("\r\n").split("\n", 1)[0]
    reader = csv.reader(
        io.StringIO(text, newline=""), delimiter=_delimiter(first_line), strict=True
    )
    rows: list[ImportRow] = []
    positions: dict[str, int] | None = None
    width = 0
    try:
        for cells in reader:
            if not any(c.strip() for c in cells):
                continue
            if positions is None:
                positions = _columns(cells)
                width = len(cells)
                continue
            if len(rows) >= IMPORT_MAX_ROWS:
                raise ImportFileError(
                    _(
                        "The file has more than %(max)s partner rows, the limit for one "
                        "import. Split it in parts."
                    )
                    % {"max": f"{IMPORT_MAX_ROWS:,}"}
                )
            rows.append(_row(reader.line_num, cells, positions, width))
    except csv.Error as exc:
        raise ImportFileError(
            _("The file is not valid CSV near line %(line)d (%(error)s). Check its quotes.")
            % {"line": reader.line_num, "error": exc}
        ) from exc
    if positions is None:
        raise ImportFileError(_("The file is empty."))
    if not rows:
        raise ImportFileError(_("The file has a header but no partner rows."))
    return rows


def partner_import_template_rows() -> list[list[str]]:
    """The template CSV: its header and two example rows."""
    return [
        list(COLUMN_TITLES.values()),
        [
            "Northwind Traders",
            "northwind.example; nwtraders.example",
            "Reseller / VAR",
            "Gold",
            "EMEA",
            "",
            "Ana Diaz <ana@northwind.example> [admin]; bob@northwind.example",
        ],
        [
            "Contoso Cloud",
            "contoso.example",
            "Managed Service Provider",
            "Registered",
            "North America",
            "",
            "Chris Lee <chris@contoso.example> [admin]",
        ],
    ]
