"""Exports, end to end: submit, poll, deliver as a file or a link, survive a restart."""

from __future__ import annotations

import asyncio
import dataclasses
from typing import Any

import pytest

from bot.core.port import Action
from bot.core.records import RenderState
from bot.core.timings import RenderPolls, Timings
from bot.core.wording import Wording
from bot.nemo.errors import ExportBlocked, RenderFailed
from tests.engine.conftest import FAST, KEY, Rig, fast_config, registered_token
from tests.engine.memport import MemoryPort
from tests.engine.test_turns import GENERATE, say

EN = Wording("en")
REQUESTER = 42


def poll_times(timings: Timings, until: float) -> list[float]:
    """When the default schedule polls a render, in seconds after it was submitted."""
    polls, at, delay = [], 0.0, timings.render_first_poll_seconds
    while at < until:
        at += delay
        polls.append(at)
        delay = timings.next_render_poll(delay, at)
    return polls


def test_a_finished_render_waits_for_its_poll_at_most_a_tenth_of_its_render_time() -> None:
    # At 1.6× up to 30 s, a 60 s render was seen 17 s after it finished (bench/B4).
    timings = Timings()
    polls = poll_times(timings, timings.render_give_up_seconds)
    for finished in (n / 4 for n in range(1, 4 * 20 * 60)):  # every 0.25 s up to 20 min
        seen = next(at for at in polls if at >= finished)
        allowed = max(timings.render_first_poll_seconds, timings.render_poll_share * finished)
        assert seen - finished <= allowed, (finished, seen)
    # What that costs: polls until a typical render (30 s to 2 min) is seen.
    assert len([at for at in polls if at <= 30]) <= 10
    assert len([at for at in polls if at <= 120]) <= 25


def seen_after(timings: Timings, render_seconds: float, stuck_at_99: float = 0.0) -> tuple[
    float, int
]:
    """(how long after it finished, polls) until the schedule sees a render done whose
    progress rises steadily as the emulator's does (pending for its first 15 %, then 10
    to 99 %), then stays at 99 % for `stuck_at_99` seconds."""
    polls, at = RenderPolls(timings), 0.0
    done = render_seconds + stuck_at_99
    count = 0
    while True:
        at += polls.delay
        count += 1
        if at >= done:
            return at - done, count
        polls.waited(at)
        if at >= 0.15 * render_seconds:
            share = min(1.0, at / render_seconds)
            polls.rendering(at, max(10, min(99, int(10 + 89 * share))))


def test_a_render_whose_progress_rises_is_seen_soon_after_it_finishes() -> None:
    # B4: with the waits alone, a 5 s render was seen 1 s late, a 15 s one up to 3 s.
    timings = Timings()
    for render_seconds in (n / 2 for n in range(8, 2 * 20 * 60)):  # 4 s to 20 min
        late, _ = seen_after(timings, render_seconds)
        allowed = max(timings.render_poll_min_seconds, 0.025 * render_seconds)
        assert late <= allowed, (render_seconds, late)
    assert seen_after(timings, 30)[1] <= 10  # no more polls than the waits alone make
    assert seen_after(timings, 120)[1] <= 25


def test_a_render_stuck_at_99_percent_is_not_polled_every_half_second() -> None:
    timings = Timings()
    _, polls = seen_after(timings, 30, stuck_at_99=120)
    # The waits grow again: a few polls more than the waits alone make in 150 s (27),
    # not one every half second (240 in the last 120 s).
    assert polls <= len(poll_times(timings, 150)) + 5


async def generated(rig: Rig) -> None:
    await say(rig, GENERATE)
    assert rig.port.messages[-1].actions == (Action.EXPORT, Action.TIMELINE)


async def test_export_delivers_the_mp4_as_a_file_and_pings_the_requester(rig: Rig) -> None:
    await generated(rig)
    await say(rig, "export", author=REQUESTER)
    await rig.engine.drain()

    [delivered] = rig.port.files()
    assert delivered.file_bytes is not None and delivered.file_bytes[4:8] == b"ftyp"
    assert delivered.ping_user == REQUESTER
    others = [m for m in rig.port.messages if m is not delivered]
    assert all(m.ping_user is None for m in others), "only the completion message pings"
    [render] = await rig.store.get_unfinished_renders() or [None]
    assert render is None, "nothing left to resume"


async def test_progress_is_shown_while_the_render_runs(make_rig: Any) -> None:
    async with make_rig(nemo_token=registered_token()) as rig:
        await generated(rig)
        await say(rig, "导出")
        await rig.engine.drain()
        # The status counted up while it ran, and went once the video was posted.
        [started] = rig.port.deleted
        assert started.versions[0].startswith(EN.render_started())
        assert len(started.versions) >= 2
        assert not any(m.versions[0].startswith(EN.render_started()) for m in rig.port.messages)


async def test_a_render_too_big_for_the_channel_is_posted_as_a_link(make_rig: Any) -> None:
    port = MemoryPort(upload_limit=1000)
    async with make_rig(port=port, nemo_token=registered_token()) as rig:
        await generated(rig)
        await say(rig, "send me the video", author=REQUESTER)
        await rig.engine.drain()

    assert port.files() == []
    link = next(
        m
        for m in port.messages
        if "/files/" in m.text or ("http" in m.text and m.ping_user == REQUESTER)
    )
    assert link.ping_user == REQUESTER
    assert rig.emulator.url in link.text


async def test_nothing_to_export_is_refused_kindly(rig: Rig) -> None:
    await say(rig, "export")
    assert rig.port.messages[-1].text == EN.nothing_to_export()
    assert rig.emulator.state.counters.renders == 0


async def test_export_blocked_by_the_plan_is_not_called_a_credits_problem(rig: Rig) -> None:
    await generated(rig)
    rig.emulator.set_fault("export_blocked")
    await say(rig, "export")
    await rig.engine.drain()

    final = rig.port.messages[-1].text
    assert final == EN.error(ExportBlocked())
    assert "upgrade" in final.lower() and "register" in final.lower()
    assert "top up" not in final.lower()
    assert rig.port.messages[-1].actions == (), "retrying cannot change the plan"
    assert await rig.store.get_unfinished_renders() == []


async def test_a_duplicate_render_id_is_retried_once_with_a_new_id(rig: Rig) -> None:
    await generated(rig)
    rig.emulator.set_fault("duplicate_render_id")
    await say(rig, "export")
    await rig.engine.drain()
    assert len(rig.port.files()) == 1


async def test_a_failed_render_says_so_and_offers_retry(rig: Rig) -> None:
    await generated(rig)
    rig.emulator.set_fault("render_failure")
    await say(rig, "export", author=REQUESTER)
    await rig.engine.drain()

    final = rig.port.messages[-1]
    assert final.text.startswith(EN.error(RenderFailed()).split("—")[0][:20])
    assert final.actions == (Action.RETRY_EXPORT,)
    assert rig.port.files() == []


@pytest.mark.parametrize("emulator_config", [fast_config(render_seconds=0.6)])
async def test_a_restart_mid_render_delivers_it_once(make_rig: Any) -> None:
    port = MemoryPort()
    async with make_rig(port=port, nemo_token=registered_token()) as rig:
        await generated(rig)
        await say(rig, "export", author=REQUESTER)
        [pending] = await rig.store.get_unfinished_renders()
    # The process is gone; the render goes on at NemoVideo.
    assert port.files() == []

    async with make_rig(port=port, nemo_token=registered_token()) as rig:
        await asyncio.gather(rig.engine.resume(), rig.engine.resume())
        await rig.engine.drain()
        render = await rig.store.get_render(pending.render_id)

    assert len(port.files()) == 1, "delivered exactly once"
    assert port.files()[0].ping_user == REQUESTER
    assert render is not None and render.delivered_at is not None
    assert render.status is RenderState.DELIVERED


async def test_resuming_again_after_delivery_posts_nothing(make_rig: Any) -> None:
    port = MemoryPort()
    async with make_rig(port=port, nemo_token=registered_token()) as rig:
        await generated(rig)
        await say(rig, "export")
        await rig.engine.drain()
    async with make_rig(port=port, nemo_token=registered_token()) as rig:
        before = len(port.messages)
        await rig.engine.resume()
        await rig.engine.drain()
    assert len(port.messages) == before
    assert KEY


@pytest.mark.parametrize("emulator_config", [fast_config(render_seconds=5.0)])
async def test_a_render_that_never_finishes_is_given_up_with_a_clear_message(
    make_rig: Any,
) -> None:
    from dataclasses import replace

    from tests.engine.conftest import FAST

    impatient = replace(FAST, render_give_up_seconds=0.3)
    async with make_rig(nemo_token=registered_token(), timings=impatient) as rig:
        await generated(rig)
        await say(rig, "export", author=REQUESTER)
        await rig.engine.drain()
        assert rig.port.messages[-1].text == EN.render_gave_up()
        assert rig.port.messages[-1].actions == (Action.RETRY_EXPORT,)
        assert await rig.store.get_unfinished_renders() == [], "not resumed after a restart"


async def test_stopping_in_the_middle_of_posting_the_video_delivers_it_after_the_restart(
    make_rig: Any,
) -> None:
    held = MemoryPort()
    held.hold_files = asyncio.Event()  # never set: the post is still going on at shutdown
    async with make_rig(port=held, nemo_token=registered_token()) as rig:
        await generated(rig)
        await say(rig, "export", author=REQUESTER)
        await asyncio.wait_for(held.file_started.wait(), 10)
    assert held.files() == []

    port = MemoryPort()
    async with make_rig(port=port, nemo_token=registered_token()) as rig:
        await rig.engine.resume()
        await rig.engine.drain()
    assert len(port.files()) == 1
    assert port.files()[0].ping_user == REQUESTER


async def test_a_stop_while_the_video_is_being_posted_lets_the_post_finish(
    make_rig: Any,
) -> None:
    held = MemoryPort()
    held.hold_files = asyncio.Event()
    patient = dataclasses.replace(FAST, shutdown_delivery_grace_seconds=30.0)
    async with make_rig(port=held, timings=patient, nemo_token=registered_token()) as rig:
        await generated(rig)
        await say(rig, "export", author=REQUESTER)
        await asyncio.wait_for(held.file_started.wait(), 10)
        stopping = asyncio.create_task(rig.engine.renders.finish_deliveries())
        await asyncio.sleep(0)  # the shutdown has begun: it waits for the post
        held.hold_files.set()
        await stopping
        render = await rig.store.get_latest_render(KEY)
    assert len(held.files()) == 1
    assert render is not None and render.status is RenderState.DELIVERED


async def test_a_failure_after_the_video_was_posted_never_posts_it_twice(make_rig: Any) -> None:
    port = MemoryPort()
    async with make_rig(port=port, nemo_token=registered_token()) as rig:
        await generated(rig)
        port.broken_edits = True  # the progress message cannot be updated any more
        await say(rig, "export")
        await rig.engine.drain()
    port.broken_edits = False
    async with make_rig(port=port, nemo_token=registered_token()) as rig:
        await rig.engine.resume()
        await rig.engine.drain()
    assert len(port.files()) == 1


async def test_a_429_while_checking_on_a_render_is_waited_out(rig: Rig) -> None:
    await generated(rig)
    await say(rig, "export", author=REQUESTER)  # submitted; the watcher checks soon
    rig.emulator.set_fault("rate_limited")
    await rig.engine.drain()

    assert len(rig.port.files()) == 1
    assert not any("busy" in t.lower() for t in rig.port.texts())


@pytest.mark.parametrize("emulator_config", [fast_config(render_seconds=0.5)])
async def test_two_exports_at_once_make_one_render(rig: Rig) -> None:
    await generated(rig)
    await asyncio.gather(say(rig, "export"), say(rig, "export", author=REQUESTER))
    await rig.engine.drain()

    assert len(rig.port.files()) == 1
    assert rig.emulator.state.counters.renders == 1
    assert EN.render_already_running() in rig.port.texts()


@pytest.mark.parametrize("emulator_config", [fast_config(render_seconds=0.5)])
async def test_a_deleted_progress_message_is_replaced_once(rig: Rig) -> None:
    await generated(rig)
    await say(rig, "export")
    started = next(m for m in rig.port.messages if m.text.startswith(EN.render_started()))
    rig.port.gone.add(started.id)
    await rig.engine.drain()

    progress = [m for m in rig.port.messages if "🎞️" in m.text and m is not started]
    assert len(progress) <= 1, "one replacement, then it is edited"
    assert len(rig.port.files()) == 1


async def test_export_while_the_session_is_still_being_created_waits_for_it(rig: Rig) -> None:
    """`/export` straight after `/video`: the thread's session is not there yet."""
    from bot.core.port import IncomingMessage

    gate = asyncio.Event()
    rig.emulator.state.session_gate = gate  # NemoVideo takes its time creating it
    begin = asyncio.create_task(rig.engine.begin(IncomingMessage(KEY, 1, GENERATE)))
    await asyncio.sleep(0)
    assert rig.engine.is_starting(KEY), "begin marks the session as being created at once"
    export = asyncio.create_task(rig.engine.export(KEY, 1))
    status = asyncio.create_task(rig.engine.status_text(KEY))
    await asyncio.sleep(0.2)
    assert not export.done() and not status.done(), "they wait instead of saying 'no session'"

    gate.set()
    await asyncio.gather(begin, export)
    await rig.engine.drain()

    assert EN.nothing_to_export() not in rig.port.texts()
    assert "Timeline (" in await status
    assert rig.emulator.state.counters.renders == 1
    assert rig.port.files(), "the video was delivered"


@pytest.mark.parametrize("emulator_config", [fast_config(render_seconds=1.0)])
async def test_reset_during_a_render_is_refused_so_the_video_never_lands_in_a_fresh_session(
    rig: Rig,
) -> None:
    await generated(rig)
    old = await rig.store.get_conversation(KEY)
    await rig.engine.export(KEY, REQUESTER)
    assert await rig.engine.renders.is_rendering(KEY)

    refused = await rig.engine.reset(KEY, owner_id=1)
    await rig.engine.drain()

    assert refused == EN.reset_while_rendering()
    now = await rig.store.get_conversation(KEY)
    assert old and now and now.session_id == old.session_id
    assert rig.port.files(), "the render of this session was delivered in it"
    assert EN.session_reset() not in rig.port.texts()
