"""Knobs for tests of chat edges: long replies spread over time, and echoed user text."""

from __future__ import annotations

import itertools

import pytest

from tests.emulator.helpers import anonymous_api, serve


def partial_positions(frames: list[str]) -> list[int]:
    return [i for i, frame in enumerate(frames) if '"partial": true' in frame]


async def test_partial_chunks_sets_how_many_pieces_a_reply_streams_in() -> None:
    async with serve(partial_text=True, partial_chunks=8) as (_, http):
        api = await anonymous_api(http)
        stream = await api.chat("hello")

    partials = [e for e in stream.events if e.get("partial") is True]
    assert len(partials) == 8
    assert "".join(e["content"]["parts"][0]["text"] for e in partials) == stream.texts[-1]


async def test_partial_interval_spaces_the_chunks_with_heartbeats_between_them() -> None:
    async with serve(
        partial_text=True, partial_chunks=4, partial_interval_seconds=0.03, heartbeat_seconds=0.01
    ) as (_, http):
        api = await anonymous_api(http)
        stream = await api.chat("hello")

    positions = partial_positions(stream.frames)
    between = [stream.frames[a + 1 : b] for a, b in itertools.pairwise(positions)]
    assert len(positions) == 4
    assert all(gap and all(f == ": heartbeat" for f in gap) for gap in between)


async def test_partial_chunks_without_interval_follow_each_other_directly() -> None:
    async with serve(partial_text=True, heartbeat_seconds=0.01) as (_, http):
        api = await anonymous_api(http)
        stream = await api.chat("hello")

    positions = partial_positions(stream.frames)
    assert len(positions) == 3  # the default
    assert positions == list(range(positions[0], positions[0] + 3))


@pytest.mark.parametrize(
    ("message", "quoted"),
    [
        ("ping @everyone and <@&123456789012345678> please", "You said: ping @everyone and "
         "<@&123456789012345678> please"),
        ("  你好 @everyone  ", "你说：你好 @everyone"),
    ],
)
async def test_echo_chat_quotes_the_users_message_first(message: str, quoted: str) -> None:
    async with serve(echo_chat=True) as (_, http):
        api = await anonymous_api(http)
        stream = await api.chat(message)

    assert stream.texts[-1].startswith(quoted + "\n\n")
    assert len(stream.texts[-1]) > len(quoted) + 2  # the usual answer follows


async def test_chat_replies_do_not_echo_by_default() -> None:
    async with serve() as (_, http):
        api = await anonymous_api(http)
        stream = await api.chat("ping @everyone please")

    assert "@everyone" not in stream.texts[-1]


async def test_reply_repeat_says_the_whole_reply_several_times() -> None:
    async with serve(echo_chat=True) as (_, http):
        single = (await (await anonymous_api(http)).chat("tell me more")).texts[-1]
    async with serve(echo_chat=True, reply_repeat=3) as (_, http):
        repeated = (await (await anonymous_api(http)).chat("tell me more")).texts[-1]

    assert repeated == "\n\n".join([single] * 3)
