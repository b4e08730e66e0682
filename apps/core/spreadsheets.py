"""Cells for CSV files that people open in spreadsheets."""

from __future__ import annotations

# A spreadsheet runs a cell that starts with one of these as a formula (CSV injection).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def csv_safe(value: object) -> object:
    """`value` for a CSV cell: text that a spreadsheet would run as a formula is prefixed
    with a single quote; None becomes an empty cell; anything else is kept."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value
