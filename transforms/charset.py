"""Turn the bytes of a saved or fetched page into text, choosing the charset carefully.

Order: byte-order mark, the declared (HTTP) charset, `<meta charset>` /
`http-equiv` in the first 2 KB, then a declared charset that almost fits (a
UTF-8 page with a few bad bytes keeps its UTF-8, the bad bytes replaced),
valid UTF-8, charset_normalizer detection (only then: nothing declared fits
and the bytes are not UTF-8), then UTF-8 with replacement. A declaration is
skipped when the bytes do not decode under it, or when it names a legacy
(non-Unicode) charset, single- or multi-byte, but the bytes are valid
multi-byte UTF-8 (a page re-saved as UTF-8 that kept its old `<meta
charset=gb2312>` is far more common than legacy text that happens to be valid
UTF-8; GB18030 in particular decodes any UTF-8 bytes, as mojibake). Labels
follow the WHATWG aliases browsers use: ISO-8859-1 means windows-1252,
Shift_JIS means cp932.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

SNIFF_BYTES = 2048
# Share of U+FFFD replacement characters above which the last resort gives up.
MAX_REPLACEMENT_RATIO = 0.05
# Share of bad bytes up to which a declared charset still "almost fits": the page is
# decoded in it with those bytes replaced, rather than guessed as another charset.
ALMOST_FITS_RATIO = 0.01

BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32-le"),
    (codecs.BOM_UTF32_BE, "utf-32-be"),
    (codecs.BOM_UTF8, "utf-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le"),
    (codecs.BOM_UTF16_BE, "utf-16-be"),
)
# File signatures of formats that are never HTML or text.
BINARY_MAGIC = (
    b"\x89PNG\r\n\x1a\n",
    b"GIF87a",
    b"GIF89a",
    b"\xff\xd8\xff",  # JPEG
    b"%PDF-",
    b"PK\x03\x04",  # zip, docx, epub
    b"\x1f\x8b",  # gzip
    b"\x00\x00\x01\x00",  # ico
    b"wOFF",
    b"wOF2",
    b"OggS",
)
WHATWG_ALIASES = {
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "shift_jis": "cp932",
    "shift-jis": "cp932",
    "sjis": "cp932",
    "x-sjis": "cp932",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "euc-kr": "cp949",
    "tis-620": "cp874",
    "iso-8859-9": "cp1254",
}
_META_CHARSET = re.compile(rb"<meta[^>]+?charset\s*=\s*[\"']?\s*([\w.:\-]+)", re.IGNORECASE)
_PARAM_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:\-]+)", re.IGNORECASE)


class NotText(ValueError):
    """The bytes are binary (an image, archive, or NUL bytes), not a page."""

    reason = "binary"


class Undecodable(ValueError):
    """No charset turns the bytes into sensible text."""

    reason = "undecodable"


def _codec(label: str | None) -> str | None:
    """The Python codec name for a charset label, or None if unknown."""
    if not label:
        return None
    match = _PARAM_CHARSET.search(label)  # accept a whole Content-Type header too
    name = (match.group(1) if match else label).strip().strip("\"'").lower()
    name = WHATWG_ALIASES.get(name, name)
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


def _is_utf16_or_32(codec: str | None) -> bool:
    return codec is not None and codec.startswith(("utf-16", "utf-32"))


def check_not_binary(data: bytes, declared: str | None = None) -> None:
    """Raise NotText for image/archive signatures or NUL bytes in non-UTF-16/32 data."""
    head = data[:SNIFF_BYTES]
    if any(head.startswith(bom) for bom, _ in BOMS) or _is_utf16_or_32(_codec(declared)):
        return
    magic = next((m for m in BINARY_MAGIC if head.startswith(m)), None)
    if magic is not None:
        raise NotText(f"binary data (starts with {magic[:8]!r}), not a page")
    if b"\x00" in head:
        raise NotText("binary data (contains NUL bytes), not a page")


def _strict(data: bytes, codec: str | None) -> str | None:
    if codec is None:
        return None
    try:
        return data.decode(codec)
    except UnicodeDecodeError:
        return None


def _legacy(codec: str) -> bool:
    """A pre-Unicode charset (windows-1252, KOI8-R, GB18030, Shift_JIS, ...), not UTF-*."""
    return not codec.startswith(("utf-", "utf_"))


def _looks_utf8(data: bytes) -> bool:
    """True when the bytes are valid UTF-8 and use at least one multi-byte sequence."""
    return not data.isascii() and _strict(data, "utf-8") is not None


def _almost(data: bytes, codec: str) -> str | None:
    """The text in `codec` with its few bad bytes replaced, if the declaration almost fits.

    Almost fits: at most `ALMOST_FITS_RATIO` of the bytes are bad and, for
    UTF-8, some multi-byte characters decode, which legacy text mislabelled
    as UTF-8 would not have.
    """
    text = data.decode(codec, errors="replace")
    bad = text.count("\ufffd")
    if bad > ALMOST_FITS_RATIO * len(data):
        return None
    if codec == "utf-8" and not any(ord(c) > 127 and c != "\ufffd" for c in text):
        return None
    return text


def decode_html(data: bytes, declared: str | None = None) -> str:
    """Decode page bytes to text; raise NotText for binary data, Undecodable for noise."""
    for bom, codec in BOMS:
        if data.startswith(bom):
            return data[len(bom) :].decode(codec, errors="replace")
    check_not_binary(data, declared)
    meta = _META_CHARSET.search(data[:SNIFF_BYTES])
    meta_codec = _codec(meta.group(1).decode("ascii")) if meta else None
    if _is_utf16_or_32(meta_codec):
        meta_codec = "utf-8"  # an ASCII-readable <meta> cannot be in UTF-16 (WHATWG rule)
    codecs_declared = [
        codec
        for codec in (_codec(declared), meta_codec)
        if codec is not None and not (_legacy(codec) and _looks_utf8(data))
    ]
    for codec in codecs_declared:
        text = _strict(data, codec)
        if text is not None:
            return text
    for codec in codecs_declared:
        text = _almost(data, codec)
        if text is not None:
            return text
    utf8 = _strict(data, "utf-8")
    if utf8 is not None:
        return utf8  # valid UTF-8 (or ASCII) needs no detection, which costs ~20 ms a page
    best = from_bytes(data).best()
    if best is not None:
        return str(best)
    text = data.decode("utf-8", errors="replace")
    if text.count("\ufffd") > MAX_REPLACEMENT_RATIO * max(len(text), 1):
        raise Undecodable("bytes do not decode as text in any known charset")
    return text
