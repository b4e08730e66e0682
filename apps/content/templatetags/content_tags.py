from django import template
from django.utils.html import escape
from django.utils.safestring import mark_safe

from apps.content.selectors import HEADLINE_START, HEADLINE_STOP

register = template.Library()

# ext -> (short label, colour family) for the file badge.
_FAMILIES = {
    "pdf": ("PDF", "red"),
    "doc": ("DOC", "blue"),
    "docx": ("DOC", "blue"),
    "txt": ("TXT", "gray"),
    "xls": ("XLS", "green"),
    "xlsx": ("XLS", "green"),
    "csv": ("CSV", "green"),
    "ppt": ("PPT", "amber"),
    "pptx": ("PPT", "amber"),
    "png": ("IMG", "violet"),
    "jpg": ("IMG", "violet"),
    "gif": ("GIF", "violet"),
    "webp": ("IMG", "violet"),
    "mp4": ("VID", "pink"),
    "webm": ("VID", "pink"),
    "zip": ("ZIP", "gray"),
}


@register.inclusion_tag("content/_file_icon.html")
def file_icon(asset=None, ext: str = "", size: str = ""):
    """A coloured file-type badge for an asset (or a bare extension)."""
    if asset is not None and asset.is_link:
        label, family = "LINK", "brand"
    else:
        if asset is not None and asset.current_version is not None:
            ext = asset.current_version.ext
        label, family = _FAMILIES.get((ext or "").lower(), ((ext or "file").upper()[:4], "gray"))
    return {"label": label, "family": family, "size": size}


@register.filter
def headline(value: str) -> str:
    """A search snippet: escaped, with the matched words in <mark>."""
    text = escape(value or "")
    return mark_safe(  # noqa: S308 - escaped above; only our own <mark> tags are added
        text.replace(HEADLINE_START, "<mark>").replace(HEADLINE_STOP, "</mark>")
    )
