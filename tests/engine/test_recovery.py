"""The one recovery policy, and what it means for a user: lost sessions, cut-off turns."""

from __future__ import annotations

import logging

import pytest

from bot.core.port import Action, IncomingMessage
from bot.core.recovery import Attempts, Recovery, chat_actions_after, recovery_for, wait_seconds
from bot.core.state_fingerprint import fingerprint_state
from bot.core.timings import Timings
from bot.core.wording import Wording
from bot.nemo.errors import (
    ExportBlocked,
    InsufficientCredits,
    NemoError,
    RateLimited,
    RequestNotSent,
    ServiceTimeout,
    ServiceUnavailable,
    SessionNotFound,
    StreamDropped,
    TokenInvalid,
    UnsupportedFile,
)
from tests.engine.conftest import KEY, registered_token
from tests.engine.memport import MemoryPort

EN = Wording("en")
TIMINGS = Timings()


@pytest.mark.parametrize(
    ("error", "recovery", "actions"),
    [
        (SessionNotFound(), Recovery.NEW_SESSION, ()),
        (RateLimited(retry_after=5), Recovery.WAIT, ()),
        (ServiceUnavailable(), Recovery.LATER, ()),
        (ServiceTimeout(), Recovery.LATER, ()),
        (RequestNotSent(), Recovery.LATER, (Action.RESEND,)),
        (InsufficientCredits(), Recovery.STOP, (Action.ADD_CREDITS,)),
        (ExportBlocked(), Recovery.STOP, ()),
        (UnsupportedFile(), Recovery.STOP, ()),
        (TokenInvalid(), Recovery.STOP, ()),
        (StreamDropped(), Recovery.STOP, ()),
    ],
)
def test_the_recovery_table(
    error: NemoError, recovery: Recovery, actions: tuple[Action, ...]
) -> None:
    assert recovery_for(error) is recovery
    assert chat_actions_after(error) == actions
    attempts = Attempts()
    assert attempts.next(error) is recovery
    assert attempts.next(error) is Recovery.STOP, "each recovery at most once per call"
    waits = wait_seconds(error, TIMINGS)
    assert waits == (TIMINGS.rate_limit_retry_seconds if recovery is Recovery.WAIT else 0)


@pytest.mark.parametrize(("asked", "waited"), [(0, 30), (5, 30), (90, 90), (10_000, 300)])
def test_a_rate_limit_waits_retry_after_within_bounds(asked: float, waited: float) -> None:
    assert wait_seconds(RateLimited(retry_after=asked), TIMINGS) == waited


async def test_a_resumed_turn_whose_session_is_gone_binds_a_new_one_in_one_sentence(
    make_rig,  # type: ignore[no-untyped-def]
    caplog: pytest.LogCaptureFixture,
) -> None:
    port = MemoryPort()
    async with make_rig(port=port, nemo_token=registered_token()) as rig:
        await rig.engine.handle(IncomingMessage(KEY, 1, "hello"))
        old = await rig.store.get_conversation(KEY)
        assert old is not None
        before = await rig.engine._client.fetch_state(old.session_id)
        status_id = await port.send(KEY, EN.thinking())
        # What a process killed mid-turn leaves behind; then NemoVideo forgets the session.
        await rig.store.start_turn(
            KEY, author_id=1, status_message_id=status_id,
            state_fingerprint=fingerprint_state(before),
        )
        del rig.emulator.state.sessions[old.session_id]
        turns_before = rig.emulator.state.counters.turns

    caplog.set_level(logging.INFO)
    async with make_rig(port=port, nemo_token=registered_token()) as rig:
        await rig.engine.resume()
        await rig.engine.drain()
        new = await rig.store.get_conversation(KEY)
        assert await rig.store.get_unfinished_turns() == []
        assert rig.emulator.state.counters.turns == turns_before, "nothing was re-sent"

    assert new is not None and new.session_id != old.session_id, "a new session is bound"
    final = port.by_id(status_id).text
    assert final == EN.error(SessionNotFound())
    assert EN.recovery_gave_up() not in port.texts(), "no 'send it again'"
    assert final.count(".") + final.count("—") <= 2, "one sentence"
    warnings = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert warnings == [], [r.getMessage() for r in warnings]
