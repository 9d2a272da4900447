"""Debian's Chromium driven by Playwright, launched the way this machine (and CI) allows:
headless, no sandbox (tests run as root), no background networking (the network is closed)."""

from __future__ import annotations

import os
import shutil

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]


def chromium_path() -> str:
    """The system Chromium (Playwright's own browser download cannot work offline)."""
    path = os.environ.get("SLIDESTREAM_TEST_CHROMIUM") or shutil.which("chromium")
    if not path:
        raise RuntimeError("Chromium is not installed: apt-get install chromium")
    return path
