"""Receive a `multipart/form-data` upload straight into the upload store.

Parts are parsed as the body arrives (python-multipart's streaming parser) and each file
is written to disk chunk by chunk: nothing is buffered whole, and reading stops at the
first file over `max_upload_bytes` (413) or the file past `max_upload_files` (400). A
request that fails leaves nothing behind: every file it stored is removed.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import AsyncIterator

from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header

from slidestream.documents.store import PendingUpload, UploadStore
from slidestream.errors import InvalidInput

_PARAM = re.compile(r';\s*([^\s=;]+)\s*=\s*("(?:[^"\\]|\\.)*"|[^;]*)', re.S)


class NoFilesUploaded(Exception):
    """The body carried no file in the expected field (the API answers 422, like FastAPI)."""


def disposition_params(value: str) -> dict[str, str]:
    """The parameters of a `Content-Disposition` header, quotes and `\\\\`/`\\"` escapes
    undone and nothing else: a file name keeps any path in it, so it can be refused."""
    params: dict[str, str] = {}
    for key, raw in _PARAM.findall(value):
        key = key.lower()
        if "*" in key:  # RFC 7578 forbids the extended syntax: ignore it
            continue
        raw = raw.strip()
        if len(raw) >= 2 and raw[0] == raw[-1] == '"':
            raw = re.sub(r'\\([\\"])', r"\1", raw[1:-1])
        params[key] = raw
    return params


class _Receiver:
    """Parser callbacks (run in a worker thread, they write files)."""

    def __init__(self, boundary: bytes, store: UploadStore, field: str, owner: str | None) -> None:
        self.store = store
        self.owner = owner
        self.field = field
        self.max_files = store.settings.max_upload_files
        self.parser = MultipartParser(
            boundary,
            {
                "on_part_begin": self._part_begin,
                "on_header_field": self._header_field,
                "on_header_value": self._header_value,
                "on_header_end": self._header_end,
                "on_headers_finished": self._headers_finished,
                "on_part_data": self._part_data,
                "on_part_end": self._part_end,
                "on_end": self._end,
            },
        )
        self.files = 0
        self.stored: list[PendingUpload] = []
        self.current: PendingUpload | None = None
        self.headers: dict[str, bytes] = {}
        self.header_name = b""
        self.header_value = b""
        self.finished = False
        # `abort` may run while a worker thread is still inside `feed` (a cancelled
        # request): the lock makes it wait for that chunk, and later chunks do nothing.
        self.lock = threading.Lock()
        self.aborted = False

    def feed(self, chunk: bytes) -> None:
        with self.lock:
            if self.aborted:
                return
            try:
                self.parser.write(chunk)
            except FormParserError:
                raise InvalidInput("The upload is not valid multipart/form-data") from None

    def finish(self) -> list[str]:
        try:
            self.parser.finalize()
        except FormParserError:
            raise InvalidInput("The upload is not valid multipart/form-data") from None
        if not self.finished or self.current is not None:
            raise InvalidInput("The upload ended before its last part was complete")
        if not self.stored:
            raise NoFilesUploaded
        return [upload.committed for upload in self.stored if upload.committed is not None]

    def abort(self) -> None:
        with self.lock:
            self.aborted = True
            self._remove_all()

    def _remove_all(self) -> None:
        if self.current is not None:
            self.current.discard()
            self.current = None
        for upload in self.stored:
            upload.discard()
        self.stored.clear()

    # --- callbacks ----------------------------------------------------------------------

    def _part_begin(self) -> None:
        self.headers = {}
        self.current = None

    def _header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def _header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def _header_end(self) -> None:
        self.headers[self.header_name.decode("latin-1").strip().lower()] = self.header_value
        self.header_name = b""
        self.header_value = b""

    def _headers_finished(self) -> None:
        params = disposition_params(_decode(self.headers.get("content-disposition", b"")))
        if params.get("name") != self.field:
            return  # other fields are ignored, as FastAPI does
        if "filename" not in params:
            raise InvalidInput(f"Field {self.field!r} must carry files, not text")
        self.files += 1
        if self.files > self.max_files:
            raise InvalidInput(f"Too many files: at most {self.max_files} per upload")
        content_type = _decode(self.headers.get("content-type", b"")).strip() or None
        self.current = self.store.begin(params["filename"], content_type, self.owner)

    def _part_data(self, data: bytes, start: int, end: int) -> None:
        if self.current is not None:
            self.current.write(data[start:end])

    def _part_end(self) -> None:
        if self.current is None:
            return
        upload, self.current = self.current, None
        try:
            upload.commit()
        except BaseException:
            upload.discard()
            raise
        self.stored.append(upload)

    def _end(self) -> None:
        self.finished = True


def _decode(value: bytes) -> str:
    try:
        return value.decode("utf-8")
    except UnicodeDecodeError:
        return value.decode("latin-1")


async def receive_uploads(
    body: AsyncIterator[bytes],
    content_type: str | None,
    store: UploadStore,
    field: str = "files",
    *,
    owner: str | None = None,
) -> list[str]:
    """Store every file of a multipart body's `field`; returns their paths in order.

    Raises `NoFilesUploaded` when there is none, `InvalidInput` (400) for a refused file
    or malformed body, `PayloadTooLarge` (413) for a file over the limit.
    """
    media_type, params = parse_options_header(content_type or "")
    if media_type != b"multipart/form-data":
        raise NoFilesUploaded
    boundary = params.get(b"boundary")
    if not boundary:
        raise InvalidInput("The multipart upload has no boundary")
    receiver = _Receiver(boundary, store, field, owner)
    try:
        async for chunk in body:
            if chunk:
                await asyncio.to_thread(receiver.feed, chunk)
        return await asyncio.to_thread(receiver.finish)
    except BaseException:
        # Synchronous on purpose: it must also run when the request is cancelled.
        receiver.abort()
        raise
