"""Relayed NemoVideo text never pings anyone; only the finished render pings its requester."""

from __future__ import annotations

import json
from typing import Any

from tests.discord.conftest import World, WorldFactory, start_video

SUNSET = "a 15-second clip of a sunset over a mountain lake with music"


def message_writes(world: World) -> list[dict[str, Any]]:
    """The JSON body of every message the bot posted or edited in a channel."""
    return [
        entry.json
        for entry in world.env.http_requests
        if entry.method in ("POST", "PATCH")
        and "/channels/" in entry.path
        and "/messages" in entry.path
        and not entry.path.endswith("/threads")
        and isinstance(entry.json, dict)
    ]


def pings_nobody(body: dict[str, Any]) -> bool:
    mentions = body.get("allowed_mentions")
    return (
        mentions is not None
        and mentions.get("parse") == []
        and not mentions.get("users")
        and not mentions.get("roles")
        and not mentions.get("replied_user")
    )


async def test_backend_text_with_everyone_and_a_role_mention_pings_nobody(
    studio: WorldFactory,
) -> None:
    world = await studio()
    staff = world.guild.create_role("Staff")
    thread = await start_video(world, SUNSET)
    bait = f"@everyone {staff.mention}"

    await world.alice.send(thread, f'add a title "{bait}"')
    await world.alice.slash(thread, "status")

    relayed = [body for body in message_writes(world) if bait in body.get("content", "")]
    assert relayed, "the backend's text was relayed"
    assert all(pings_nobody(body) for body in relayed)
    followups = [entry.json for entry in world.requests("POST", "/webhooks/")]
    shown = [body for body in followups if isinstance(body, dict) and bait in json.dumps(body)]
    assert shown and all(pings_nobody(body) for body in shown)


async def test_every_message_but_the_delivery_pings_nobody(studio: WorldFactory) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)

    await world.alice.click(world.bot_messages(thread)[-1], label="Export MP4")
    await world.idle()

    writes = message_writes(world)
    deliveries = [body for body in writes if not pings_nobody(body)]
    assert len(deliveries) == 1
    allowed = deliveries[0]["allowed_mentions"]
    assert allowed["parse"] == [] and not allowed.get("roles")
    assert [int(user) for user in allowed["users"]] == [world.alice.id]
    assert deliveries[0]["content"].startswith(world.alice.mention)


async def test_a_message_with_only_formatting_or_a_mention_costs_nothing(
    studio: WorldFactory,
) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    turns = world.emulator.state.counters.turns
    me = world.bot.user
    assert me is not None

    for text in (f"<@{me.id}>", "** **", "|| ||", f"<@{me.id}> \u200b"):
        await world.alice.send(thread, text)
        await world.idle()

    assert world.emulator.state.counters.turns == turns
