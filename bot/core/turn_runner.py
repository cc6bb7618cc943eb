"""One chat turn: stream the backend's reply into a live message, and recover from failure.

The user's message is sent to `/run_sse` exactly once. If the stream breaks, or the bot
restarts in the middle of a turn, the session state is read instead (re-sending would
charge twice). Error handling follows the brief's table; the words come from `Wording`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.core.gui_phrases import GuiTranslator
from bot.core.live import LiveReply, live_status
from bot.core.port import Action, ChatPort
from bot.core.recovery import (
    Attempts,
    Recovery,
    chat_actions_after,
    recovery_for,
    wait_seconds,
)
from bot.core.stall_timer import StallTimer
from bot.core.state_fingerprint import fingerprint_state
from bot.core.timings import Timings
from bot.core.turn_stop import TurnStop, TurnStopped
from bot.core.wording import Doing, Explain, Wording
from bot.nemo.client import NemoClient
from bot.nemo.draft import timeline_summary
from bot.nemo.errors import (
    NemoError,
    SessionNotFound,
    StreamDropped,
    UnexpectedResponse,
    error_from_response,
)
from bot.nemo.events import StreamError, TextEvent, ToolCall
from bot.nemo.models import SessionState

#: Creates and binds a new session when NemoVideo lost the old one; returns its id.
SessionLost = Callable[[], Awaitable[str]]

log = logging.getLogger(__name__)


#: Backend noise the brief says to drop when the turn already produced normal text.
TEMPORARY_ISSUE_MARKERS = ("encountered a temporary issue", "遇到了临时问题", "遇到临时问题")


@dataclass
class TurnOutcome:
    """What happened, for the caller (logs, buttons, tests)."""

    text: str = ""
    tools: list[str] = field(default_factory=list)
    error: NemoError | None = None
    changed: bool | None = None
    exportable: bool = False
    #: The stream was closed on request (a cancel); the state was read afterwards.
    cancelled: bool = False


class TurnRunner:
    """Runs chat turns for the engine. Stateless between turns; built once at start-up."""

    def __init__(
        self,
        client: NemoClient,
        port: ChatPort,
        timings: Timings,
        explain: Explain,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._port = port
        self._timings = timings
        self._explain = explain
        self._clock = clock

    async def run(
        self,
        conversation: str,
        session_id: str,
        text: str,
        wording: Wording,
        *,
        before: SessionState | None,
        reply: LiveReply,
        on_session_lost: SessionLost,
        stop: TurnStop | None = None,
    ) -> TurnOutcome:
        """Stream one turn into `reply`; `before` is the state read just before sending.

        `on_session_lost` creates and binds a new session (1002) and returns its id.
        Errors that end the turn are shown in `reply` and returned in the outcome. A
        `stop` request closes the stream: NemoVideo may still finish the edit, so the
        state is then read as after a dropped stream (the message is never sent again).
        """
        outcome = TurnOutcome()
        attempts = Attempts()
        stop = stop or TurnStop(None)
        try:
            while True:
                try:
                    async with stop.scope():
                        await self._stream(session_id, text, wording, reply, outcome)
                    break
                except TurnStopped as stopped:
                    if not stopped.sent:
                        return await self._stopped_unsent(reply, wording, text, outcome)
                    log.info("turn in %s cancelled: its stream was closed", conversation)
                    outcome.cancelled = True
                    break
                except StreamDropped as exc:
                    log.warning("stream dropped in %s: %r", conversation, exc)
                    outcome.error = exc
                    break
                except NemoError as exc:
                    step = attempts.next(exc)
                    # Each recovery once, and only before anything of the turn arrived.
                    if outcome.text or outcome.tools:
                        return await self._fail(reply, wording, outcome, exc)
                    if step is Recovery.WAIT:
                        wait = wait_seconds(exc, self._timings)
                        await reply.show_now(wording.rate_limited_retrying(wait))
                        try:
                            async with stop.scope(sending=False):
                                await asyncio.sleep(wait)
                        except TurnStopped:  # refused (429), then cancelled: nothing went out
                            return await self._stopped_unsent(reply, wording, text, outcome)
                    elif step is Recovery.NEW_SESSION:
                        session_id = await on_session_lost()
                        before = None
                        lost = await self._explain(exc, wording, Doing.CHAT)
                        await self._port.send(conversation, lost)
                    else:
                        return await self._fail(reply, wording, outcome, exc)
        finally:
            stop.over()

        if outcome.cancelled or outcome.error is not None:
            # The stream was closed on request, or broke, or reported an unknown error.
            if outcome.cancelled:
                notice = wording.turn_cancelled_checking()
            else:
                notice = await self._explain(StreamDropped(), wording, Doing.CHAT)
            baseline = _fingerprint_of(before)
            return await self.recover(
                session_id, wording, baseline, reply, outcome, notice, on_session_lost
            )
        try:
            state = await self._read_state(session_id)
        except SessionNotFound as exc:  # gone right after the turn: nothing to show of it
            return await self._session_gone(reply, wording, outcome, exc, on_session_lost)
        if state is not None:
            outcome.exportable = state.draft.is_exportable
            if before is not None:
                outcome.changed = fingerprint_state(state) != fingerprint_state(before)
        if outcome.text:
            final = outcome.text
        elif state is None:
            final = wording.turn_no_change()
        elif outcome.changed is None:  # no earlier state to compare with: just show it
            final = wording.status(timeline_summary(state.draft))
        elif outcome.changed:
            final = wording.turn_no_text(timeline_summary(state.draft))
        else:
            final = wording.turn_no_change()
        actions = (Action.EXPORT, Action.TIMELINE) if outcome.exportable else ()
        await reply.finish(final, actions)
        return outcome

    async def _stream(
        self,
        session_id: str,
        text: str,
        wording: Wording,
        reply: LiveReply,
        outcome: TurnOutcome,
    ) -> None:
        status = wording.thinking()
        stall = StallTimer(self._clock, self._timings.still_working_seconds)
        said: list[str] = []  # finished messages from the agent
        current = ""  # a message still arriving in partial chunks

        translator = GuiTranslator(wording.language)

        def body() -> str:
            # Only the part after the last finished sentence is translated again: a GUI
            # phrase may straddle two streamed chunks, the reply before it is settled.
            joined = "\n\n".join(part for part in (*said, current.strip()) if part)
            return translator.translate(joined)

        started = time.time()

        def render() -> str:
            text = outcome.text  # body() as of the last text event
            line = live_status(self._port, status, started)
            return f"{text}\n\n{line}" if text and line else text or line

        def close_current() -> None:
            nonlocal current
            if current.strip():
                said.append(current.strip())
            current = ""

        async def stall_watch() -> None:
            nonlocal status
            while True:
                await asyncio.sleep(stall.seconds_until_due())
                if stall.due():
                    stall.notice_shown()
                    status = wording.still_working(round(stall.silent_seconds / 60))
                    reply.show(render())

        stall_task = asyncio.create_task(stall_watch(), name="stall-watch")
        try:
            async for event in self._client.stream_chat(session_id, text):
                if isinstance(event, TextEvent):
                    if _is_noise(event.text) and (said or current):
                        continue
                    current += event.text
                    if not event.partial:
                        close_current()
                    stall.text_arrived()
                    status = ""
                    outcome.text = body()
                elif isinstance(event, ToolCall):
                    close_current()
                    outcome.tools.append(event.name)
                    status = wording.tool_status(event.name)
                elif isinstance(event, StreamError):
                    known = _known_error(event)
                    if known is not None:
                        raise known
                    log.warning("stream error event (%d chars)", len(event.message))
                    outcome.error = StreamDropped(event.message)
                    continue
                else:
                    continue
                reply.show(render())
        finally:
            stall_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await stall_task

    async def recover(
        self,
        session_id: str,
        wording: Wording,
        baseline: str | None,
        reply: LiveReply,
        outcome: TurnOutcome,
        notice: str,
        on_session_lost: SessionLost,
    ) -> TurnOutcome:
        """The brief's disconnect recovery: never re-send; watch the state for a change.

        `notice` says what happened (a dropped stream, a restart). `baseline` is the state
        fingerprint from before the turn; when it is unknown, the first state that can be
        read is shown as it is, without claiming that anything changed. A session NemoVideo
        no longer knows ends the watch at once, as in a live turn: a new one is bound. A
        cancelled turn (`outcome.cancelled`) says so in what it finds.
        """
        await reply.show_now(_join(outcome.text, notice))
        await asyncio.sleep(self._timings.recovery_first_check_seconds)
        unchanged = 0
        while True:
            try:
                state = await self._read_state(session_id, quiet=unchanged > 0)
            except SessionNotFound as exc:
                return await self._session_gone(reply, wording, outcome, exc, on_session_lost)
            if state is not None and (baseline is None or fingerprint_state(state) != baseline):
                outcome.changed = True if baseline is not None else None
                outcome.exportable = state.draft.is_exportable
                summary = timeline_summary(state.draft)
                if baseline is None:
                    said = wording.status(summary)
                elif outcome.cancelled:
                    said = wording.turn_cancelled_changed(summary)
                else:
                    said = wording.recovery_changed(summary)
                actions = (Action.EXPORT, Action.TIMELINE) if outcome.exportable else ()
                await reply.finish(_join(outcome.text, said), actions)
                return outcome
            unchanged += 1
            if unchanged >= self._timings.recovery_max_unchanged_checks:
                outcome.changed = False
                # The message may have gone through: sending it again is the user's call.
                unchanged_words = (
                    wording.turn_cancelled_unchanged()
                    if outcome.cancelled
                    else wording.recovery_gave_up()
                )
                gave_up = _join(outcome.text, unchanged_words)
                await reply.finish(gave_up, (Action.TIMELINE,))
                return outcome
            await asyncio.sleep(self._timings.recovery_interval_seconds)

    async def _read_state(self, session_id: str, *, quiet: bool = False) -> SessionState | None:
        """The session's state, or None when it cannot be read now (`recovery_for`: a
        rate limit or an outage is waited out by the caller's next check). A lost session
        raises SessionNotFound: no later check can find it. `quiet` keeps repeated checks
        out of the log but the first."""
        try:
            return await self._client.fetch_state(session_id)
        except NemoError as exc:
            if recovery_for(exc) is Recovery.NEW_SESSION:
                raise
            log.log(logging.DEBUG if quiet else logging.WARNING, "state check failed: %r", exc)
            return None

    async def _session_gone(
        self,
        reply: LiveReply,
        wording: Wording,
        outcome: TurnOutcome,
        exc: SessionNotFound,
        on_session_lost: SessionLost,
    ) -> TurnOutcome:
        """NemoVideo lost the session mid-turn: bind a new one and say so, in one line
        (or, when no new one can be made now, say why; the next message tries again)."""
        outcome.error = exc
        outcome.changed = None
        try:
            await on_session_lost()
        except NemoError as failure:
            outcome.error = failure
        said = await self._explain(outcome.error, wording, Doing.CHAT)
        await reply.finish(_join(outcome.text, said))
        return outcome

    async def _stopped_unsent(
        self, reply: LiveReply, wording: Wording, text: str, outcome: TurnOutcome
    ) -> TurnOutcome:
        """Cancelled before the message went out: nothing to read, it was simply not sent."""
        outcome.cancelled = True
        outcome.changed = False
        await reply.finish(wording.message_dropped(text))
        return outcome

    async def _fail(
        self, reply: LiveReply, wording: Wording, outcome: TurnOutcome, exc: NemoError
    ) -> TurnOutcome:
        outcome.error = exc
        message = await self._explain(exc, wording, Doing.CHAT)
        await reply.finish(_join(outcome.text, message), chat_actions_after(exc))
        return outcome


def _fingerprint_of(state: SessionState | None) -> str | None:
    return fingerprint_state(state) if state is not None else None


def _is_noise(text: str) -> bool:
    lowered = text.lower()
    return any(marker in lowered for marker in TEMPORARY_ISSUE_MARKERS)


def _join(first: str, second: str) -> str:
    return f"{first}\n\n{second}" if first else second


def _known_error(event: StreamError) -> NemoError | None:
    """A stream error event with a business code we know (e.g. 2001): raised as such."""
    if event.code is None:
        return None
    error = error_from_response(200, {"code": event.code, "message": event.message})
    return None if error is None or isinstance(error, UnexpectedResponse) else error
