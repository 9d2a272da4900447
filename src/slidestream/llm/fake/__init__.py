"""The simulated LLM: an OpenAI-compatible server for tests, benchmarks and demos."""

from slidestream.llm.fake.config import FakeLLMConfig, FaultRule, parse_fault_spec
from slidestream.llm.fake.server import create_fake_llm_app, run_fake_llm

__all__ = [
    "FakeLLMConfig",
    "FaultRule",
    "create_fake_llm_app",
    "parse_fault_spec",
    "run_fake_llm",
]
