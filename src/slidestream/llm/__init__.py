"""LLM provider protocol and its implementations."""
