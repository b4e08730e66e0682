"""A panel's table as a CSV download: exactly the numbers under its chart."""

from __future__ import annotations

import csv
import io
from typing import TYPE_CHECKING, Any

from django.http import HttpResponse

from apps.core.spreadsheets import csv_safe

if TYPE_CHECKING:
    from apps.analytics.panels import Panel


def _cell(value: Any) -> Any:
    """Numbers stay numbers (a negative number is not a formula); anything else is written
    as text, a formula-like text neutralised (CSV injection)."""
    if value is None or isinstance(value, int | float):
        return csv_safe(value)
    return csv_safe(str(value))


def panel_csv(panel: Panel) -> str:
    """The panel's columns and rows as CSV text."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_cell(c) for c in panel.columns])
    for row in panel.rows:
        writer.writerow([_cell(cell) for cell in row])
    return out.getvalue()


def panel_csv_response(panel: Panel, *, filename: str) -> HttpResponse:
    response = HttpResponse(panel_csv(panel), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
