"""Exports: submit a render, follow it to the end, deliver the MP4 exactly once.

Every render is persisted before it is polled, so a restart picks it up again
(`resume()`), and `Store.mark_delivered` makes delivery happen once even if two
watchers race. Polling starts fast and backs off to every 30 s; a render that takes
longer than `render_give_up_seconds` is reported as stuck rather than watched forever.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from bot.core.live import live_status
from bot.core.port import Action, ChatPort, MessageGone
from bot.core.store import Render, Store
from bot.core.timings import Timings
from bot.core.wording import Wording
from bot.nemo.client import NemoClient
from bot.nemo.errors import (
    ExportBlocked,
    NemoError,
    RenderFailed,
    ServiceUnavailable,
)
from bot.nemo.models import RenderJob, RenderStatus

log = logging.getLogger(__name__)

WordingFor = Callable[[str], Awaitable[Wording]]
Explain = Callable[[NemoError, Wording], Awaitable[str]]


def new_render_id() -> str:
    """A client-chosen render id, unique per attempt (the backend rejects duplicates)."""
    return f"render_{uuid.uuid4().hex}"


class RenderManager:
    """Starts, watches and delivers renders. Built once; one watcher task per render."""

    def __init__(
        self,
        client: NemoClient,
        store: Store,
        port: ChatPort,
        timings: Timings,
        *,
        wording_for: WordingFor,
        explain: Explain,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._client = client
        self._store = store
        self._port = port
        self._timings = timings
        self._wording_for = wording_for
        self._explain = explain
        self._clock = clock
        self._watchers: dict[str, asyncio.Task[None]] = {}

    async def export(self, conversation: str, session_id: str, requester_id: int | None) -> None:
        """Read the draft, refuse kindly if it is empty, else submit and start watching."""
        wording = await self._wording_for(conversation)
        try:
            state = await self._client.fetch_state(session_id)
        except NemoError as exc:
            await self._port.send(conversation, await self._explain(exc, wording))
            return
        if not state.draft.is_exportable:
            await self._port.send(conversation, wording.nothing_to_export())
            return

        message_id = await self._port.send(
            conversation, live_status(self._port, wording.render_started(), time.time())
        )
        render_id = new_render_id()
        try:
            await self._client.submit_render(render_id, session_id, state.draft)
        except ExportBlocked as exc:
            await self._edit(conversation, message_id, await self._explain(exc, wording))
            return
        except NemoError as first:
            log.warning("render submit failed (%r); retrying once with a new id", first)
            render_id = new_render_id()
            try:
                await self._client.submit_render(render_id, session_id, state.draft)
            except NemoError as exc:
                await self._edit(
                    conversation,
                    message_id,
                    await self._explain(exc, wording),
                    (Action.RETRY_EXPORT,),
                )
                return
        await self._store.create_render(
            render_id=render_id,
            conversation=conversation,
            requester_id=requester_id,
            message_id=message_id,
        )
        log.info("render %s submitted for %s", render_id, conversation)
        self._watch(render_id)

    async def resume(self) -> int:
        """Pick up every render that was in flight when the process stopped."""
        renders = await self._store.get_unfinished_renders()
        for render in renders:
            log.info("resuming render %s in %s", render.render_id, render.conversation)
            self._watch(render.render_id)
        return len(renders)

    async def wait_idle(self) -> None:
        """Wait until every watcher has finished (end of input in `nemobot chat`)."""
        while self._watchers:
            await asyncio.gather(*self._watchers.values(), return_exceptions=True)

    async def close(self) -> None:
        for task in self._watchers.values():
            task.cancel()
        await asyncio.gather(*self._watchers.values(), return_exceptions=True)
        self._watchers.clear()

    def _watch(self, render_id: str) -> None:
        if render_id in self._watchers:
            return
        task = asyncio.create_task(self._follow(render_id), name=f"render-{render_id}")
        self._watchers[render_id] = task
        task.add_done_callback(lambda _t: self._watchers.pop(render_id, None))

    async def _follow(self, render_id: str) -> None:
        render = await self._store.get_render(render_id)
        if render is None:
            return
        wording = await self._wording_for(render.conversation)
        started = self._clock()
        delay = self._timings.render_first_poll_seconds
        shown_progress = render.progress
        try:
            while True:
                await asyncio.sleep(delay)
                delay = min(
                    delay * self._timings.render_poll_backoff, self._timings.render_max_poll_seconds
                )
                try:
                    job = await self._client.fetch_render(render_id)
                except ServiceUnavailable as exc:
                    log.warning("render %s poll failed: %r", render_id, exc)
                    job = None
                except NemoError as exc:
                    await self._finish_failed(render, wording, await self._explain(exc, wording))
                    return
                if job is not None:
                    if job.status is RenderStatus.COMPLETED:
                        await self._store.update_render(
                            render_id,
                            status=job.status.value,
                            progress=100,
                            output_url=job.output_url,
                        )
                        await self._deliver(render, job, wording)
                        return
                    if job.status is RenderStatus.FAILED:
                        reason = job.error or ""
                        await self._finish_failed(
                            render,
                            wording,
                            await self._explain(RenderFailed(reason), wording),
                        )
                        return
                    if job.progress != shown_progress:
                        shown_progress = job.progress
                        await self._store.update_render(
                            render_id, status=job.status.value, progress=job.progress
                        )
                        if render.message_id:
                            await self._edit(
                                render.conversation,
                                render.message_id,
                                live_status(
                                    self._port,
                                    wording.render_progress(job.progress),
                                    render.created_at.timestamp(),
                                ),
                            )
                if self._clock() - started > self._timings.render_give_up_seconds:
                    await self._finish_failed(
                        render, wording, wording.render_gave_up(), status="gave_up"
                    )
                    return
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("render %s watcher crashed", render_id)

    async def _deliver(self, render: Render, job: RenderJob, wording: Wording) -> None:
        if not await self._store.mark_delivered(render.render_id):
            return  # someone else delivered it already
        conversation = render.conversation
        limit = await self._port.upload_limit_bytes(conversation)
        link = job.output_url
        try:
            if job.size_bytes is None or job.size_bytes <= limit:
                with tempfile.TemporaryDirectory(prefix="nemobot-render-") as folder:
                    path = await self._client.download_render(
                        job, Path(folder) / f"{render.render_id}.mp4"
                    )
                    if path.stat().st_size <= limit:
                        await self._port.send_file(
                            conversation,
                            path,
                            wording.render_done_file(link),
                            ping_user=render.requester_id,
                        )
                        await self._clear_progress(render, wording)
                        _log_end(render, "delivered as a file")
                        return
            if link is None:
                raise RenderFailed("the render has no download link")
            await self._port.send(
                conversation, wording.render_done_link(link), ping_user=render.requester_id
            )
            await self._clear_progress(render, wording)
            _log_end(render, "delivered as a link")
        except Exception:
            await self._store.unmark_delivered(render.render_id)
            raise

    async def _clear_progress(self, render: Render, wording: Wording) -> None:
        if render.message_id:
            await self._edit(render.conversation, render.message_id, wording.render_progress(100))

    async def _finish_failed(
        self, render: Render, wording: Wording, message: str, *, status: str = "failed"
    ) -> None:
        _log_end(render, status)
        await self._store.update_render(render.render_id, status=status, error=message)
        if not await self._store.mark_delivered(render.render_id):
            return
        await self._port.send(
            render.conversation,
            message,
            actions=(Action.RETRY_EXPORT,),
            ping_user=render.requester_id,
        )

    async def _edit(
        self,
        conversation: str,
        message_id: str,
        text: str,
        actions: tuple[Action, ...] = (),
    ) -> None:
        try:
            await self._port.edit(conversation, message_id, text, actions=actions)
        except MessageGone:
            await self._port.send(conversation, text, actions=actions)


def _log_end(render: Render, outcome: str) -> None:
    seconds = (datetime.now(UTC) - render.created_at).total_seconds()
    log.info(
        "render %s in %s %s after %.1fs", render.render_id, render.conversation, outcome, seconds
    )
