"""METRICS_PORT: Prometheus metrics on `/metrics` and a health check on `/healthz`.

Off unless METRICS_PORT is set; it listens on METRICS_HOST (127.0.0.1 by default: set
0.0.0.0 in a container whose port the orchestrator reaches). `/metrics` reads the
database-wide numbers first (`Telemetry.refresh`), then answers in Prometheus's text
format. `/healthz` answers 200 when every check passes and 503 when one fails, with a
JSON body naming each check and what it found:

    {"status": "ok", "checks": {"discord": "connected", "database": "schema version 4"}}

The checks come from the caller (`nemobot run` gives Discord's connection and the
database); a check that raises counts as failed, with the error's type in its detail.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping

from aiohttp import web

from bot.core.telemetry import RenderCounts, Telemetry

log = logging.getLogger(__name__)

#: A health check: (passed, what it found).
HealthCheck = Callable[[], Awaitable[tuple[bool, str]]]


def health_app(
    telemetry: Telemetry, counts: RenderCounts, checks: Mapping[str, HealthCheck]
) -> web.Application:
    """The aiohttp application with both routes."""

    async def metrics(request: web.Request) -> web.Response:
        try:
            await telemetry.refresh(counts)
        except Exception:  # the per-process numbers are still worth answering with
            log.warning("metrics: could not read the database-wide numbers", exc_info=True)
        body, content_type = telemetry.exposition()
        response = web.Response(body=body)
        response.headers["Content-Type"] = content_type
        return response

    async def healthz(request: web.Request) -> web.Response:
        found: dict[str, str] = {}
        healthy = True
        for name, check in checks.items():
            try:
                passed, detail = await check()
            except Exception as exc:
                passed, detail = False, f"failed: {type(exc).__name__}"
            healthy = healthy and passed
            found[name] = detail
        status = "ok" if healthy else "failing"
        return web.json_response(
            {"status": status, "checks": found}, status=200 if healthy else 503
        )

    app = web.Application()
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/healthz", healthz)
    return app


@contextlib.asynccontextmanager
async def serving_health(
    host: str,
    port: int | None,
    telemetry: Telemetry,
    counts: RenderCounts,
    checks: Mapping[str, HealthCheck],
) -> AsyncIterator[str | None]:
    """Serve both routes on host:port while the block runs; yields the base URL (None and
    nothing served when `port` is None)."""
    if port is None:
        yield None
        return
    runner = web.AppRunner(health_app(telemetry, counts, checks), access_log=None)
    await runner.setup()
    try:
        site = web.TCPSite(runner, host, port)
        await site.start()
        url = f"http://{host}:{port}"
        log.info("metrics on %s/metrics, health on %s/healthz", url, url)
        yield url
    finally:
        await runner.cleanup()
