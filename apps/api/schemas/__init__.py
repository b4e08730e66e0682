"""Request and response schemas of the API, one module per resource (next to its router)."""

import re
from datetime import UTC, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator


def without_default(schema: dict[str, Any]) -> None:
    """`json_schema_extra` for an optional field that is not nullable (`x: int = None`): its
    `"default": null` would tell clients (and schemathesis) that null is a valid value."""
    schema.pop("default", None)


# RFC 3339 date-time, as JSON Schema's "date-time" format means it (a time zone required).
_RFC3339 = re.compile(
    r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$", re.ASCII
)


def _rfc3339(value: Any) -> Any:
    # pydantic alone would also take numbers and numeric strings ("0.5") as Unix times.
    if not isinstance(value, str) or not _RFC3339.match(value):
        raise ValueError("An RFC 3339 date-time with a time zone (2026-03-02T14:30:00Z).")
    return value


def _utc(value: datetime) -> datetime:
    try:
        return value.astimezone(UTC)
    except OverflowError as exc:  # 0001-01-01T00:00:00+05:00 is before year 1 in UTC
        raise ValueError("Out of range.") from exc


# A time as JSON Schema's `date-time` says (RFC 3339, with a zone; nothing else), converted to
# UTC: PostgreSQL refuses offsets beyond ±15:59, which RFC 3339 allows (up to ±23:59).
UtcDatetime = Annotated[AwareDatetime, BeforeValidator(_rfc3339), AfterValidator(_utc)]


def _json_int(value: Any) -> Any:
    # JSON Schema's "integer" is any number with no fractional part (5.0 included); not a
    # string ("7") nor a boolean, which pydantic's lax mode would take.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ValueError("A whole number.")
    if isinstance(value, float):
        if not value.is_integer():
            raise ValueError("A whole number.")
        return int(value)
    return value


# An integer in a JSON body, as JSON Schema's `integer` means it.
JsonInt = Annotated[int, BeforeValidator(_json_int)]
