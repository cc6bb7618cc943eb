"""Spend control: ALLOWED_ROLE_IDS (enforced by the edge) and the daily turn limit."""

from __future__ import annotations

import simcord

from tests.discord.conftest import World, WorldFactory, start_video

SUNSET = "a 15-second clip of a sunset over a mountain lake with music"


async def role_limited(studio: WorldFactory) -> tuple[World, simcord.MemberActor]:
    """A world whose bot only serves "Creators"; returns it and a member with that role."""
    world = await studio()
    creators = world.guild.create_role("Creators")
    creator = world.guild.add_member(world.env.create_user("cora"), roles=[creators])
    await world.restart(allowed_role_ids=[creators.id])  # role ids exist once the guild does
    return world, creator


async def test_a_member_with_an_allowed_role_can_start_a_video(studio: WorldFactory) -> None:
    world, creator = await role_limited(studio)

    result = await creator.slash(world.channel, "video", prompt=SUNSET)
    await world.idle()

    assert not result.ephemeral
    assert len(world.channel.threads) == 1
    assert world.emulator.state.counters.turns == 1


async def test_a_member_without_an_allowed_role_is_refused_privately(
    studio: WorldFactory,
) -> None:
    world, _ = await role_limited(studio)

    result = await world.alice.slash(world.channel, "video", prompt=SUNSET)

    assert result.ephemeral and result.response is not None
    assert "role" in result.response.content
    assert world.channel.threads == []
    assert world.emulator.state.counters.sessions == 0


async def test_talk_from_a_member_without_the_role_is_refused_once(studio: WorldFactory) -> None:
    world, creator = await role_limited(studio)
    await creator.slash(world.channel, "video", prompt=SUNSET)
    await world.idle()
    thread = world.thread()
    turns_before = world.emulator.state.counters.turns

    await world.alice.send(thread, 'add a title "Mine"')
    await world.alice.send(thread, 'add a title "Mine now"')

    refusals = [m for m in world.bot_messages(thread) if "role" in m.content]
    assert len(refusals) == 1
    assert world.emulator.state.counters.turns == turns_before


async def test_buttons_refuse_a_member_without_the_role(studio: WorldFactory) -> None:
    world, creator = await role_limited(studio)
    await creator.slash(world.channel, "video", prompt=SUNSET)
    await world.idle()
    reply = world.bot_messages(world.thread())[-1]

    result = await world.alice.click(reply, label="Export MP4")

    assert result.ephemeral
    assert world.emulator.state.counters.renders == 0


async def test_dms_are_refused_when_roles_are_configured(studio: WorldFactory) -> None:
    world, _ = await role_limited(studio)

    await world.alice_user.send_dm(SUNSET)

    dm = world.alice_user.dm_channel
    assert "direct messages" in world.bot_messages(dm)[-1].content
    assert world.emulator.state.counters.sessions == 0


async def test_the_daily_limit_stops_the_extra_turn(studio: WorldFactory) -> None:
    world = await studio(max_turns_per_user_per_day=1)
    thread = await start_video(world, SUNSET)  # turn 1 of 1
    turns_before = world.emulator.state.counters.turns

    await world.alice.send(thread, 'add a title "One more"')

    assert world.emulator.state.counters.turns == turns_before
    assert "limit" in world.bot_messages(thread)[-1].content
