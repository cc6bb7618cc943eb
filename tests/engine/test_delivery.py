"""Delivering a finished render: told when it cannot be posted, a Retry that works, and a
delivery cut off by a kill that is made again without posting twice."""

from __future__ import annotations

from typing import Any

from bot.core.port import Action
from bot.core.records import RenderState
from bot.core.wording import Wording
from tests.core.raw_database import execute_raw
from tests.engine.conftest import KEY, Rig, registered_token
from tests.engine.memport import MemoryPort
from tests.engine.test_exports import REQUESTER, generated
from tests.engine.test_turns import say

EN = Wording("en")
FOREVER = -1  # an emulator fault armed until cleared


async def undelivered(rig: Rig) -> str:
    """Export while the MP4 cannot be downloaded; returns the render id."""
    await generated(rig)
    rig.emulator.set_fault("download_failure", FOREVER)
    await say(rig, "export", author=REQUESTER)
    await rig.engine.drain()
    rig.emulator.clear_faults()
    [render] = rig.emulator.state.renders
    return render


async def test_a_video_that_cannot_be_downloaded_is_reported_with_retry(rig: Rig) -> None:
    render_id = await undelivered(rig)

    told = rig.port.messages[-1]
    assert told.text.startswith("⚠️ Your video was rendered, but I couldn't post it here.")
    assert told.actions == (Action.RETRY_EXPORT,)
    assert told.ping_user == REQUESTER, "the requester hears about it"
    assert rig.port.files() == []
    render = await rig.store.get_render(render_id)
    assert render is not None and render.status is RenderState.UNDELIVERED
    assert render.attempts == 1 and render.error
    assert await rig.store.get_unfinished_renders() == []
    assert not await rig.engine.renders.is_rendering(KEY), "a new export may start"
    assert rig.engine.renders.undelivered == {render_id}


async def test_a_video_the_platform_refuses_is_reported_with_retry(make_rig: Any) -> None:
    port = MemoryPort()
    port.broken_files = True
    async with make_rig(port=port, nemo_token=registered_token()) as rig:
        await generated(rig)
        await say(rig, "export", author=REQUESTER)
        await rig.engine.drain()

    told = port.messages[-1]
    assert told.text.startswith(EN.render_undelivered(None)[:40])
    assert told.actions == (Action.RETRY_EXPORT,) and told.ping_user == REQUESTER
    assert port.files() == []


async def test_retry_posts_the_same_render_when_nemovideo_still_has_it(rig: Rig) -> None:
    render_id = await undelivered(rig)

    await rig.engine.retry_export(KEY, REQUESTER)
    await rig.engine.drain()

    [video] = rig.port.files()
    assert video.ping_user == REQUESTER and video.file_name == f"{render_id}.mp4"
    assert rig.emulator.state.counters.renders == 1, "not rendered (and charged) again"
    render = await rig.store.get_render(render_id)
    assert render is not None and render.status is RenderState.DELIVERED
    assert rig.engine.renders.undelivered == set()


async def test_retry_after_a_restart_posts_the_render(make_rig: Any) -> None:
    port = MemoryPort()
    async with make_rig(port=port, nemo_token=registered_token()) as rig:
        await undelivered(rig)
    async with make_rig(port=port, nemo_token=registered_token()) as rig:
        await rig.engine.resume()
        await rig.engine.drain()
        assert port.files() == [], "an undelivered render waits for Retry"
        await rig.engine.retry_export(KEY, REQUESTER)
        await rig.engine.drain()
    assert len(port.files()) == 1
    assert rig.emulator.state.counters.renders == 1


async def test_retry_renders_anew_when_the_mp4_is_gone(rig: Rig) -> None:
    render_id = await undelivered(rig)
    del rig.emulator.state.renders[render_id]  # NemoVideo no longer has it

    await rig.engine.retry_export(KEY, REQUESTER)
    await rig.engine.drain()

    [video] = rig.port.files()
    assert video.file_name != f"{render_id}.mp4"
    assert rig.emulator.state.counters.renders == 2


async def test_retry_under_a_failed_render_really_renders_again(rig: Rig) -> None:
    await generated(rig)
    rig.emulator.set_fault("render_failure")
    await say(rig, "export", author=REQUESTER)
    await rig.engine.drain()
    assert rig.port.messages[-1].actions == (Action.RETRY_EXPORT,)

    await rig.engine.retry_export(KEY, REQUESTER)
    await rig.engine.drain()

    assert len(rig.port.files()) == 1
    assert rig.emulator.state.counters.renders == 2


async def test_a_delivery_killed_after_its_post_landed_is_not_posted_twice(
    make_rig: Any,
) -> None:
    port = MemoryPort()
    async with make_rig(port=port, nemo_token=registered_token()) as rig:
        await generated(rig)
        await say(rig, "export", author=REQUESTER)
        await rig.engine.drain()
        database = rig.database
    assert len(port.files()) == 1
    # What a SIGKILL right after the post leaves: the row still says `delivering`, under
    # a lease that nobody renews (here: already run out).
    await execute_raw(
        database,
        "UPDATE renders SET status = 'delivering', delivered_at = NULL, lease_expires = NULL",
    )

    async with make_rig(port=port, nemo_token=registered_token()) as rig:
        await rig.engine.resume()
        await rig.engine.drain()
        [render] = [r for r in rig.emulator.state.renders]
        record = await rig.store.get_render(render)

    assert len(port.files()) == 1, "the repeated post was recognised by its nonce"
    assert record is not None and record.status is RenderState.DELIVERED


async def test_a_render_saved_but_never_submitted_is_submitted_at_the_next_start(
    make_rig: Any,
) -> None:
    port = MemoryPort()
    async with make_rig(port=port, nemo_token=registered_token()) as rig:
        await generated(rig)
        record = await rig.store.get_conversation(KEY)
        assert record is not None
        # What a kill between saving the render and submitting it leaves behind.
        saved = await rig.store.create_render(
            "render_cut_off_before_submit", KEY, session_id=record.session_id,
            requester_id=REQUESTER,
        )
    assert rig.emulator.state.counters.renders == 0

    async with make_rig(port=port, nemo_token=registered_token()) as rig:
        await rig.engine.resume()
        await rig.engine.drain()
        render = await rig.store.get_render(saved.render_id)

    [video] = port.files()
    assert video.file_name == f"{saved.render_id}.mp4" and video.ping_user == REQUESTER
    assert rig.emulator.state.counters.renders == 1
    assert render is not None and render.status is RenderState.DELIVERED
