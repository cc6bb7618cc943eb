"""Exports: submit a render, follow it to the end, deliver the MP4 exactly once.

A render is saved with its client-chosen id *before* it is submitted, so neither a crash
nor a restart loses one that NemoVideo may already be working on: `resume()` picks up
every undelivered render. Delivery is claimed in the store (`mark_delivered`) and the
claim is released if posting does not complete, cancellation included, so a render is
posted once and never dropped. Polling starts fast and backs off to every 30 s; passing
trouble (429, a network blip) is waited out, and only a render that is reported failed,
is unknown to NemoVideo, or cannot be checked for a long while ends the watch.
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
from bot.core.records import RenderState
from bot.core.store import Render, Store
from bot.core.timings import Timings
from bot.core.wording import Explain, Wording
from bot.nemo.client import NemoClient
from bot.nemo.downloads import DownloadTooLarge
from bot.nemo.draft import Draft
from bot.nemo.errors import (
    ExportBlocked,
    InsufficientCredits,
    NemoError,
    RateLimited,
    RenderFailed,
    ServiceTimeout,
    ServiceUnavailable,
    TokenRefused,
)
from bot.nemo.models import RenderJob, RenderStatus

log = logging.getLogger(__name__)

WordingFor = Callable[[str], Awaitable[Wording]]

#: Consecutive failed status checks after which a render is reported as unreachable.
MAX_POLL_ERRORS_IN_A_ROW = 6
#: Delivery attempts (download + post) before leaving the render for the next start.
DELIVERY_ATTEMPTS = 3


def new_render_id() -> str:
    """A client-chosen render id, unique per attempt (the backend rejects duplicates)."""
    return f"render_{uuid.uuid4().hex}"


def _is_duplicate(error: RenderFailed) -> bool:
    return error.status == 409 or "duplicate" in error.message.lower()


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

    async def is_rendering(self, conversation: str) -> bool:
        """True while a render of this conversation is in flight (not yet delivered)."""
        return bool(await self._store.get_unfinished_renders(conversation))

    async def start(
        self, conversation: str, session_id: str, draft: Draft, requester_id: int | None
    ) -> None:
        """Submit `draft` for rendering and watch it until it is delivered."""
        wording = await self._wording_for(conversation)
        message_id = await self._port.send(
            conversation, live_status(self._port, wording.render_started(), time.time())
        )
        render = await self._store.create_render(
            new_render_id(), conversation, requester_id=requester_id, message_id=message_id
        )
        render_id = await self._submit(render, session_id, draft, wording)
        if render_id is not None:
            log.info("render %s submitted for %s", render_id, conversation)
            self._watch(render_id)

    async def resume(self, conversation: str | None = None) -> int:
        """Pick up every render (or `conversation`'s) in flight when the process stopped."""
        renders = [
            render
            for render in await self._store.get_unfinished_renders()
            if conversation in (None, render.conversation)
        ]
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

    # ----- submitting ----------------------------------------------------------------

    async def _submit(
        self, render: Render, session_id: str, draft: Draft, wording: Wording
    ) -> str | None:
        """Submit, retrying only where it cannot start a second render; the id to watch.

        A timeout may mean NemoVideo accepted the job, so its id is watched rather than
        sent again. A connection failure is retried once with the same id (a "duplicate"
        answer then proves the first attempt arrived). A refusal of the job itself gets
        one new id, as the brief says. Anything else is explained, and None returned.
        """
        render_id = render.render_id
        waited = resent = renewed = False
        while True:
            try:
                await self._client.submit_render(render_id, session_id, draft)
                return render_id
            except ServiceTimeout:
                log.warning(
                    "render %s: submit timed out; watching it in case it arrived", render_id
                )
                return render_id
            except RateLimited as exc:
                if waited:
                    await self._refuse(render, render_id, wording, exc)
                    return None
                waited = True
                await asyncio.sleep(self._timings.rate_limit_wait(exc.retry_after))
            except ServiceUnavailable as exc:
                if resent:
                    await self._refuse(render, render_id, wording, exc)
                    return None
                resent = True
                await asyncio.sleep(self._timings.render_first_poll_seconds)
            except RenderFailed as exc:
                if resent and _is_duplicate(exc):
                    return render_id  # the attempt that seemed lost did get through
                if renewed:
                    await self._refuse(render, render_id, wording, exc)
                    return None
                renewed = True
                log.warning("render %s refused (%r); once more with a new id", render_id, exc)
                render_id = await self._renew_id(render, render_id)
            except NemoError as exc:  # no credits, plan cannot export, …: no retry helps
                await self._refuse(render, render_id, wording, exc)
                return None

    async def _renew_id(self, render: Render, old_id: str) -> str:
        await self._store.update_render(old_id, status=RenderState.FAILED, error="replaced")
        await self._store.mark_delivered(old_id)  # nothing to deliver for the old id
        fresh = await self._store.create_render(
            new_render_id(),
            render.conversation,
            requester_id=render.requester_id,
            message_id=render.message_id,
        )
        return fresh.render_id

    async def _refuse(
        self, render: Render, render_id: str, wording: Wording, error: NemoError
    ) -> None:
        await self._store.update_render(render_id, status=RenderState.FAILED, error=repr(error))
        await self._store.mark_delivered(render_id)
        _log_end(render, render_id, "refused")
        # Retrying cannot change a plan or add credits; it can help with anything else.
        hopeless = isinstance(error, ExportBlocked | InsufficientCredits)
        retry = () if hopeless else (Action.RETRY_EXPORT,)
        await self._show(render, render_id, await self._explain(error, wording), retry)

    # ----- watching ------------------------------------------------------------------

    def _watch(self, render_id: str) -> None:
        if render_id in self._watchers:
            return
        task = asyncio.create_task(self._follow(render_id), name=f"render-{render_id}")
        self._watchers[render_id] = task
        task.add_done_callback(lambda _t: self._watchers.pop(render_id, None))

    async def _follow(self, render_id: str) -> None:
        try:
            await self._poll_until_done(render_id)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("render %s watcher crashed; it resumes at the next start", render_id)

    async def _poll_until_done(self, render_id: str) -> None:
        render = await self._store.get_render(render_id)
        if render is None:
            return
        wording = await self._wording_for(render.conversation)
        started = self._clock()
        delay = self._timings.render_first_poll_seconds
        shown_progress = render.progress
        errors_in_row = 0
        while True:
            await asyncio.sleep(delay)
            delay = min(
                delay * self._timings.render_poll_backoff, self._timings.render_max_poll_seconds
            )
            try:
                job = await self._client.fetch_render(render_id)
            except RenderFailed as exc:  # NemoVideo does not know this render
                await self._fail(render, wording, await self._explain(exc, wording))
                return
            except NemoError as exc:
                errors_in_row += 1
                log.warning("render %s: check %d failed: %r", render_id, errors_in_row, exc)
                if isinstance(exc, RateLimited):
                    delay = max(delay, self._timings.rate_limit_wait(exc.retry_after))
                if errors_in_row >= MAX_POLL_ERRORS_IN_A_ROW:
                    message = wording.render_unreachable()
                    if isinstance(exc, TokenRefused):  # not unreachable: say what it is
                        message = await self._explain(exc, wording)
                    await self._fail(render, wording, message, "gave_up")
                    return
                continue
            errors_in_row = 0
            if job.status is RenderStatus.COMPLETED:
                await self._store.update_render(
                    render_id, status=job.status, progress=100, output_url=job.output_url
                )
                await self._deliver_with_retries(render, job, wording)
                return
            if job.status is RenderStatus.FAILED:
                message = await self._explain(RenderFailed(job.error or ""), wording)
                await self._fail(render, wording, message)
                return
            if job.progress != shown_progress:
                shown_progress = job.progress
                render = (
                    await self._store.update_render(
                        render_id, status=job.status, progress=job.progress
                    )
                    or render
                )
                progress = wording.render_progress(job.progress)
                since = render.created_at.timestamp()
                render = await self._show(
                    render, render_id, live_status(self._port, progress, since)
                )
            if self._clock() - started > self._timings.render_give_up_seconds:
                await self._fail(render, wording, wording.render_gave_up(), "gave_up")
                return

    # ----- delivering ----------------------------------------------------------------

    async def _deliver_with_retries(self, render: Render, job: RenderJob, wording: Wording) -> None:
        delay = self._timings.render_first_poll_seconds
        for attempt in range(1, DELIVERY_ATTEMPTS + 1):
            try:
                await self._deliver(render, job, wording)
                return
            except Exception:
                log.warning(
                    "render %s: delivery attempt %d failed",
                    render.render_id,
                    attempt,
                    exc_info=True,
                )
                await asyncio.sleep(delay)
                delay *= 2
        log.error(
            "render %s could not be delivered; it is retried at the next start", render.render_id
        )

    async def _deliver(self, render: Render, job: RenderJob, wording: Wording) -> None:
        """Post the MP4 (or its link) once: claimed first, released unless it was posted."""
        if not await self._store.mark_delivered(render.render_id):
            return  # someone else delivered it already
        how: str | None = None
        try:
            how = await self._post(render, job, wording)
        finally:
            if how is None:  # failed or cancelled before the post: leave it to a retry
                await self._store.unmark_delivered(render.render_id)
        _log_end(render, render.render_id, f"delivered as a {how}")
        try:  # cosmetic: the progress message stops counting
            await self._show(render, render.render_id, wording.render_progress(100))
        except Exception:
            log.warning("render %s: could not update its progress message", render.render_id)

    async def _post(self, render: Render, job: RenderJob, wording: Wording) -> str:
        """The file if it fits the conversation's upload limit, else the link."""
        conversation, link = render.conversation, job.output_url
        limit = await self._port.upload_limit_bytes(conversation)
        if job.size_bytes is None or job.size_bytes <= limit:
            with tempfile.TemporaryDirectory(prefix="nemobot-render-") as folder:
                path = Path(folder) / f"{render.render_id}.mp4"
                try:
                    await self._client.download_render(job, path, max_bytes=limit)
                    fits = True
                except DownloadTooLarge:
                    fits = False  # stopped at the limit: the link below instead
                if fits:
                    await self._port.send_file(
                        conversation,
                        path,
                        wording.render_done_file(link),
                        ping_user=render.requester_id,
                    )
                    return "file"
        if link is None:
            raise RenderFailed("the render has no download link")
        await self._port.send(
            conversation, wording.render_done_link(link), ping_user=render.requester_id
        )
        return "link"

    async def _fail(
        self, render: Render, wording: Wording, message: str, status: str = "failed"
    ) -> None:
        await self._store.update_render(render.render_id, status=status, error=message)
        if not await self._store.mark_delivered(render.render_id):
            return
        _log_end(render, render.render_id, status)
        await self._port.send(
            render.conversation,
            message,
            actions=(Action.RETRY_EXPORT,),
            ping_user=render.requester_id,
        )

    async def _show(
        self, render: Render, render_id: str, text: str, actions: tuple[Action, ...] = ()
    ) -> Render:
        """Edit the render's message; a deleted one is replaced and the new id kept."""
        if render.message_id is not None:
            try:
                await self._port.edit(render.conversation, render.message_id, text, actions=actions)
                return render
            except MessageGone:
                pass
        message_id = await self._port.send(render.conversation, text, actions=actions)
        updated = await self._store.update_render(render_id, message_id=message_id)
        return updated or render


def _log_end(render: Render, render_id: str, outcome: str) -> None:
    seconds = (datetime.now(UTC) - render.created_at).total_seconds()
    log.info("render %s in %s %s after %.1fs", render_id, render.conversation, outcome, seconds)
