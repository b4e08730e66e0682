"""The safe formatter of email wording: `{name}` placeholders, nothing else.

A program admin writes an email's subject and intro with placeholders such as
`{first_name}`. This is deliberately not the Django template engine: no tags, no filters, no
attribute access, so the text cannot run anything or reach any object. A placeholder is
`{` + a known name + `}`; any other brace is refused when the wording is saved
(`wording_errors`), and left as it is when a stored text is sent (`wording_format`), so a
wording saved before a variable was retired still sends, showing the placeholder literally.

Values are plain text. The text part shows them as they are; the HTML part escapes the whole
intro (the admin's words and the values alike) when the template prints it.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping

from django.utils.translation import gettext as _

from apps.core.text import truncate
from apps.notifications.models import Notification

PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
# Anything that looks like template syntax or a placeholder: `{...}`, `{{`, `{%`, a lone brace.
_BRACES = re.compile(r"\{+[^{}\n]*\}+|[{}]")


def wording_format(text: str, values: Mapping[str, str]) -> str:
    """`text` with each known `{name}` replaced by its value, in a single pass (a value that
    contains `{...}` is not expanded again). Unknown placeholders stay as written."""

    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        return values[name] if name in values else match.group(0)

    return PLACEHOLDER.sub(replace, text)


def wording_errors(text: str, allowed: Collection[str]) -> list[str]:
    """Why `text` cannot be saved with these variables (an empty list when it can)."""
    errors: list[str] = []
    unknown: list[str] = []
    invalid: list[str] = []
    for match in _BRACES.finditer(text):
        fragment = match.group(0)
        name = PLACEHOLDER.fullmatch(fragment)
        if name is None:
            if fragment not in invalid:
                invalid.append(fragment)
        elif name.group(1) not in allowed and fragment not in unknown:
            unknown.append(fragment)
    if unknown:
        errors.append(
            _("Unknown variable %(names)s. This email can use: %(allowed)s.")
            % {
                "names": ", ".join(unknown),
                "allowed": ", ".join(f"{{{name}}}" for name in allowed),
            }
        )
    if invalid:
        errors.append(
            _(
                "%(fragments)s is not allowed: braces are only for the variables listed, "
                "written like {first_name}. Template code does not run in emails."
            )
            % {"fragments": ", ".join(f"“{fragment}”" for fragment in invalid)}
        )
    return errors


def paragraphs(text: str) -> list[str]:
    """The paragraphs of an intro: split at blank lines, empty ones dropped (a variable that
    is empty for this email, such as an unset program message, leaves no gap)."""
    return [
        part.strip() for part in re.split(r"\n\s*\n", text.replace("\r\n", "\n")) if part.strip()
    ]


def one_line(text: str) -> str:
    """A subject on one line (a value with a line break must never reach a mail header)."""
    return " ".join(text.split())


def truncate_title(text: str) -> str:
    """A notification's title (also its email's subject) on one line and within the
    columns' length, ended with "…" when cut: a long partner, person or stage name never
    becomes a database error inside the business transaction."""
    limit = min(
        Notification._meta.get_field("title").max_length or 300,
        Notification._meta.get_field("email_subject").max_length or 300,
    )
    return truncate(one_line(text), limit)
