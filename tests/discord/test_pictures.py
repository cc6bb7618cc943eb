"""/status and the Timeline button answer, to the one who asked, with the timeline's card:
its tracks and clips in a list with their lengths, and the timeline as a PNG in it."""

from __future__ import annotations

import io
from pathlib import Path

import discord
from PIL import Image

from bot.core.timeline_picture import (
    AXIS_PX,
    HEADER_PX,
    LANE_PX,
    PAD_PX,
    PALETTE,
    ROW_GAP_PX,
    WIDTH_PX,
)
from bot.core.wording import Wording
from bot.emulator.server import RunningEmulator
from cogs.keys import conversation_key
from cogs.pictures import TIMELINE_FILENAME
from tests.discord.conftest import WorldFactory, start_video
from tests.discord.wire_helpers import (
    READY_SECONDS,
    assert_bodies_match_discords_schema,
    nemobot_running,
    open_session_thread,
)
from tests.fakediscord import run_fake_discord

SUNSET = "a 15-second clip of a sunset over a mountain lake with music"
EN = Wording("en")
EPHEMERAL = 1 << 6
FOLLOWUP = "/webhooks/{webhook_id}/{token}"


async def timeline_picture(message: discord.Message) -> Image.Image:
    assert [a.filename for a in message.attachments] == [TIMELINE_FILENAME]
    image = Image.open(io.BytesIO(await message.attachments[0].read()))
    assert image.format == "PNG"
    return image.convert("RGB")


async def test_status_shows_the_timeline_card_with_its_picture(studio: WorldFactory) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    reply = await world.bot.engine.status_reply(conversation_key(thread.id))

    result = await world.alice.slash(thread, "status")

    assert result.response is not None and result.ephemeral  # as the Timeline button
    [embed] = result.response.embeds
    assert embed.title == EN.timeline_title() and embed.colour is not None
    assert embed.image.url is not None and embed.image.url.endswith(TIMELINE_FILENAME)
    video = embed.fields[0]
    assert video.name == "Video" and "sunset" in (video.value or "").lower()
    assert "(0:" in (video.value or "")  # each clip with its length
    assert embed.footer.text is not None and embed.footer.text.startswith("Total 0:")
    image = await timeline_picture(result.response)
    assert image.width == WIDTH_PX
    # The first row is the video track, drawn from the start of the axis.
    first_block = (PAD_PX + 130, PAD_PX + HEADER_PX + LANE_PX // 2 - 14)
    assert image.getpixel(first_block) == PALETTE.video
    # The alt text is the summary in words.
    assert result.response.attachments[0].description == reply.text


async def test_the_picture_has_one_row_per_track_of_the_draft(studio: WorldFactory) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    reply = await world.bot.engine.status_reply(conversation_key(thread.id))
    assert reply.draft is not None

    result = await world.alice.slash(thread, "status")

    assert result.response is not None
    image = await timeline_picture(result.response)
    rows = len(reply.draft.tracks)
    assert rows >= 2  # the sunset prompt asks for a video and music
    assert image.height == 2 * PAD_PX + HEADER_PX + rows * (LANE_PX + ROW_GAP_PX) + AXIS_PX
    # Label column: one row label per track, so the muted label colour appears in each row.
    for row in range(rows):
        top = PAD_PX + HEADER_PX + row * (LANE_PX + ROW_GAP_PX)
        band = image.crop((PAD_PX, top, PAD_PX + 100, top + LANE_PX))
        assert band.getcolors(100 * LANE_PX) != [(100 * LANE_PX, PALETTE.card)]


async def test_timeline_button_shows_the_picture_to_the_presser_only(
    studio: WorldFactory,
) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    posted_before = len(world.bot_messages(thread))

    result = await world.alice.click(world.bot_messages(thread)[-1], label="Timeline")

    assert result.ephemeral and result.response is not None
    assert [e.title for e in result.response.embeds] == [EN.timeline_title()]
    await timeline_picture(result.response)
    assert len(world.bot_messages(thread)) == posted_before


async def test_status_outside_a_session_has_no_picture(studio: WorldFactory) -> None:
    world = await studio()

    result = await world.alice.slash(world.channel, "status")

    assert result.response is not None and not result.response.attachments


async def test_on_the_wire_status_uploads_a_png_whose_alt_text_is_the_summary(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    async with run_fake_discord() as fake, nemobot_running(fake, emulator, tmp_path):
        thread_id = await open_session_thread(fake, SUNSET)
        await fake.wait_for(lambda: fake.messages_in(thread_id), READY_SECONDS)
        await fake.invoke_slash("status", channel_id=thread_id)
        [upload] = await fake.wait_for(
            lambda: [r for r in fake.find_requests("POST", FOLLOWUP) if r.files], READY_SECONDS
        )

    assert upload.is_multipart and [f.filename for f in upload.files] == [TIMELINE_FILENAME]
    [attachment] = upload.response["attachments"]
    png = fake.attachment_bytes(attachment["id"])
    assert png.startswith(b"\x89PNG") and Image.open(io.BytesIO(png)).width == WIDTH_PX
    assert attachment["description"].startswith("📋")
    [embed] = upload.body["embeds"]
    assert embed["image"]["url"] == f"attachment://{TIMELINE_FILENAME}"
    assert upload.body["flags"] & EPHEMERAL
    assert_bodies_match_discords_schema(fake)
