"""Who is calling, and what they may see: API keys, deck-scoped stream tokens, and the
`Access` every route hands to the services.

- An API key is `ssk_<id>_<secret>`. Only its SHA-256 is stored (the secret is 256 random
  bits, so a slow hash would add nothing); the `id` names it in listings and logs.
- A key's `name` is the owner recorded on everything it makes. Several keys may share a
  name, so a key can be rotated (create the new one, revoke the old) without its decks
  changing hands. An admin key sees every owner's resources.
- A stream token is signed with a secret every process of the deployment shares (kept in
  the database), names one deck and one key, expires, and is checked against the key on
  every use, so revoking the key ends its tokens too.
"""

from __future__ import annotations

import hashlib
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from slidestream.errors import InvalidInput, NotFound, Unauthorized
from slidestream.storage.models import ApiKeyRow
from slidestream.storage.repository import Repository

KEY_PREFIX = "ssk_"
KEY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
STREAM_TOKEN_SECRET = "stream-token"
_TOKEN_SALT = "slidestream.stream-token.v1"


@dataclass(frozen=True)
class Access:
    """What one request may reach.

    `owner` is recorded on what the caller creates. `everything` is an admin key, or a
    server without keys. `deck` limits a stream token to the one deck it names."""

    owner: str | None
    everything: bool
    key_id: str | None = None
    deck: uuid.UUID | None = None

    @property
    def owner_filter(self) -> str | None:
        """The owner a listing is limited to; None lists every owner's."""
        return None if self.everything else (self.owner or "")

    def sees(self, owner: str | None, presentation_id: uuid.UUID | None = None) -> bool:
        if self.deck is not None and presentation_id != self.deck:
            return False
        if self.everything:
            return True
        return owner is not None and owner == self.owner

    @property
    def limited(self) -> bool:
        """Whether per-key limits apply (there is a key to count against)."""
        return self.key_id is not None and self.owner is not None


# No keys: one operator, who sees and owns everything (owner None).
OPEN = Access(owner=None, everything=True)


def hash_key(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> tuple[str, str]:
    """A new key's (id, full secret text)."""
    key_id = secrets.token_hex(6)
    return key_id, f"{KEY_PREFIX}{key_id}_{secrets.token_urlsafe(32)}"


@dataclass(frozen=True)
class StreamToken:
    token: str
    expires_at: datetime
    expires_in: int


class KeyStore:
    """API keys and stream tokens over the repository."""

    def __init__(self, repository: Repository, token_seconds: int) -> None:
        self.repository = repository
        self.token_seconds = token_seconds
        self._serializer: URLSafeTimedSerializer | None = None

    async def start(self) -> None:
        secret = await self.repository.shared_secret(
            STREAM_TOKEN_SECRET, lambda: secrets.token_urlsafe(48)
        )
        self._serializer = URLSafeTimedSerializer(secret, salt=_TOKEN_SALT)

    # --- keys ----------------------------------------------------------------------------

    async def create(self, name: str, *, admin: bool = False) -> tuple[ApiKeyRow, str]:
        """A new key for owner `name`; the secret text is returned only here."""
        if not KEY_NAME.fullmatch(name):
            raise InvalidInput(
                "A key name is 1-64 letters, digits, dots, dashes or underscores, "
                "starting with a letter or digit"
            )
        key_id, key = new_key()
        row = ApiKeyRow(id=key_id, name=name, key_hash=hash_key(key), admin=admin)
        return await self.repository.add_api_key(row), key

    async def revoke(self, key_id: str) -> ApiKeyRow:
        if not await self.repository.revoke_api_key(key_id):
            row = await self.repository.get_api_key(key_id)
            if row is None:
                raise NotFound(f"No API key with id {key_id}")
            return row  # revoked already
        row = await self.repository.get_api_key(key_id)
        assert row is not None
        return row

    async def authenticate(self, key: str) -> Access:
        """The access a presented key grants; `Unauthorized` for a wrong or revoked one."""
        if not key.startswith(KEY_PREFIX):
            raise Unauthorized("Invalid API key", error="invalid_token")
        row = await self.repository.api_key_by_hash(hash_key(key))
        if row is None or row.revoked_at is not None:
            raise Unauthorized("Invalid or revoked API key", error="invalid_token")
        return Access(owner=row.name, everything=row.admin, key_id=row.id)

    # --- stream tokens --------------------------------------------------------------------

    def mint(self, access: Access, presentation_id: uuid.UUID) -> StreamToken:
        """A token that opens `presentation_id`'s streams for the caller's key."""
        serializer = self._require_serializer()
        token = serializer.dumps({"d": presentation_id.hex, "k": access.key_id})
        expires = datetime.now(UTC) + timedelta(seconds=self.token_seconds)
        return StreamToken(token, expires, self.token_seconds)

    async def verify(self, token: str, presentation_id: uuid.UUID) -> Access:
        """The access a stream token grants for `presentation_id`, or `Unauthorized`."""
        serializer = self._require_serializer()
        try:
            claims = serializer.loads(token, max_age=self.token_seconds)
        except SignatureExpired:
            raise Unauthorized("The stream token has expired", error="invalid_token") from None
        except BadSignature:
            raise Unauthorized("Invalid stream token", error="invalid_token") from None
        if not isinstance(claims, dict) or claims.get("d") != presentation_id.hex:
            raise Unauthorized("The stream token is for another deck", error="invalid_token")
        key_id = claims.get("k")
        row = await self.repository.get_api_key(key_id) if isinstance(key_id, str) else None
        if row is None or row.revoked_at is not None:
            raise Unauthorized("The stream token's key is revoked", error="invalid_token")
        return Access(owner=row.name, everything=row.admin, key_id=row.id, deck=presentation_id)

    def _require_serializer(self) -> URLSafeTimedSerializer:
        if self._serializer is None:
            raise RuntimeError("KeyStore.start() has not run")
        return self._serializer
