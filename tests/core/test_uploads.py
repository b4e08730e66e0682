"""apps/core/uploads.py: every refusal, and what a valid upload looks like."""

import io
import re

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile

from apps.core.uploads import (
    FILE_TYPES,
    CheckedUpload,
    SafeFileField,
    UploadPolicy,
    UploadRejected,
    display_name,
    storage_key,
    upload_request_too_large,
    validate_upload,
)
from tests.content.factories import ooxml_bytes, pdf_bytes, png_bytes

EVERYTHING = UploadPolicy(allowed_types=frozenset(FILE_TYPES))
MZ_EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 200
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 600


def _file(name, data, content_type="application/octet-stream"):
    return SimpleUploadedFile(name, data, content_type)


class RawFile(io.BytesIO):
    """A file object whose name nobody sanitised (a direct caller, not Django's parser)."""

    def __init__(self, name, data):
        super().__init__(data)
        self.name = name


@pytest.mark.parametrize(
    ("name", "data", "ext", "content_type"),
    [
        ("Guide.PDF", pdf_bytes(), "pdf", "application/pdf"),
        ("logo.png", png_bytes(), "png", "image/png"),
        ("photo.jpeg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + b"\x00" * 50, "jpg", "image/jpeg"),
        ("anim.gif", b"GIF89a" + b"\x00" * 50, "gif", "image/gif"),
        ("pic.webp", b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 50, "webp", "image/webp"),
        ("deck.pptx", ooxml_bytes("ppt/presentation.xml"), "pptx", FILE_TYPES["pptx"].content_type),
        ("sheet.xlsx", ooxml_bytes("xl/workbook.xml"), "xlsx", FILE_TYPES["xlsx"].content_type),
        ("letter.docx", ooxml_bytes("word/document.xml"), "docx", FILE_TYPES["docx"].content_type),
        ("old.doc", OLE, "doc", "application/msword"),
        ("old.xls", OLE, "xls", "application/vnd.ms-excel"),
        ("notes.txt", "Grüße, partners!\r\nLine two\t.".encode(), "txt", "text/plain"),
        ("leads.csv", b"name,email\nNina,nina@northwind.test\n", "csv", "text/csv"),
        ("legacy.csv", "caf\xe9,r\xe9sum\xe9\n".encode("cp1252"), "csv", "text/csv"),
        (
            "clip.mp4",
            b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 40,
            "mp4",
            "video/mp4",
        ),
        (
            "clip.webm",
            b"\x1a\x45\xdf\xa3\x9f\x42\x86\x81\x01\x42\xf7\x81\x01\x42\xf2\x81\x04"
            b"\x42\xf3\x81\x08\x42\x82\x84webm" + b"\x00" * 20,
            "webm",
            "video/webm",
        ),
        ("bundle.zip", ooxml_bytes(), "zip", "application/zip"),
    ],
)
def test_valid_uploads_are_accepted(name, data, ext, content_type):
    result = validate_upload(_file(name, data, "text/html"), EVERYTHING)
    assert isinstance(result, CheckedUpload)
    assert (result.ext, result.content_type, result.size) == (ext, content_type, len(data))
    assert result.original_name == name
    assert result.file.tell() == 0  # rewound for storage
    # The client's declared content type (text/html here) is never what we keep.
    assert result.content_type != "text/html"


def _refused(name, data, policy=EVERYTHING, file=None) -> str:
    with pytest.raises(UploadRejected) as info:
        validate_upload(file if file is not None else _file(name, data), policy)
    return info.value.message


def test_empty_file_is_refused():
    assert _refused("empty.pdf", b"") == "The file is empty."


def test_too_large_is_refused_while_reading_not_by_trusting_size():
    policy = UploadPolicy(max_bytes=1000, allowed_types=frozenset({"txt"}))
    assert "larger than 1000" in _refused("big.txt", b"a" * 1001, policy)
    # A file that claims to be small: the chunks are counted, not the `size` attribute.
    liar = _file("liar.txt", b"a" * 5000)
    liar.size = 10
    assert "larger than" in _refused("", b"", policy, file=liar)
    assert validate_upload(_file("ok.txt", b"a" * 1000), policy).size == 1000


@pytest.mark.parametrize(
    ("name", "data"),
    [
        ("invoice.pdf", MZ_EXE),  # a Windows executable renamed .pdf
        ("report.docx", MZ_EXE),
        ("notes.txt", MZ_EXE),
        ("logo.png", b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>"),
        ("photo.jpg", b"<html><script>alert(1)</script></html>"),
        ("logo.gif", b"<!DOCTYPE html><p>hi</p>"),
        ("notes.txt", b"  <script>alert(document.cookie)</script>"),
        ("leads.csv", b"<?xml version='1.0'?><svg/>"),
        ("deck.pptx", ooxml_bytes("word/document.xml")),  # a Word file renamed .pptx
        ("deck.pptx", b"PK\x03\x04 not really a zip"),
        ("sheet.xlsx", pdf_bytes()),
        ("old.doc", pdf_bytes()),
        ("clip.mp4", png_bytes()),
        ("guide.pdf", png_bytes()),
        ("elf.txt", b"\x7fELF\x02\x01\x01" + b"\x00" * 40),
    ],
)
def test_content_that_does_not_match_its_extension_is_refused(name, data):
    assert "does not match its" in _refused(name, data)


@pytest.mark.parametrize(
    "name",
    [
        "run.exe",
        "page.html",
        "logo.svg",
        "script.js",
        "archive.tar.gz",
        "noextension",
        ".pdf",
        "invoice.pdf.exe",
    ],
)
def test_types_not_allowed_are_refused(name):
    assert "are not accepted" in _refused(name, pdf_bytes())


def test_policy_limits_the_types():
    pdf_only = UploadPolicy(allowed_types=frozenset({"pdf"}))
    message = _refused("logo.png", png_bytes(), pdf_only)
    assert message == ".png files are not accepted. Upload PDF, up to 25 MB."
    with pytest.raises(ValueError):
        UploadPolicy(allowed_types=frozenset({"exe"}))


@pytest.mark.parametrize(
    "name",
    [
        "../../etc/passwd.pdf",
        "..\\..\\windows\\evil.pdf",
        "/abs/path.pdf",
        "..",
        "..hidden.pdf",
        "nul\x00byte.pdf",
        "bell\x07.pdf",
        "new\nline.pdf",
        "invoice\u202efdp.exe.pdf",  # right-to-left override
        "zero\u200bwidth.pdf",
    ],
)
def test_names_with_paths_or_control_characters_are_refused(name):
    message = _refused("", b"", file=RawFile(name, pdf_bytes()))
    assert "folder path" in message or "not allowed" in message


def test_display_name_is_normalised_and_bounded():
    assert display_name("  Cafe\u0301 menu.pdf ") == "Café menu.pdf"
    long_name = "x" * 300 + ".pdf"
    assert len(display_name(long_name)) == 200 and display_name(long_name).endswith(".pdf")


def test_storage_key_is_tenant_prefixed_and_never_user_controlled():
    key = storage_key(tenant_id=42, area="assets", ext="pdf")
    assert re.fullmatch(r"tenants/42/assets/[0-9a-f]{32}\.pdf", key)
    assert storage_key(tenant_id=42, area="assets", ext="pdf") != key
    for bad in [
        {"tenant_id": 0, "area": "assets", "ext": "pdf"},
        {"tenant_id": "1/../2", "area": "assets", "ext": "pdf"},
        {"tenant_id": 1, "area": "../x", "ext": "pdf"},
        {"tenant_id": 1, "area": "assets", "ext": "pdf/../../x"},
    ]:
        with pytest.raises(ValueError):
            storage_key(**bad)


class _Form(forms.Form):
    file = SafeFileField(policy=UploadPolicy(max_bytes=2000, allowed_types=frozenset({"pdf"})))


def test_safe_file_field_gives_clear_form_errors():
    form = _Form(data={}, files={"file": _file("run.exe", MZ_EXE)})
    assert not form.is_valid()
    assert form.errors["file"] == [".exe files are not accepted. Upload PDF, up to 2 KB."]
    form = _Form(data={}, files={"file": _file("fake.pdf", MZ_EXE)})
    assert not form.is_valid()
    assert "does not match its .pdf extension" in form.errors["file"][0]
    form = _Form(data={}, files={"file": _file("empty.pdf", b"")})
    assert form.errors["file"] == ["The file is empty."]
    form = _Form(data={}, files={"file": _file("ok.pdf", pdf_bytes())})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["file"].content_type == "application/pdf"
    assert 'accept=".pdf"' in str(form["file"])
    assert "required" in str(_Form(data={}, files={}).errors["file"][0])


def test_oversized_request_body_is_detected_before_parsing(rf):
    policy = UploadPolicy(max_bytes=1000)
    small = rf.post("/", data=b"x", content_type="application/octet-stream")
    assert not upload_request_too_large(small, policy)
    big = rf.post("/", data=b"x", content_type="application/octet-stream")
    big.META["CONTENT_LENGTH"] = str(policy.max_request_bytes + 1)
    assert upload_request_too_large(big, policy)
    big.META["CONTENT_LENGTH"] = "not a number"
    assert upload_request_too_large(big, policy)
