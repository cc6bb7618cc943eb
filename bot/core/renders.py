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

With several processes on one database, each render is watched by exactly one of them:
the one holding its lease (bot.core.leases). A render is held by the process that
creates it; `resume()` claims the ones nobody holds or whose holder stopped renewing (it
died, or is paused), and the bot calls it again every `LeaseTerms.scan_every`. The
holder renews its leases in the background, checks it still holds a render before each
poll and post, and makes every write of it under its fence, so a process that lost a
render to another writes and posts nothing more for it.
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import time
import uuid
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from enum import StrEnum

from bot.core.card import Card
from bot.core.delivery import VideoPost, VideoPoster
from bot.core.leases import Hold, Holdings, LeaseTerms
from bot.core.live import live_status
from bot.core.port import MAX_NONCE_CHARS, ChatPort, MessageGone
from bot.core.progress import Stage, status_line
from bot.core.records import RenderEnd, RenderState
from bot.core.recovery import Attempts, Recovery, wait_seconds
from bot.core.render_card import failed_card, progress_card, stopped_card
from bot.core.store import Render, Store
from bot.core.timings import RenderPolls, Timings
from bot.core.video_card import video_title
from bot.core.wording import Explain, Wording
from bot.nemo.client import NemoClient
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


class CancelOutcome(StrEnum):
    """What `RenderManager.cancel` did."""

    NOTHING = "nothing"  # no render in flight
    NOT_YOURS = "not_yours"  # someone else's, and the caller may not manage threads
    CANCELLED = "cancelled"
    TOO_LATE = "too_late"  # it is being posted already


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
        poster: VideoPoster | None = None,
        lease: LeaseTerms | None = None,
    ) -> None:
        self._client = client
        self._poster = poster or VideoPoster(client, store, port)
        self._store = store
        self._port = port
        self._timings = timings
        self._wording_for = wording_for
        self._explain = explain
        self._lease = lease or LeaseTerms()
        #: The renders this process holds the lease of, watched or being submitted.
        self._held = Holdings(self._lease)
        self._keeper: asyncio.Task[None] | None = None
        #: One watcher per render, with the lease it watches under.
        self._watchers: dict[str, tuple[asyncio.Task[None], Hold]] = {}
        #: Renders this process could not deliver (the terminal's exit code says so).
        self.undelivered: set[str] = set()
        #: Renders whose delivery (download and post) this process is making.
        self._delivering: set[str] = set()

    async def is_rendering(self, conversation: str) -> bool:
        """True while a render of this conversation is in flight (not yet delivered)."""
        return bool(await self._store.get_unfinished_renders(conversation))

    async def start(
        self, conversation: str, session_id: str, draft: Draft, requester_id: int | None
    ) -> None:
        """Submit `draft` for rendering and watch it until it is delivered."""
        wording = await self._wording_for(conversation)
        render = await self._create(
            conversation, session_id=session_id, requester_id=requester_id,
            title=video_title(draft),
        )  # saved first, and held: a kill from here on leaves it to be resumed, never lost
        line = live_status(self._port, wording.render_started(), time.time())
        message_id = await self._port.send_card(
            conversation,
            progress_card(render.title, line, wording),
            language=wording.language,
            nonce=post_nonce(render.render_id, "progress"),
        )
        render = (
            await self._store.update_render(
                render.render_id, message_id=message_id, hold=render.hold
            )
            or render
        )
        render_id = await self._submit(render, session_id, draft, wording)
        if render_id is not None:
            log.info("render %s submitted for %s", render_id, conversation)
            self._watch(render_id)

    async def _create(
        self,
        conversation: str,
        *,
        session_id: str | None,
        requester_id: int | None,
        message_id: str | None = None,
        title: str | None = None,
    ) -> Render:
        granted = time.monotonic()
        render = await self._store.create_render(
            new_render_id(), conversation, session_id=session_id,
            requester_id=requester_id, message_id=message_id, title=title, lease=self._lease,
        )
        assert render.hold is not None
        self._held.add(render.render_id, render.hold, granted)
        self._keep_leases()
        return render

    async def resume(self, conversation: str | None = None) -> int:
        """Pick up every render (or `conversation`'s) that was in flight when the process
        stopped, deliveries that were cut off included: those that no process holds, or
        whose holder stopped renewing its lease. Returns how many were claimed."""
        granted = time.monotonic()
        claimed = await self._store.claim_renders(self._lease, conversation)
        for render in claimed:
            assert render.hold is not None
            log.info("resuming render %s in %s (lease %d)", render.render_id,
                     render.conversation, render.hold.fence)
            self._held.add(render.render_id, render.hold, granted)
            self._watch(render.render_id)
        if claimed:
            self._keep_leases()
        return len(claimed)

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
        granted = time.monotonic()
        reopened = await self._store.reopen_undelivered(render.render_id, self._lease)
        if reopened is None or reopened.hold is None:
            return True  # a second press: the first one is posting it
        self._held.add(render.render_id, reopened.hold, granted)
        self._keep_leases()
        self.undelivered.discard(render.render_id)
        log.info("render %s: delivery retried on request", render.render_id)
        self._watch(render.render_id)
        return True

    async def cancel(
        self, conversation: str, by: int | None, *, may_manage: bool = False
    ) -> CancelOutcome:
        """Cancel the conversation's render in flight, if `by` may: its requester (or, for
        a render nobody requested, like the terminal's, anyone), or `may_manage`.

        The store's move to `cancelled` is what guarantees that nothing is posted later:
        the watcher's own moves (to `completed`, to a failure) no longer succeed, and a
        restart does not resume it. NemoVideo is then asked to stop, as a courtesy to its
        queue; a failure there changes nothing for the thread.
        """
        renders = await self._store.get_unfinished_renders(conversation)
        if not renders:
            return CancelOutcome.NOTHING
        if not may_manage and any(r.requester_id not in (None, by) for r in renders):
            return CancelOutcome.NOT_YOURS
        wording = await self._wording_for(conversation)
        outcome = CancelOutcome.TOO_LATE
        for render in renders:
            if not await self._store.end_render(
                render.render_id, RenderState.CANCELLED, f"cancelled by {by}"
            ):
                continue  # being posted already (or it just ended)
            outcome = CancelOutcome.CANCELLED
            _log_end(render, render.render_id, "cancelled")
            watcher = self._watchers.pop(render.render_id, None)
            if watcher is not None:
                watcher[0].cancel()
            self._held.drop(render.render_id)
            await self._stop_at_nemovideo(render.render_id)
            try:
                card = stopped_card(render.title, wording.render_cancelled(), wording)
                await self._show(render, render.render_id, card)
            except Exception:
                log.warning("render %s: could not mark its message cancelled", render.render_id)
        return outcome

    async def _stop_at_nemovideo(self, render_id: str) -> None:
        try:
            await self._client.cancel_render(render_id)
        except NemoError as exc:
            log.info("render %s: NemoVideo's cancel failed (%r)", render_id, exc)

    async def wait_idle(self) -> None:
        """Wait until every watcher has finished (end of input in `nemobot chat`)."""
        while self._watchers:
            await asyncio.gather(*self._tasks(), return_exceptions=True)

    def _tasks(self) -> list[asyncio.Task[None]]:
        return [task for task, _ in self._watchers.values()]

    async def finish_deliveries(self) -> None:
        """Before a shutdown closes the platform's connection: let deliveries under way
        finish (up to a grace period). Cut off, one would be posted again at the next
        start, and once the platform has forgotten its nonce (minutes, on Discord) that
        would be a second post."""
        delivering = [t for r, (t, _) in self._watchers.items() if r in self._delivering]
        if delivering:
            log.info("letting %d deliveries under way finish", len(delivering))
            await asyncio.wait(delivering, timeout=self._timings.shutdown_delivery_grace_seconds)

    async def close(self) -> None:
        """Stop watching, and give up the leases: the next process to look (a restart, or
        another process's scan) takes the renders over at once."""
        held = self._held.items()  # (a watcher that ends forgets its lease)
        watchers = self._tasks()
        if self._keeper is not None:
            watchers.append(self._keeper)
        for task in watchers:
            task.cancel()
        await asyncio.gather(*watchers, return_exceptions=True)
        self._watchers.clear()
        for render_id, hold in held:
            try:
                await self._store.release_render_lease(render_id, hold)
            except Exception:  # the database is going away too: the lease runs out instead
                log.warning("render %s: could not release its lease", render_id)
        self._held = Holdings(self._lease)

    # ----- leases --------------------------------------------------------------------

    def _keep_leases(self) -> None:
        """Start renewing this process's leases in the background, if not yet."""
        if not self._timings.lease_background:
            return
        if self._keeper is None or self._keeper.done():
            self._keeper = asyncio.create_task(self._renew_leases(), name="render-leases")

    async def _renew_leases(self) -> None:
        """Renew every lease held, three times a lease; one that was lost stops its
        watcher (another process has the render now)."""
        while self._held:
            await asyncio.sleep(self._lease.renew_every)
            for render_id, hold in self._held.items():
                await self._renew(render_id, hold)

    async def _renew(self, render_id: str, hold: Hold) -> bool:
        granted = time.monotonic()
        try:
            kept = await self._store.renew_render_lease(render_id, hold, self._lease)
        except Exception:  # the database is unreachable: try again at the next round
            log.warning("render %s: could not renew its lease", render_id, exc_info=True)
            return self._held.valid(render_id, hold)
        if kept:
            self._held.renewed(render_id, hold, granted)
            return True
        log.warning("render %s: its lease went to another process; leaving it", render_id)
        self._held.drop(render_id, hold)
        watcher = self._watchers.get(render_id)
        if watcher is not None and watcher[1] == hold and watcher[0] is not asyncio.current_task():
            watcher[0].cancel()
        return False

    async def _still_held(self, render: Render) -> bool:
        """Before polling or posting: does this process still hold `render`'s lease? Past
        its lease by this process's own clock (it was paused, say), it asks the store."""
        hold = render.hold
        if hold is None or self._held.get(render.render_id) != hold:
            return False
        if self._held.valid(render.render_id, hold):
            return True
        return await self._renew(render.render_id, hold)

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
                await self._store.advance_render(
                    render_id, RenderState.PENDING, hold=render.hold
                )
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
                render = await self._renew_id(render, render_id)
                render_id = render.render_id
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

    async def _renew_id(self, render: Render, old_id: str) -> Render:
        await self._store.end_render(old_id, RenderState.REPLACED, "replaced", render.hold)
        if render.hold is not None:
            self._held.drop(old_id, render.hold)
        return await self._create(
            render.conversation,
            session_id=render.session_id,
            requester_id=render.requester_id,
            message_id=render.message_id,
            title=render.title,
        )

    async def _refuse(
        self, render: Render, render_id: str, wording: Wording, error: NemoError
    ) -> None:
        if not await self._store.end_render(
            render_id, RenderState.REFUSED, repr(error), render.hold
        ):
            return
        _log_end(render, render_id, "refused")
        # Retrying cannot change a plan or add credits; it can help with anything else.
        hopeless = isinstance(error, ExportBlocked | InsufficientCredits)
        explained = await self._explain(error, wording)
        card = failed_card(render.title, explained, wording, retry=not hopeless)
        await self._show(render, render_id, card, wording)

    # ----- watching ------------------------------------------------------------------

    def _watch(self, render_id: str) -> None:
        """Watch a render this process holds (once; a watcher under an older lease of it
        makes way for the new one)."""
        hold = self._held.get(render_id)
        if hold is None:
            return
        current = self._watchers.get(render_id)
        if current is not None:
            if current[1] == hold:
                return
            current[0].cancel()
        task = asyncio.create_task(self._follow(render_id, hold), name=f"render-{render_id}")
        self._watchers[render_id] = (task, hold)

        def done(_task: asyncio.Task[None]) -> None:
            if self._watchers.get(render_id, (None,))[0] is task:
                del self._watchers[render_id]
                self._held.drop(render_id, hold)  # ended, or lost; a crash: the lease runs out

        task.add_done_callback(done)

    async def _follow(self, render_id: str, hold: Hold) -> None:
        try:
            await self._poll_until_done(render_id, hold)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("render %s watcher crashed; the next scan takes it up again",
                          render_id)
            self._held.drop(render_id, hold)
            await self._store.release_render_lease(render_id, hold)

    async def _poll_until_done(self, render_id: str, hold: Hold) -> None:
        render = await self._store.get_render(render_id)
        if render is None or render.hold != hold:
            return
        wording = await self._wording_for(render.conversation)
        started = time.monotonic()
        shown_progress = render.progress
        polls = RenderPolls(self._timings)
        shown_text: str | None = None
        errors_in_row = 0
        resubmitted = False
        while True:
            await asyncio.sleep(polls.delay)
            polls.waited(time.monotonic() - started)
            current = await self._store.get_render(render_id)
            if current is not None and current.hold != hold:
                log.warning("render %s: its lease went to another process; leaving it",
                            render_id)
                return
            if current is None or not current.status.in_flight:
                if current is not None and current.status is RenderState.CANCELLED:
                    await self._stop_at_nemovideo(render_id)  # its submission may be newer
                return  # cancelled (or ended by another process): nothing more to show
            if not await self._still_held(current):
                return  # paused past the lease, and another process has it now
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
                polls.wait_at_least(wait_seconds(exc, self._timings))
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
                    render_id, job.status, progress=100, output_url=job.output_url, hold=hold
                )
                await self._deliver_with_retries(render, job, wording)
                return
            if job.status is RenderStatus.FAILED:
                message = await self._explain(RenderFailed(job.error or ""), wording)
                await self._fail(render, wording, message)
                return
            if job.status is RenderStatus.PROCESSING:
                polls.rendering(time.monotonic() - started, job.progress)
            if job.progress != shown_progress:
                shown_progress = job.progress
                render = (
                    await self._store.advance_render(
                        render_id, job.status, progress=job.progress, hold=hold
                    )
                    or render
                )
            stage = Stage.QUEUED if job.status is RenderStatus.PENDING else Stage.RENDERING
            text = self._progress_line(render, wording, stage, job.progress)
            if text != shown_text and await self._still_held(render):  # at most one edit
                # per poll, none when nothing changed (nor by a process that lost the lease)
                shown_text = text
                card = progress_card(render.title, text, wording)
                render = await self._show(render, render_id, card, wording)
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
        await self._store.advance_render(render.render_id, RenderState.PENDING, hold=render.hold)
        return True

    async def _deliver_with_retries(self, render: Render, job: RenderJob, wording: Wording) -> None:
        """Claim the delivery, then download and post, a few times; in the end the thread
        has the video or is told it could not be posted (with Retry), never nothing."""
        render_id, hold = render.render_id, render.hold
        if not await self._store.claim_delivery(render_id, hold):
            return  # someone else is delivering it, or did (or has the lease now)
        self._delivering.add(render_id)
        delay = self._timings.render_first_poll_seconds
        error: Exception | None = None
        try:
            post = VideoPost(
                render.conversation, job, render.title, render.requester_id,
                post_nonce(render_id),
            )

            async def stage(stage: Stage) -> None:
                await self._show_stage(render, wording, stage)

            for attempt in range(1, DELIVERY_ATTEMPTS + 1):
                if not await self._still_held(render):
                    return  # paused past the lease: the new holder delivers it
                try:
                    version = await self._poster.post(post, wording, stage)
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
                await self._remove_status(render)
                if not await self._store.record_delivery(render_id, hold):
                    log.warning("render %s: posted, but its lease was lost meanwhile "
                                "(the new holder's post has the same nonce)", render_id)
                    return
                _log_end(render, render_id, f"delivered as a {version.posted_as.value}")
                return
        except asyncio.CancelledError:  # shutting down: the next start delivers it
            await asyncio.shield(self._store.release_delivery(render_id, hold))
            raise
        finally:
            self._delivering.discard(render_id)
        await self._undelivered(render, job, wording, error)

    async def _undelivered(
        self, render: Render, job: RenderJob, wording: Wording, error: Exception | None
    ) -> None:
        """Tell the thread (with Retry), then record it: a kill in between makes the
        delivery again at the next start rather than leave the user with nothing."""
        render_id = render.render_id
        if not await self._still_held(render):
            return  # the new holder makes the delivery (and tells the thread if it fails)
        self.undelivered.add(render_id)
        log.error("render %s could not be delivered: %r", render_id, error)
        await self._port.send_card(
            render.conversation,
            failed_card(render.title, wording.render_undelivered(job.output_url), wording,
                        retry=True),
            language=wording.language,
            ping_user=render.requester_id,
            nonce=post_nonce(render_id, f"undelivered-{render.attempts}"),
        )
        await self._store.give_up_delivery(render_id, repr(error), render.hold)
        _log_end(render, render_id, "undelivered")

    def _progress_line(self, render: Render, wording: Wording, stage: Stage, percent: int) -> str:
        clock = self._port.clock_since(render.created_at.timestamp())
        started = wording.started_at(clock) if clock else ""
        return status_line(wording.render_stage(stage), percent, started)

    async def _show_stage(self, render: Render, wording: Wording, stage: Stage) -> None:
        """Cosmetic: the progress message names the delivery's stage (the render is done)."""
        try:
            line = self._progress_line(render, wording, stage, 100)
            card = progress_card(render.title, line, wording, cancel=False)
            await self._show(render, render.render_id, card, wording)
        except Exception:
            log.warning("render %s: could not show its stage %s", render.render_id, stage)

    async def _remove_status(self, render: Render) -> None:
        """The video is posted: its render's status message goes, so that one message in
        the chat is the delivered video. Cosmetic: a failure is only logged."""
        current = await self._store.get_render(render.render_id)
        message_id = current.message_id if current is not None else render.message_id
        if message_id is None:
            return
        try:
            await self._port.delete(render.conversation, message_id)
        except Exception:
            log.warning("render %s: could not remove its status message", render.render_id)

    async def _fail(
        self,
        render: Render,
        wording: Wording,
        message: str,
        outcome: RenderEnd = RenderState.FAILED,
    ) -> None:
        """End the render and tell the thread, with a Retry that renders again."""
        if not await self._store.end_render(render.render_id, outcome, message, render.hold):
            return
        _log_end(render, render.render_id, outcome.value)
        await self._port.send_card(
            render.conversation,
            failed_card(render.title, message, wording, retry=True),
            language=wording.language,
            ping_user=render.requester_id,
            nonce=post_nonce(render.render_id, outcome.value),
        )

    async def _show(
        self, render: Render, render_id: str, card: Card, wording: Wording | None = None
    ) -> Render:
        """Show `card` in the render's message (`wording` labels its controls); a deleted
        one is replaced and the new id kept."""
        language = wording.language if wording is not None else "en"
        if render.message_id is not None:
            try:
                await self._port.edit_card(
                    render.conversation, render.message_id, card, language=language
                )
                return render
            except MessageGone:
                pass
        message_id = await self._port.send_card(render.conversation, card, language=language)
        updated = await self._store.update_render(
            render_id, message_id=message_id, hold=render.hold
        )
        return updated or render


def _log_end(render: Render, render_id: str, outcome: str) -> None:
    seconds = (datetime.now(UTC) - render.created_at).total_seconds()
    log.info("render %s in %s %s after %.1fs", render_id, render.conversation, outcome, seconds)
