"""Uploaded files on disk, and the only way back from a path string to one of them.

Layout: `<uploads_dir>/<32 hex>/<name>` (the uploaded bytes, under the name the user gave),
`<uploads_dir>/<32 hex>/.upload.json` (what we know about it) and, once decomposed,
`<uploads_dir>/<32 hex>/<name>.txt` (its extracted text). The API hands out the absolute
path strings, as Presenton does; `resolve` accepts only such a string, checked by its
shape, our metadata and `lstat` before anything is opened.

All methods do blocking file I/O: async callers use `asyncio.to_thread` for anything that
reads or writes file contents (`resolve` only stats, and is cheap enough to call inline).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import stat
import uuid
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, BinaryIO

from slidestream.access import Access
from slidestream.documents.models import DocumentKind
from slidestream.documents.sniff import sniff_file
from slidestream.errors import InvalidInput, NotFound, PayloadTooLarge
from slidestream.settings import Settings

UPLOAD_ID = re.compile(r"[0-9a-f]{32}")
METADATA_NAME = ".upload.json"
TEXT_SUFFIX = ".txt"
MAX_NAME_BYTES = 200
_MAX_METADATA_BYTES = 64 * 1024
_MAX_PATH_CHARS = 4096
_BAD_NAME_CHARS = re.compile(r"[/\\:\x00-\x1f\x7f]")


def check_filename(filename: str | None) -> str:
    """The upload's file name, unchanged, or `InvalidInput`: names are refused, never fixed.

    Refused: empty, any path separator or drive (`/`, `\\`, `:`), control characters
    (NUL included), hidden names (leading `.`, which also rules out `.` and `..`), and
    names longer than 200 bytes.
    """
    if filename is None or not filename.strip():
        raise InvalidInput("Every uploaded file needs a file name")
    shown = repr(filename[:120])
    if _BAD_NAME_CHARS.search(filename):
        raise InvalidInput(
            f"File name {shown} is not accepted: give a plain file name without a path"
        )
    if filename.startswith("."):
        raise InvalidInput(f"File name {shown} is not accepted: hidden file names are refused")
    try:
        encoded = filename.encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidInput(f"File name {shown} is not valid text") from None
    if len(encoded) > MAX_NAME_BYTES:
        raise InvalidInput(f"File name {shown} is longer than {MAX_NAME_BYTES} bytes")
    return filename


def format_bytes(n: int) -> str:
    if n >= 1024 * 1024 and n % (1024 * 1024) == 0:
        return f"{n // (1024 * 1024)} MB"
    if n >= 1024 and n % 1024 == 0:
        return f"{n // 1024} KB"
    return f"{n} bytes"


@dataclass(frozen=True)
class UploadInfo:
    """The metadata kept next to an upload. `owner` is the API key owner that uploaded it
    (None: uploaded without keys); another owner is told the path was never issued."""

    upload_id: str
    name: str
    kind: DocumentKind
    size: int
    content_type: str | None
    created: str
    text_name: str | None = None
    owner: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {
            "version": 2,
            "owner": self.owner,
            "upload_id": self.upload_id,
            "name": self.name,
            "kind": self.kind.value,
            "size": self.size,
            "content_type": self.content_type,
            "created": self.created,
            "text_name": self.text_name,
        }

    @classmethod
    def from_json(cls, data: Any) -> UploadInfo:
        if not isinstance(data, dict):
            raise ValueError("metadata is not an object")
        text_name = data.get("text_name")
        content_type = data.get("content_type")
        owner = data.get("owner")  # absent in version 1: made without keys
        return cls(
            upload_id=str(data["upload_id"]),
            name=str(data["name"]),
            kind=DocumentKind(data["kind"]),
            size=int(data["size"]),
            content_type=str(content_type) if content_type is not None else None,
            created=str(data["created"]),
            text_name=str(text_name) if text_name is not None else None,
            owner=str(owner) if owner is not None else None,
        )


@dataclass(frozen=True)
class ResolvedFile:
    """A path the store issued, checked: the file, its upload and which of its files it is."""

    path: Path
    info: UploadInfo
    derived: bool

    @property
    def kind(self) -> DocumentKind:
        return DocumentKind.TXT if self.derived else self.info.kind

    @property
    def name(self) -> str:
        """The name the user uploaded (also for the derived text)."""
        return self.info.name


class PendingUpload:
    """One file being received: `write` its bytes, then `commit` (sniff, metadata) or
    `discard`. A committed upload can still be discarded (a later file of the same
    request failed)."""

    def __init__(
        self,
        store: UploadStore,
        filename: str,
        content_type: str | None,
        max_bytes: int,
        owner: str | None = None,
    ) -> None:
        self.name = check_filename(filename)
        self.owner = owner
        self.content_type = content_type
        self.max_bytes = max_bytes
        self.upload_id = uuid.uuid4().hex
        root = store.ensure_root()
        self.directory = root / self.upload_id
        self.directory.mkdir(mode=0o700)
        self.path = self.directory / self.name
        self.size = 0
        self.committed: str | None = None
        try:
            self._file: BinaryIO | None = self.path.open("xb")
        except BaseException:
            shutil.rmtree(self.directory, ignore_errors=True)
            raise

    def write(self, data: bytes) -> None:
        if self._file is None:
            raise RuntimeError("upload already finished")
        if self.size + len(data) > self.max_bytes:
            raise PayloadTooLarge(
                f"File {self.name[:120]!r} is larger than the upload limit of "
                f"{format_bytes(self.max_bytes)}"
            )
        self._file.write(data)
        self.size += len(data)

    def commit(self) -> str:
        """Check what the file really is and record it; returns the path to hand out."""
        self._close()
        kind = sniff_file(self.path, filename=self.name, content_type=self.content_type)
        info = UploadInfo(
            upload_id=self.upload_id,
            name=self.name,
            kind=kind,
            size=self.size,
            content_type=self.content_type,
            created=datetime.now(UTC).isoformat().replace("+00:00", "Z"),
            owner=self.owner,
        )
        _write_metadata(self.directory, info)
        self.committed = str(self.path)
        return self.committed

    def discard(self) -> None:
        self._close()
        shutil.rmtree(self.directory, ignore_errors=True)

    def _close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None


class UploadStore:
    """Uploaded documents under `settings.uploads_dir`."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def root(self) -> Path:
        """The uploads directory with every symlink resolved: issued paths start with it."""
        return Path(os.path.realpath(self.settings.uploads_dir))

    def ensure_root(self) -> Path:
        root = self.root
        root.mkdir(parents=True, exist_ok=True, mode=0o700)
        return root

    # --- writing ----------------------------------------------------------------------

    def begin(
        self, filename: str, content_type: str | None = None, owner: str | None = None
    ) -> PendingUpload:
        """Start receiving one file (the name is checked before anything is written)."""
        return PendingUpload(
            self, filename, content_type, self.settings.max_upload_bytes, owner=owner
        )

    def save(
        self,
        filename: str,
        data: bytes,
        content_type: str | None = None,
        owner: str | None = None,
    ) -> str:
        """Store one whole file; returns its absolute path string (what the API hands out)."""
        pending = self.begin(filename, content_type, owner)
        try:
            pending.write(data)
            return pending.commit()
        except BaseException:
            pending.discard()
            raise

    def write_text(self, resolved: ResolvedFile, text: str) -> ResolvedFile:
        """Write an upload's extracted text as `<name>.txt` next to it (what `decompose`
        hands out); `resolve` accepts that path from then on."""
        directory = resolved.path.parent
        text_name = resolved.info.name + TEXT_SUFFIX
        target = directory / text_name
        temporary = directory / f".{text_name}.{uuid.uuid4().hex}.tmp"
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, target)
        info = replace(resolved.info, text_name=text_name)
        _write_metadata(directory, info)
        return ResolvedFile(target, info, derived=True)

    # --- reading ----------------------------------------------------------------------

    def resolve(self, path: str, access: Access | None = None) -> Path:
        """The file behind a path string this store issued; see `lookup`."""
        return self.lookup(path, access).path

    def lookup(self, path: str, access: Access | None = None) -> ResolvedFile:
        """Check a path string without opening it; with `access`, only a path that
        caller may use (another owner's upload is refused as if it were never issued).

        Accepted only: `<uploads_dir>/<32 hex>/<name>` after normalisation, where the
        upload's metadata names `<name>` as the uploaded file or its derived text, and the
        file exists as a regular file with no symlink on the way. Anything else raises
        `InvalidInput` (400); an issued file that is gone raises `NotFound` (404).
        """
        if not isinstance(path, str) or not path.strip():
            raise InvalidInput("File path must be a non-empty string")
        shown = path if len(path) <= 200 else path[:197] + "..."
        not_issued = InvalidInput(
            f"File path {shown!r} is not a file uploaded to this server "
            "(use a path returned by /files/upload or /files/decompose)"
        )
        if "\x00" in path or len(path) > _MAX_PATH_CHARS or not os.path.isabs(path):
            raise not_issued
        normalized = os.path.normpath(path)
        root = self.root
        try:
            parts = Path(normalized).relative_to(root).parts
        except ValueError:
            raise not_issued from None
        if len(parts) != 2 or not UPLOAD_ID.fullmatch(parts[0]):
            raise not_issued
        upload_id, name = parts
        directory = root / upload_id
        if not _is_real_dir(root) or not _is_real_dir(directory):
            raise not_issued
        info = _read_metadata(directory)
        if info is None or info.upload_id != upload_id:
            raise not_issued
        if access is not None and not access.sees(info.owner):
            raise not_issued
        if name == info.name:
            derived = False
        elif info.text_name is not None and name == info.text_name:
            derived = True
        else:
            raise not_issued
        candidate = directory / name
        try:
            mode = os.lstat(candidate).st_mode
        except FileNotFoundError:
            raise NotFound(f"File {shown} not found") from None
        except OSError:
            raise not_issued from None
        if not stat.S_ISREG(mode) or os.path.realpath(candidate) != str(candidate):
            raise not_issued
        return ResolvedFile(candidate, info, derived)


def _is_real_dir(path: Path) -> bool:
    try:
        return stat.S_ISDIR(os.lstat(path).st_mode)
    except OSError:
        return False


def _read_metadata(directory: Path) -> UploadInfo | None:
    """Our own metadata file (never a symlink, never large), or None."""
    target = directory / METADATA_NAME
    try:
        fd = os.open(target, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
    except OSError:
        return None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):
            return None
        with os.fdopen(fd, "rb", closefd=False) as fh:
            raw = fh.read(_MAX_METADATA_BYTES + 1)
        if len(raw) > _MAX_METADATA_BYTES:
            return None
        return UploadInfo.from_json(json.loads(raw))
    except (OSError, ValueError, KeyError, TypeError):
        return None
    finally:
        os.close(fd)


def _write_metadata(directory: Path, info: UploadInfo) -> None:
    temporary = directory / f"{METADATA_NAME}.{uuid.uuid4().hex}.tmp"
    temporary.write_text(json.dumps(info.to_json(), ensure_ascii=False), encoding="utf-8")
    os.replace(temporary, directory / METADATA_NAME)
