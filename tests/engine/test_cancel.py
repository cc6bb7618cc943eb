"""Cancelling a render by typing "cancel" / "取消": stopped at NemoVideo, never posted."""

from __future__ import annotations

import pytest

from bot.core.port import Action
from bot.core.records import RenderState
from bot.core.wording import Wording
from tests.engine.conftest import KEY, Rig
from tests.engine.test_exports import REQUESTER, generated
from tests.engine.test_turns import say

EN = Wording("en")


async def _rendering(rig: Rig) -> str:
    """Export a render that takes long; the id of its live status (with Cancel under it)."""
    rig.emulator.state.config.render_seconds = 30.0
    await generated(rig)
    await say(rig, "export", author=REQUESTER)
    status = rig.port.find(EN.render_started())
    assert status is not None and status.actions == (Action.CANCEL,)
    await rig.port.wait_for(lambda: rig.emulator.state.counters.renders == 1)
    return status.id


@pytest.mark.parametrize("typed", ["cancel", "Cancel the render please", "取消"])
async def test_typing_cancel_stops_the_render_and_nothing_is_ever_posted(
    rig: Rig, typed: str
) -> None:
    status_id = await _rendering(rig)

    await say(rig, typed, author=REQUESTER)
    [render] = rig.emulator.state.renders.values()
    render.cancelled_at = None  # as if NemoVideo finished it anyway
    render.duration_seconds = 0.0
    assert await rig.engine.renders.resume() == 0  # a restart picks nothing up
    await rig.engine.drain()

    assert rig.port.messages[-1].text == EN.cancel_done()
    assert rig.port.by_id(status_id).text == EN.render_cancelled()
    assert rig.port.by_id(status_id).actions == ()
    assert rig.port.files() == []
    assert not any("/files/" in m.text for m in rig.port.messages)
    stored = await rig.store.get_latest_render(KEY)
    assert stored is not None and stored.status is RenderState.CANCELLED
    cancels = [r for r in rig.emulator.state.requests if r.path.endswith("/cancel")]
    assert len(cancels) == 1


async def test_someone_else_typing_cancel_is_refused_and_the_render_goes_on(rig: Rig) -> None:
    await _rendering(rig)

    await say(rig, "cancel", author=REQUESTER + 1)

    assert rig.port.messages[-1].text == EN.cancel_not_yours()
    stored = await rig.store.get_latest_render(KEY)
    assert stored is not None and stored.status.in_flight
    assert not [r for r in rig.emulator.state.requests if r.path.endswith("/cancel")]


async def test_cancel_with_nothing_running_is_no_chat_turn(rig: Rig) -> None:
    await generated(rig)
    turns = rig.emulator.state.counters.turns

    await say(rig, "cancel")

    assert rig.port.messages[-1].text == EN.cancel_nothing()
    assert rig.emulator.state.counters.turns == turns
