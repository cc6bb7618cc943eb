"""Exports: submit a render, follow it to the end, deliver the MP4 exactly once.

A render is saved with its client-chosen id and its session *before* it is submitted and
then moves through durable states (`bot.core.records.RenderState`), so no crash, kill or
restart loses one: `resume()` picks up every render in flight. A render whose submission
was cut off (NemoVideo does not know it) is submitted again under the same id, which
NemoVideo refuses as a duplicate if the first one did arrive. Delivery is claimed in the
store (`completed` → `delivering`); a delivery cut off by a kill is taken up again at the
next start, and its post carries a nonce derived from the render id, so a post that did
land before the kill is not made twice. When every attempt fails, the thread is told and
offered a Retry that posts the same render again if NemoVideo still has it, else
renders anew (`retry`). Polling starts fast and backs off to every 30 s; passing trouble
(429, a network blip) is waited out, and only a render that is reported failed, is
unknown to NemoVideo, or cannot be checked for a long while ends the watch.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path

from bot.core.live import live_status
from bot.core.port import MAX_NONCE_CHARS, Action, ChatPort, MessageGone
from bot.core.records import Language, RenderEnd, RenderState
from bot.core.recovery import Attempts, Recovery, wait_seconds
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
    RenderFailed,
    ServiceTimeout,
    TokenRefused,
)
from bot.nemo.models import RenderJob, RenderStatus

log = logging.getLogger(__name__)

WordingFor = Callable[[str], Awaitable[Wording]]

#: Consecutive failed status checks after which a render is reported as unreachable.
MAX_POLL_ERRORS_IN_A_ROW = 6
#: Delivery attempts (download + post) before the thread is told and offered Retry.
DELIVERY_ATTEMPTS = 3


def new_render_id() -> str:
    """A client-chosen render id, unique per attempt (the backend rejects duplicates)."""
    return f"render_{uuid.uuid4().hex}"


def post_nonce(render_id: str, what: str = "video") -> str:
    """The nonce of a post about a render: the same for every attempt at the same post, so
    the platform keeps only the first (Discord: `enforce_nonce`, for a few minutes)."""
    digest = hashlib.sha256(f"{render_id}:{what}".encode()).hexdigest()
    return digest[:MAX_NONCE_CHARS]


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
    ) -> None:
        self._client = client
        self._store = store
        self._port = port
        self._timings = timings
        self._wording_for = wording_for
        self._explain = explain
        self._watchers: dict[str, asyncio.Task[None]] = {}
        #: Renders this process could not deliver (the terminal's exit code says so).
        self.undelivered: set[str] = set()
        #: Conversations whose render `start` is submitting: a resume meanwhile must not
        #: submit it too (one render per conversation at a time).
        self._submitting: set[str] = set()

    async def is_rendering(self, conversation: str) -> bool:
        """True while a render of this conversation is in flight (not yet delivered)."""
        return bool(await self._store.get_unfinished_renders(conversation))

    async def start(
        self, conversation: str, session_id: str, draft: Draft, requester_id: int | None
    ) -> None:
        """Submit `draft` for rendering and watch it until it is delivered."""
        wording = await self._wording_for(conversation)
        render = await self._store.create_render(
            new_render_id(), conversation, session_id=session_id, requester_id=requester_id
        )  # saved first: a kill from here on leaves it to be resumed, never lost
        message_id = await self._port.send(
            conversation,
            live_status(self._port, wording.render_started(), time.time()),
            nonce=post_nonce(render.render_id, "progress"),
        )
        render = await self._store.update_render(render.render_id, message_id=message_id) or render
        self._submitting.add(conversation)
        try:
            render_id = await self._submit(render, session_id, draft, wording)
        finally:
            self._submitting.discard(conversation)
        if render_id is not None:
            log.info("render %s submitted for %s", render_id, conversation)
            self._watch(render_id)

    async def resume(self, conversation: str | None = None) -> int:
        """Pick up every render (or `conversation`'s) that was in flight when the process
        stopped, deliveries that were cut off included."""
        reopened = await self._store.reopen_cut_off_deliveries(live=set(self._watchers))
        if reopened:
            log.info("%d cut-off deliveries are made again", reopened)
        renders = [
            render
            for render in await self._store.get_unfinished_renders()
            if render.conversation not in self._submitting
            and conversation in (None, render.conversation)
        ]
        for render in renders:
            log.info("resuming render %s in %s", render.render_id, render.conversation)
            self._watch(render.render_id)
        return len(renders)

    async def retry(self, conversation: str) -> bool:
        """Retry under an undelivered render: post it again if NemoVideo still has it.

        True when that is under way; False when there is nothing to post again (the last
        render was not undelivered, or its MP4 is gone), and the caller renders anew.
        """
        render = await self._store.get_latest_render(conversation)
        if render is None or render.status is not RenderState.UNDELIVERED:
            return False
        try:
            job = await self._client.fetch_render(render.render_id)
        except NemoError as exc:
            log.info("render %s cannot be posted again (%r); rendering anew",
                     render.render_id, exc)
            return False
        if job.status is not RenderStatus.COMPLETED:
            return False
        if not await self._store.reopen_undelivered(render.render_id):
            return True  # a second press: the first one is posting it
        self.undelivered.discard(render.render_id)
        log.info("render %s: delivery retried on request", render.render_id)
        self._watch(render.render_id)
        return True

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
        attempts = Attempts()
        resent = renewed = False
        while True:
            try:
                await self._client.submit_render(render_id, session_id, draft)
                await self._store.advance_render(render_id, RenderState.PENDING)
                return render_id
            except ServiceTimeout:
                log.warning(
                    "render %s: submit timed out; watching it in case it arrived", render_id
                )
                return render_id
            except RenderFailed as exc:
                if resent and _is_duplicate(exc):
                    return render_id  # the attempt that seemed lost did get through
                if renewed:
                    await self._refuse(render, render_id, wording, exc)
                    return None
                renewed = True
                log.warning("render %s refused (%r); once more with a new id", render_id, exc)
                render_id = await self._renew_id(render, render_id)
            except NemoError as exc:
                step = attempts.next(exc)
                if step is Recovery.WAIT:
                    await asyncio.sleep(wait_seconds(exc, self._timings))
                elif step is Recovery.LATER:  # the same id: sent twice, it renders once
                    resent = True
                    await asyncio.sleep(self._timings.render_first_poll_seconds)
                else:  # no credits, plan cannot export, …: no retry helps
                    await self._refuse(render, render_id, wording, exc)
                    return None

    async def _renew_id(self, render: Render, old_id: str) -> str:
        await self._store.end_render(old_id, RenderState.REPLACED, "replaced")
        fresh = await self._store.create_render(
            new_render_id(),
            render.conversation,
            session_id=render.session_id,
            requester_id=render.requester_id,
            message_id=render.message_id,
        )
        return fresh.render_id

    async def _refuse(
        self, render: Render, render_id: str, wording: Wording, error: NemoError
    ) -> None:
        if not await self._store.end_render(render_id, RenderState.REFUSED, repr(error)):
            return
        _log_end(render, render_id, "refused")
        # Retrying cannot change a plan or add credits; it can help with anything else.
        hopeless = isinstance(error, ExportBlocked | InsufficientCredits)
        retry = () if hopeless else (Action.RETRY_EXPORT,)
        explained = await self._explain(error, wording)
        await self._show(render, render_id, explained, retry, wording.language)

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
        started = time.monotonic()
        delay = self._timings.render_first_poll_seconds
        shown_progress = render.progress
        errors_in_row = 0
        resubmitted = False
        while True:
            await asyncio.sleep(delay)
            delay = self._timings.next_render_poll(delay, time.monotonic() - started)
            try:
                job = await self._client.fetch_render(render_id)
            except RenderFailed as exc:  # NemoVideo does not know this render
                current = await self._store.get_render(render_id)
                if not resubmitted and current is not None and (
                    current.status is RenderState.SUBMITTING
                ):
                    resubmitted = True  # its submission was cut off: send it (again)
                    if await self._resubmit(current, wording):
                        continue
                    return
                await self._fail(render, wording, await self._explain(exc, wording))
                return
            except NemoError as exc:
                errors_in_row += 1
                log.warning("render %s: check %d failed: %r", render_id, errors_in_row, exc)
                delay = max(delay, wait_seconds(exc, self._timings))
                if errors_in_row >= MAX_POLL_ERRORS_IN_A_ROW:
                    message = wording.render_unreachable()
                    if isinstance(exc, TokenRefused):  # not unreachable: say what it is
                        message = await self._explain(exc, wording)
                    await self._fail(render, wording, message, RenderState.GAVE_UP)
                    return
                continue
            errors_in_row = 0
            if job.status is RenderStatus.COMPLETED:
                await self._store.advance_render(
                    render_id, job.status, progress=100, output_url=job.output_url
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
                    await self._store.advance_render(render_id, job.status, progress=job.progress)
                    or render
                )
                progress = wording.render_progress(job.progress)
                since = render.created_at.timestamp()
                render = await self._show(
                    render, render_id, live_status(self._port, progress, since)
                )
            if time.monotonic() - started > self._timings.render_give_up_seconds:
                await self._fail(render, wording, wording.render_gave_up(), RenderState.GAVE_UP)
                return

    # ----- delivering ----------------------------------------------------------------

    async def _resubmit(self, render: Render, wording: Wording) -> bool:
        """Submit a render whose first submission may never have arrived, under the same
        id (a "duplicate" answer proves it had); False if it ended instead."""
        if render.session_id is None:  # saved before schema 2: nothing to submit
            await self._fail(render, wording, wording.render_unreachable())
            return False
        log.info("render %s: NemoVideo does not know it; submitting it", render.render_id)
        try:
            state = await self._client.fetch_state(render.session_id)
            await self._client.submit_render(render.render_id, render.session_id, state.draft)
        except RenderFailed as exc:
            if not _is_duplicate(exc):
                await self._fail(render, wording, await self._explain(exc, wording))
                return False
        except NemoError as exc:  # no credits, plan cannot export, session gone, …
            await self._refuse(render, render.render_id, wording, exc)
            return False
        await self._store.advance_render(render.render_id, RenderState.PENDING)
        return True

    async def _deliver_with_retries(self, render: Render, job: RenderJob, wording: Wording) -> None:
        """Claim the delivery, then download and post, a few times; in the end the thread
        has the video or is told it could not be posted (with Retry), never nothing."""
        render_id = render.render_id
        if not await self._store.claim_delivery(render_id):
            return  # someone else is delivering it, or did
        delay = self._timings.render_first_poll_seconds
        error: Exception | None = None
        try:
            for attempt in range(1, DELIVERY_ATTEMPTS + 1):
                try:
                    how = await self._post(render, job, wording)
                except Exception as exc:
                    error = exc
                    log.warning(
                        "render %s: delivery attempt %d failed", render_id, attempt,
                        exc_info=True,
                    )
                    if attempt < DELIVERY_ATTEMPTS:
                        await asyncio.sleep(delay)
                        delay *= 2
                    continue
                await self._store.record_delivery(render_id)
                _log_end(render, render_id, f"delivered as a {how}")
                await self._progress_done(render, wording)
                return
        except asyncio.CancelledError:  # shutting down: the next start delivers it
            await asyncio.shield(self._store.release_delivery(render_id))
            raise
        await self._undelivered(render, job, wording, error)

    async def _undelivered(
        self, render: Render, job: RenderJob, wording: Wording, error: Exception | None
    ) -> None:
        """Tell the thread (with Retry), then record it: a kill in between makes the
        delivery again at the next start rather than leave the user with nothing."""
        render_id = render.render_id
        self.undelivered.add(render_id)
        log.error("render %s could not be delivered: %r", render_id, error)
        await self._port.send(
            render.conversation,
            wording.render_undelivered(job.output_url),
            actions=(Action.RETRY_EXPORT,),
            language=wording.language,
            ping_user=render.requester_id,
            nonce=post_nonce(render_id, f"undelivered-{render.attempts}"),
        )
        await self._store.give_up_delivery(render_id, repr(error))
        _log_end(render, render_id, "undelivered")

    async def _progress_done(self, render: Render, wording: Wording) -> None:
        """Cosmetic: the progress message stops counting."""
        try:
            await self._show(render, render.render_id, wording.render_finished())
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
                        nonce=post_nonce(render.render_id),
                    )
                    return "file"
        if link is None:
            raise RenderFailed("the render has no download link")
        await self._port.send(
            conversation,
            wording.render_done_link(link),
            ping_user=render.requester_id,
            nonce=post_nonce(render.render_id),
        )
        return "link"

    async def _fail(
        self,
        render: Render,
        wording: Wording,
        message: str,
        outcome: RenderEnd = RenderState.FAILED,
    ) -> None:
        """End the render and tell the thread, with a Retry that renders again."""
        if not await self._store.end_render(render.render_id, outcome, message):
            return
        _log_end(render, render.render_id, outcome.value)
        await self._port.send(
            render.conversation,
            message,
            actions=(Action.RETRY_EXPORT,),
            language=wording.language,
            ping_user=render.requester_id,
            nonce=post_nonce(render.render_id, outcome.value),
        )

    async def _show(
        self,
        render: Render,
        render_id: str,
        text: str,
        actions: tuple[Action, ...] = (),
        language: Language = "en",
    ) -> Render:
        """Edit the render's message (`language` labels the `actions`); a deleted one is
        replaced and the new id kept."""
        if render.message_id is not None:
            try:
                await self._port.edit(
                    render.conversation, render.message_id, text,
                    actions=actions, language=language,
                )
                return render
            except MessageGone:
                pass
        message_id = await self._port.send(
            render.conversation, text, actions=actions, language=language
        )
        updated = await self._store.update_render(render_id, message_id=message_id)
        return updated or render


def _log_end(render: Render, render_id: str, outcome: str) -> None:
    seconds = (datetime.now(UTC) - render.created_at).total_seconds()
    log.info("render %s in %s %s after %.1fs", render_id, render.conversation, outcome, seconds)
