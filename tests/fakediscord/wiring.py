"""How to point discord.py 2.7.1 at another REST base and gateway (a proxy, or this fake).

discord.py has no per-client option for either; both are class attributes read at use time:

* REST: `discord.http.Route.BASE` (default `https://discord.com/api/v10`). Every `Route`,
  including the interaction webhook routes in `discord/webhook/async_.py`, builds its URL
  as `Route.BASE + path` when it is created, so setting it before `login()` is enough.
* Gateway: `discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY` (a `yarl.URL`, default
  `wss://gateway.discord.gg/`). A plain `Client`/`commands.Bot` connects there directly;
  it never calls `GET /gateway/bot` (only `AutoShardedClient` does, and the fake answers that
  with its own websocket URL too). After READY, discord.py reconnects to READY's
  `resume_gateway_url`, and after an INVALID_SESSION it falls back to `DEFAULT_GATEWAY`
  again, so the class attribute must be set for the whole life of the client.

discord.py appends `?v=10&encoding=json&compress=zlib-stream` to the gateway URL itself
(`zstd-stream` instead when the `zstandard` package is installed); the fake speaks
zlib-stream and falls back to plain text frames for anything else.

The bot's start-up (in the Discord edge, before `bot.start()`) should call
`configure_discord_endpoints(settings.discord_api_base_url, settings.discord_gateway_url)`.
Tests use `discord_endpoints(...)`, which restores the previous values afterwards so that
other tests in the same process (simcord) see discord.py as it was.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import discord.http
import yarl
from discord.gateway import DiscordWebSocket


def configure_discord_endpoints(api_base_url: str, gateway_url: str) -> None:
    """Make every discord.py client in this process use these URLs (process-wide)."""
    discord.http.Route.BASE = api_base_url.rstrip("/")
    DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)


@contextmanager
def discord_endpoints(api_base_url: str, gateway_url: str) -> Iterator[None]:
    """`configure_discord_endpoints` for the duration of a `with` block."""
    saved = discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY
    configure_discord_endpoints(api_base_url, gateway_url)
    try:
        yield
    finally:
        discord.http.Route.BASE, DiscordWebSocket.DEFAULT_GATEWAY = saved
