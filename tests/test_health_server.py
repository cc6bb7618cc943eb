"""/healthz answers 503 naming the check that failed (also one that raised), and nothing
is served without METRICS_PORT."""

from __future__ import annotations

import socket
from datetime import datetime

import httpx

from bot.core.records import RenderState
from bot.core.store_counts import EndedRender
from bot.core.telemetry import Telemetry
from bot.health_server import serving_health


class NoRenders:
    async def count_renders_by_state(self) -> dict[RenderState, int]:
        return dict.fromkeys(RenderState, 0)

    async def renders_ended_since(self, since: datetime) -> list[EndedRender]:
        return []


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def connected() -> tuple[bool, str]:
    return True, "connected"


async def gone() -> tuple[bool, str]:
    return False, "not connected"


async def broken() -> tuple[bool, str]:
    raise OSError("disk on fire")


async def test_healthz_is_503_with_what_each_check_found_when_one_fails() -> None:
    port = free_port()
    checks = {"discord": gone, "database": broken, "other": connected}
    async with serving_health("127.0.0.1", port, Telemetry(), NoRenders(), checks) as url:
        assert url == f"http://127.0.0.1:{port}"
        async with httpx.AsyncClient() as http:
            answer = await http.get(f"{url}/healthz")
    assert answer.status_code == 503
    assert answer.json() == {
        "status": "failing",
        "checks": {"discord": "not connected", "database": "failed: OSError", "other": "connected"},
    }


async def test_without_a_port_nothing_is_served() -> None:
    async with serving_health("127.0.0.1", None, Telemetry(), NoRenders(), {}) as url:
        assert url is None
