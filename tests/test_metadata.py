"""Uploaded photos and PDFs lose their hidden metadata unless the reporter asks to keep the files as they are.

The files are real: JPEGs with EXIF (GPS position, camera, time, orientation) made with
Pillow, PDFs with an author in the document information and in XMP made with pypdf.
"""

from __future__ import annotations

import io
import logging
import re
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import ExifTags, Image, ImageCms
from PIL.PngImagePlugin import PngInfo
from pypdf import PdfReader, PdfWriter

from ombuds.cases import actions
from ombuds.intake.forms import to_new_attachments
from ombuds.lib.metadata import MAX_PIXELS, strip_metadata
from tests.support import FileReport, file_bytes, files_by_name, opened, receipt_from

PROBES = [b"ProbeCam", b"ProbeMaker", b"2026:03:04 21:17:09", b"Probe Author", b"Probe XMP", b"Probe comment"]
XMP = b'<x:xmpmeta xmlns:x="adobe:ns:meta/"><dc:creator>Probe XMP creator</dc:creator></x:xmpmeta>'
SRGB = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()


def _exif(orientation: int = 1) -> Image.Exif:
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "ProbeMaker"
    exif[ExifTags.Base.Model] = "ProbeCam 9000"
    exif[ExifTags.Base.DateTime] = "2026:03:04 21:17:09"
    exif[ExifTags.Base.Orientation] = orientation
    gps = exif.get_ifd(ExifTags.IFD.GPSInfo)
    gps[ExifTags.GPS.GPSLatitudeRef] = "N"
    gps[ExifTags.GPS.GPSLatitude] = (52.0, 31.0, 12.5)
    gps[ExifTags.GPS.GPSLongitudeRef] = "E"
    gps[ExifTags.GPS.GPSLongitude] = (13.0, 24.0, 36.0)
    return exif


def _image(format: str, size: tuple[int, int] = (40, 20), **options: object) -> bytes:
    image = Image.new("RGB", size, (200, 30, 30))
    image.paste((20, 20, 220), (0, 0, size[0] // 2, size[1] // 2))  # a blue corner shows which way is up
    out = io.BytesIO()
    image.save(out, format, **options)
    return out.getvalue()


def photo(orientation: int = 1) -> bytes:
    """A JPEG as a phone makes it: GPS position, camera, time, orientation, ICC profile, comment, XMP."""
    return _image("JPEG", exif=_exif(orientation), icc_profile=SRGB, comment=b"Probe comment", xmp=XMP)


def document() -> bytes:
    writer = PdfWriter()
    writer.add_blank_page(200, 200)
    writer.add_metadata({"/Author": "Probe Author", "/CreationDate": "D:20260304211709+01'00'"})
    writer.xmp_metadata = XMP
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def _gps(data: bytes) -> dict[int, object]:
    return dict(Image.open(io.BytesIO(data)).getexif().get_ifd(ExifTags.IFD.GPSInfo))


def _hidden(data: bytes) -> list[bytes]:
    return [probe for probe in PROBES if probe in data]


# --- the function ----------------------------------------------------------------------------


def test_the_probe_files_carry_the_metadata_the_tests_look_for() -> None:
    assert _gps(photo())[ExifTags.GPS.GPSLatitude] == (52.0, 31.0, 12.5)
    assert _hidden(photo()) == [b"ProbeCam", b"ProbeMaker", b"2026:03:04 21:17:09", b"Probe XMP", b"Probe comment"]
    assert PdfReader(io.BytesIO(document())).metadata["/Author"] == "Probe Author"  # type: ignore[index]


def test_it_removes_gps_camera_time_icc_xmp_and_comment_from_a_jpeg() -> None:
    cleaned = strip_metadata(photo(), declared_type="image/jpeg")
    assert cleaned.cleaned
    assert cleaned.content_type == "image/jpeg"
    assert _hidden(cleaned.data) == []
    reopened = Image.open(io.BytesIO(cleaned.data))
    assert reopened.format == "JPEG"
    assert dict(reopened.getexif()) == {}
    assert not {"exif", "icc_profile", "xmp", "comment"} & set(reopened.info)
    assert reopened.getpixel((30, 15)) == pytest.approx((200, 30, 30), abs=8)


def test_it_applies_the_orientation_before_removing_it() -> None:
    cleaned = strip_metadata(photo(orientation=6), declared_type="image/jpeg")
    upright = Image.open(io.BytesIO(cleaned.data)).convert("RGB")
    assert upright.size == (20, 40)  # turned a quarter, as the camera said
    red, _green, blue = upright.getpixel((15, 5))  # type: ignore[misc]
    assert blue > 180 and red < 60  # the blue corner, top left before, is now top right
    assert ExifTags.Base.Orientation not in upright.getexif()


@pytest.mark.parametrize(
    ("format", "options"),
    [
        ("PNG", {"exif": _exif(), "icc_profile": SRGB}),
        ("WEBP", {"exif": _exif(), "xmp": XMP, "icc_profile": SRGB}),
        ("WEBP", {"exif": _exif(), "lossless": True}),
        ("GIF", {"comment": b"Probe comment"}),
        ("TIFF", {"exif": _exif(), "icc_profile": SRGB}),
    ],
)
def test_it_removes_the_metadata_of_every_photo_format(format: str, options: dict[str, Any]) -> None:
    original = _image(format, **options)
    if format == "PNG":
        text = PngInfo()
        text.add_text("Author", "Probe Author")
        original = _image(format, pnginfo=text, **options)
    assert _hidden(original)
    cleaned = strip_metadata(original, declared_type="application/octet-stream")
    assert cleaned.cleaned
    assert cleaned.content_type == f"image/{format.lower()}"
    assert _hidden(cleaned.data) == []
    reopened = Image.open(io.BytesIO(cleaned.data))
    assert reopened.format == format
    assert reopened.size == (40, 20)
    assert not {"exif", "icc_profile", "xmp", "comment", "Author"} & set(reopened.info)


def test_it_keeps_every_frame_of_an_animation() -> None:
    frames = [Image.new("RGB", (10, 10), colour) for colour in ("red", "green", "blue")]
    out = io.BytesIO()
    frames[0].save(out, "GIF", save_all=True, append_images=frames[1:], duration=200, loop=0, comment=b"Probe comment")
    cleaned = strip_metadata(out.getvalue(), declared_type="image/gif")
    animation = Image.open(io.BytesIO(cleaned.data))
    assert getattr(animation, "n_frames", 1) == 3
    assert _hidden(cleaned.data) == []


def test_it_removes_the_author_dates_and_xmp_from_a_pdf() -> None:
    cleaned = strip_metadata(document(), declared_type="application/pdf")
    assert cleaned.cleaned
    assert _hidden(cleaned.data) == []
    assert b"20260304211709" not in cleaned.data
    reader = PdfReader(io.BytesIO(cleaned.data))
    assert reader.metadata is None
    assert "/Metadata" not in reader.root_object
    assert len(reader.pages) == 1


def _handlers_reached(name: str) -> list[logging.Handler]:
    """The handlers that write a record of this logger (discarding ones, and the test runner's, left out)."""
    logger: logging.Logger | None = logging.getLogger(name)
    found: list[logging.Handler] = []
    while logger is not None:
        found.extend(
            h
            for h in logger.handlers
            if not isinstance(h, logging.NullHandler) and not type(h).__module__.startswith("_pytest")
        )
        if not logger.propagate:
            break
        logger = logger.parent
    return found


def test_the_parsers_complaints_about_an_odd_file_are_not_logged() -> None:
    # A wrong startxref pointer: pypdf complains (through logging) and reads the file anyway.
    odd = re.sub(rb"startxref\n\d+", b"startxref\n7", document())
    cleaned = strip_metadata(odd, declared_type="application/pdf")
    assert cleaned.cleaned
    assert _hidden(cleaned.data) == []
    # Such a line would time her upload: nothing from the parsers reaches a log.
    assert _handlers_reached("pypdf._reader") == []
    assert _handlers_reached("PIL.PngImagePlugin") == []
    assert _handlers_reached("django.request") != []  # the walk does find handlers where they are


def test_it_trusts_the_bytes_not_the_declared_type() -> None:
    cleaned = strip_metadata(photo(), declared_type="text/plain")
    assert cleaned.cleaned
    assert cleaned.content_type == "image/jpeg"
    assert _hidden(cleaned.data) == []


@pytest.mark.parametrize(
    "data",
    [
        b"\xff\xd8\xff\xe0 not really a JPEG",
        b"%PDF-1.7\n not really a PDF",
        b"GIF89a\x00",
        b"RIFF\x10\x00\x00\x00WEBPVP8 garbage",
    ],
)
def test_it_keeps_a_file_it_cannot_read_exactly_as_it_came(data: bytes) -> None:
    kept = strip_metadata(data, declared_type="application/x-unknown")
    assert kept.data == data
    assert kept.content_type == "application/x-unknown"
    assert not kept.cleaned


def test_it_keeps_other_files_and_encrypted_pdfs_as_they_came() -> None:
    text = b"Notes Probe Author wrote down."
    assert strip_metadata(text, declared_type="text/plain").data == text
    writer = PdfWriter(clone_from=PdfReader(io.BytesIO(document())))
    writer.encrypt("secret")
    out = io.BytesIO()
    writer.write(out)
    assert strip_metadata(out.getvalue(), declared_type="application/pdf").data == out.getvalue()


def test_it_does_not_decode_an_image_too_large_for_memory() -> None:
    side = int(MAX_PIXELS**0.5) + 10
    huge = _image("PNG", size=(side, side), exif=_exif())  # a single colour compresses to a few kilobytes
    kept = strip_metadata(huge, declared_type="image/png")
    assert not kept.cleaned
    assert kept.data == huge


def test_a_result_too_large_for_the_limit_is_not_used() -> None:
    original = photo()
    kept = strip_metadata(original, declared_type="image/jpeg", max_bytes=100)
    assert kept.data == original
    assert not kept.cleaned


# --- where files arrive ---------------------------------------------------------------------------


def _upload(name: str, data: bytes, content_type: str) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


REPORT = {"category": "sexual_harassment", "role": "affected", "narrative": "It happened.", "anonymous": "true"}


@pytest.mark.django_db
def test_the_report_form_removes_metadata_by_default() -> None:
    response = Client().post(
        "/report/",
        {
            **REPORT,
            "attachments": [
                _upload("photo.jpg", photo(), "image/jpeg"),
                _upload("letter.pdf", document(), "application/pdf"),
            ],
        },
        follow=True,
    )
    assert response.status_code == 200
    stored = files_by_name(receipt=receipt_from(response.content))
    assert _gps(stored["photo.jpg"]) == {}
    assert _hidden(stored["photo.jpg"]) == []
    assert PdfReader(io.BytesIO(stored["letter.pdf"])).metadata is None
    assert _hidden(stored["letter.pdf"]) == []


@pytest.mark.django_db
def test_the_report_form_keeps_the_files_exactly_when_asked() -> None:
    original = photo()
    response = Client().post(
        "/report/",
        {**REPORT, "keep_metadata": "on", "attachments": [_upload("photo.jpg", original, "image/jpeg")]},
        follow=True,
    )
    assert response.status_code == 200
    assert files_by_name(receipt=receipt_from(response.content)) == {"photo.jpg": original}


# The report form reads the organisation's settings (the directory search, the languages).
@pytest.mark.django_db
def test_the_report_form_warns_before_upload() -> None:
    page = Client().get("/report/").content.decode()
    assert "removes hidden details" in page
    assert 'name="keep_metadata"' in page
    assert "Keep the files exactly as they are" in page
    assert "the place and time a photo was taken or the author of a document" in page
    assert "files it cannot read, are stored exactly as they are" in page


def test_the_status_page_message_form_removes_metadata_by_default(file_report: FileReport) -> None:
    client = Client()
    filed = file_report()
    assert client.post("/return/", {"receipt": filed.receipt}).status_code == 302
    page = client.get("/status/").content.decode()
    assert 'name="keep_metadata"' in page
    assert "removes hidden details" in page
    sent = client.post("/status/message/", {"body": "", "attachments": [_upload("p.jpg", photo(), "image/jpeg")]})
    assert sent.status_code == 302
    kept = client.post(
        "/status/message/", {"keep_metadata": "on", "attachments": [_upload("k.jpg", photo(), "image/jpeg")]}
    )
    assert kept.status_code == 302
    stored = files_by_name(receipt=filed.receipt)
    assert _gps(stored["p.jpg"]) == {}
    assert _gps(stored["k.jpg"]) != {}


def test_the_api_removes_metadata_unless_keep_metadata_is_true(file_report: FileReport) -> None:
    client = Client()
    receipt = file_report().receipt
    token = client.post("/api/v1/reporter/session", {"receipt": receipt}, content_type="application/json").json()
    auth = {"Authorization": f"Bearer {token['token']}"}
    pdf = document()
    cleaned = client.post(
        "/api/v1/reporter/attachments",
        {"files": [_upload("a.jpg", photo(), "image/jpeg"), _upload("a.pdf", pdf, "application/pdf")]},
        headers=auth,
    )
    kept = client.post(
        "/api/v1/reporter/attachments",
        {"files": [_upload("b.pdf", pdf, "application/pdf")], "keep_metadata": "true"},
        headers=auth,
    )
    assert cleaned.status_code == kept.status_code == 201
    stored = files_by_name(receipt=receipt)
    assert _gps(stored["a.jpg"]) == {}
    assert _hidden(stored["a.pdf"]) == []
    assert stored["b.pdf"] == pdf


def test_a_file_that_cannot_be_read_is_stored_as_it_came(file_report: FileReport) -> None:
    broken = b"\xff\xd8\xff\xe1 a truncated photo"
    filed = file_report()
    new = to_new_attachments([_upload("broken.jpg", broken, "image/jpeg")], keep_metadata=False)
    stored = actions.add_reporter_attachments(report=filed.report, attachments=new)
    assert file_bytes(stored[0], receipt=filed.receipt) == broken
    assert opened(stored[0], "content_type", receipt=filed.receipt) == "image/jpeg"
