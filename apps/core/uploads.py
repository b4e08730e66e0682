"""Upload safety: one small API for every feature that accepts files from users.

    from apps.core.uploads import SafeFileField, UploadPolicy, storage_key

    POLICY = UploadPolicy(allowed_types=frozenset({"pdf", "png", "jpeg", "docx"}))

    class MyForm(forms.Form):
        file = SafeFileField(policy=POLICY)     # cleaned value: a CheckedUpload

    checked = form.cleaned_data["file"]
    key = storage_key(tenant_id=tenant.pk, area="documents", ext=checked.ext)
    name = private_file_save(key=key, upload=checked)   # apps/core/files.py

What it guarantees for a `CheckedUpload`:
- the file is not empty and not larger than `policy.max_bytes`, counted while reading its
  chunks (the client's declared size is never trusted);
- its extension is one of the policy's types, and its content matches that type (magic
  bytes via the `filetype` package; own checks for OLE, OOXML, text and CSV), so an
  executable renamed .pdf or an HTML/SVG file renamed .png is refused;
- its name has no path separators, no `..`, and no control or bidi-override characters.
  The name is only ever shown to people (`original_name`); storage keys come from
  `storage_key()` and are never derived from user input.

Everything refused raises `UploadRejected` with a message fit to show to the user;
`SafeFileField` turns it into a form error. `upload_request_too_large()` lets a view refuse an
oversized request body before it validates or stores anything.
"""

from __future__ import annotations

import codecs
import re
import unicodedata
import uuid
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django import forms
from django.template.defaultfilters import filesizeformat
from filetype.types import archive as _arc
from filetype.types import image as _img
from filetype.types import video as _vid

HEAD_BYTES = 8192
# Room for the other form fields and multipart framing around one file.
REQUEST_OVERHEAD_BYTES = 1024 * 1024


def _size(n: int) -> str:
    """ "25 MB", "2 KB", "1.5 MB"."""
    return str(filesizeformat(n)).replace("\xa0", " ").replace(".0 ", " ")


class UploadRejected(Exception):
    """The upload was refused; `message` is shown to the user as is."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


# Content checks. Each receives the first HEAD_BYTES of the file and the (seekable) file.
Sniffer = Callable[[bytes, Any], bool]


def _filetype(*matchers) -> Sniffer:
    def check(head: bytes, _file) -> bool:
        return any(matcher.match(bytearray(head)) for matcher in matchers)

    return check


_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"


def _ole(head: bytes, _file) -> bool:
    # Legacy Office (.doc/.xls/.ppt) are OLE compound files; telling the three apart
    # needs a CFB parser, so any OLE container is accepted for these extensions.
    return head.startswith(_OLE_MAGIC)


def _ooxml(part_prefix: str) -> Sniffer:
    def check(head: bytes, file) -> bool:
        if not head.startswith(b"PK\x03\x04"):
            return False
        try:
            file.seek(0)
            with zipfile.ZipFile(file) as archive:  # reads the central directory only
                names = archive.namelist()
        except (zipfile.BadZipFile, OSError, ValueError, EOFError):
            return False
        finally:
            file.seek(0)
        return "[Content_Types].xml" in names and any(n.startswith(part_prefix) for n in names)

    return check


def _zip(head: bytes, _file) -> bool:
    return head.startswith((b"PK\x03\x04", b"PK\x05\x06"))


# Bytes other than TAB, LF, FF, CR below 0x20, and DEL: never in text people write.
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0b\x0e-\x1f\x7f]")
_MARKUP_START = re.compile(
    rb"^\s*<\s*(!doctype|html|head|body|script|svg|\?xml|iframe|object)", re.I
)


def _text(head: bytes, file) -> bool:
    """Plain text: no control bytes anywhere, and not markup in disguise.

    UTF-8 is expected, but a legacy single-byte encoding (an Excel CSV in cp1252) passes too:
    what is refused is binary content, not an encoding.
    """
    body = head[3:] if head.startswith(codecs.BOM_UTF8) else head
    if _MARKUP_START.match(body):
        return False
    file.seek(0)
    try:
        for chunk in _chunks(file):
            if _CONTROL_BYTES.search(chunk):
                return False
    finally:
        file.seek(0)
    return True


@dataclass(frozen=True)
class FileType:
    key: str
    label: str
    extensions: tuple[str, ...]
    content_type: str
    sniff: Sniffer = field(repr=False, compare=False)
    # Safe to show in the browser (Content-Disposition: inline).
    inline: bool = False


FILE_TYPES: dict[str, FileType] = {
    t.key: t
    for t in [
        FileType("pdf", "PDF", ("pdf",), "application/pdf", _filetype(_arc.Pdf()), inline=True),
        FileType("png", "PNG", ("png",), "image/png", _filetype(_img.Png(), _img.Apng()), True),
        FileType("jpeg", "JPEG", ("jpg", "jpeg"), "image/jpeg", _filetype(_img.Jpeg()), True),
        FileType("gif", "GIF", ("gif",), "image/gif", _filetype(_img.Gif()), inline=True),
        FileType("webp", "WebP", ("webp",), "image/webp", _filetype(_img.Webp()), inline=True),
        FileType(
            "docx",
            "Word",
            ("docx",),
            "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            _ooxml("word/"),
        ),
        FileType(
            "xlsx",
            "Excel",
            ("xlsx",),
            "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            _ooxml("xl/"),
        ),
        FileType(
            "pptx",
            "PowerPoint",
            ("pptx",),
            "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            _ooxml("ppt/"),
        ),
        FileType("doc", "Word 97–2003", ("doc",), "application/msword", _ole),
        FileType("xls", "Excel 97–2003", ("xls",), "application/vnd.ms-excel", _ole),
        FileType("ppt", "PowerPoint 97–2003", ("ppt",), "application/vnd.ms-powerpoint", _ole),
        FileType("txt", "Text", ("txt",), "text/plain", _text, inline=True),
        FileType("csv", "CSV", ("csv",), "text/csv", _text),
        FileType(
            "mp4", "MP4 video", ("mp4",), "video/mp4", _filetype(_vid.Mp4(), _vid.M4v()), True
        ),
        FileType("webm", "WebM video", ("webm",), "video/webm", _filetype(_vid.Webm()), True),
        FileType("zip", "ZIP archive", ("zip",), "application/zip", _zip),
    ]
}
# SVG is deliberately absent: it is a document that can carry scripts, not an image.

_EXECUTABLE_MAGIC = (b"MZ", b"\x7fELF", b"\xfe\xed\xfa", b"\xcf\xfa\xed\xfe", b"\xca\xfe\xba\xbe")


@dataclass(frozen=True)
class UploadPolicy:
    """What one upload feature accepts: a size limit and a set of FILE_TYPES keys."""

    max_bytes: int = 25 * 1024 * 1024
    allowed_types: frozenset[str] = frozenset({"pdf", "png", "jpeg"})

    def __post_init__(self):
        unknown = set(self.allowed_types) - set(FILE_TYPES)
        if unknown:
            raise ValueError(f"Unknown file types: {sorted(unknown)}")

    @property
    def types(self) -> list[FileType]:
        return [FILE_TYPES[key] for key in FILE_TYPES if key in self.allowed_types]

    def type_for_extension(self, ext: str) -> FileType | None:
        for file_type in self.types:
            if ext in file_type.extensions:
                return file_type
        return None

    @property
    def accept(self) -> str:
        """The value of an <input type=file accept=...> attribute."""
        return ",".join(f".{ext}" for t in self.types for ext in t.extensions)

    def describe(self) -> str:
        """ "PDF, PNG or JPEG, up to 25 MB" for help texts."""
        labels = [t.label for t in self.types]
        listed = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " or " + labels[-1]
        return f"{listed}, up to {_size(self.max_bytes)}"

    @property
    def max_request_bytes(self) -> int:
        return self.max_bytes + REQUEST_OVERHEAD_BYTES


@dataclass(frozen=True)
class CheckedUpload:
    """An upload that passed `validate_upload`. `file` is the uploaded file, rewound."""

    ext: str
    content_type: str
    size: int
    original_name: str
    file: Any = field(default=None, repr=False, compare=False)

    @property
    def file_type(self) -> FileType:
        return next(t for t in FILE_TYPES.values() if self.ext in t.extensions)


_BAD_NAME_CATEGORIES = {"Cc", "Cf", "Cs", "Co", "Zl", "Zp"}


def display_name(name: str) -> str:
    """The file name to show people, or UploadRejected if it is unsafe.

    Refused: path separators, `.`/`..` components, NUL and other control characters, and
    format characters such as U+202E (right-to-left override, "invoice‮fdp.exe").
    """
    if not isinstance(name, str) or not name.strip():
        raise UploadRejected("The file has no name.")
    name = unicodedata.normalize("NFC", name).strip()
    if "/" in name or "\\" in name or name in {".", ".."} or name.startswith(".."):
        raise UploadRejected("The file name must not contain a folder path.")
    if any(unicodedata.category(ch) in _BAD_NAME_CATEGORIES for ch in name):
        raise UploadRejected("The file name contains characters that are not allowed.")
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 200 - len(ext) - 1] + dot + ext) if dot else name[:200]
    return name


def _chunks(file, size: int = 64 * 1024):
    if hasattr(file, "chunks"):
        yield from file.chunks(size)
        return
    while True:
        chunk = file.read(size)
        if not chunk:
            return
        yield chunk


def validate_upload(uploaded_file, policy: UploadPolicy) -> CheckedUpload:
    """Check one uploaded file against `policy`; return what is known about it.

    `uploaded_file` is a Django UploadedFile (or any seekable file object with a `name`).
    Raises UploadRejected with a message for the user.
    """
    name = display_name(getattr(uploaded_file, "name", "") or "")
    stem, dot, ext = name.rpartition(".")
    ext = ext.lower() if dot and stem else ""
    file_type = policy.type_for_extension(ext) if ext else None
    if file_type is None:
        shown = f".{ext} files" if ext else "Files without an extension"
        raise UploadRejected(f"{shown} are not accepted. Upload {policy.describe()}.")

    size = 0
    head = b""
    uploaded_file.seek(0)
    for chunk in _chunks(uploaded_file):
        size += len(chunk)
        if size > policy.max_bytes:
            uploaded_file.seek(0)
            raise UploadRejected(
                f"The file is larger than {_size(policy.max_bytes)}, the limit for one file."
            )
        if len(head) < HEAD_BYTES:
            head += chunk[: HEAD_BYTES - len(head)]
    uploaded_file.seek(0)
    if size == 0:
        raise UploadRejected("The file is empty.")

    if head.startswith(_EXECUTABLE_MAGIC) or not file_type.sniff(head, uploaded_file):
        raise UploadRejected(
            f"The file’s content does not match its .{ext} extension: "
            f"it is not a valid {file_type.label} file."
        )
    uploaded_file.seek(0)
    return CheckedUpload(
        ext=file_type.extensions[0],
        content_type=file_type.content_type,
        size=size,
        original_name=name,
        file=uploaded_file,
    )


_AREA = re.compile(r"^[a-z0-9][a-z0-9_-]{0,40}$")
_EXT = re.compile(r"^[a-z0-9]{1,10}$")


def storage_key(*, tenant_id: int, area: str, ext: str) -> str:
    """`tenants/<tenant_id>/<area>/<uuid4>.<ext>`: where a tenant's private file is stored."""
    if not isinstance(tenant_id, int) or tenant_id <= 0:
        raise ValueError("tenant_id must be a positive integer")
    if not _AREA.match(area) or not _EXT.match(ext):
        raise ValueError("area and ext must be short lower-case tokens")
    return f"tenants/{tenant_id}/{area}/{uuid.uuid4().hex}.{ext}"


def upload_request_too_large(request, policy: UploadPolicy) -> bool:
    """True when the request body is larger than one allowed file plus the form around it.

    Views check this before validating or storing anything, and answer with a form error
    (status 413). Put the same limit in front of Django too (the proxy's body size limit).
    """
    try:
        length = int(request.headers.get("content-length") or 0)
    except ValueError:
        return True
    return length > policy.max_request_bytes


def too_large_message(policy: UploadPolicy) -> str:
    return (
        f"The upload is larger than {_size(policy.max_bytes)}, the limit for one "
        "file. Nothing was saved."
    )


class SafeFileField(forms.FileField):
    """A file field whose cleaned value is a CheckedUpload (or None when left empty)."""

    widget = forms.FileInput

    def __init__(self, *, policy: UploadPolicy, **kwargs):
        self.policy = policy
        kwargs.setdefault("allow_empty_file", True)  # validate_upload says "The file is empty."
        kwargs.setdefault("help_text", policy.describe())
        super().__init__(**kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs["accept"] = self.policy.accept
        return attrs

    def clean(self, data, initial=None):
        value = super().clean(data, initial)
        if not value:
            return None
        try:
            return validate_upload(value, self.policy)
        except UploadRejected as exc:
            raise forms.ValidationError(exc.message, code="upload_rejected") from exc
