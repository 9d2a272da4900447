"""The integration kit's proxy: Presenton-style routes for a team's own backend that
forward to an upstream Presenton-compatible server, streams relayed as they arrive.

Mount it in a FastAPI backend::

    app.include_router(create_gateway_router(GatewaySettings(), GatewayHooks(authenticate=...)))

or run it on its own with `slidestream gateway --upstream URL`.
"""

from slidestream.gateway.app import api_key_hooks, create_gateway_app, create_gateway_router
from slidestream.gateway.core import Gateway
from slidestream.gateway.hooks import (
    Caller,
    GatewayHooks,
    Resource,
    UpstreamRequest,
    api_key_authenticator,
)
from slidestream.gateway.ownership import MemoryOwnershipStore, OwnershipStore, SqlOwnershipStore
from slidestream.settings import GatewaySettings

__all__ = [
    "Caller",
    "Gateway",
    "GatewayHooks",
    "GatewaySettings",
    "MemoryOwnershipStore",
    "OwnershipStore",
    "Resource",
    "SqlOwnershipStore",
    "UpstreamRequest",
    "api_key_authenticator",
    "api_key_hooks",
    "create_gateway_app",
    "create_gateway_router",
]
