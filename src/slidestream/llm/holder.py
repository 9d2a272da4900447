"""The process's engine and provider, created on first use so a server without a provider
still starts and says clearly what is missing when generation starts."""

from __future__ import annotations

from typing import TYPE_CHECKING

from slidestream.llm.base import LLMProvider
from slidestream.llm.capped import CappedProvider
from slidestream.llm.factory import create_provider
from slidestream.settings import Settings

if TYPE_CHECKING:
    from slidestream.generation.engines import Engine


class ProviderHolder:
    def __init__(self, settings: Settings, provider: LLMProvider | None = None) -> None:
        self.settings = settings
        self._given = provider is not None
        self._provider: LLMProvider | None = (
            None
            if provider is None
            else CappedProvider(provider, settings.max_concurrent_llm_calls)
        )

    @property
    def offline(self) -> bool:
        """No provider given and none configured (or `LLM=offline`): the offline engine."""
        return not self._given and self.settings.llm in (None, "offline")

    def __call__(self) -> LLMProvider:
        if self._provider is None:
            self._provider = CappedProvider(
                create_provider(self.settings), self.settings.max_concurrent_llm_calls
            )
        return self._provider

    def engine(self) -> Engine:
        """The engine that drafts decks; raises LLMNotConfigured for a half-set provider."""
        from slidestream.generation.engines import LLMEngine, OfflineEngine

        if self.offline:
            return OfflineEngine()
        return LLMEngine(self())

    async def aclose(self) -> None:
        if self._provider is not None:
            await self._provider.aclose()
            if not self._given:
                self._provider = None
