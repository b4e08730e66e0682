"""Content made through the services, as the product makes it."""

import io
import struct
import zipfile
import zlib

from django.core.files.uploadedfile import SimpleUploadedFile
from django_scopes import scope

from apps.content.demo import tiny_pdf
from apps.content.services import ASSET_UPLOAD_POLICY, article_save, asset_create
from apps.core.uploads import validate_upload


def pdf_bytes(title: str = "Partner guide") -> bytes:
    return tiny_pdf(title, ["A line of text."])


def png_bytes() -> bytes:
    def chunk(kind, data):
        return (
            struct.pack(">I", len(data))
            + kind
            + data
            + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
        )

    raw = b"".join(b"\x00" + b"\x4f\x46\xe5" * 4 for _ in range(4))
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def ooxml_bytes(part: str = "word/document.xml") -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr(part, "<document/>")
    return buffer.getvalue()


def upload(name: str = "guide.pdf", data: bytes | None = None, content_type="application/pdf"):
    return SimpleUploadedFile(name, pdf_bytes() if data is None else data, content_type)


def checked(name: str = "guide.pdf", data: bytes | None = None):
    return validate_upload(upload(name, data), ASSET_UPLOAD_POLICY)


def file_asset(program, title: str = "Partner guide", actor=None, **fields):
    with scope(tenant=program.tenant):
        return asset_create(
            tenant=program.tenant,
            actor=actor or program.cam,
            title=title,
            upload=fields.pop("upload", None) or checked(),
            **fields,
        )


def link_asset(program, title: str = "Brand kit", url="https://brand.example.com/kit", **fields):
    with scope(tenant=program.tenant):
        return asset_create(
            tenant=program.tenant, actor=program.cam, title=title, url=url, **fields
        )


def article(program, title: str = "Getting started", body: str = "Welcome.", publish=True, **kw):
    with scope(tenant=program.tenant):
        return article_save(
            tenant=program.tenant,
            actor=program.cam,
            title=title,
            body_markdown=body,
            publish=publish,
            **kw,
        )
