"""Uploaded documents: content sniffing, the upload store, text extraction, decompose.

The generation layer calls `load_documents(presentation.file_paths, UploadStore(settings))`
to get each document's text (headings as markdown `#` lines, capped at
`settings.max_document_chars`).
"""

from slidestream.documents.extract import extract_text
from slidestream.documents.loader import DecomposedFile, decompose, load_documents
from slidestream.documents.models import Document, DocumentKind
from slidestream.documents.sniff import sniff_bytes, sniff_file
from slidestream.documents.store import ResolvedFile, UploadStore, check_filename

__all__ = [
    "DecomposedFile",
    "Document",
    "DocumentKind",
    "ResolvedFile",
    "UploadStore",
    "check_filename",
    "decompose",
    "extract_text",
    "load_documents",
    "sniff_bytes",
    "sniff_file",
]
