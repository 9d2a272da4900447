"""Decide a file's real type from its bytes; the declared content type and name are hints.

Done by hand (magic bytes, then the zip directory and `[Content_Types].xml`) instead of
with `filetype`/`puremagic`: those guess OOXML from the first bytes only, while telling a
Word or PowerPoint document from any other zip (or a macro-enabled one) needs the zip's
directory, and text needs a full decode anyway.
"""

from __future__ import annotations

import codecs
import io
import os
import re
import zipfile
from pathlib import Path
from typing import BinaryIO

from slidestream.documents.models import DocumentKind
from slidestream.errors import InvalidInput

ACCEPTED = "PDF, Word (.docx), PowerPoint (.pptx), plain text, Markdown or HTML"

_EXECUTABLE_MAGIC = (
    b"MZ",  # Windows / DOS executables
    b"\x7fELF",  # Linux executables
    b"\xfe\xed\xfa\xce",  # Mach-O
    b"\xfe\xed\xfa\xcf",
    b"\xce\xfa\xed\xfe",
    b"\xcf\xfa\xed\xfe",
    b"\xca\xfe\xba\xbe",  # Mach-O universal / Java class
    b"#!",  # scripts
    b"\x00asm",  # WebAssembly
    b"dex\n",  # Android
)
_OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
_ZIP_MAGIC = (b"PK\x03\x04", b"PK\x05\x06", b"PK\x07\x08")
_PDF_MAGIC = b"%PDF-"

_DOCX_MAIN = b"application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"
_PPTX_MAIN = b"application/vnd.openxmlformats-officedocument.presentationml.presentation.main+xml"
MAX_ZIP_MEMBERS = 10_000
MAX_ZIP_UNPACKED = 512 * 1024 * 1024
# XML parts become in-memory trees many times their size: a bound per part keeps one
# document from taking gigabytes (pictures, which are not parsed, may be larger).
MAX_XML_PART = 64 * 1024 * 1024
_MAX_CONTENT_TYPES = 1024 * 1024

_MARKDOWN_EXTENSIONS = {".md", ".markdown", ".mdown", ".mkd", ".mkdn"}
_MARKDOWN_TYPES = {"text/markdown", "text/x-markdown"}
_HTML_EXTENSIONS = {".html", ".htm", ".xhtml"}
_HTML_TYPES = {"text/html", "application/xhtml+xml"}
_HTML_START = re.compile(r"^\s*(<\?xml[^>]*>\s*)?(<!--.*?-->\s*)*<(!doctype\s+html|html)\b", re.S)
_HTML_TAG = re.compile(r"<(html|head|body|h[1-6]|p|div|title)\b[^>]*>", re.I)
_ANY_TAG = re.compile(r"<[a-zA-Z!][^>]*>")

_CHUNK = 1024 * 1024
_HEAD_CHARS = 8192
# C0 controls other than tab, LF, VT, FF, CR, plus DEL: a few are tolerated in real text
# files (stray ^Z, backspaces); more than this share means binary data.
_CONTROL = re.compile(r"[\x01-\x08\x0e-\x1f\x7f]")
_MAX_CONTROL_SHARE = 0.01


def sniff_file(
    path: Path, *, filename: str | None = None, content_type: str | None = None
) -> DocumentKind:
    """The kind of the file at `path`, or `InvalidInput` saying in plain words why not."""
    name = filename if filename is not None else path.name
    with path.open("rb") as fh:
        size = os.fstat(fh.fileno()).st_size
        return _sniff(fh, size, name, content_type)


def sniff_bytes(
    data: bytes, *, filename: str = "file", content_type: str | None = None
) -> DocumentKind:
    """Like `sniff_file`, for bytes in memory."""
    return _sniff(io.BytesIO(data), len(data), filename, content_type)


def text_codec(head: bytes) -> tuple[str, int]:
    """The codec of a text file from its first bytes, and the length of its byte order mark.

    UTF-8 with or without a BOM, or UTF-16 with a BOM; UTF-32 is refused.
    """
    if head.startswith((codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)):
        raise ValueError("UTF-32 text is not supported")
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8", len(codecs.BOM_UTF8)
    if head.startswith(codecs.BOM_UTF16_LE):
        return "utf-16-le", len(codecs.BOM_UTF16_LE)
    if head.startswith(codecs.BOM_UTF16_BE):
        return "utf-16-be", len(codecs.BOM_UTF16_BE)
    return "utf-8", 0


def decode_text(data: bytes) -> str:
    """Decode a text document's bytes (see `text_codec`); `ValueError` if they are not text."""
    codec, bom = text_codec(data[:4])
    return data[bom:].decode(codec)


def _sniff(fh: BinaryIO, size: int, name: str, content_type: str | None) -> DocumentKind:
    label = _label(name)
    if size == 0:
        raise InvalidInput(f"File {label} is empty")
    head = fh.read(16)
    fh.seek(0)
    if head.startswith(_EXECUTABLE_MAGIC):
        raise InvalidInput(f"File {label} is an executable program, not a document")
    if head.startswith(_PDF_MAGIC):
        return DocumentKind.PDF
    if head.startswith(_ZIP_MAGIC):
        return _sniff_zip(fh, label)
    if head.startswith(_OLE_MAGIC):
        raise InvalidInput(
            f"File {label} is a legacy Office file (.doc/.ppt/.xls); "
            "save it as .docx or .pptx and upload that"
        )
    return _sniff_text(fh, label, name, content_type)


def _sniff_zip(fh: BinaryIO, label: str) -> DocumentKind:
    try:
        with zipfile.ZipFile(fh) as archive:
            members = archive.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                raise InvalidInput(f"File {label} has too many parts to be a document")
            if sum(m.file_size for m in members) > MAX_ZIP_UNPACKED:
                raise InvalidInput(f"File {label} unpacks to more data than a document may hold")
            if any(m.filename.endswith(".xml") and m.file_size > MAX_XML_PART for m in members):
                raise InvalidInput(f"File {label} has a part too large to read as a document")
            if any(m.flag_bits & 0x1 for m in members):
                raise InvalidInput(f"File {label} is encrypted")
            names = {m.filename for m in members}
            content_types = b""
            info = next((m for m in members if m.filename == "[Content_Types].xml"), None)
            if info is not None and info.file_size <= _MAX_CONTENT_TYPES:
                content_types = archive.read(info)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, OSError, ValueError):
        raise InvalidInput(f"File {label} is a damaged zip archive") from None
    if _DOCX_MAIN in content_types and "word/document.xml" in names:
        return DocumentKind.DOCX
    if _PPTX_MAIN in content_types and "ppt/presentation.xml" in names:
        return DocumentKind.PPTX
    raise InvalidInput(
        f"File {label} is a zip archive, not a Word (.docx) or PowerPoint (.pptx) document"
    )


def _sniff_text(fh: BinaryIO, label: str, name: str, content_type: str | None) -> DocumentKind:
    not_supported = InvalidInput(f"File {label} is not a supported document; upload {ACCEPTED}")
    first = fh.read(_CHUNK)
    try:
        codec, bom = text_codec(first[:4])
    except ValueError:
        raise InvalidInput(f"File {label} is UTF-32 text; save it as UTF-8") from None
    decoder = codecs.getincrementaldecoder(codec)(errors="strict")
    head = ""
    chars = controls = 0
    chunk = first[bom:]
    try:
        while True:
            final = len(chunk) == 0
            text = decoder.decode(chunk, final=final)
            if "\x00" in text:
                raise not_supported
            chars += len(text)
            controls += len(_CONTROL.findall(text))
            if len(head) < _HEAD_CHARS:
                head += text[: _HEAD_CHARS - len(head)]
            if final:
                break
            chunk = fh.read(_CHUNK)
    except UnicodeDecodeError:
        if bom or _looks_binary(first):
            raise not_supported from None
        raise InvalidInput(
            f"File {label} is text but not UTF-8; save it as UTF-8 and upload it again"
        ) from None
    if chars == 0 or controls > chars * _MAX_CONTROL_SHARE:
        raise not_supported
    stripped = head.lstrip()
    if stripped.startswith("{\\rtf"):
        raise InvalidInput(f"File {label} is a Rich Text (.rtf) file; upload {ACCEPTED}")
    extension = os.path.splitext(name)[1].lower()
    declared = (content_type or "").split(";")[0].strip().lower()
    html_hinted = extension in _HTML_EXTENSIONS or declared in _HTML_TYPES
    if _HTML_START.match(head.lower()) or (
        html_hinted and (_HTML_TAG.search(head) or _ANY_TAG.search(head))
    ):
        return DocumentKind.HTML
    if extension in _MARKDOWN_EXTENSIONS or declared in _MARKDOWN_TYPES:
        return DocumentKind.MARKDOWN
    return DocumentKind.TXT


def _looks_binary(data: bytes) -> bool:
    """Bytes that are neither text in some 8-bit charset nor almost-UTF-8."""
    sample = data[:4096]
    return (
        b"\x00" in sample
        or len(_CONTROL.findall(sample.decode("latin-1"))) > len(sample) * _MAX_CONTROL_SHARE
    )


def _label(name: str) -> str:
    shown = name if len(name) <= 120 else name[:117] + "..."
    return repr(shown)
