"""The fake Discord against a real discord.py 2.7.1 client, started through `bot.start()`.

Also a few raw-HTTP checks of the fake's own rules (content type, auth, interaction windows),
which discord.py would otherwise hide behind its own client-side checks.
"""

from __future__ import annotations

import asyncio
import io
import os
from pathlib import Path
from typing import Any

import aiohttp
import discord
import pytest

from tests.fakediscord import FakeDiscord, FakeFile, discord_endpoints, run_fake_discord
from tests.fakediscord.gateway import MESSAGE_CONTENT
from tests.fakediscord.harness import make_bot, running
from tests.fakediscord.openapi import OPENAPI_ENV, default_openapi_path

MESSAGES = "/channels/{channel_id}/messages"
MESSAGE = "/channels/{channel_id}/messages/{message_id}"
CALLBACK = "/interactions/{interaction_id}/{token}/callback"
MIB = 1024 * 1024


def text_channel(bot: discord.Client, fake: FakeDiscord) -> discord.TextChannel:
    channel = bot.get_channel(fake.text_channel_id)
    assert isinstance(channel, discord.TextChannel)
    return channel


def require_openapi(fake: FakeDiscord) -> None:
    """The vendored description is always there: validation that cannot run is a failure."""
    assert fake.schema_skip_reason is None, fake.schema_skip_reason


# -- start-up, gateway, shutdown ------------------------------------------------------------

async def test_bot_logs_in_and_sees_the_guild_with_its_text_channel(fake: FakeDiscord) -> None:
    bot = make_bot()
    async with running(fake, bot):
        guild = bot.get_guild(fake.guild_id)
        assert guild is not None and not guild.unavailable
        assert bot.user is not None and bot.user.id == fake.bot_user.id
        assert bot.application_id == fake.application_id
        assert text_channel(bot, fake).name == "studio"
        assert guild.me.id == fake.bot_user.id
        assert guild.filesize_limit == 10 * MIB

    assert [r.route for r in fake.requests[:2]] == ["/users/@me", "/oauth2/applications/@me"]
    [identify] = fake.gateway.identify_payloads
    assert identify["intents"] & MESSAGE_CONTENT
    assert fake.gateway.compression_requested == ["zlib-stream"]
    assert fake.gateway.heartbeat_count >= 1  # discord.py beats once right after HELLO
    assert [f.t for f in fake.gateway_frames if f.op == 0][:2] == ["READY", "GUILD_CREATE"]
    assert any(f.op == 11 for f in fake.gateway_frames)


async def test_auto_sharded_client_finds_the_gateway_through_gateway_bot(
        fake: FakeDiscord) -> None:
    intents = discord.Intents.none()
    intents.guilds = True
    client = discord.AutoShardedClient(intents=intents, guild_ready_timeout=0.05)
    async with running(fake, client):
        assert client.get_guild(fake.guild_id) is not None

    assert fake.find_requests("GET", "/gateway/bot", status=200)
    assert fake.gateway.identify_payloads[0]["shard"] == [0, 1]


async def test_close_ends_the_gateway_connection_cleanly(fake: FakeDiscord) -> None:
    api_base_before = discord.http.Route.BASE
    bot = make_bot()
    async with running(fake, bot):
        assert fake.gateway.connected == 1
        api_base_during = discord.http.Route.BASE

    assert bot.is_closed()
    api_base_after = discord.http.Route.BASE
    assert (api_base_during, api_base_after) == (fake.api_base, api_base_before)
    await fake.wait_for(lambda: fake.gateway.connected == 0)
    assert len(fake.gateway.close_codes) == 1  # one connection, closed once, no reconnect


async def test_wrong_token_is_refused_at_login(fake: FakeDiscord) -> None:
    bot = make_bot()
    with discord_endpoints(fake.api_base, fake.gateway_url):
        with pytest.raises(discord.LoginFailure):
            await bot.login("not-the-token")
        await bot.close()
    assert fake.find_requests("GET", "/users/@me", status=401)


async def test_privileged_intent_not_enabled_in_the_portal_stops_start_up() -> None:
    async with run_fake_discord(allowed_privileged_intents=0) as fake:
        with pytest.raises(discord.PrivilegedIntentsRequired):
            async with running(fake, make_bot(message_content=True)):
                pass

    assert fake.gateway.server_close_codes == [4014]


async def test_dropped_gateway_resumes_and_replays_missed_events(fake: FakeDiscord) -> None:
    bot = make_bot()
    seen: list[str] = []

    async def on_message(message: discord.Message) -> None:
        seen.append(message.content)

    bot.add_listener(on_message)
    async with running(fake, bot):
        await fake.close_gateway(4000)
        await fake.send_message(fake.text_channel_id, fake.alice, "sent while away")
        await fake.wait_for(lambda: "sent while away" in seen)

    assert fake.gateway.resume_count == 1
    assert seen == ["sent while away"]


# -- messages in --------------------------------------------------------------------------

async def test_injected_message_reaches_on_message_with_its_attachment(
        fake: FakeDiscord) -> None:
    bot = make_bot()
    seen: list[discord.Message] = []

    async def on_message(message: discord.Message) -> None:
        seen.append(message)

    bot.add_listener(on_message)
    image = FakeFile("reference.png", b"\x89PNG" + os.urandom(300))
    async with running(fake, bot):
        await fake.send_message(fake.text_channel_id, fake.alice, "a sunset please", [image])
        [message] = await fake.wait_for(lambda: seen)
        downloaded = await message.attachments[0].read()

    assert message.author.id == fake.alice.id
    assert message.content == "a sunset please"
    assert [(a.filename, a.size) for a in message.attachments] == [("reference.png", 304)]
    assert downloaded == image.data


async def test_message_content_is_blank_without_the_message_content_intent(
        fake: FakeDiscord) -> None:
    bot = make_bot(message_content=False)
    seen: list[discord.Message] = []

    async def on_message(message: discord.Message) -> None:
        seen.append(message)

    bot.add_listener(on_message)
    async with running(fake, bot):
        await fake.send_message(fake.text_channel_id, fake.alice, "you cannot read this")
        await fake.send_message(fake.text_channel_id, fake.alice, f"{fake.bot_user.mention} hi")
        await fake.wait_for(lambda: len(seen) == 2)

    assert [m.content for m in seen] == ["", f"{fake.bot_user.mention} hi"]


# -- messages out ---------------------------------------------------------------------------

async def test_channel_send_posts_a_message_that_matches_discords_schema(
        fake: FakeDiscord) -> None:
    require_openapi(fake)
    bot = make_bot()
    async with running(fake, bot):
        sent = await text_channel(bot, fake).send(
            "hello", allowed_mentions=discord.AllowedMentions.none())

    [request] = fake.find_requests("POST", MESSAGES)
    assert request.body["content"] == "hello"
    assert request.body["allowed_mentions"] == {"parse": []}
    assert fake.message(sent.id)["content"] == "hello"
    assert fake.schema_checked == 1
    assert fake.schema_violations == []


async def test_reply_and_typing_are_recorded(fake: FakeDiscord) -> None:
    bot = make_bot()
    async with running(fake, bot):
        question = await fake.send_message(fake.text_channel_id, fake.alice, "status?")
        channel = text_channel(bot, fake)
        async with channel.typing():
            original = await channel.fetch_message(int(question["id"]))
            reply = await original.reply("Rendering…", mention_author=False)

    assert fake.find_requests("POST", "/channels/{channel_id}/typing", status=204)
    [sent] = fake.find_requests("POST", MESSAGES)
    assert sent.body["message_reference"]["message_id"] == int(question["id"])
    assert fake.message(reply.id)["referenced_message"]["id"] == question["id"]
    assert fake.schema_violations == []


async def test_file_upload_is_recorded_with_its_size(fake: FakeDiscord) -> None:
    data = os.urandom(50_000)
    bot = make_bot()
    async with running(fake, bot):
        sent = await text_channel(bot, fake).send("your video",
                                                  file=discord.File(io.BytesIO(data), "clip.mp4"))

    [request] = fake.find_requests("POST", MESSAGES)
    assert request.is_multipart
    assert [(f.field, f.filename, f.size) for f in request.files] == [
        ("files[0]", "clip.mp4", 50_000)]
    assert request.body["attachments"] == [{"id": 0, "filename": "clip.mp4"}]
    assert [(a.filename, a.size) for a in sent.attachments] == [("clip.mp4", 50_000)]
    assert fake.attachment_bytes(sent.attachments[0].id) == data
    assert fake.schema_violations == []


async def test_a_repeated_enforced_nonce_returns_the_first_message(fake: FakeDiscord) -> None:
    bot = make_bot()
    async with running(fake, bot):
        channel = text_channel(bot, fake)
        first = await channel.send("your video", nonce="render-abc",
                                   file=discord.File(io.BytesIO(b"mp4"), "clip.mp4"))
        again = await channel.send("your video", nonce="render-abc",
                                   file=discord.File(io.BytesIO(b"mp4"), "clip.mp4"))
        other = await channel.send("another", nonce="render-xyz")

    assert again.id == first.id
    assert other.id != first.id
    assert [m["id"] for m in fake.messages_in(fake.text_channel_id)] == [
        str(first.id), str(other.id)]
    assert all(r.body.get("enforce_nonce") is True for r in fake.find_requests("POST", MESSAGES))


async def test_an_enforced_nonce_is_forgotten_after_a_few_minutes(fake: FakeDiscord) -> None:
    bot = make_bot()
    async with running(fake, bot):
        channel = text_channel(bot, fake)
        first = await channel.send("hello", nonce="n-1")
        key = next(iter(fake.nonces))
        message_id, when = fake.nonces[key]
        fake.nonces[key] = (message_id, when - 10 * 60)  # ten minutes ago
        later = await channel.send("hello", nonce="n-1")

    assert later.id != first.id


async def test_file_over_the_upload_limit_is_refused_with_413() -> None:
    async with run_fake_discord(upload_limit_bytes=1000) as fake:
        bot = make_bot()
        async with running(fake, bot):
            with pytest.raises(discord.HTTPException) as refused:
                await text_channel(bot, fake).send(
                    file=discord.File(io.BytesIO(b"x" * 1001), "big.mp4"))

    assert (refused.value.status, refused.value.code) == (413, 40005)
    assert fake.messages_in(fake.text_channel_id) == []


@pytest.mark.parametrize(("premium_tier", "limit"), [(0, 10 * MIB), (2, 50 * MIB),
                                                     (3, 100 * MIB)])
async def test_upload_limit_follows_the_boost_tier_in_guild_and_interaction(
        premium_tier: int, limit: int) -> None:
    limits: list[int] = []
    bot = make_bot()

    @bot.tree.command(name="limit")
    async def limit_command(interaction: discord.Interaction) -> None:
        limits.append(interaction.filesize_limit)
        await interaction.response.send_message("ok")

    async with run_fake_discord(premium_tier=premium_tier) as fake, running(fake, bot):
        guild = bot.get_guild(fake.guild_id)
        assert guild is not None
        await fake.invoke_slash("limit")
        await fake.wait_for(lambda: limits)

    assert (guild.filesize_limit, limits) == (limit, [limit])


async def test_content_over_2000_characters_is_refused(fake: FakeDiscord) -> None:
    bot = make_bot()
    async with running(fake, bot):
        with pytest.raises(discord.HTTPException) as refused:
            await text_channel(bot, fake).send("x" * 2001)

    assert (refused.value.status, refused.value.code) == (400, 50035)
    assert "content" in refused.value.text or refused.value.code == 50035


# -- rate limits ----------------------------------------------------------------------------

async def test_quick_edits_past_the_channel_budget_are_retried_after_429s() -> None:
    # The budget is hidden from the headers, as for Discord's shared per-channel limits, so
    # discord.py only learns from the 429s; a 1 s window keeps the test short.
    async with run_fake_discord(message_rate_limit=(5, 1.0), advertise_rate_limits=False) as fake:
        bot = make_bot()
        async with running(fake, bot):
            message = await text_channel(bot, fake).send("edit 0")
            for n in range(1, 13):
                message = await message.edit(content=f"edit {n}")

    edits = fake.find_requests("PATCH", MESSAGE)
    refused = [r for r in edits if r.status == 429]
    assert fake.rate_limited_count == len(refused) >= 1  # 2 unless the machine is very slow
    assert [r.body["content"] for r in edits if r.status == 200] == [
        f"edit {n}" for n in range(1, 13)]
    assert fake.message(message.id)["content"] == "edit 12"
    assert all(r.response_headers["Via"] and r.response["retry_after"] > 0 for r in refused)


async def test_advertised_bucket_lets_discord_py_pace_itself_without_429s() -> None:
    async with run_fake_discord(message_rate_limit=(5, 1.0)) as fake:
        bot = make_bot()
        async with running(fake, bot):
            message = await text_channel(bot, fake).send("edit 0")
            for n in range(1, 8):
                message = await message.edit(content=f"edit {n}")

    assert fake.rate_limited_count == 0
    assert fake.message(message.id)["content"] == "edit 7"
    first = fake.find_requests("POST", MESSAGES)[0].response_headers
    assert (first["X-RateLimit-Limit"], first["X-RateLimit-Remaining"]) == ("5", "4")
    assert first["X-RateLimit-Bucket"] and float(first["X-RateLimit-Reset-After"]) > 0


async def test_editing_an_hour_old_message_runs_out_of_its_edit_budget() -> None:
    async with run_fake_discord(old_message_edits_per_hour=2) as fake:
        bot = make_bot()
        async with running(fake, bot):
            message = await text_channel(bot, fake).send("Rendering…")
            fake.age_message(message.id, 3601)
            await message.edit(content="still rendering")
            await message.edit(content="almost")
            with pytest.raises(discord.HTTPException) as refused:
                await message.edit(content="done")

    assert (refused.value.status, refused.value.code) == (400, 30046)
    assert fake.message(message.id)["content"] == "almost"


async def test_forced_429s_are_retried_transparently(fake: FakeDiscord) -> None:
    fake.force_rate_limit(2, method="POST", route=MESSAGES, retry_after=0.05)
    bot = make_bot()
    async with running(fake, bot):
        await text_channel(bot, fake).send("after two 429s")

    assert [r.status for r in fake.find_requests("POST", MESSAGES)] == [429, 429, 200]
    assert fake.rate_limited_count == 2


async def test_429_without_via_header_is_not_retried_by_discord_py(fake: FakeDiscord) -> None:
    fake.force_rate_limit(1, method="POST", route=MESSAGES, via=False)
    bot = make_bot()
    async with running(fake, bot):
        with pytest.raises(discord.HTTPException) as refused:
            await text_channel(bot, fake).send("blocked")

    assert refused.value.status == 429
    assert len(fake.find_requests("POST", MESSAGES)) == 1


# -- interactions ---------------------------------------------------------------------------

async def test_slash_command_defer_then_followup_is_recorded_in_order(fake: FakeDiscord) -> None:
    bot = make_bot()

    @bot.tree.command(name="video")
    async def video(interaction: discord.Interaction, prompt: str) -> None:
        """Make a video."""
        await interaction.response.defer(thinking=True)
        await interaction.followup.send(f"Making: {prompt}",
                                        allowed_mentions=discord.AllowedMentions.none())

    async with running(fake, bot):
        await bot.tree.sync()
        record = await fake.invoke_slash("video", {"prompt": "a sunset"})
        await fake.wait_for(lambda: "followup" in record.calls)

    assert record.calls == ["callback:5", "followup"]
    [callback] = fake.find_requests("POST", CALLBACK)
    assert callback.query == {"with_response": "1"}
    assert callback.response["interaction"]["response_message_loading"] is True
    answer = fake.message(record.original_message_id or 0)
    assert (answer["content"], answer["flags"]) == ("Making: a sunset", 0)
    [sync] = fake.find_requests("PUT", "/applications/{application_id}/commands")
    assert [c["name"] for c in sync.body] == ["video"]
    require_openapi(fake)
    assert fake.schema_violations == []


async def test_guild_synced_command_is_invoked_with_its_guild_id(fake: FakeDiscord) -> None:
    bot = make_bot()
    guild = discord.Object(fake.guild_id)
    calls: list[int | None] = []

    @bot.tree.command(name="status", guild=guild)
    async def status(interaction: discord.Interaction) -> None:
        calls.append(interaction.guild_id)
        await interaction.response.send_message("Idle", ephemeral=True)

    async with running(fake, bot):
        await bot.tree.sync(guild=guild)
        record = await fake.invoke_slash("status")
        await fake.wait_for(lambda: record.calls)

    assert record.payload["data"]["guild_id"] == str(fake.guild_id)
    assert calls == [fake.guild_id]
    assert fake.find_requests("PUT", "/applications/{application_id}/guilds/{guild_id}/commands")
    assert fake.message(record.original_message_id or 0)["flags"] & 64  # ephemeral


async def test_slash_command_reply_then_edit_original(fake: FakeDiscord) -> None:
    bot = make_bot()
    received: list[tuple[str, int]] = []

    @bot.tree.command(name="video")
    async def video(interaction: discord.Interaction, prompt: str,
                    attachment: discord.Attachment) -> None:
        """Make a video from a picture."""
        received.append((attachment.filename, attachment.size))
        await interaction.response.send_message("Starting…")
        await interaction.edit_original_response(content=f"Working on {prompt}")

    async with running(fake, bot):
        await bot.tree.sync()
        picture = FakeFile("cat.jpg", b"\xff\xd8" + b"0" * 98)
        record = await fake.invoke_slash("video", {"prompt": "cat", "attachment": picture})
        await fake.wait_for(lambda: "edit_original" in record.calls)

    assert received == [("cat.jpg", 100)]
    assert record.calls == ["callback:4", "edit_original"]
    assert fake.message(record.original_message_id or 0)["content"] == "Working on cat"
    assert fake.schema_violations == []


async def test_followup_file_is_recorded_with_its_size(fake: FakeDiscord) -> None:
    video = os.urandom(20_000)
    bot = make_bot()

    @bot.tree.command(name="export")
    async def export(interaction: discord.Interaction) -> None:
        await interaction.response.defer()
        await interaction.followup.send("Here it is",
                                        file=discord.File(io.BytesIO(video), "render.mp4"))

    async with running(fake, bot):
        record = await fake.invoke_slash("export")
        await fake.wait_for(lambda: record.calls == ["callback:5", "followup"])

    [upload] = fake.find_requests("POST", "/webhooks/{webhook_id}/{token}")
    assert [(f.filename, f.size) for f in upload.files] == [("render.mp4", 20_000)]
    answer = fake.message(record.original_message_id or 0)
    assert [(a["filename"], a["size"]) for a in answer["attachments"]] == [("render.mp4", 20_000)]
    assert fake.schema_violations == []


async def test_acknowledging_after_the_window_is_an_unknown_interaction() -> None:
    codes: list[int] = []
    bot = make_bot()

    @bot.tree.command(name="slow")
    async def slow(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.1)
        try:
            await interaction.response.defer()
        except discord.NotFound as error:
            codes.append(error.code)

    async with run_fake_discord(interaction_ack_seconds=0.05) as fake, running(fake, bot):
        await fake.invoke_slash("slow")
        await fake.wait_for(lambda: codes)

    assert codes == [10062]


async def test_button_click_updates_the_message(fake: FakeDiscord) -> None:
    bot = make_bot()

    class Confirm(discord.ui.View):
        @discord.ui.button(label="Export", custom_id="export")
        async def export(self, interaction: discord.Interaction,
                         button: discord.ui.Button[Confirm]) -> None:
            await interaction.response.edit_message(content="Exporting…", view=None)

    async with running(fake, bot):
        sent = await text_channel(bot, fake).send("Ready to export?", view=Confirm())
        record = await fake.click_component(sent.id, "export")
        await fake.wait_for(lambda: record.calls)

    assert record.calls == ["callback:7"]
    assert fake.message(sent.id)["content"] == "Exporting…"
    assert fake.message(sent.id)["components"] == []


async def test_modal_opened_by_a_command_receives_the_submission(fake: FakeDiscord) -> None:
    bot = make_bot()
    submitted: list[str] = []

    class Feedback(discord.ui.Modal, title="Feedback"):
        text: discord.ui.TextInput[Feedback] = discord.ui.TextInput(label="Text",
                                                                    custom_id="text")

        async def on_submit(self, interaction: discord.Interaction) -> None:
            submitted.append(self.text.value)
            await interaction.response.send_message("Thanks!", ephemeral=True)

    @bot.tree.command(name="feedback")
    async def feedback(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(Feedback(custom_id="feedback"))

    async with running(fake, bot):
        opened = await fake.invoke_slash("feedback")
        await fake.wait_for(lambda: opened.modal)
        answered = await fake.submit_modal("feedback", {"text": "great"})
        await fake.wait_for(lambda: answered.calls)

    assert opened.modal is not None and opened.modal["title"] == "Feedback"
    assert submitted == ["great"]
    reply = fake.message(answered.original_message_id or 0)
    assert reply["flags"] & 64  # ephemeral


# -- threads --------------------------------------------------------------------------------

async def test_created_thread_is_announced_and_unarchived_by_sending(fake: FakeDiscord) -> None:
    bot = make_bot()
    async with running(fake, bot):
        thread = await text_channel(bot, fake).create_thread(
            name="Sunset session", type=discord.ChannelType.public_thread)
        await fake.wait_for(lambda: bot.get_channel(thread.id) is not None)
        await thread.edit(archived=True)
        await thread.send("Back to work", allowed_mentions=discord.AllowedMentions.none())
        await fake.wait_for(lambda: not thread.archived)

    created = [f for f in fake.gateway_frames if f.t == "THREAD_CREATE"]
    assert created and created[0].d["newly_created"] is True
    assert fake.state.channels[thread.id]["thread_metadata"]["archived"] is False
    assert [m["content"] for m in fake.messages_in(thread.id)] == ["Back to work"]


async def test_thread_from_a_message_takes_the_message_id(fake: FakeDiscord) -> None:
    bot = make_bot()
    async with running(fake, bot):
        starter = await text_channel(bot, fake).send("Let's make a video")
        thread = await starter.create_thread(name="Session")

    assert thread.id == starter.id
    assert fake.message(starter.id)["thread"]["id"] == str(thread.id)
    assert fake.schema_violations == [] or fake.schema_skip_reason is not None


# -- the fake's own rules (raw HTTP) --------------------------------------------------------

async def _raw(fake: FakeDiscord, method: str, path: str, *, token: str | None = None,
               **kwargs: Any) -> tuple[int, dict[str, str], Any]:
    headers = {"Authorization": f"Bot {token or fake.token}"}
    async with aiohttp.ClientSession() as session, session.request(
            method, fake.api_base + path, headers=headers, **kwargs) as response:
        body = await response.json(content_type=None) if response.status != 204 else None
        return response.status, dict(response.headers), body


async def test_responses_are_exactly_application_json(fake: FakeDiscord) -> None:
    status, headers, body = await _raw(fake, "GET", "/users/@me")
    assert (status, headers["Content-Type"]) == (200, "application/json")
    assert body["id"] == str(fake.bot_user.id)


async def test_request_without_the_bot_token_is_unauthorized(fake: FakeDiscord) -> None:
    status, _, body = await _raw(fake, "GET", "/users/@me", token="wrong")
    assert (status, body["message"]) == (401, "401: Unauthorized")
    assert fake.invalid_request_count == 1


async def test_unknown_route_answers_501_once_and_is_recorded(fake: FakeDiscord) -> None:
    bot = make_bot()
    async with running(fake, bot):
        route = discord.http.Route("GET", "/guilds/{guild_id}/audit-logs", guild_id=fake.guild_id)
        with pytest.raises(discord.DiscordServerError) as failed:
            await bot.http.request(route)

    assert failed.value.status == 501
    assert [r.path for r in fake.unknown_routes] == [f"/guilds/{fake.guild_id}/audit-logs"]


async def test_bad_body_is_reported_as_a_schema_violation(fake: FakeDiscord) -> None:
    require_openapi(fake)
    status, _, _ = await _raw(fake, "POST", f"/channels/{fake.text_channel_id}/messages",
                              json={"content": "ok", "tts": "yes"})
    assert status == 200
    [violation] = fake.schema_violations
    assert (violation.operation_id, violation.pointer) == ("create_message", "$.tts")


async def test_missing_openapi_file_skips_validation_with_a_reason(tmp_path: Path) -> None:
    absent = tmp_path / "discord-openapi.json"
    async with run_fake_discord(openapi_path=absent) as fake:
        await _raw(fake, "POST", f"/channels/{fake.text_channel_id}/messages",
                   json={"content": "ok", "tts": "yes"})

    assert fake.schema_skip_reason is not None and str(absent) in fake.schema_skip_reason
    assert fake.schema_violations == []


@pytest.mark.parametrize("with_response", ["1", "true"])
async def test_callback_answers_with_its_response_then_refuses_a_second_one(
        fake: FakeDiscord, with_response: str) -> None:
    record = await fake.invoke_slash("video", {"prompt": "x"})
    path = f"/interactions/{record.id}/{record.token}/callback"
    reply = {"type": 4, "data": {"content": "hi"}}

    first = await _raw(fake, "POST", path, params={"with_response": with_response}, json=reply)
    second = await _raw(fake, "POST", path, json=reply)

    assert first[0] == 200 and first[2]["resource"]["message"]["content"] == "hi"
    assert (second[0], second[2]["code"]) == (400, 40060)


async def test_callback_without_with_response_answers_204(fake: FakeDiscord) -> None:
    record = await fake.invoke_slash("video", {"prompt": "x"})
    status, _, body = await _raw(fake, "POST",
                                 f"/interactions/{record.id}/{record.token}/callback",
                                 json={"type": 5})
    assert (status, body, record.calls) == (204, None, ["callback:5"])


async def test_the_vendored_description_validates_on_a_fresh_clone(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(OPENAPI_ENV, raising=False)
    repo = Path(__file__).resolve().parents[2]
    spec = default_openapi_path()
    licence = spec.with_name("discord-openapi.LICENSE").read_text(encoding="utf-8")

    async with run_fake_discord() as fake:
        await _raw(fake, "POST", f"/channels/{fake.text_channel_id}/messages",
                   json={"content": "ok", "tts": "yes"})

    assert spec.is_relative_to(repo), "the description ships with the tests"
    assert licence.startswith("MIT License") and "Discord" in licence
    assert fake.schema_skip_reason is None
    assert [v.pointer for v in fake.schema_violations] == ["$.tts"]


async def test_the_global_budget_answers_a_global_429_past_its_limit() -> None:
    statuses, bodies = [], []
    async with run_fake_discord(global_rate_limit=(3, 60.0)) as fake, aiohttp.ClientSession(
    ) as http:
        for _ in range(4):
            async with http.get(f"{fake.api_base}/users/@me",
                                headers={"Authorization": f"Bot {fake.token}"}) as response:
                statuses.append(response.status)
                bodies.append(await response.json())
    assert statuses == [200, 200, 200, 429]
    assert bodies[-1]["global"] is True
    assert fake.rate_limited_count == 1
