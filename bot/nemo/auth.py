"""Where NemoVideo tokens come from.

`NEMO_TOKEN` wins when it is set. Otherwise an anonymous token is fetched once with a
stable client id and kept in a `CredentialStore` (the SQLite store implements it), because
NemoVideo issues only one anonymous token per client id per 7 days: losing it on a restart
would lock the bot out for a week. The token is renewed when the backend rejects it (1001)
or when it is past its expiry.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from pydantic import SecretStr

from bot.nemo.errors import TokenInvalid
from bot.nemo.models import AnonymousToken

log = logging.getLogger(__name__)

#: Renew this long before the stated expiry, so a turn never starts on a dying token.
EXPIRY_MARGIN = timedelta(minutes=5)


class CredentialStore(Protocol):
    """Persistence for the client id and the anonymous token (see bot.core.store)."""

    async def get_client_id(self) -> str | None: ...

    async def save_client_id(self, client_id: str) -> None: ...

    async def get_anonymous_token(self) -> AnonymousToken | None: ...

    async def save_anonymous_token(self, token: AnonymousToken) -> None: ...


class MemoryCredentialStore:
    """A CredentialStore that forgets everything on exit (for one-off tools and tests)."""

    def __init__(self) -> None:
        self._client_id: str | None = None
        self._token: AnonymousToken | None = None

    async def get_client_id(self) -> str | None:
        return self._client_id

    async def save_client_id(self, client_id: str) -> None:
        self._client_id = client_id

    async def get_anonymous_token(self) -> AnonymousToken | None:
        return self._token

    async def save_anonymous_token(self, token: AnonymousToken) -> None:
        self._token = token


class TokenProvider(Protocol):
    """What NemoClient needs: the token to send, and a new one when it was rejected."""

    async def current(self) -> str: ...

    async def renew(self, rejected: str) -> str: ...


FetchAnonymous = Callable[[str], Awaitable[AnonymousToken]]


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the token belongs to, as far as we know: anonymous users get a `?bind=` link."""

    anonymous: bool
    user_id: str | None


class TokenSource:
    """A TokenProvider: `NEMO_TOKEN` if set, else a persisted anonymous token.

    `fetch_anonymous(client_id)` is NemoClient.fetch_anonymous_token; it is passed in so
    this class stays free of HTTP. Concurrent callers share one fetch.
    """

    def __init__(
        self,
        *,
        static_token: SecretStr | None,
        store: CredentialStore,
        fetch_anonymous: FetchAnonymous | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._static = static_token
        self._store = store
        self._fetch_anonymous = fetch_anonymous
        self._now = now
        self._lock = asyncio.Lock()
        self._cached: AnonymousToken | None = None

    def bind_fetcher(self, fetch_anonymous: FetchAnonymous) -> None:
        """Attach the fetch function once the client that owns it exists."""
        self._fetch_anonymous = fetch_anonymous

    @property
    def identity(self) -> Identity:
        if self._static is not None:
            return Identity(anonymous=False, user_id=None)
        return Identity(anonymous=True, user_id=self._cached.user_id if self._cached else None)

    async def current(self) -> str:
        if self._static is not None:
            return self._static.get_secret_value()
        async with self._lock:
            token = self._cached or await self._store.get_anonymous_token()
            if token is None or self._expired(token):
                token = await self._fetch_new()
            self._cached = token
            return token.token

    async def renew(self, rejected: str) -> str:
        """A new token after `rejected` got 1001; raises TokenInvalid for a static token."""
        if self._static is not None:
            raise TokenInvalid("NEMO_TOKEN was rejected", code=1001)
        async with self._lock:
            if self._cached is not None and self._cached.token != rejected:
                return self._cached.token  # another caller already renewed it
            self._cached = await self._fetch_new()
            return self._cached.token

    async def user_id(self) -> str | None:
        """The anonymous user's id (for the registration `?bind=` link), if known."""
        if self._static is not None:
            return None
        token = self._cached or await self._store.get_anonymous_token()
        return token.user_id if token else None

    def _expired(self, token: AnonymousToken) -> bool:
        return token.expires_at is not None and token.expires_at - EXPIRY_MARGIN <= self._now()

    async def _fetch_new(self) -> AnonymousToken:
        if self._fetch_anonymous is None:
            raise RuntimeError("TokenSource has no fetcher: call bind_fetcher() first")
        client_id = await self._store.get_client_id()
        if client_id is None:
            client_id = str(uuid.uuid4())
            await self._store.save_client_id(client_id)
        log.info("requesting an anonymous NemoVideo token")
        token = await self._fetch_anonymous(client_id)
        await self._store.save_anonymous_token(token)
        return token
