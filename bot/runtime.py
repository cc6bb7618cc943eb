"""Start-up: every resource built once, in order, and closed in reverse.

`open_services()` is shared by `nemobot run` and `nemobot chat`: it opens the database,
the HTTP client, the token source and NemoClient, and builds the engine on the given
chat port. Nothing here is module-level; callers own the context.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot import __version__
from bot.core.engine import Engine, EngineLimits
from bot.core.leases import LeaseTerms
from bot.core.port import ChatPort
from bot.core.store import Store
from bot.core.telemetry import Telemetry
from bot.core.timings import Timings
from bot.nemo.auth import TokenSource
from bot.nemo.client import Attribution, NemoClient
from bot.nemo.downloads import Downloader, DownloadLimits, UrlPolicy
from bot.settings import Settings

log = logging.getLogger(__name__)

#: Ordinary requests; the chat stream sets its own, much longer, read timeout.
HTTP_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
#: Connections for NemoVideo's short calls, all kept open between calls; streamed
#: replies, uploads and downloads have a pool of their own, NEMO_MAX_CONNECTIONS.
CALL_CONNECTIONS = 32


def nemo_http(url: str, limits: httpx.Limits) -> httpx.AsyncClient:
    """A client for NemoVideo at `url` (see `NemoClient` on why there are two)."""
    return httpx.AsyncClient(
        base_url=url,
        timeout=HTTP_TIMEOUT,
        headers={"User-Agent": f"nemobot/{__version__}"},
        limits=limits,
    )


@dataclass(frozen=True, slots=True)
class Services:
    """What a running nemobot holds."""

    settings: Settings
    store: Store
    tokens: TokenSource
    client: NemoClient
    engine: Engine
    #: The metrics (served on METRICS_PORT when it is set).
    telemetry: Telemetry


def attribution_from(settings: Settings) -> Attribution:
    return Attribution(
        source=settings.nemo_skill_source,
        version=settings.nemo_skill_version or __version__,
        platform=settings.nemo_skill_platform,
    )


def downloads_for(http: httpx.AsyncClient, settings: Settings) -> Downloader:
    """Render downloads: the URL policy of this API, the configured cap and read timeout."""
    return Downloader(http, UrlPolicy(str(http.base_url)), download_limits(settings))


def download_limits(settings: Settings) -> DownloadLimits:
    return DownloadLimits(settings.download_max_bytes, settings.download_read_timeout_seconds)


@contextlib.asynccontextmanager
async def open_services(
    settings: Settings,
    port: ChatPort,
    *,
    api_url: str | None = None,
    database_path: Path | str | None = None,
    timings: Timings | None = None,
    operator_reads_chat: bool = False,
) -> AsyncIterator[Services]:
    """Open everything nemobot needs; `api_url`/`database_path` override the settings.

    `operator_reads_chat` is for a chat read only by whoever runs the bot (the terminal):
    see `Engine`."""
    store = await Store.open(database_path or settings.database())
    telemetry = Telemetry()
    url = api_url or settings.nemo_api_url
    try:
        calls = httpx.Limits(max_connections=CALL_CONNECTIONS, max_keepalive_connections=None)
        long_held = httpx.Limits(max_connections=settings.nemo_max_connections)
        async with nemo_http(url, calls) as http, nemo_http(url, long_held) as transfers:
            tokens = TokenSource(static_token=settings.nemo_token, store=store, api_url=url)
            client = NemoClient(
                http,
                tokens,
                attribution_from(settings),
                downloads_for(transfers, settings),
                on_error=telemetry.nemo_error,
                transfers=transfers,
            )
            tokens.bind_fetcher(client.fetch_anonymous_token)
            engine = Engine(
                client=client,
                store=store,
                tokens=tokens,
                port=port,
                web_url=settings.nemo_web_url,
                timings=timings,
                limits=EngineLimits(
                    settings.max_turns_per_user_per_day, settings.download_max_bytes
                ),
                operator_reads_chat=operator_reads_chat,
                telemetry=telemetry,
                lease=LeaseTerms(settings.lease_seconds),
            )
            try:
                yield Services(settings, store, tokens, client, engine, telemetry)
            finally:
                await engine.close()
    finally:
        await store.close()
