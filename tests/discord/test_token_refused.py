"""NemoVideo rejects a still-valid free token (1001) and then refuses a new one with a 429
that lasts days (issue 11, defect 14): the thread is told what happened, never "busy —
retrying", and it is not held up. What the operator can do (set NEMO_TOKEN) goes to the
log, not to the server's members (defect 9)."""

from __future__ import annotations

import asyncio

import pytest

from tests.discord.conftest import World, WorldFactory, start_video
from tests.discord.conftest import said as shown

SUNSET = "a 15-second clip of a sunset over a mountain lake with music"


def said(world: World, thread: object) -> list[str]:
    return [shown(message) for message in world.bot_messages(thread)]  # type: ignore[arg-type]


async def test_a_refused_token_renewal_during_a_turn_is_told_as_what_it_is(
    studio: WorldFactory,
) -> None:
    world = await studio(nemo_token=None)  # the free anonymous token
    thread = await start_video(world, SUNSET)
    world.emulator.set_fault("token_rejected", times=2)  # the state read, then the turn

    await world.alice.send(thread, 'add a title "Golden Hour"')
    await world.idle()

    refused = [text for text in said(world, thread) if "won't renew" in text]
    assert len(refused) == 1 and "about 7 days" in refused[0]
    assert "admin has been told" in refused[0] and "NEMO_TOKEN" not in refused[0]
    assert not any("busy" in text or "retrying" in text for text in said(world, thread))

    # The token that was kept still works: the next message is answered at once.
    await world.alice.send(thread, "make the music calmer")
    await world.idle()
    assert "won't renew" not in said(world, thread)[-1]
    assert world.emulator.state.counters.token_requests == 2  # the first, one refused


@pytest.mark.emulator(render_seconds=30.0)
async def test_a_render_whose_checks_hit_a_refused_token_says_so(studio: WorldFactory) -> None:
    world = await studio(nemo_token=None)
    thread = await start_video(world, SUNSET)

    click = asyncio.create_task(
        world.alice.click(world.bot_messages(thread)[-1], label="Export MP4")
    )
    for _ in range(1000):  # until the render is submitted: its checks then meet the fault
        if world.emulator.state.counters.renders:
            break
        await asyncio.sleep(0.01)
    world.emulator.set_fault("token_rejected", times=-1)
    await click
    await world.idle()

    last = said(world, thread)[-1]
    assert "won't renew" in last and "about 7 days" in last and "NEMO_TOKEN" not in last
    assert not any("busy" in text or "can't reach" in text for text in said(world, thread))
    assert world.emulator.state.counters.token_requests == 2  # asked once, never again
