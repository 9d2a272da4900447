"""The `slidestream` command, run as a real subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

from tests.support.fake_llm import FakeLLMHandle


def run_cli(*args: str, env: dict[str, str], cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "slidestream", *args],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_generate_writes_a_complete_deck(tmp_path: Path, fake_llm: FakeLLMHandle) -> None:
    env = {
        "APP_DATA_DIRECTORY": str(tmp_path / "data"),
        "LLM": "custom",
        "CUSTOM_LLM_URL": fake_llm.api_url,
        "CUSTOM_MODEL": "slidestream-fake",
    }
    result = run_cli(
        "generate", "Urban beekeeping", "-n", "5", "-o", "deck.json", env=env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    deck = json.loads((tmp_path / "deck.json").read_text())
    assert len(deck["slides"]) == 5
    assert [s["index"] for s in deck["slides"]] == list(range(5))
    assert deck["generation"]["deck_status"] == "completed"
    assert "Wrote 5 slides" in result.stderr
    assert "Slides" in result.stderr  # the progress display was shown
    # The deck is in the data directory too, and the server can serve it.
    assert (tmp_path / "data" / "slidestream.db").exists()


def test_generate_without_a_provider_drafts_offline_and_says_so(tmp_path: Path) -> None:
    env = {"APP_DATA_DIRECTORY": str(tmp_path / "data"), "LLM": ""}
    result = run_cli(
        "generate", "Urban beekeeping", "-n", "4", "-o", "deck.json", env=env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    deck = json.loads((tmp_path / "deck.json").read_text())
    assert deck["generation_mode"] == "offline"
    assert deck["generation"]["offline_draft"] is True
    assert len(deck["slides"]) == 4
    assert "Offline draft" in result.stderr
    assert "Traceback" not in result.stderr


def test_a_half_configured_provider_says_what_is_missing(tmp_path: Path) -> None:
    env = {"APP_DATA_DIRECTORY": str(tmp_path / "data"), "LLM": "openai", "OPENAI_API_KEY": ""}
    result = run_cli("generate", "Anything", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "LLM=openai needs OPENAI_API_KEY" in result.stderr
    assert "Traceback" not in result.stderr


def test_generate_rejects_a_bad_slide_count(tmp_path: Path) -> None:
    env = {"APP_DATA_DIRECTORY": str(tmp_path / "data"), "LLM": ""}
    result = run_cli("generate", "Anything", "-n", "51", env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "cannot be greater than 50" in result.stderr


def test_db_upgrade_and_current(tmp_path: Path) -> None:
    env = {"APP_DATA_DIRECTORY": str(tmp_path / "data")}
    upgraded = run_cli("db", "upgrade", env=env, cwd=tmp_path)
    assert upgraded.returncode == 0, upgraded.stderr
    current = run_cli("db", "current", env=env, cwd=tmp_path)
    from slidestream.storage.database import head_revision

    assert current.stdout.strip() == head_revision()


def test_generate_drafts_from_a_document_offline(tmp_path: Path) -> None:
    notes = tmp_path / "notes.md"
    notes.write_text(
        "# Harbour Report\n\n## Traffic\nThe harbour handled 4,200 ships in 2024. "
        "Container traffic rose by 12%.\n\n## Plans\nA new quay opens in 2027. "
        "It adds berths for 30 ships.\n"
    )
    env = {"APP_DATA_DIRECTORY": str(tmp_path / "data"), "LLM": ""}
    result = run_cli(
        "generate", "", "-n", "3", "-f", str(notes), "-o", "deck.json", env=env, cwd=tmp_path
    )
    assert result.returncode == 0, result.stderr
    deck = json.loads((tmp_path / "deck.json").read_text())
    text = json.dumps(deck["slides"])
    assert "Harbour Report" in text
    assert "The harbour handled 4,200 ships in 2024." in text
    assert deck["generation_mode"] == "offline"


def test_generate_refuses_a_disguised_document(tmp_path: Path) -> None:
    fake = tmp_path / "report.pdf"
    fake.write_bytes(b"MZ\x90\x00" + b"\x00" * 200)
    env = {"APP_DATA_DIRECTORY": str(tmp_path / "data"), "LLM": ""}
    result = run_cli("generate", "x", "-f", str(fake), env=env, cwd=tmp_path)
    assert result.returncode == 1
    assert "error:" in result.stderr
    assert "Traceback" not in result.stderr


def test_generate_writes_a_pptx_in_a_template_and_export_writes_a_pdf(tmp_path: Path) -> None:
    from pptx import Presentation
    from pypdf import PdfReader

    env = {"APP_DATA_DIRECTORY": str(tmp_path / "data"), "LLM": ""}
    result = run_cli(
        "generate",
        "Tidal power",
        "-n",
        "3",
        "-t",
        "modern",
        "-o",
        "deck.pptx",
        env=env,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    deck = Presentation(str(tmp_path / "deck.pptx"))
    assert len(deck.slides) == 3
    pid = re.search(r"\(id ([0-9a-f-]{36})\)", result.stderr.replace("\n", ""))
    assert pid is not None
    exported = run_cli("export", pid.group(1), "-o", "deck.pdf", env=env, cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert len(PdfReader(str(tmp_path / "deck.pdf")).pages) == 3


def test_generate_refuses_an_unknown_template_or_file_type(tmp_path: Path) -> None:
    env = {"APP_DATA_DIRECTORY": str(tmp_path / "data"), "LLM": ""}
    unknown = run_cli("generate", "x", "-t", "nope", env=env, cwd=tmp_path)
    assert unknown.returncode == 1
    assert "Unknown template 'nope'" in unknown.stderr
    wrong = run_cli("generate", "x", "-o", "deck.docx", env=env, cwd=tmp_path)
    assert wrong.returncode == 1
    assert ".pptx, .pdf or .json" in wrong.stderr
    missing = run_cli(
        "export", "00000000-0000-0000-0000-000000000000", "-o", "x.pdf", env=env, cwd=tmp_path
    )
    assert missing.returncode == 1
    assert "Presentation not found" in missing.stderr
