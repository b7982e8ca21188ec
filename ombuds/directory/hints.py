"""Hints about a directory file that the importer refuses: what the spreadsheet probably did.

The importer reads only UTF-8 CSV separated by commas, and says which byte or column
is wrong. A person who exported from Excel needs to know why: Excel on Chinese Windows
saves CSV in GBK (GB18030), in most of Europe it separates columns with ";", and older
versions save Western European text as Windows-1252. These guesses look at the raw
bytes only; they never change the file, which is imported exactly as it was uploaded
or not at all.
"""

from __future__ import annotations

import codecs
import enum

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from ombuds.directory.importer import COLUMNS

# Bytes of the two-byte GB2312 characters (the common Chinese characters of GBK and
# GB18030): both bytes in this range.
_GB_LOW, _GB_HIGH = 0xA1, 0xFE
# At least this share of the non-ASCII bytes must pair up as GB2312 characters. Latin-1
# text has accented letters between ASCII letters ("Müller"), which GB18030 would also
# decode, but rarely two high bytes in a row.
_GB_SHARE = 0.8
# How much of the start of the file is looked at.
_SAMPLE = 64 * 1024


class Hint(enum.StrEnum):
    SEMICOLON = "separator-semicolon"
    TAB = "separator-tab"
    GB18030 = "encoding-gb18030"
    UTF16 = "encoding-utf16"
    LATIN1 = "encoding-latin1"
    OTHER_ENCODING = "encoding-unknown"

    @property
    def message(self) -> str | Promise:
        return _MESSAGES[self]


_SAVE_AS = _(
    "Save it again as “CSV UTF-8 (Comma delimited)” in Excel, or as CSV with the character set "
    "“Unicode (UTF-8)” and the field delimiter “,” in LibreOffice."
)

_MESSAGES: dict[Hint, str | Promise] = {
    Hint.SEMICOLON: _(
        "The columns seem to be separated by “;”, as spreadsheet programs do in many European languages. "
        "The file must use commas."
    ),
    Hint.TAB: _("The columns seem to be separated by tabs. The file must use commas."),
    Hint.GB18030: _(
        "The file seems to be in a Chinese encoding (GBK or GB18030), as Excel saves CSV files on Chinese "
        "Windows. It must be UTF-8."
    ),
    Hint.UTF16: _("The file is in UTF-16 (“Unicode text”). It must be UTF-8."),
    Hint.LATIN1: _("The file seems to be in a Western European encoding (Latin-1 or Windows-1252). It must be UTF-8."),
    Hint.OTHER_ENCODING: _("The file is not in UTF-8, and its encoding could not be recognised. It must be UTF-8."),
}


def save_as() -> str | Promise:
    """How to save the file right, said once after the hints."""
    return _SAVE_AS


def detect(data: bytes) -> list[Hint]:
    """The hints that apply to these bytes, encoding first; empty for a UTF-8 file separated by commas."""
    sample = data[:_SAMPLE]
    hints: list[Hint] = []
    text = _as_text(sample, hints)
    first_line = text.lstrip("\ufeff").split("\n", 1)[0]
    separator = _separator(first_line)
    if separator is not None:
        hints.append(separator)
    return hints


def _as_text(sample: bytes, hints: list[Hint]) -> str:
    if sample.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        hints.append(Hint.UTF16)
        return sample.decode("utf-16", errors="replace")
    try:
        return sample.decode("utf-8")
    except UnicodeDecodeError as exc:
        # The sample may end in the middle of a character; that alone is not an error.
        if exc.start >= len(sample) - 3 and exc.reason == "unexpected end of data":
            return sample[: exc.start].decode("utf-8")
    if _looks_like_gb(sample):
        hints.append(Hint.GB18030)
        return sample.decode("gb18030", errors="replace")
    try:
        text = sample.decode("cp1252")
    except UnicodeDecodeError:
        hints.append(Hint.OTHER_ENCODING)
        return sample.decode("latin-1")
    hints.append(Hint.LATIN1)
    return text


def _looks_like_gb(sample: bytes) -> bool:
    try:
        sample.decode("gb18030")
    except UnicodeDecodeError as exc:
        if exc.start < len(sample) - 4:  # not only a character cut off at the end
            return False
    high = sum(1 for byte in sample if byte >= 0x80)
    paired = 0
    index = 0
    while index < len(sample) - 1:
        if _GB_LOW <= sample[index] <= _GB_HIGH and _GB_LOW <= sample[index + 1] <= _GB_HIGH:
            paired += 2
            index += 2
        else:
            index += 1
    return high > 0 and paired / high >= _GB_SHARE


def _separator(header: str) -> Hint | None:
    """A header row that names the columns with another separator between them."""
    commas = header.count(",")
    needed = len(COLUMNS) - 1
    if commas >= needed:
        return None
    if header.count(";") >= needed or (header.count(";") > commas and commas == 0):
        return Hint.SEMICOLON
    if header.count("\t") >= needed or (header.count("\t") > commas and commas == 0):
        return Hint.TAB
    return None
