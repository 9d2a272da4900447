"""Deck-scoped stream tokens through the gateway, for browsers (`EventSource` cannot send
an `Authorization` header, and a caller's whole API key in a URL ends up in logs).

A caller asks `POST /presentations/{id}/stream-token`; the gateway has the upstream mint
its own token for that deck (slidestream's `POST /presentation/stream_token/{id}`, with the
caller's upstream key) and answers a token of its own that *seals* the upstream's: signed
with the gateway's secret, it names the deck, the caller and an expiry. On a stream the
gateway checks the seal (signature, deck, expiry) itself, then forwards the upstream's
token as `?token=` instead of a key, and the upstream checks it again.

The gateway's own check is what keeps a token from opening anything but its deck even in
front of an upstream that checks nothing (slidestream without keys, as on loopback by
default, ignores `?token=` and serves every deck to anyone). The secret comes from the
ownership store when it can keep one (`shared_secret`: the SQL store keeps it in its
database, so every gateway process sharing it accepts every other's tokens); otherwise
it lives as long as the process.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol
from urllib.parse import urlencode

from fastapi import HTTPException
from itsdangerous import BadSignature, URLSafeSerializer

from slidestream.gateway.hooks import Caller, UpstreamRequest
from slidestream.gateway.upstream import API_PREFIX, TOKEN_CHALLENGE, json_object, segment

if TYPE_CHECKING:
    from slidestream.gateway.core import Gateway

SECRET_NAME = "stream-token"
_SALT = "slidestream.gateway.stream-token.v1"
# Longer than any sealed token: anything longer is not one, and is not worth a signature check.
MAX_TOKEN_CHARS = 2048
INVALID = "Invalid stream token"
EXPIRED = "The stream token has expired"
OTHER_DECK = "The stream token is for another deck"
NO_TOKENS = (
    "The presentation server does not issue stream tokens (Presenton has none): open the "
    "streams with the API key in a header instead"
)


class SecretKeeper(Protocol):
    async def shared_secret(self, name: str, make: Callable[[], str]) -> str:
        """The secret called `name`, made with `make` by whoever asks first."""


@dataclass(frozen=True)
class StreamGrant:
    """What a valid token opens: one deck's streams, for the caller who minted it, upstream
    with the upstream's own token."""

    caller: Caller
    presentation_id: str
    upstream_token: str


class StreamTokens:
    """Seals upstream stream tokens for callers, and opens the seals again."""

    def __init__(self, store: object) -> None:
        keeps = callable(getattr(store, "shared_secret", None))
        self._keeper: SecretKeeper | None = store if keeps else None  # type: ignore[assignment]
        self._serializer: URLSafeSerializer | None = None

    async def _signer(self) -> URLSafeSerializer:
        if self._serializer is None:
            if self._keeper is not None:
                secret = await self._keeper.shared_secret(SECRET_NAME, _new_secret)
            else:
                secret = _new_secret()
            self._serializer = URLSafeSerializer(secret, salt=_SALT)
        return self._serializer

    async def seal(
        self, caller: Caller, presentation_id: str, upstream_token: str, expires_in: int
    ) -> str:
        """The caller's token for `presentation_id`, valid `expires_in` seconds."""
        claims = {
            "d": presentation_id,
            "c": caller.id,
            "u": upstream_token,
            "e": int(time.time()) + expires_in,
        }
        return str((await self._signer()).dumps(claims))

    async def open(self, token: str, presentation_id: str) -> StreamGrant:
        """The grant of `token` for `presentation_id`; 401 when it is not one (the
        token itself never appears in the answer)."""
        if len(token) > MAX_TOKEN_CHARS:
            raise _refused(INVALID)
        try:
            claims = (await self._signer()).loads(token)
        except BadSignature:
            raise _refused(INVALID) from None
        if not isinstance(claims, dict) or not all(
            isinstance(claims.get(k), t)
            for k, t in (("d", str), ("c", str), ("u", str), ("e", int))
        ):
            raise _refused(INVALID)
        if claims["d"] != presentation_id:
            raise _refused(OTHER_DECK)
        if claims["e"] < time.time():
            raise _refused(EXPIRED)
        return StreamGrant(Caller(claims["c"]), presentation_id, claims["u"])


def _new_secret() -> str:
    return secrets.token_urlsafe(48)


def _refused(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers=TOKEN_CHALLENGE)


def with_token(path: str, token: str) -> str:
    return f"{path}?{urlencode({'token': token})}"


def upstream_grant(answer: dict[str, Any]) -> tuple[str, int]:
    """The token and lifetime in the upstream's mint answer; 502 when it has none."""
    token, expires_in = answer.get("token"), answer.get("expires_in")
    lifetime = expires_in if isinstance(expires_in, int) and not isinstance(expires_in, bool) else 0
    if not isinstance(token, str) or not token or lifetime <= 0:
        raise HTTPException(502, "The presentation server sent no usable stream token")
    return token, lifetime


async def mint(
    gateway: Gateway, caller: Caller, presentation_id: str, stream_path: str, outline_path: str
) -> dict[str, Any]:
    """Have the upstream mint a token for the caller's deck (with the caller's upstream
    key) and answer the gateway's own, with the gateway's stream URLs that carry it."""
    call = UpstreamRequest(
        "stream_token", "POST", f"{API_PREFIX}/presentation/stream_token/{segment(presentation_id)}"
    )
    try:
        answer = json_object(await gateway.send(caller, call))
    except HTTPException as error:
        # FastAPI's answer for a route it does not have (Presenton, older slidestream),
        # unlike slidestream's own 404s, which name what is missing.
        if error.status_code == 405 or (error.status_code == 404 and error.detail == "Not Found"):
            raise HTTPException(501, NO_TOKENS) from None
        raise
    upstream_token, expires_in = upstream_grant(answer)
    token = await gateway.tokens.seal(caller, presentation_id, upstream_token, expires_in)
    return {
        "token": token,
        "expires_at": answer.get("expires_at"),
        "expires_in": expires_in,
        "stream_url": with_token(stream_path, token),
        "outline_stream_url": with_token(outline_path, token),
    }
