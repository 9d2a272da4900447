"""Build the configured provider from settings (Presenton's variable names)."""

from __future__ import annotations

from slidestream.errors import LLMNotConfigured
from slidestream.llm.anthropic import AnthropicProvider
from slidestream.llm.base import LLMProvider
from slidestream.llm.google import GoogleProvider
from slidestream.llm.openai_compat import OpenAICompatibleProvider
from slidestream.llm.retry import RetryPolicy
from slidestream.settings import Settings

NOT_CONFIGURED = (
    "No LLM provider is configured (the offline engine drafts decks without one). "
    "Set LLM=openai (with OPENAI_API_KEY), "
    "LLM=anthropic (with ANTHROPIC_API_KEY), LLM=google (with GOOGLE_API_KEY), "
    "LLM=custom (with CUSTOM_LLM_URL and CUSTOM_MODEL) or LLM=ollama (with OLLAMA_MODEL)."
)


def create_provider(settings: Settings) -> LLMProvider:
    """The provider named by `LLM`; raises LLMNotConfigured with what is missing."""
    common = {
        "timeout": settings.llm_timeout_seconds,
        "retry": RetryPolicy(
            attempts=settings.llm_max_attempts,
            initial=settings.llm_backoff_initial,
            maximum=settings.llm_backoff_max,
        ),
        "structured_outputs": settings.llm_structured_outputs,
    }
    if settings.llm == "openai":
        if not settings.openai_api_key:
            raise LLMNotConfigured("LLM=openai needs OPENAI_API_KEY")
        return OpenAICompatibleProvider(
            name="OpenAI",
            base_url=settings.openai_base_url,
            api_key=settings.openai_api_key,
            model=settings.openai_model,
            **common,  # type: ignore[arg-type]
        )
    if settings.llm == "custom":
        if not settings.custom_llm_url or not settings.custom_model:
            raise LLMNotConfigured("LLM=custom needs CUSTOM_LLM_URL and CUSTOM_MODEL")
        return OpenAICompatibleProvider(
            name="Custom LLM",
            base_url=settings.custom_llm_url,
            api_key=settings.custom_llm_api_key,
            model=settings.custom_model,
            tool_calls=settings.tool_calls,
            disable_thinking=settings.disable_thinking,
            **common,  # type: ignore[arg-type]
        )
    if settings.llm == "ollama":
        if not settings.ollama_model:
            raise LLMNotConfigured("LLM=ollama needs OLLAMA_MODEL")
        return OpenAICompatibleProvider(
            name="Ollama",
            base_url=settings.ollama_url.rstrip("/") + "/v1",
            api_key="ollama",
            model=settings.ollama_model,
            **common,  # type: ignore[arg-type]
        )
    if settings.llm == "anthropic":
        if not settings.anthropic_api_key:
            raise LLMNotConfigured("LLM=anthropic needs ANTHROPIC_API_KEY")
        return AnthropicProvider(
            api_key=settings.anthropic_api_key,
            model=settings.anthropic_model,
            base_url=settings.anthropic_base_url,
            **common,  # type: ignore[arg-type]
        )
    if settings.llm == "google":
        if not settings.google_api_key:
            raise LLMNotConfigured("LLM=google needs GOOGLE_API_KEY")
        return GoogleProvider(
            api_key=settings.google_api_key,
            model=settings.google_model,
            base_url=settings.google_base_url,
            **common,  # type: ignore[arg-type]
        )
    raise LLMNotConfigured(NOT_CONFIGURED)
