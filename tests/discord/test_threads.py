"""In a session thread people just talk: every message is a turn, routed by the engine."""

from __future__ import annotations

from tests.discord.conftest import WorldFactory, button_labels, start_video

SUNSET = "a 15-second clip of a sunset over a mountain lake with music"


async def test_a_message_in_a_session_thread_is_a_turn(studio: WorldFactory) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    turns_before = world.emulator.state.counters.turns

    await world.alice.send(thread, 'add a title "Golden Hour"')

    assert world.emulator.state.counters.turns == turns_before + 1
    assert "Golden Hour" in world.bot_messages(thread)[-1].content


async def test_typing_export_in_the_thread_delivers_the_mp4(studio: WorldFactory) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    turns_before = world.emulator.state.counters.turns

    await world.alice.send(thread, "export")
    await world.idle()

    delivered = world.bot_messages(thread)[-1]
    assert delivered.attachments and delivered.attachments[0].filename.endswith(".mp4")
    assert world.emulator.state.counters.turns == turns_before  # a command, not a chat turn


async def test_talk_in_an_ordinary_channel_is_left_alone(studio: WorldFactory) -> None:
    world = await studio()

    await world.alice.send(world.channel, "make me a video of a cat")

    assert world.bot_messages(world.channel) == []
    assert world.emulator.state.counters.sessions == 0


async def test_a_mention_outside_a_session_points_to_the_video_command(
    studio: WorldFactory,
) -> None:
    world = await studio()
    me = world.bot.user
    assert me is not None

    await world.alice.send(world.channel, f"{me.mention} can you make videos?")

    reply = world.bot_messages(world.channel)[-1]
    assert "/video" in reply.content
    assert world.emulator.state.counters.turns == 0


async def test_without_the_message_content_intent_a_mention_still_works(
    studio: WorldFactory,
) -> None:
    world = await studio(message_content=False)
    thread = await start_video(world, SUNSET)
    me = world.bot.user
    assert me is not None
    turns_before = world.emulator.state.counters.turns

    await world.alice.send(thread, 'make the music calmer')  # arrives without its text
    await world.alice.send(thread, f'{me.mention} add a title "Quiet Lake"')

    assert world.emulator.state.counters.turns == turns_before + 1
    assert "Quiet Lake" in world.bot_messages(thread)[-1].content


async def test_a_dm_is_a_conversation_of_its_own(studio: WorldFactory) -> None:
    world = await studio()

    await world.alice_user.send_dm(f"make a video: {SUNSET}")
    await world.idle()

    dm = world.alice_user.dm_channel
    assert world.emulator.state.counters.sessions == 1
    assert "sunset" in world.bot_messages(dm)[-1].content.lower()


async def test_a_dm_in_chinese_gets_a_chinese_session(studio: WorldFactory) -> None:
    world = await studio()

    await world.alice_user.send_dm("做一个山间湖泊日落的视频，配背景音乐")
    await world.idle()

    key = f"discord:{world.alice_user.dm_channel.id}"
    conversation = await world.bot.store.get_conversation(key)
    assert conversation is not None and conversation.language == "zh"
    reply = world.bot_messages(world.alice_user.dm_channel)[-1]
    assert button_labels(reply) == ["导出 MP4", "时间线"], "in the session's language"
