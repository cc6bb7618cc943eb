"""METRICS_PORT on the real bot (`run_bot` against the fake Discord and the emulator): a
scrape after a /video turn and an export shows the turn, its Discord requests and a 429,
the NemoVideo error it met, and the delivered render; /healthz says Discord and the
database are fine."""

from __future__ import annotations

import asyncio
import socket
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.emulator.server import RunningEmulator
from tests.discord.wire_helpers import (
    button_custom_id,
    nemobot_running,
    open_session_thread,
    writes_in,
)
from tests.fakediscord import FakeDiscord, run_fake_discord

FLOW_SECONDS = 20.0


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def samples(text: str) -> dict[tuple[str, frozenset[tuple[str, str]]], float]:
    """Every sample of a scrape: (name, labels) → value."""
    return {
        (s.name, frozenset(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
    }


def value(
    scraped: dict[tuple[str, frozenset[tuple[str, str]]], float], name: str, **labels: str
) -> float:
    return scraped.get((name, frozenset(labels.items())), 0.0)


def finished_reply(fake: FakeDiscord, thread_id: int) -> dict[str, object] | None:
    return next((m for m in fake.messages_in(thread_id) if button_custom_id(m, "Export MP4")), None)


@pytest.mark.slow
@pytest.mark.emulator(turn_scale=0.003)
async def test_a_scrape_after_a_turn_and_an_export_counts_them(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    async with (
        run_fake_discord() as fake,
        nemobot_running(fake, emulator, tmp_path, metrics_port=port),
        httpx.AsyncClient(base_url=base) as http,
    ):
        emulator.state.faults.set("session_missing")  # the turn's first state read: 1002
        fake.force_rate_limit(1, method="PATCH")  # one 429, which discord.py retries
        thread_id = await open_session_thread(fake, "make a 15-second video of a sunset")
        reply = await fake.wait_for(lambda: finished_reply(fake, thread_id), FLOW_SECONDS)
        export = button_custom_id(reply, "Export MP4")
        assert export is not None
        await fake.click_component(int(str(reply["id"])), export)
        await fake.wait_for(
            lambda: [r for r in writes_in(fake, thread_id) if r.files], FLOW_SECONDS
        )

        health = await http.get("/healthz")
        # The delivery is recorded once the video is posted and its status card removed.
        for _ in range(100):
            scrape = await http.get("/metrics")
            if value(samples(scrape.text), "nemobot_renders", state="delivered") == 1:
                break
            await asyncio.sleep(0.1)
        missing = await http.get("/nothing-here")

    assert health.status_code == 200, health.text
    assert health.json()["status"] == "ok"
    assert health.json()["checks"]["discord"] == "connected"
    assert health.json()["checks"]["database"].startswith("schema version ")

    assert scrape.status_code == 200
    assert scrape.headers["content-type"].startswith("text/plain")
    got = samples(scrape.text)
    assert value(got, "nemobot_turn_duration_seconds_count", status="done") == 1
    assert value(got, "nemobot_live_turns") == 0
    posts = value(got, "nemobot_discord_requests_total", method="POST", status="200")
    assert posts >= 2  # the reply and the video, at least
    assert value(got, "nemobot_discord_requests_total", method="PATCH", status="429") == 1
    assert value(got, "nemobot_discord_rate_limited_total", scope="user") == 1
    assert value(got, "nemobot_nemovideo_errors_total", error="SessionNotFound", code="1002") == 1
    assert value(got, "nemobot_renders", state="delivered") == 1
    assert value(got, "nemobot_renders", state="processing") == 0
    assert value(got, "nemobot_renders_ended", state="delivered") == 1
    assert value(got, "nemobot_render_duration_seconds", state="delivered", quantile="0.5") > 0
    assert missing.status_code == 404
