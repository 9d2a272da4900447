"""The process's provider, created on first use so a server without one still starts
(it can replay stored decks) and says clearly what is missing when generation starts."""

from __future__ import annotations

from slidestream.llm.base import LLMProvider
from slidestream.llm.factory import create_provider
from slidestream.settings import Settings


class ProviderHolder:
    def __init__(self, settings: Settings, provider: LLMProvider | None = None) -> None:
        self.settings = settings
        self._provider = provider

    def __call__(self) -> LLMProvider:
        if self._provider is None:
            self._provider = create_provider(self.settings)
        return self._provider

    async def aclose(self) -> None:
        if self._provider is not None:
            await self._provider.aclose()
            self._provider = None
