"""Chat turns, end to end: engine → NemoClient → emulator over 127.0.0.1 → MemoryPort."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.core.port import Action, Attachment, IncomingMessage, Text
from bot.core.wording import Doing, Wording
from bot.emulator import RunningEmulator
from bot.nemo.errors import ExportBlocked, FileTooLarge, SessionNotFound, UnsupportedFile
from tests.engine.conftest import KEY, Rig, fast_config, registered_token
from tests.engine.memport import MemoryPort

EN = Wording("en")
GENERATE = "generate a 10-second sunset timelapse over a mountain lake with background music"


@pytest.fixture
def database_url(tmp_path: Path) -> str:
    """On SQLite only: these tests are about the chat turn (streaming, waits, wording), and
    their store calls (conversations, turns, usage) run on both engines in
    tests/core/test_store.py; the render, delivery, recovery and upload tests run the
    engine on both. Twice here would add a minute to the suite and test no more SQL."""
    return f"sqlite:///{tmp_path / 'nemobot.sqlite3'}"


async def say(
    rig: Rig, text: str, author: int = 1, attachments: tuple[Attachment, ...] = ()
) -> None:
    await rig.engine.handle(IncomingMessage(KEY, author, text, attachments))


#: Names of the attachments whose bytes were read, to show refusals read nothing.
OPENED: list[str] = []


def attachment(name: str, size: int, payload: bytes = b"\x00" * 2048) -> Attachment:
    async def chunks() -> AsyncIterator[bytes]:
        OPENED.append(name)
        yield payload

    return Attachment(filename=name, size_bytes=size, open=chunks)


@pytest.mark.parametrize("emulator_config", [fast_config(turn_scale=0.004)])
async def test_generation_streams_a_reply_and_offers_export(rig: Rig) -> None:
    await say(rig, GENERATE)

    reply = rig.port.messages[0]
    assert reply.versions[0].startswith(EN.thinking()), "a status message comes at once"
    assert len(reply.versions) > 2, "the reply is edited as the stream arrives"
    assert "click export" not in reply.text.lower(), "GUI instructions are translated"
    assert reply.actions == (Action.EXPORT, Action.TIMELINE)
    assert rig.emulator.state.counters.turns == 1


@pytest.mark.parametrize("emulator_config", [fast_config(turn_scale=0.004)])
async def test_tool_calls_show_as_a_one_line_status(rig: Rig) -> None:
    await say(rig, GENERATE)
    versions = rig.port.messages[0].versions
    assert any(EN.tool_status("generate_video_with_seedance") in v for v in versions)


async def test_silent_edit_reports_the_timeline(rig: Rig) -> None:
    await say(rig, GENERATE)
    rig.emulator.set_fault("silent_edit")
    await say(rig, "add a title Golden Hour")

    final = rig.port.messages[-1].text
    assert "Timeline (" in final and "Golden Hour" in final
    assert rig.port.messages[-1].actions == (Action.EXPORT, Action.TIMELINE)


async def test_trailing_temporary_issue_is_not_shown_after_a_normal_reply(rig: Rig) -> None:
    rig.emulator.set_fault("trailing_issue")
    await say(rig, GENERATE)
    assert "temporary issue" not in rig.port.messages[-1].text.lower()


@pytest.mark.parametrize("emulator_config", [fast_config(turn_scale=0.01)])
async def test_still_working_after_a_silence(rig: Rig) -> None:
    await say(rig, GENERATE)
    assert any("⏳" in version for version in rig.port.messages[0].versions)


@pytest.mark.parametrize("emulator_config", [fast_config(turn_scale=0.004)])
async def test_a_message_during_a_turn_waits_its_turn(rig: Rig) -> None:
    first = asyncio.create_task(say(rig, GENERATE))
    await rig.port.wait_for(lambda: rig.port.messages)
    await say(rig, "make the music calmer", author=2)
    await first

    texts = rig.port.texts()
    assert EN.wait_your_turn() in texts
    assert rig.emulator.state.counters.turns == 2
    assert texts.index(EN.wait_your_turn()) < len(texts) - 1


async def test_expired_token_is_renewed_and_the_request_retried_once(
    anonymous_rig: Rig,
) -> None:
    rig = anonymous_rig
    await say(rig, "hello")
    rig.emulator.set_fault("expired_token")
    await say(rig, "what can you do?")

    assert rig.emulator.state.counters.token_requests == 2
    assert rig.emulator.state.counters.turns == 2
    assert not rig.port.messages[-1].text.startswith(("🔌", "🔑")), "no error was shown"


async def test_missing_session_binds_a_new_one_and_says_so(rig: Rig) -> None:
    await say(rig, "hello")
    old = await rig.store.get_conversation(KEY)
    rig.emulator.set_fault("session_missing")
    await say(rig, GENERATE)

    new = await rig.store.get_conversation(KEY)
    assert old is not None and new is not None and new.session_id != old.session_id
    assert any(t == EN.error(SessionNotFound()) for t in rig.port.texts())
    reply = rig.port.messages[1]
    assert reply.actions == (Action.EXPORT, Action.TIMELINE), "the turn ran on the new session"


async def test_no_credits_offers_the_operator_the_registration_link(make_rig) -> None:  # type: ignore[no-untyped-def]
    async with make_rig(operator_reads_chat=True) as rig:  # the terminal: one user, the operator
        await say(rig, "hello")
        rig.emulator.set_fault("no_credits")
        await say(rig, GENERATE)

        user_id = await rig.tokens.user_id()
        assert user_id and user_id.startswith("anon_")
        assert f"https://nemovideo.com/register?bind={user_id}" in rig.port.messages[-1].text
        assert rig.port.messages[-1].actions == (Action.ADD_CREDITS,), "no Retry: it cannot work"


async def test_no_credits_never_shows_the_shared_accounts_link_in_a_public_chat(
    anonymous_rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    rig = anonymous_rig
    await say(rig, "hello")
    rig.emulator.set_fault("no_credits")
    await say(rig, GENERATE)

    user_id = await rig.tokens.user_id()
    assert user_id
    assert all("bind=" not in text for text in rig.port.texts())
    assert rig.port.messages[-1].text == EN.shared_credits_used_up()
    assert rig.port.messages[-1].actions == (Action.ADD_CREDITS,)
    assert any(f"bind={user_id}" in r.getMessage() for r in caplog.records), "the log has it"
    assert await rig.engine.add_credits_text(KEY, admin=False) == EN.add_credits_not_admin()
    assert f"bind={user_id}" in await rig.engine.add_credits_text(KEY, admin=True)


async def test_no_credits_tells_registered_users_to_top_up(make_rig) -> None:  # type: ignore[no-untyped-def]
    async with make_rig(nemo_token=registered_token()) as rig:
        await say(rig, "hello")
        rig.emulator.set_fault("no_credits")
        await say(rig, GENERATE)
        final = rig.port.messages[-1].text
        assert "register?bind" not in final
        assert "top up" in final.lower()


async def test_rate_limit_waits_and_retries_once(rig: Rig) -> None:
    await say(rig, "hello")
    # Two shots: the state read before the turn (tolerated) and the chat request itself.
    rig.emulator.set_fault("rate_limited", times=2)
    await say(rig, GENERATE)

    assert rig.emulator.state.counters.turns == 2
    reply = rig.port.messages[-1]
    assert reply.actions == (Action.EXPORT, Action.TIMELINE)
    assert any(v.startswith(EN.rate_limited_retrying(0.05)) for v in reply.versions)


async def test_dropped_stream_reads_the_state_and_never_resends(rig: Rig) -> None:
    await say(rig, "hello")
    rig.emulator.set_fault("drop_stream")
    await say(rig, GENERATE)

    final = rig.port.messages[-1].text
    assert "Timeline (" in final
    assert rig.emulator.state.counters.turns == 2, "the dropped message was not sent again"


async def test_dropped_stream_with_no_change_gives_up_without_resending(rig: Rig) -> None:
    await say(rig, "hello")
    rig.emulator.set_fault("drop_stream")
    await say(rig, "what can you do?")

    final = rig.port.messages[-1]
    assert EN.recovery_gave_up() in final.text
    assert final.actions == (Action.TIMELINE,), "it may have gone through: no re-send"
    assert rig.emulator.state.counters.turns == 2


async def test_uploads_are_streamed_and_announced(rig: Rig) -> None:
    clip = attachment("beach.mp4", 2048)
    await say(rig, "", attachments=(clip,))

    assert rig.port.find("beach.mp4") is not None
    assert rig.emulator.state.counters.uploads == 1
    assert len(await rig.store.list_uploads(KEY)) == 1


async def test_an_upload_with_words_also_runs_them_as_a_turn(rig: Rig) -> None:
    await say(rig, "use this as the opening shot", attachments=(attachment("intro.png", 2048),))
    assert rig.emulator.state.counters.uploads == 1
    assert rig.emulator.state.counters.turns == 1


@pytest.mark.parametrize(
    ("name", "size", "expected"),
    [
        ("huge.mp4", 300 * 1024 * 1024, "upload_too_large"),
        ("notes.txt", 10, "upload_unsupported"),
    ],
    ids=["too-large", "unsupported"],
)
async def test_bad_attachments_are_refused_before_any_transfer(
    rig: Rig, name: str, size: int, expected: str
) -> None:
    bad = attachment(name, size)
    await say(rig, "", attachments=(bad,))

    if expected == "upload_too_large":
        assert EN.upload_too_large(name, size, 200 * 1024 * 1024) in rig.port.texts()
    else:
        assert EN.upload_unsupported(name) in rig.port.texts()
    assert rig.emulator.state.counters.uploads == 0
    assert name not in OPENED, "no byte was read"


@pytest.mark.parametrize(
    ("fault", "needle"), [("unsupported_file", "mp4"), ("file_too_large", "compress")]
)
async def test_backend_upload_refusals_are_explained(rig: Rig, fault: str, needle: str) -> None:
    await say(rig, "hello")
    rig.emulator.set_fault(fault)
    await say(rig, "", attachments=(attachment("clip.mov", 2048),))
    assert needle in rig.port.messages[-1].text.lower()


async def test_credits_status_and_chinese_keywords_skip_the_agent(rig: Rig) -> None:
    await say(rig, "hello")
    await say(rig, "credits")
    await say(rig, "积分")
    await say(rig, "status")

    texts = rig.port.texts()
    assert texts[-3] == texts[-2] == "💳 9999 credits left."
    assert "Timeline (" in texts[-1]
    assert rig.emulator.state.counters.turns == 1


async def test_daily_turn_limit(make_rig) -> None:  # type: ignore[no-untyped-def]
    async with make_rig(max_turns_per_user_per_day=1) as rig:
        await say(rig, "hello")
        await say(rig, "hello again")
        assert rig.port.messages[-1].text == EN.limit_reached(1)
        assert rig.emulator.state.counters.turns == 1


@pytest.mark.parametrize("emulator_config", [fast_config(turn_scale=0.01)])
async def test_a_turn_cut_by_a_restart_is_recovered_not_resent(make_rig) -> None:  # type: ignore[no-untyped-def]
    from tests.engine.memport import MemoryPort

    port = MemoryPort()  # the same chat platform across the restart
    async with make_rig(port=port, nemo_token=registered_token()) as rig:
        await say(rig, "hello")
        task = asyncio.create_task(say(rig, GENERATE))
        await port.wait_for(lambda: len(port.messages) >= 2)
        await asyncio.sleep(0.2)
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        turns_before = rig.emulator.state.counters.turns
    status_message = port.messages[1]

    async with make_rig(port=port, nemo_token=registered_token()) as rig:
        await rig.engine.resume()
        await rig.engine.drain()
        assert await rig.store.get_unfinished_turns() == []
        assert rig.emulator.state.counters.turns == turns_before, "never re-sent"
    final = status_message.text
    # The emulator finishes the turn although the bot went away: the change is reported.
    assert "Timeline (" in final
    assert EN.recovery_gave_up() not in final


async def test_a_file_sent_with_a_command_uploads_then_runs_the_command(rig: Rig) -> None:
    await say(rig, "status", attachments=(attachment("logo.png", 2048),))
    assert rig.emulator.state.counters.uploads == 1
    assert rig.emulator.state.counters.turns == 0
    assert "Timeline (" in rig.port.messages[-1].text


async def test_several_files_in_one_message_go_up_together(rig: Rig) -> None:
    files = (attachment("a.jpg", 2048), attachment("b.mp3", 2048), attachment("c.txt", 5))
    await say(rig, "", attachments=files)

    assert rig.emulator.state.counters.uploads == 2
    assert EN.upload_unsupported("c.txt") in rig.port.texts()
    announced = rig.port.messages[-1].text
    assert "a.jpg" in announced and "b.mp3" in announced


@pytest.mark.parametrize(
    "emulator_config",
    [fast_config(partial_text=True), fast_config(wire_format="typed"),
     fast_config(wire_format="flat"), fast_config(heartbeat_style="typed", turn_scale=0.002)],
    ids=["adk-partial", "typed", "flat", "typed-heartbeats"],
)
async def test_every_wire_variant_shows_each_sentence_once(rig: Rig) -> None:
    await say(rig, GENERATE)
    final = rig.port.messages[0].text
    assert final.count("Your video is ready") == 1
    assert rig.port.messages[0].actions == (Action.EXPORT, Action.TIMELINE)


@pytest.mark.parametrize("emulator_config", [fast_config(turn_scale=0.004)])
async def test_live_status_lines_carry_the_platforms_clock_and_finished_replies_do_not(
    rig: Rig,
) -> None:
    await say(rig, GENERATE)
    reply = rig.port.messages[0]
    live = [v for v in reply.versions if EN.tool_status("generate_video_with_seedance") in v]
    assert live and all("[since " in v for v in live)
    assert "[since " not in reply.text


async def test_an_attachment_the_platform_cannot_deliver_is_explained(rig: Rig) -> None:
    from bot.core.port import AttachmentUnavailable

    async def broken() -> AsyncIterator[bytes]:
        yield b"\x00" * 1024
        raise AttachmentUnavailable("clip.mp4")

    await say(rig, "", attachments=(Attachment("clip.mp4", 4096, broken),))
    assert rig.port.messages[-1].text == EN.attachment_unavailable("clip.mp4")
    assert rig.emulator.state.counters.uploads == 0
    await say(rig, "hello")  # the conversation goes on
    assert rig.emulator.state.counters.turns == 1


@pytest.mark.parametrize("emulator_config", [fast_config(turn_scale=0.004)])
async def test_resume_leaves_alone_a_turn_this_process_is_running(rig: Rig) -> None:
    turn = asyncio.create_task(say(rig, GENERATE))
    await rig.port.wait_for(lambda: rig.port.messages)
    await asyncio.sleep(0.05)
    await rig.engine.resume()  # e.g. the Discord edge resuming after it connected
    await turn
    await rig.engine.drain()

    assert len(rig.port.messages) == 1
    assert EN.recovery_checking() not in "".join(rig.port.messages[0].versions)
    assert rig.port.messages[0].actions == (Action.EXPORT, Action.TIMELINE)



async def test_a_lost_session_found_by_status_is_replaced_too(rig: Rig) -> None:
    await say(rig, "hello")
    old = await rig.store.get_conversation(KEY)
    rig.emulator.set_fault("session_missing")
    await say(rig, "status")

    new = await rig.store.get_conversation(KEY)
    assert old is not None and new is not None and new.session_id != old.session_id
    assert EN.error(SessionNotFound()) in rig.port.texts()
    assert "Timeline (" in rig.port.messages[-1].text


async def test_a_dropped_stream_says_the_connection_was_lost_not_a_restart(rig: Rig) -> None:
    await say(rig, "hello")
    rig.emulator.set_fault("drop_stream")
    await say(rig, GENERATE)
    versions = "".join(rig.port.messages[-1].versions)
    assert "📡" in versions
    assert EN.recovery_checking() not in versions


@pytest.mark.parametrize("emulator_config", [fast_config(turn_scale=0.004)])
async def test_failing_live_edits_are_logged_once_and_the_turn_still_finishes(
    rig: Rig, caplog: pytest.LogCaptureFixture
) -> None:
    rig.port.broken_edits = True
    with caplog.at_level("WARNING", logger="bot.core.live"):
        await say(rig, GENERATE)
    assert [r.getMessage() for r in caplog.records].count(f"live edit failed in {KEY}") == 1
    assert rig.emulator.state.counters.turns == 1


async def test_reset_binds_a_fresh_session_or_says_why_it_could_not(rig: Rig) -> None:
    from bot.nemo.errors import ServiceUnavailable

    await say(rig, "hello")
    old = await rig.store.get_conversation(KEY)
    assert await rig.engine.reset(KEY, owner_id=1) is None
    new = await rig.store.get_conversation(KEY)
    assert old and new and new.session_id != old.session_id
    assert rig.port.messages[-1].text == EN.session_reset()

    rig.emulator.set_fault("server_error")
    assert await rig.engine.reset(KEY, owner_id=1) == EN.error(ServiceUnavailable())
    still = await rig.store.get_conversation(KEY)
    assert still and still.session_id == new.session_id


@pytest.mark.parametrize(
    ("fault", "wrong"),
    [
        ("turn_unsupported_file", "that file type isn't supported"),
        ("turn_file_too_large", "that file is too large"),
        ("turn_plan_refused", "can't export"),
    ],
)
async def test_a_refused_chat_turn_is_worded_for_the_chat_turn(
    rig: Rig, fault: str, wrong: str
) -> None:
    await say(rig, "hello")
    rig.emulator.set_fault(fault)
    await say(rig, GENERATE)

    final = rig.port.messages[-1].text
    assert "NemoVideo" in final
    assert wrong not in final.lower(), "worded as if a file or an export were refused"
    assert rig.port.messages[-1].actions == (), "no Retry that cannot work"
    zh = Wording("zh")
    chinese = {zh.error(e, doing=Doing.CHAT) for e in (UnsupportedFile(), FileTooLarge(),
                                                         ExportBlocked())}
    assert len(chinese) == 3 and all("请求" in text for text in chinese)


@pytest.mark.parametrize(
    "text", ["   ", "** **", "|| ||", "`` ``", "\u200b", "<@123456789012345678>", "> ", "@here"]
)
async def test_a_message_with_nothing_visible_never_starts_a_paid_turn(
    rig: Rig, text: str
) -> None:
    await say(rig, "hello")
    turns = rig.emulator.state.counters.turns
    await say(rig, text)

    assert rig.emulator.state.counters.turns == turns
    assert rig.port.messages[-1].text == EN.say_what()


@pytest.mark.parametrize("emulator_config", [fast_config(turn_scale=0.01)])
async def test_reset_during_a_turn_is_refused_and_the_turn_never_lands_in_a_fresh_session(
    rig: Rig,
) -> None:
    await say(rig, "hello")
    old = await rig.store.get_conversation(KEY)
    turn = asyncio.create_task(say(rig, GENERATE))
    await rig.port.wait_for(lambda: len(rig.port.messages) >= 2)

    refused = await rig.engine.reset(KEY, owner_id=1)
    await turn

    assert refused == EN.reset_busy()
    now = await rig.store.get_conversation(KEY)
    assert old and now and now.session_id == old.session_id
    assert EN.session_reset() not in rig.port.texts()
    assert await rig.engine.reset(KEY, owner_id=1) is None, "once the turn is done, it resets"



class QueuedFirstPost(MemoryPort):
    """Keeps the first post waiting, as a busy bot's shared Discord budget does, until
    NemoVideo has streamed the whole reply (the turn's credits are settled)."""

    def __init__(self, emulator: RunningEmulator) -> None:
        super().__init__()
        self.emulator = emulator
        self.held = True

    async def send(self, conversation: str, text: Text, **options: Any) -> str:
        if self.held:
            self.held = False
            await asyncio.wait_for(self._stream_over(), 10)
        return await super().send(conversation, text, **options)

    async def _stream_over(self) -> None:
        state = self.emulator.state
        while True:  # the emulator has no event for a settled turn: look every 10 ms
            if state.counters.turns and not any(u.frozen for u in state.users.values()):
                return
            await asyncio.sleep(0.01)


@pytest.mark.parametrize("emulator_config", [fast_config(turn_scale=0.004)])
async def test_a_turn_streams_while_its_first_message_waits_for_the_platform(
    make_rig: Callable[..., Any], emulator: RunningEmulator
) -> None:
    port = QueuedFirstPost(emulator)
    async with make_rig(port=port, nemo_token=registered_token()) as rig:
        await say(rig, GENERATE)  # under the old order the post waited for nothing: a timeout
        turn = await rig.store.get_turn(1)

    (reply,) = port.messages
    assert not reply.versions[0].startswith(EN.thinking()), (
        "the post, once its turn came, showed the streamed reply, not the placeholder"
    )
    assert reply.actions == (Action.EXPORT, Action.TIMELINE)
    assert turn is not None and turn.status_message_id == reply.id, (
        "the turn records its message once posted: a restart resumes the turn in it"
    )
