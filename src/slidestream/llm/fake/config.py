"""Configuration of the simulated LLM and its injectable faults."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, cast

FaultKind = Literal["401", "403", "429", "500", "503", "529", "stall", "truncate", "invalid_json"]
FAULT_KINDS: tuple[str, ...] = (
    "401",
    "403",
    "429",
    "500",
    "503",
    "529",
    "stall",
    "truncate",
    "invalid_json",
)
# What each HTTP status fault answers: the message and OpenAI's error type.
STATUS_FAULTS: dict[int, tuple[str, str]] = {
    401: ("Incorrect API key provided (simulated).", "authentication_error"),
    403: ("This key may not use this model (simulated).", "permission_error"),
    429: ("Rate limit reached (simulated).", "rate_limit_error"),
    500: ("Server error (simulated).", "server_error"),
    503: ("The service is unavailable (simulated).", "server_error"),
    529: ("Overloaded (simulated).", "overloaded_error"),
}


@dataclass(frozen=True)
class FaultRule:
    """Answer the next `times` requests whose messages contain `match` with a fault."""

    kind: FaultKind
    times: int = 1
    match: str | None = None
    after_chars: int = 40


@dataclass(frozen=True)
class FakeLLMConfig:
    latency: float = 0.0
    tokens_per_second: float = 0.0
    model: str = "slidestream-fake"
    seed: int = 0
    faults: tuple[FaultRule, ...] = ()


def fault_from_dict(raw: object) -> FaultRule:
    """A FaultRule from its JSON form; ValueError with a readable message when invalid."""
    if not isinstance(raw, dict):
        raise ValueError("a fault is an object")
    kind = str(raw.get("kind", ""))
    if kind not in FAULT_KINDS:
        raise ValueError(f"unknown fault kind {kind!r}; use one of {', '.join(FAULT_KINDS)}")
    times, after = raw.get("times", 1), raw.get("after_chars", 40)
    if not isinstance(times, int) or times < 1 or not isinstance(after, int) or after < 0:
        raise ValueError("times must be a positive integer and after_chars non-negative")
    match = raw.get("match")
    return FaultRule(
        kind=cast(FaultKind, kind),
        times=times,
        match=str(match) if match is not None else None,
        after_chars=after,
    )


def parse_fault_spec(spec: str) -> FaultRule:
    """`KIND[:TIMES[:MATCH]]`, as given to `slidestream fake-llm --fault`."""
    kind, _, rest = spec.partition(":")
    times, _, match = rest.partition(":")
    return fault_from_dict(
        {"kind": kind, "times": int(times) if times else 1, "match": match or None}
    )
