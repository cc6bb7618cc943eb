"""TokenSource with a real NemoClient and the emulator: NEMO_TOKEN, the persisted
anonymous token, renewal on expiry and on 1001, and the stable client id."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import pytest
from pydantic import SecretStr

from bot.emulator import RunningEmulator
from bot.nemo.auth import MemoryCredentialStore, TokenSource
from bot.nemo.client import NemoClient
from bot.nemo.errors import TokenInvalid, TokenRefused
from bot.nemo.models import AnonymousToken
from tests.nemo.conftest import TEST_ATTRIBUTION


def bound(
    http: httpx.AsyncClient,
    store: MemoryCredentialStore,
    *,
    static: str | None = None,
    now: datetime | None = None,
) -> tuple[TokenSource, NemoClient]:
    """A TokenSource wired to a NemoClient, as the app builds them."""
    tokens = TokenSource(
        static_token=SecretStr(static) if static else None,
        store=store,
        api_url=str(http.base_url),
        now=(lambda: now) if now is not None else (lambda: datetime.now(UTC)),
    )
    client = NemoClient(http, tokens, TEST_ATTRIBUTION)
    tokens.bind_fetcher(client.fetch_anonymous_token)
    return tokens, client


async def test_nemo_token_is_used_when_set(
    http: httpx.AsyncClient, store: MemoryCredentialStore, emulator: RunningEmulator
) -> None:
    tokens, client = bound(http, store, static="nmv_usr_registered_team")

    assert await tokens.current() == "nmv_usr_registered_team"
    credits = await client.fetch_credits()

    assert credits.available == 10000  # the emulator's registered account
    assert tokens.identity.anonymous is False
    assert emulator.state.counters.token_requests == 0
    assert await store.get_anonymous_token(emulator.url) is None


async def test_anonymous_token_is_fetched_once_and_shared_through_the_store(
    http: httpx.AsyncClient, store: MemoryCredentialStore, emulator: RunningEmulator
) -> None:
    first, first_client = bound(http, store)
    token = await first.current()
    await first_client.fetch_credits()

    second, second_client = bound(http, store)  # e.g. after a restart
    assert await second.current() == token
    await second_client.fetch_credits()

    assert emulator.state.counters.token_requests == 1
    saved = await store.get_anonymous_token(emulator.url)
    assert saved is not None and saved.token == token
    assert saved.user_id is not None and saved.user_id.startswith("anon_")
    assert await second.user_id() == saved.user_id
    assert second.identity.anonymous is True


async def test_concurrent_callers_share_one_fetch(
    http: httpx.AsyncClient, store: MemoryCredentialStore, emulator: RunningEmulator
) -> None:
    tokens, _ = bound(http, store)

    values = await asyncio.gather(*(tokens.current() for _ in range(5)))

    assert len(set(values)) == 1
    assert emulator.state.counters.token_requests == 1


async def test_expired_token_is_renewed_before_use(
    http: httpx.AsyncClient, store: MemoryCredentialStore, emulator: RunningEmulator
) -> None:
    issued = datetime.now(UTC)
    await store.save_client_id(emulator.url, "client-after-a-week")
    await store.save_anonymous_token(
        emulator.url,
        AnonymousToken("nmv_usr_old", "anon_old", issued + timedelta(days=7), 100),
    )
    a_week_later = issued + timedelta(days=7, minutes=1)
    tokens, _ = bound(http, store, now=a_week_later)

    token = await tokens.current()

    assert token != "nmv_usr_old" and token.startswith("nmv_usr_")
    saved = await store.get_anonymous_token(emulator.url)
    assert saved is not None and saved.token == token
    assert emulator.state.counters.token_requests == 1
    assert set(emulator.state.users_by_client) == {"client-after-a-week"}
    assert token in emulator.state.tokens


async def test_token_close_to_expiry_is_renewed(
    http: httpx.AsyncClient, store: MemoryCredentialStore, emulator: RunningEmulator
) -> None:
    issued = datetime.now(UTC)
    await store.save_anonymous_token(
        emulator.url,
        AnonymousToken("nmv_usr_dying", None, issued + timedelta(days=7), 100),
    )
    tokens, _ = bound(http, store, now=issued + timedelta(days=7) - timedelta(minutes=1))

    assert await tokens.current() != "nmv_usr_dying"
    assert emulator.state.counters.token_requests == 1


async def test_unexpired_stored_token_is_kept(
    http: httpx.AsyncClient, store: MemoryCredentialStore, emulator: RunningEmulator
) -> None:
    issued = datetime.now(UTC)
    await store.save_anonymous_token(
        emulator.url,
        AnonymousToken("nmv_usr_fresh", None, issued + timedelta(days=7), 100),
    )
    tokens, _ = bound(http, store, now=issued + timedelta(days=6))

    assert await tokens.current() == "nmv_usr_fresh"
    assert emulator.state.counters.token_requests == 0


async def test_client_id_is_generated_once_and_kept(
    http: httpx.AsyncClient, store: MemoryCredentialStore, emulator: RunningEmulator
) -> None:
    tokens, client = bound(http, store)
    await client.fetch_credits()
    client_id = await store.get_client_id(emulator.url)
    assert client_id is not None
    assert str(uuid.UUID(client_id)) == client_id

    # The backend rejects the token: the renewal asks again with the same client id,
    # so the emulator hands out a new token for the same anonymous user.
    user_before = await tokens.user_id()
    emulator.set_fault("expired_token")
    await client.fetch_credits()

    assert emulator.state.counters.token_requests == 2
    assert await store.get_client_id(emulator.url) == client_id
    assert set(emulator.state.users_by_client) == {client_id}
    assert await tokens.user_id() == user_before


async def test_renewing_a_static_token_is_refused() -> None:
    tokens = TokenSource(
        static_token=SecretStr("nmv_usr_x"),
        store=MemoryCredentialStore(),
        api_url="https://api.example.com",
    )

    with pytest.raises(TokenInvalid):
        await tokens.renew("nmv_usr_x")


async def test_a_refused_renewal_is_its_own_error_and_is_not_asked_again(
    http: httpx.AsyncClient, store: MemoryCredentialStore, emulator: RunningEmulator
) -> None:
    tokens, client = bound(http, store)
    await client.fetch_credits()
    kept = await tokens.current()
    # 1001 on a still-valid token: NemoVideo then refuses a new one for the rest of the week.
    emulator.set_fault("token_rejected", times=2)

    for _ in range(2):
        with pytest.raises(TokenRefused) as caught:
            await client.fetch_credits()
        assert caught.value.status == 429
        assert caught.value.retry_after is not None
        assert 6.99 * 86400 < caught.value.retry_after <= 7 * 86400

    assert emulator.state.counters.token_requests == 2  # asked once, then remembered
    assert await tokens.current() == kept  # the old token is kept, and still works
    await client.fetch_credits()
