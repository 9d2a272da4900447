"""A handle on the simulated LLM server the tests run."""

from __future__ import annotations

from typing import Any

import httpx

SLIDE_SYSTEM_PROMPT_START = "You write the content of one presentation slide"


class FakeLLMHandle:
    def __init__(self, url: str) -> None:
        self.url = url
        self.api_url = f"{url}/v1"

    def reset(self) -> None:
        httpx.post(f"{self.url}/_reset").raise_for_status()

    def add_faults(self, *faults: dict[str, Any]) -> None:
        httpx.post(f"{self.url}/_faults", json={"faults": list(faults)}).raise_for_status()

    def clear_faults(self) -> None:
        httpx.delete(f"{self.url}/_faults").raise_for_status()

    def release(self) -> None:
        """Let every stalled call answer normally."""
        httpx.post(f"{self.url}/_release").raise_for_status()

    def stats(self) -> dict[str, Any]:
        response = httpx.get(f"{self.url}/_stats")
        response.raise_for_status()
        result: dict[str, Any] = response.json()
        return result

    def calls(self) -> list[dict[str, Any]]:
        return list(self.stats()["calls"])

    def calls_mentioning(self, marker: str) -> list[dict[str, Any]]:
        """Slide-content calls whose prompt contains `marker` (the structure call, which
        lists every outline, is not one of them)."""
        return [
            c
            for c in self.calls()
            if marker in c["user"] and c["system"].startswith(SLIDE_SYSTEM_PROMPT_START)
        ]

    def waiting_on(self, match: str) -> list[dict[str, Any]]:
        """Calls whose prompt contains `match` and that have not been answered yet (a
        stalled call): a reliable sign that generation reached that call."""
        return [c for c in self.calls() if match in c["user"] and c["status"] is None]
