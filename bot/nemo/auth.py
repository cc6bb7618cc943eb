"""Where NemoVideo tokens come from.

`NEMO_TOKEN` wins when it is set. Otherwise an anonymous token is fetched once with a
stable client id and kept in a `CredentialStore` (the SQLite store implements it), because
NemoVideo issues only one anonymous token per client id per 7 days: losing it on a restart
would lock the bot out for a week. The token is renewed when the backend rejects it (1001)
or when it is past its expiry.

The client id and the token belong to the server that issued them: the store keeps one
pair per API base URL (`normalise_api_url`), so a token from the emulator is never sent to
NemoVideo, and a 1001 from one server never replaces another server's token.

`TokenAuth` puts the token on requests (an `httpx.Auth`): on 1001 it renews the token and
sends the request once more.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol
from urllib.parse import urlsplit

import httpx
from pydantic import SecretStr

from bot.nemo.errors import NemoError, RateLimited, ServiceUnavailable, TokenInvalid, TokenRefused
from bot.nemo.models import AnonymousToken
from bot.nemo.transport import refusal

log = logging.getLogger(__name__)

#: Renew this long before the stated expiry, so a turn never starts on a dying token.
EXPIRY_MARGIN = timedelta(minutes=5)
#: After a refusal that did not say how long it lasts, ask again no sooner than this.
REFUSAL_MEMORY = timedelta(minutes=5)


_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalise_api_url(url: str) -> str:
    """The key credentials are kept under: scheme, host, port and path of an API base URL.

    Case, a default port, a trailing slash, user info, query and fragment do not make
    another server: `HTTPS://Api.Example.com:443/` and `https://api.example.com` are one.
    """
    parts = urlsplit(url.strip())
    scheme = parts.scheme.lower()
    host = (parts.hostname or "").lower()
    if ":" in host:
        host = f"[{host}]"  # IPv6
    port = parts.port
    netloc = host if port is None or port == _DEFAULT_PORTS.get(scheme) else f"{host}:{port}"
    return f"{scheme}://{netloc}{parts.path.rstrip('/')}"


class CredentialStore(Protocol):
    """Persistence for the client id and the anonymous token of each API base URL
    (see bot.core.store), kept under `normalise_api_url(api_url)`."""

    async def get_client_id(self, api_url: str) -> str | None: ...

    async def save_client_id(self, api_url: str, client_id: str) -> None: ...

    async def get_anonymous_token(self, api_url: str) -> AnonymousToken | None: ...

    async def save_anonymous_token(self, api_url: str, token: AnonymousToken) -> None: ...


class MemoryCredentialStore:
    """A CredentialStore that forgets everything on exit (for one-off tools and tests)."""

    def __init__(self) -> None:
        self._client_ids: dict[str, str] = {}
        self._tokens: dict[str, AnonymousToken] = {}

    async def get_client_id(self, api_url: str) -> str | None:
        return self._client_ids.get(normalise_api_url(api_url))

    async def save_client_id(self, api_url: str, client_id: str) -> None:
        self._client_ids[normalise_api_url(api_url)] = client_id

    async def get_anonymous_token(self, api_url: str) -> AnonymousToken | None:
        return self._tokens.get(normalise_api_url(api_url))

    async def save_anonymous_token(self, api_url: str, token: AnonymousToken) -> None:
        self._tokens[normalise_api_url(api_url)] = token


class TokenProvider(Protocol):
    """What NemoClient needs: the token to send, and a new one when it was rejected.

    `api_url` (normalised) is the server the tokens are for; NemoClient refuses to
    send them anywhere else."""

    @property
    def api_url(self) -> str: ...

    async def current(self) -> str: ...

    async def renew(self, rejected: str) -> str: ...


FetchAnonymous = Callable[[str], Awaitable[AnonymousToken]]


@dataclass(frozen=True, slots=True)
class Identity:
    """Who the token belongs to, as far as we know: anonymous users get a `?bind=` link."""

    anonymous: bool
    user_id: str | None


class TokenSource:
    """A TokenProvider for the server at `api_url`: `NEMO_TOKEN` if set, else the
    anonymous token this server issued, persisted under its URL.

    `fetch_anonymous(client_id)` is NemoClient.fetch_anonymous_token of a client on the
    same `api_url`; it is passed in so this class stays free of HTTP. Concurrent callers
    share one fetch.
    """

    def __init__(
        self,
        *,
        static_token: SecretStr | None,
        store: CredentialStore,
        api_url: str,
        fetch_anonymous: FetchAnonymous | None = None,
        now: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._static = static_token
        self._store = store
        self._api_url = normalise_api_url(api_url)
        self._fetch_anonymous = fetch_anonymous
        self._now = now
        self._lock = asyncio.Lock()
        self._cached: AnonymousToken | None = None
        self._refusal: TokenRefused | None = None
        self._refused_until = datetime.min.replace(tzinfo=UTC)

    def bind_fetcher(self, fetch_anonymous: FetchAnonymous) -> None:
        """Attach the fetch function once the client that owns it exists."""
        self._fetch_anonymous = fetch_anonymous

    @property
    def api_url(self) -> str:
        return self._api_url

    @property
    def identity(self) -> Identity:
        if self._static is not None:
            return Identity(anonymous=False, user_id=None)
        return Identity(anonymous=True, user_id=self._cached.user_id if self._cached else None)

    async def current(self) -> str:
        if self._static is not None:
            return self._static.get_secret_value()
        async with self._lock:
            token = self._cached or await self._store.get_anonymous_token(self._api_url)
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
        token = self._cached or await self._store.get_anonymous_token(self._api_url)
        return token.user_id if token else None

    def _expired(self, token: AnonymousToken) -> bool:
        return token.expires_at is not None and token.expires_at - EXPIRY_MARGIN <= self._now()

    async def _fetch_new(self) -> AnonymousToken:
        """A new anonymous token; TokenRefused when NemoVideo would not give one.

        A refusal is remembered until it ends, so it is reported at once rather than asked
        (and counted against the install) again; the old token is kept meanwhile.
        """
        if self._fetch_anonymous is None:
            raise RuntimeError("TokenSource has no fetcher: call bind_fetcher() first")
        now = self._now()
        if self._refusal is not None and now < self._refused_until:
            said = self._refusal.retry_after is not None
            left = (self._refused_until - now).total_seconds() if said else None
            raise TokenRefused(self._refusal.message, status=self._refusal.status, retry_after=left)
        client_id = await self._store.get_client_id(self._api_url)
        if client_id is None:
            client_id = str(uuid.uuid4())
            await self._store.save_client_id(self._api_url, client_id)
        log.info("requesting an anonymous token from %s", self._api_url)
        try:
            token = await self._fetch_anonymous(client_id)
        except ServiceUnavailable:
            raise  # no answer is not a refusal
        except NemoError as exc:
            raise self._refused(exc, now) from exc
        await self._store.save_anonymous_token(self._api_url, token)
        return token

    def _refused(self, exc: NemoError, now: datetime) -> TokenRefused:
        seconds = exc.retry_after if isinstance(exc, RateLimited) else None
        self._refused_until = now + (
            timedelta(seconds=seconds) if seconds is not None else REFUSAL_MEMORY
        )
        self._refusal = TokenRefused(
            f"{self._api_url} refused a new anonymous token ({exc!r})",
            status=exc.status,
            retry_after=seconds,
        )
        log.warning(
            "%s refused a new anonymous token (HTTP %s, retry after %s s): set NEMO_TOKEN to "
            "a registered account's token, or wait",
            self._api_url,
            exc.status,
            "?" if seconds is None else round(seconds),
        )
        return self._refusal


class TokenAuth(httpx.Auth):
    """`Authorization: Bearer …` from a TokenProvider, on requests to its `api_url` only.

    When the answer is a 1001, the token is renewed and the request sent once more
    (`replay=False`: renewed only, for a body that cannot be produced twice). The choice is
    made before the caller sees the response, on its head and, for a refusal, its small
    JSON body; a streamed body (an event stream, a video) is handed over unread, so a
    stream is never sent again once its first byte has arrived.
    """

    def __init__(self, tokens: TokenProvider, *, replay: bool = True) -> None:
        self._tokens = tokens
        self._replay = replay

    async def async_auth_flow(
        self, request: httpx.Request
    ) -> AsyncGenerator[httpx.Request, httpx.Response]:
        if _origin(str(request.url)) != _origin(self._tokens.api_url):
            yield request  # never a token to a server that did not issue it
            return
        token = await self._tokens.current()
        request.headers["Authorization"] = f"Bearer {token}"
        response = yield request
        if not await _rejects_token(response):
            return
        log.info("%s rejected the token (1001): renewing it", self._tokens.api_url)
        try:
            token = await self._tokens.renew(token)
        except TokenInvalid:
            return  # NEMO_TOKEN: nothing to renew, the caller gets the 1001
        if self._replay:
            request.headers["Authorization"] = f"Bearer {token}"
            yield request


def _origin(url: str) -> str:
    scheme, _, rest = normalise_api_url(url).partition("://")
    return f"{scheme}://{rest.partition('/')[0]}"


async def _rejects_token(response: httpx.Response) -> bool:
    """Whether `response` is a 1001; only a refusal's body is read, never a stream's."""
    if response.is_success and "json" not in response.headers.get("content-type", ""):
        return False
    await response.aread()
    return isinstance(refusal(response), TokenInvalid)
