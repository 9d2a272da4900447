"""CORS origins read the same way by the server's and the gateway's settings."""

from __future__ import annotations

import pytest

from slidestream.settings import GatewaySettings, Settings


@pytest.mark.parametrize("model", [Settings, GatewaySettings])
@pytest.mark.parametrize(
    "raw",
    [
        "https://app.example, http://localhost:5173/",
        '["https://app.example", "http://localhost:5173/"]',
    ],
)
def test_origins_from_a_comma_list_or_json(
    model: type[Settings] | type[GatewaySettings], raw: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    variable = (
        "SLIDESTREAM_CORS_ORIGINS" if model is Settings else "SLIDESTREAM_GATEWAY_CORS_ORIGINS"
    )
    monkeypatch.setenv(variable, raw)
    assert model().cors_origins == ["https://app.example", "http://localhost:5173"]  # type: ignore[call-arg]
