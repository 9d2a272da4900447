"""The upload store: names are refused, not fixed; only issued paths resolve, unopened."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from slidestream.documents import DocumentKind, UploadStore
from slidestream.errors import InvalidInput, NotFound, PayloadTooLarge
from slidestream.settings import Settings
from tests.conftest import make_settings
from tests.documents.samples import EXE, TEXT, pdf_bytes

# --- watching file opens ----------------------------------------------------------------
# An audit hook sees every open() / os.open() in the process; it records the watched paths.
_watched: set[str] = set()
_opened: list[str] = []


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "open" and _watched and isinstance(args[0], str | bytes | os.PathLike):
        path = os.path.abspath(os.fsdecode(args[0]))
        if path in _watched:
            _opened.append(path)


sys.addaudithook(_audit)


@pytest.fixture
def watch_opens() -> Iterator[list[str]]:
    """Add paths to the returned list's `watch` set; `_opened` records opens of them."""
    _opened.clear()
    try:
        yield _opened
    finally:
        _watched.clear()
        _opened.clear()


def watch(*paths: Path | str) -> None:
    for path in paths:
        _watched.add(os.path.abspath(path))
        _watched.add(os.path.realpath(path))


# --- fixtures ---------------------------------------------------------------------------


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return make_settings(tmp_path / "data", None)


@pytest.fixture
def store(settings: Settings) -> UploadStore:
    return UploadStore(settings)


@pytest.fixture
def secret(tmp_path: Path) -> Path:
    path = tmp_path / "outside" / "secret.txt"
    path.parent.mkdir()
    path.write_text("top secret\n")
    return path


# --- saving -----------------------------------------------------------------------------


def test_save_stores_under_a_random_directory_with_metadata(store: UploadStore) -> None:
    issued = store.save("notes.txt", TEXT.encode(), "text/plain")
    path = Path(issued)
    assert path.is_absolute()
    assert path.parent.parent == store.root
    assert re.fullmatch(r"[0-9a-f]{32}", path.parent.name)
    assert path.name == "notes.txt"
    assert path.read_bytes() == TEXT.encode()
    meta = json.loads((path.parent / ".upload.json").read_text())
    assert meta["name"] == "notes.txt"
    assert meta["kind"] == "txt"
    assert meta["size"] == len(TEXT.encode())
    assert meta["content_type"] == "text/plain"
    assert meta["created"].endswith("Z")
    # Same name twice: two uploads, nothing overwritten.
    assert store.save("notes.txt", b"other") != issued


@pytest.mark.parametrize(
    "filename",
    [
        "../x.txt",
        "../../etc/cron.d/x",
        "a/b.txt",
        "/etc/passwd",
        "C:\\x.txt",
        "C:x.txt",
        "..\\x.txt",
        "x\x00.txt",
        "x\n.txt",
        "",
        "   ",
        ".",
        "..",
        ".bashrc",
        "a" * 201 + ".txt",
    ],
)
def test_path_like_or_odd_names_are_refused_not_sanitized(
    store: UploadStore, filename: str
) -> None:
    with pytest.raises(InvalidInput):
        store.save(filename, TEXT.encode())
    root = store.root
    assert not root.exists() or list(root.iterdir()) == []


def test_refused_content_leaves_nothing_behind(store: UploadStore) -> None:
    with pytest.raises(InvalidInput, match="executable"):
        store.save("invoice.pdf", EXE)
    with pytest.raises(InvalidInput, match="empty"):
        store.save("empty.txt", b"")
    assert list(store.root.iterdir()) == []


def test_size_limit(tmp_path: Path) -> None:
    store = UploadStore(make_settings(tmp_path / "data", None, max_upload_bytes=10))
    assert Path(store.save("ok.txt", b"0123456789")).exists()
    with pytest.raises(PayloadTooLarge):
        store.save("big.txt", b"0123456789!")
    assert len(list(store.root.iterdir())) == 1


# --- resolving --------------------------------------------------------------------------


def test_an_issued_path_resolves(store: UploadStore, watch_opens: list[str]) -> None:
    issued = store.save("paper.pdf", pdf_bytes("hello"))
    watch(issued)
    resolved = store.lookup(issued)
    assert resolved.path == Path(issued)
    assert resolved.kind is DocumentKind.PDF
    assert store.resolve(issued) == Path(issued)
    assert watch_opens == []  # checked by lstat only
    # The hook does see opens (so the assertions above can fail).
    Path(issued).read_bytes()
    assert watch_opens == [os.path.abspath(issued)]


def refused(store: UploadStore, path: str, *targets: Path | str) -> None:
    watch(*targets)
    with pytest.raises(InvalidInput) as caught:
        store.resolve(path)
    assert caught.value.status_code == 400
    assert _opened == [], f"{path!r} opened {_opened}"


@pytest.mark.usefixtures("watch_opens")
def test_paths_outside_the_store_are_refused_unopened(
    store: UploadStore, secret: Path, tmp_path: Path
) -> None:
    issued = Path(store.save("notes.txt", TEXT.encode()))
    upload = issued.parent
    root = store.root
    refused(store, "/etc/passwd", "/etc/passwd")
    refused(store, str(secret), secret)
    refused(store, f"{upload}/../../../outside/secret.txt", secret)
    refused(store, f"{upload}/../{upload.name}/../../outside/secret.txt", secret)
    refused(store, f"{root}/../outside/secret.txt", secret)
    refused(store, f"{root}/{upload.name}/../../../../../../etc/passwd", "/etc/passwd")
    # Relative paths, even to the real file.
    refused(store, os.path.relpath(issued), issued)
    refused(store, f"{upload.name}/notes.txt", issued)
    refused(store, "../outside/secret.txt", secret)
    refused(store, "", secret)
    refused(store, str(issued) + "\x00.pdf", issued)
    # The upload directory itself, the root, the metadata file.
    refused(store, str(upload), upload)
    refused(store, str(root), root)
    refused(store, str(upload / ".upload.json"))


@pytest.mark.usefixtures("watch_opens")
def test_files_the_store_did_not_issue_are_refused_unopened(
    store: UploadStore, tmp_path: Path
) -> None:
    issued = Path(store.save("notes.txt", TEXT.encode()))
    # The same layout in another directory (a copy of a real upload).
    elsewhere = tmp_path / "elsewhere" / issued.parent.name
    shutil.copytree(issued.parent, elsewhere)
    # A file dropped into an issued upload directory.
    stray = issued.parent / "stray.txt"
    stray.write_text("not ours")
    # A directory of the right shape without our metadata.
    fake = store.root / ("a" * 32) / "notes.txt"
    fake.parent.mkdir()
    fake.write_text("not ours")

    refused(store, str(elsewhere / "notes.txt"), elsewhere / "notes.txt")
    refused(store, str(stray), stray)
    refused(store, str(fake), fake)
    # An upload id that does not exist, or is not 32 hex digits.
    refused(store, str(store.root / ("b" * 32) / "notes.txt"))
    refused(store, str(store.root / ("A" * 32) / "notes.txt"))
    refused(store, str(store.root / "notes.txt"))


@pytest.mark.usefixtures("watch_opens")
def test_symlinks_inside_the_store_are_refused_unopened(
    store: UploadStore, secret: Path, tmp_path: Path
) -> None:
    # An issued file replaced by a symlink pointing out.
    issued = Path(store.save("notes.txt", TEXT.encode()))
    issued.unlink()
    issued.symlink_to(secret)
    # An upload directory that is a symlink to a copy of a real upload elsewhere.
    real = Path(store.save("other.txt", TEXT.encode())).parent
    copy = tmp_path / "copy"
    shutil.copytree(real, copy)
    linked = store.root / ("c" * 32)
    linked.symlink_to(copy)
    meta = json.loads((copy / ".upload.json").read_text())
    meta["upload_id"] = linked.name
    (copy / ".upload.json").write_text(json.dumps(meta))

    refused(store, str(issued), secret, issued)
    refused(store, str(linked / "other.txt"), copy / "other.txt")


def test_a_deleted_upload_is_not_found(store: UploadStore) -> None:
    issued = Path(store.save("notes.txt", TEXT.encode()))
    issued.unlink()
    with pytest.raises(NotFound) as caught:
        store.resolve(str(issued))
    assert caught.value.status_code == 404
    assert str(issued) in caught.value.detail


def test_a_store_on_a_symlinked_data_dir_issues_real_paths(tmp_path: Path) -> None:
    real = tmp_path / "real"
    real.mkdir()
    (tmp_path / "link").symlink_to(real)
    store = UploadStore(make_settings(tmp_path / "link", None))
    issued = store.save("notes.txt", TEXT.encode())
    assert issued.startswith(str(real / "uploads"))
    assert store.resolve(issued) == Path(issued)
