"""Small shapes and text rules shared by the onboarding, applications, alerts and milestones
resources."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator, BeforeValidator, Field

# Control characters PostgreSQL or a reader would not want in a text (NUL above all), except
# tab and line breaks: a comment or a reason may run over several lines.
_CONTROL = r"\x00-\x08\x0b\x0c\x0e-\x1f\x7f"
# Free text over several lines (may be empty).
LONG_TEXT = rf"^[^{_CONTROL}]*$"
# Free text with at least one visible character.
LONG_TEXT_VISIBLE = rf"^\s*[^\s{_CONTROL}][^{_CONTROL}]*$"

# One answer of a form (Provide information), or of the public application form.
AnswerValue = Annotated[
    str | bool | int | float | None,
    Field(description="A text, number, date (YYYY-MM-DD), choice or checkbox answer."),
]

# The largest id a path or body accepts: ids are 64-bit, and JavaScript clients read numbers
# exactly up to 2**53.
ID_MAX = 2**53


# RFC 3339, as JSON Schema's `date-time` format means it: a date, a time with seconds, and
# an offset (`Z` or ±hh:mm). pydantic alone would also take a number (Unix time) or a date.
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$"
)


def _rfc3339(value: object) -> object:
    """Only an RFC 3339 text is a time here (a datetime object passes as it is)."""
    if isinstance(value, datetime):
        return value
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError("Give a date and time in RFC 3339, e.g. 2026-11-28T17:00:00Z.")
    try:
        return datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValueError("Not a valid date and time.") from exc


def _in_utc(value: datetime) -> datetime:
    """A time the database can hold, in UTC; times outside the representable range are
    refused (a 400, not a server error)."""
    try:
        value = value.astimezone(UTC)
    except OverflowError as exc:
        raise ValueError("Out of range.") from exc
    if not (MIN_TIME <= value <= MAX_TIME):
        raise ValueError("Out of range.")
    return value


MIN_TIME = datetime(1, 1, 2, tzinfo=UTC)
MAX_TIME = datetime(9999, 12, 30, tzinfo=UTC)

# A time filter: RFC 3339 with an offset, compared in UTC.
UtcDateTime = Annotated[datetime, BeforeValidator(_rfc3339), AfterValidator(_in_utc)]
