"""What the API and the generation layer call: documents' text for prompts, and decompose."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass

from slidestream.access import Access
from slidestream.documents.extract import extract_text
from slidestream.documents.models import Document, DocumentKind
from slidestream.documents.store import UploadStore


@dataclass(frozen=True)
class DecomposedFile:
    """One entry of `/files/decompose`'s answer (Presenton's `{name, file_path}`)."""

    name: str
    file_path: str


async def load_documents(paths: Sequence[str], store: UploadStore) -> list[Document]:
    """The text of each document in `paths`, in order, for the outline prompt.

    Every path must be one `/files/upload` or `/files/decompose` handed out: each is
    checked with `store.lookup` (`InvalidInput` 400 if not; `NotFound` 404 if it was deleted
    since) before any is read. Each text is cut to `settings.max_document_chars`; a file
    that cannot be parsed raises `InvalidInput` with a plain-words `detail`. Parsing runs in
    a worker thread.
    """
    limit = store.settings.max_document_chars
    resolved = [store.lookup(path) for path in paths]
    documents: list[Document] = []
    for item in resolved:
        document = await asyncio.to_thread(
            extract_text, item.path, item.kind, name=item.name, max_chars=limit
        )
        documents.append(document)
    return documents


async def decompose(
    paths: Sequence[str], store: UploadStore, access: Access | None = None
) -> list[DecomposedFile]:
    """Presenton's decompose: text files come back as they are; every other document is
    parsed and its text written to `<name>.txt` next to the upload, whose path comes back
    (and is accepted by `resolve` from then on). All paths are checked before any work."""
    resolved = [store.lookup(path, access) for path in paths]
    results: list[DecomposedFile] = []
    for item in resolved:
        if item.kind is DocumentKind.TXT:
            results.append(DecomposedFile(name=item.path.name, file_path=str(item.path)))
            continue
        document = await asyncio.to_thread(extract_text, item.path, item.kind, name=item.name)
        written = await asyncio.to_thread(store.write_text, item, document.text)
        results.append(DecomposedFile(name=written.path.name, file_path=str(written.path)))
    return results
