"""Attachments: checked by declared size and extension first, downloaded only if they pass."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import pytest

from tests.discord.conftest import World, WorldFactory, start_video

SUNSET = "a 15-second clip of a sunset over a mountain lake with music"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


class DeclaredSize(bytes):
    """Bytes that claim another length: a huge upload as Discord would declare it, without
    keeping hundreds of megabytes in the test's memory."""

    declared: int

    def __new__(cls, data: bytes, declared: int) -> DeclaredSize:
        made = super().__new__(cls, data)
        made.declared = declared
        return made

    def __len__(self) -> int:
        return self.declared


def count_cdn_reads(world: World, monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Record every attachment download from (simcord's) Discord CDN."""
    reads: list[str] = []
    original: Callable[[str], Awaitable[bytes]] = world.bot.http.get_from_cdn

    async def counting(url: str) -> bytes:
        reads.append(url)
        return await original(url)

    monkeypatch.setattr(world.bot.http, "get_from_cdn", counting)
    return reads


async def test_an_attachment_in_the_thread_is_uploaded_to_nemovideo(
    studio: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    reads = count_cdn_reads(world, monkeypatch)

    await world.alice.send(thread, "", attachments=[("logo.png", PNG)])

    assert world.emulator.state.counters.uploads == 1
    assert len(reads) == 1
    assert "Uploaded logo.png" in world.bot_messages(thread)[-1].content


async def test_status_lists_the_files_uploaded_into_the_session(studio: WorldFactory) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    await world.alice.send(thread, "", attachments=[("logo.png", PNG), ("intro.png", PNG)])

    listed = await world.alice.slash(thread, "status")
    reset = await world.alice.slash(thread, "reset")
    assert reset.response is not None
    await world.alice.click(reset.response, label="Start over")
    await world.idle()
    fresh = await world.alice.slash(thread, "status")

    assert listed.response is not None and fresh.response is not None
    [card], [fresh_card] = listed.response.embeds, fresh.response.embeds
    assert "📎 Files: logo.png and intro.png" in (card.description or "")
    assert "📎" not in (fresh_card.description or ""), "only the current session's files"


async def test_an_attachment_with_words_is_uploaded_then_used_in_a_turn(
    studio: WorldFactory,
) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    turns_before = world.emulator.state.counters.turns

    await world.alice.send(thread, "use this as the intro", attachments=[("intro.png", PNG)])

    assert world.emulator.state.counters.uploads == 1
    assert world.emulator.state.counters.turns == turns_before + 1


async def test_an_unsupported_file_is_refused_without_downloading_it(
    studio: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    reads = count_cdn_reads(world, monkeypatch)

    await world.alice.send(thread, "", attachments=[("notes.txt", b"hello")])

    assert reads == []
    assert world.emulator.state.counters.uploads == 0
    refusal = world.bot_messages(thread)[-1].content
    assert "notes.txt" in refusal and "mp4" in refusal


async def test_a_file_over_200_mb_is_refused_by_its_declared_size(
    studio: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    reads = count_cdn_reads(world, monkeypatch)
    huge = DeclaredSize(bytes(1024), declared=300 * 1024 * 1024)

    await world.alice.send(thread, "", attachments=[("drone.mp4", huge)])

    assert reads == []
    assert world.emulator.state.counters.uploads == 0
    refusal = world.bot_messages(thread)[-1].content
    assert "drone.mp4" in refusal and "300 MB" in refusal and "200 MB" in refusal


async def test_the_video_command_uploads_its_attachment_before_the_first_turn(
    studio: WorldFactory,
) -> None:
    world = await studio()

    await world.alice.slash(
        world.channel, "video", prompt="use this logo in an intro", attachment=("logo.png", PNG)
    )
    await world.idle()

    thread = world.thread()
    assert world.emulator.state.counters.uploads == 1
    assert world.emulator.state.counters.turns == 1
    contents = [m.content for m in world.bot_messages(thread)]
    assert any("Uploaded logo.png" in text for text in contents)


async def test_an_empty_file_is_refused_without_losing_the_rest_of_the_message(
    studio: WorldFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    turns_before = world.emulator.state.counters.turns
    reads = count_cdn_reads(world, monkeypatch)

    await world.alice.send(
        thread,
        "use the logo as the intro",
        attachments=[("blank.png", b""), ("logo.png", PNG)],
    )

    contents = [m.content for m in world.bot_messages(thread)]
    assert "“blank.png” is empty (0 bytes)" in "\n".join(contents)
    assert len(reads) == 1, "the empty file was refused by its declared size"
    assert any("Uploaded logo.png" in text for text in contents)
    assert world.emulator.state.counters.uploads == 1
    assert world.emulator.state.counters.turns == turns_before + 1, "the words still went"

