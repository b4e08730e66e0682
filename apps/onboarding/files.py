"""The download of a file a partner uploaded for an action, once a view has authorised it."""

from __future__ import annotations

from django.http import FileResponse

from apps.onboarding.models import ActionFile


def action_file_response(row: ActionFile) -> FileResponse:
    """The file as an attachment, never sniffed or cached by the browser."""
    response = FileResponse(
        row.file.open("rb"),
        as_attachment=True,
        filename=row.original_name,
        content_type=row.content_type or "application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response
