"""Remove hidden metadata from uploaded photos and PDFs.

A photo's EXIF can hold where and when it was taken and with which camera; a PDF's
document information and XMP can hold its author and the times it was written. For an
anonymous reporter those details can name her. Photos (JPEG, PNG, WebP, GIF, TIFF) are
re-encoded from their pixels alone, with the EXIF orientation applied first, so nothing
else travels along: no EXIF, XMP, ICC profile or comment. PDFs lose their document
information dictionary and XMP metadata streams.

The real type is sniffed from the bytes; the declared type and the file name are only
what the browser claims. A file that is neither, or that cannot be read as the type its
bytes announce, is returned unchanged: a file is never dropped, and a failure here never
costs a reporter her report.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Callable
from dataclasses import dataclass

from PIL import Image, ImageCms, ImageOps, ImageSequence, JpegImagePlugin
from pypdf import PdfReader, PdfWriter

JPEG = "image/jpeg"
PNG = "image/png"
GIF = "image/gif"
WEBP = "image/webp"
TIFF = "image/tiff"
PDF = "application/pdf"

# Pillow's format name for each type, so a file is only ever decoded as the type its bytes announce.
_PIL_FORMATS = {JPEG: "JPEG", PNG: "PNG", GIF: "GIF", WEBP: "WEBP", TIFF: "TIFF"}

# Decoding a larger image would take hundreds of megabytes of memory per web process
# (a 50-megapixel photo is 150 MB as pixels). Such a file is stored as it is.
MAX_PIXELS = 50_000_000

# Lossy formats fall back to these qualities when a result does not fit the size limit.
_QUALITIES = (95, 85, 75)

# What an image needs to look and move as before; everything else in Pillow's info is dropped.
_KEEP_INFO = {"transparency", "duration", "loop", "background", "disposal", "blend"}


@dataclass(frozen=True)
class Cleaned:
    data: bytes
    content_type: str
    # True when the metadata was removed; False when the file is returned as it came.
    cleaned: bool


def sniff(data: bytes) -> str | None:
    """The type the bytes announce (photos and PDFs only), whatever the file claims to be."""
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith((b"II*\x00", b"MM\x00*")):
        return TIFF
    # A PDF's header may follow up to 1024 bytes of other data.
    if b"%PDF-" in data[:1024]:
        return PDF
    return None


def strip_metadata(data: bytes, *, declared_type: str, max_bytes: int | None = None) -> Cleaned:
    """The file without its hidden metadata, or unchanged when it is not a photo or PDF we can read.

    `max_bytes`: a re-encoded file may come out larger than the original; lossy formats
    then try lower qualities, and a result that still does not fit is not used.
    """
    kind = sniff(data)
    unchanged = Cleaned(data=data, content_type=declared_type, cleaned=False)
    if kind is None:
        return unchanged
    cleaner: Callable[[bytes, str, int | None], bytes | None] = _clean_pdf if kind == PDF else _clean_image
    # Parsers of hostile input fail in many ways (their own errors, but also ValueError,
    # KeyError, struct.error, RecursionError...). Any failure means the file is kept as
    # it came; nothing is logged, as a log line would time a reporter's upload.
    try:
        result = cleaner(data, kind, max_bytes)
    except Exception:  # noqa: BLE001 (see above: the file is stored unchanged)
        result = None
    if result is None:
        return unchanged
    return Cleaned(data=result, content_type=kind, cleaned=True)


def _fits(data: bytes, max_bytes: int | None) -> bool:
    return max_bytes is None or len(data) <= max_bytes


# --- images -------------------------------------------------------------------------------


def _clean_image(data: bytes, kind: str, max_bytes: int | None) -> bytes | None:
    with warnings.catch_warnings():
        # Pillow's warnings would reach standard error during a reporter's upload; a
        # decompression bomb is refused instead of warned about.
        warnings.simplefilter("ignore")
        warnings.simplefilter("error", Image.DecompressionBombWarning)
        with Image.open(io.BytesIO(data), formats=[_PIL_FORMATS[kind]]) as source:
            frames = _pixel_frames(source, single=kind == JPEG)
            if frames is None:
                return None
            for options in _encodings(source, kind, data):
                encoded = _encode(frames, kind, options)
                if _fits(encoded, max_bytes):
                    return encoded
    return None


def _encodings(source: Image.Image, kind: str, data: bytes) -> list[dict[str, object]]:
    """How to write the pixels again, best first; later ones only if an earlier result is too large."""
    if kind == JPEG:
        lower: list[dict[str, object]] = [{"quality": quality, "optimize": True} for quality in _QUALITIES]
        tables = getattr(source, "quantization", None)
        if not tables:
            return lower
        # The original's own quantization tables and subsampling: the same quality, about the same size.
        same = {"qtables": tables, "subsampling": JpegImagePlugin.get_sampling(source), "optimize": True}
        return [same, *lower]
    if kind == WEBP:
        if _webp_is_lossless(data):
            return [{"lossless": True}]
        return [{"quality": quality} for quality in _QUALITIES]
    if kind == PNG:
        return [{"optimize": True}]
    if kind == TIFF:
        # Lossless and compressed, so a compressed original does not come back many times larger.
        return [{"compression": "tiff_adobe_deflate"}]
    return [{}]


def _pixel_frames(source: Image.Image, *, single: bool) -> list[Image.Image] | None:
    """Every frame as a new image holding only its pixels, upright; None when too large.

    For JPEG only the first frame: the further images of a multi-picture file (previews,
    depth maps) carry metadata of their own and are not the photo.
    """
    icc = source.info.get("icc_profile")
    frames: list[Image.Image] = []
    pixels = 0
    for frame in ImageSequence.Iterator(source):
        pixels += frame.width * frame.height
        if pixels > MAX_PIXELS:
            return None
        upright = ImageOps.exif_transpose(frame)  # a copy, turned as the orientation tag says
        if icc:
            upright = _to_srgb(upright, icc)
        upright.info = {key: value for key, value in frame.info.items() if key in _KEEP_INFO}
        frames.append(upright)
        if single:
            break
    return frames


def _to_srgb(image: Image.Image, icc: bytes) -> Image.Image:
    """Convert colours from the embedded profile to sRGB, which viewers assume once it is gone.

    The profile itself is dropped (it can name the device). When it cannot be used, the
    pixels are kept as they are: colours may then look slightly different.
    """
    if image.mode not in ("RGB", "RGBA"):
        return image
    try:
        source = ImageCms.ImageCmsProfile(io.BytesIO(icc))
        converted = ImageCms.profileToProfile(image, source, ImageCms.createProfile("sRGB"), outputMode=image.mode)
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image
    return converted if converted is not None else image


def _encode(frames: list[Image.Image], kind: str, options: dict[str, object]) -> bytes:
    first, rest = frames[0], frames[1:]
    if kind == JPEG and first.mode not in ("L", "RGB", "CMYK"):
        first = first.convert("RGB")
    options = dict(options)
    if rest:
        options["save_all"] = True
        options["append_images"] = rest
        if kind in (GIF, PNG, WEBP):
            options["duration"] = [frame.info.get("duration", 100) for frame in frames]
            options["loop"] = first.info.get("loop", 0)
    out = io.BytesIO()
    first.save(out, format=_PIL_FORMATS[kind], **options)
    return out.getvalue()


def _webp_is_lossless(data: bytes) -> bool:
    """Whether a WebP file holds lossless image data (a VP8L chunk), so it is re-encoded losslessly too."""
    offset = 12
    while offset + 8 <= len(data):
        fourcc = data[offset : offset + 4]
        if fourcc == b"VP8L":
            return True
        if fourcc == b"VP8 ":
            return False
        size = int.from_bytes(data[offset + 4 : offset + 8], "little")
        offset += 8 + size + (size & 1)
    return False


# --- PDF ----------------------------------------------------------------------------------


def _clean_pdf(data: bytes, kind: str, max_bytes: int | None) -> bytes | None:
    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        return None  # cannot be rewritten without its password
    writer = PdfWriter(clone_from=reader)
    writer.metadata = None  # the document information dictionary: author, title, dates, producer
    writer.xmp_metadata = None  # the document's XMP stream
    for page in writer.pages:
        # Pages can carry XMP of their own, and /PieceInfo holds the authoring program's private data.
        for key in ("/Metadata", "/PieceInfo"):
            if key in page:
                del page[key]
    if "/PieceInfo" in writer.root_object:
        del writer.root_object["/PieceInfo"]
    # What was removed above is still among the cloned objects; drop whatever is no longer referenced.
    writer.compress_identical_objects(remove_duplicates=False, remove_unreferenced=True)
    out = io.BytesIO()
    writer.write(out)
    cleaned = out.getvalue()
    return cleaned if _fits(cleaned, max_bytes) else None
