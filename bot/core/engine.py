"""The engine: what happens when someone talks to nemobot, on any chat platform.

`Engine.handle(message)` routes a message (export / credits / status / upload / chat),
keeps one turn per conversation at a time (a message that arrives mid-turn is told it
will run next), and persists enough to finish or explain everything after a restart.
Platform edges call it and implement `ChatPort`; nothing here knows about Discord.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from bot.core.card import Card
from bot.core.delivery import VideoPoster
from bot.core.intents import Intent, has_visible_text, is_upload_word, route
from bot.core.leases import Hold, Holdings, LeaseTerms
from bot.core.live import LiveReply, live_status
from bot.core.media_formats import MAX_UPLOAD_BYTES
from bot.core.port import (
    Action,
    ChatPort,
    IncomingMessage,
)
from bot.core.records import Language, TurnStatus
from bot.core.recovery import Attempts, Recovery, recovery_for, wait_seconds
from bot.core.renders import CancelOutcome, RenderManager
from bot.core.state_fingerprint import fingerprint_state
from bot.core.store import Conversation, Store, Turn
from bot.core.telemetry import Telemetry
from bot.core.timeline_card import timeline_card
from bot.core.timings import Timings
from bot.core.turn_line import Place, TurnDropped, TurnLine
from bot.core.turn_runner import TurnOutcome, TurnRunner
from bot.core.turn_stop import TurnStop
from bot.core.uploads import StagedFile, UploadChecker
from bot.core.versions import AgainOutcome, DeleteOutcome, Versions
from bot.core.wording import Doing, Wording, registration_url
from bot.nemo.auth import TokenSource
from bot.nemo.client import NemoClient
from bot.nemo.downloads import DEFAULT_MAX_DOWNLOAD_BYTES
from bot.nemo.draft import Draft, timeline_summary
from bot.nemo.errors import (
    InsufficientCredits,
    NemoError,
    RequestNotSent,
    TokenInvalid,
    TokenRefused,
)
from bot.nemo.models import SessionState, UploadedFile

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class EngineLimits:
    """Spend control for shared credits (0 = unlimited)."""

    max_turns_per_user_per_day: int = 0
    #: The byte cap of every download (DOWNLOAD_MAX_BYTES): attachments over it are refused.
    download_max_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES


@dataclass(frozen=True, slots=True)
class StatusReply:
    """The answer to "status": the timeline in words, and the draft to draw as a picture
    (None when there is none to show: no session, or NemoVideo could not be read) with its
    card (`bot.core.timeline_card`; its picture is the drawn draft)."""

    text: str
    draft: Draft | None = None
    card: Card | None = None


class Engine:
    """One per process; every conversation goes through it."""

    def __init__(
        self,
        *,
        client: NemoClient,
        store: Store,
        tokens: TokenSource,
        port: ChatPort,
        web_url: str,
        timings: Timings | None = None,
        limits: EngineLimits | None = None,
        operator_reads_chat: bool = False,
        telemetry: Telemetry | None = None,
        lease: LeaseTerms | None = None,
    ) -> None:
        """`operator_reads_chat`: the chat's only reader runs the bot (the terminal), so
        operator details (the account's claim link, a refused token) may be shown in it.
        `telemetry` counts the live turns and times each one (for METRICS_PORT); `lease`:
        this process's name and lease length, when several share the database."""
        self._client = client
        self._store = store
        self._tokens = tokens
        self._port = port
        self._web_url = web_url.rstrip("/")
        self._timings = timings or Timings()
        self._limits = limits or EngineLimits()
        self._operator_reads_chat = operator_reads_chat
        self._lease = lease or LeaseTerms()
        self._scanner: asyncio.Task[None] | None = None
        #: Leases of the turns this process runs or resumes (keys: the turn ids).
        self._turn_leases = Holdings(self._lease)
        self._turn_keeper: asyncio.Task[None] | None = None
        self._lines: dict[str, TurnLine] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        #: Turns this process is running: never mistaken for ones a restart cut off.
        self._live_turns: set[int] = set()
        self._telemetry = telemetry
        if telemetry is not None:
            telemetry.live_turns_from(lambda: len(self._live_turns))
        #: The chat turn streaming in each conversation, to stop it on a cancel.
        self._stops: dict[str, TurnStop] = {}
        #: Per conversation, the last message that provably never reached NemoVideo
        #: (`RequestNotSent`): the only kind that may be sent again (Action.RESEND).
        self._unsent: dict[str, IncomingMessage] = {}
        #: Conversations whose session is being created (`expect_session` → `begin`).
        self._starting: dict[str, asyncio.Event] = {}
        self._uploads = UploadChecker(min(MAX_UPLOAD_BYTES, self._limits.download_max_bytes))
        self._turns = TurnRunner(client, port, self._timings, self.explain)
        poster = VideoPoster(client, store, port)
        self.renders = RenderManager(
            client,
            store,
            port,
            self._timings,
            wording_for=self.wording_for,
            explain=self.explain,
            poster=poster,
            lease=self._lease,
        )
        self.versions = Versions(client, store, port, poster, wording_for=self.wording_for)

    # ----- conversations -------------------------------------------------------------

    async def wording_for(self, conversation: str) -> Wording:
        record = await self._store.get_conversation(conversation)
        return Wording(record.language if record else "en")

    async def start_conversation(
        self, conversation: str, *, owner_id: int | None, language: str = "en"
    ) -> Conversation:
        """Create a NemoVideo session and bind it to `conversation` (replacing any)."""
        lang = Wording(language).language
        session = await self._client.create_session(language=lang)
        return await self._store.save_conversation(
            conversation,
            session_id=session.session_id,
            task_id=session.task_id,
            user_id=session.user_id,
            owner_id=owner_id,
            language=lang,
        )

    async def ensure_conversation(
        self, conversation: str, *, owner_id: int | None, language: str = "en"
    ) -> Conversation:
        record = await self._store.get_conversation(conversation)
        if record is not None:
            return record
        return await self.start_conversation(conversation, owner_id=owner_id, language=language)

    def expect_session(self, conversation: str) -> None:
        """`begin` is about to create `conversation`'s session in the background: until it
        exists (or failed), `is_session` waits for it instead of answering no."""
        self._starting.setdefault(conversation, asyncio.Event())

    def is_starting(self, conversation: str) -> bool:
        return conversation in self._starting

    async def is_session(self, conversation: str) -> bool:
        """Does `conversation` have a session? One being created is waited for."""
        starting = self._starting.get(conversation)
        if starting is not None:
            await starting.wait()
        return await self._store.get_conversation(conversation) is not None

    # ----- the words for errors ------------------------------------------------------

    async def explain(
        self, error: NemoError, wording: Wording, doing: Doing = Doing.EXPORT
    ) -> str:
        """An error in the user's words, for the action that failed (`doing`).

        Where the chat's readers are the operator (the terminal), 2001 on the anonymous
        account comes with its registration link. Elsewhere that link would hand the
        operator's account to whoever clicks first: readers are told an admin can add
        credits, and what only the operator can act on (the link, a refused NEMO_TOKEN)
        goes to the log instead.
        """
        identity = self._tokens.identity
        operator = self._operator_reads_chat
        bind_url = await self.bind_link() if isinstance(error, InsufficientCredits) else None
        if not operator and bind_url is not None:
            log.warning(
                "the bot's anonymous NemoVideo account is out of credits; register through "
                "%s to claim it and add credits (keep the link private)",
                bind_url,
            )
        if not operator and isinstance(error, TokenInvalid) and not identity.anonymous:
            log.error("NemoVideo rejected NEMO_TOKEN: replace it (`nemobot doctor` checks it)")
        if not operator and isinstance(error, TokenRefused):
            log.error(
                "NemoVideo refused to renew the free anonymous token (retry after %s s): set "
                "NEMO_TOKEN to a registered account's token",
                error.retry_after,
            )
        return wording.error(
            error,
            anonymous=identity.anonymous,
            bind_url=bind_url if operator else None,
            operator=operator,
            doing=doing,
        )

    async def bind_link(self) -> str | None:
        """The link that claims the bot's anonymous account, or None when it is registered.
        Whoever registers through it first owns the account: show it to the operator only."""
        if not self._tokens.identity.anonymous:
            return None
        return registration_url(self._web_url, await self._tokens.user_id())

    async def add_credits_text(self, conversation: str, *, admin: bool) -> str:
        """How credits are added; the claim link only for an `admin` (shown privately)."""
        wording = await self.wording_for(conversation)
        if not admin:
            return wording.add_credits_not_admin()
        return wording.add_credits_admin(await self.bind_link())

    async def _with_session(
        self, conversation: str, wording: Wording, call: Callable[[str], Awaitable[T]]
    ) -> T:
        """`call(session_id)` with the recoveries of `recovery_for`, each tried once: a 429
        is waited out, and a lost session (1002) is replaced (the user is told) before
        trying again. Anything else is raised for the caller to explain."""
        record = await self._store.get_conversation(conversation)
        assert record is not None
        session_id = record.session_id
        attempts = Attempts()
        while True:
            try:
                return await call(session_id)
            except NemoError as exc:
                step = attempts.next(exc)
                if step is Recovery.WAIT:
                    await asyncio.sleep(wait_seconds(exc, self._timings))
                elif step is Recovery.NEW_SESSION:
                    session_id = await self._replace_session(conversation, record.language)
                    await self._port.send(conversation, await self.explain(exc, wording))
                else:
                    raise

    async def _replace_session(self, conversation: str, language: Language) -> str:
        """NemoVideo lost the session: bind a new one to the same conversation."""
        session = await self._client.create_session(language=language)
        await self._store.rebind_session(
            conversation, session.session_id, session.task_id, user_id=session.user_id
        )
        log.info("session for %s was gone; bound a new one", conversation)
        return session.session_id

    # ----- messages ------------------------------------------------------------------

    async def handle(self, message: IncomingMessage, *, language: str = "en") -> None:
        """Route one user message and carry it out in its conversation, in arrival order.

        A message still waiting for its turn when the conversation's work is cancelled is
        dropped, never sent, and its author told so."""
        try:
            async with self._line(message.conversation).place(message.author_id) as place:
                await self._handle(message, place, language)
        except TurnDropped:
            wording = await self.wording_for(message.conversation)
            await self._port.send(message.conversation, wording.message_dropped(message.text))

    async def _handle(self, message: IncomingMessage, place: Place, language: str) -> None:
        key = message.conversation
        intent = route(message.text, has_attachments=bool(message.attachments))
        try:
            conversation = await self.ensure_conversation(
                key, owner_id=message.author_id, language=language
            )
        except NemoError as exc:  # no session could be created (e.g. a first DM)
            await self._port.send(key, await self.explain(exc, Wording(language), Doing.CHAT))
            return
        wording = Wording(conversation.language)

        text = message.text.strip()
        if intent is Intent.UPLOAD:
            if not message.attachments:
                await self._port.send(key, wording.upload_how())
                return
            # Read from the platform while an earlier turn runs (a slow download holds up no
            # one else's turn), then upload in arrival order: words sent just after the files
            # come after them.
            place.reading_files(True)  # messages behind it are told what they wait for
            async with self._uploads.staged(message.attachments, wording) as staged:
                place.reading_files(False)
                for refusal in staged.refusals:
                    await self._port.send(key, refusal)
                if not staged.files:
                    return
                async with self._turn(place, wording):
                    uploaded = await self._upload(key, staged.files, wording)
                    if not uploaded or not text or is_upload_word(text):
                        return  # nothing more than the files, or "upload this"
                    intent = route(text)  # words sent with the files: "status", or an edit
                    if intent is Intent.CHAT and has_visible_text(text):
                        # In the same turn, so nothing comes between the files and the words.
                        await self._chat_if_allowed(message, text, wording)
                        return

        await place.leave()  # what follows is no turn, or takes its own place (export)
        if intent is Intent.CREDITS:
            await self._port.send(key, await self.credits_text(key))
        elif intent is Intent.STATUS:
            await self._port.send(key, await self.status_text(key))
        elif intent is Intent.EXPORT:
            await self.export(key, message.author_id)
        elif intent is Intent.CANCEL:
            await self._port.send(key, await self.cancel(key, message.author_id))
        elif not has_visible_text(text):
            # Nothing to act on (a bare mention, `** **`): never a paid turn.
            if message.text:
                await self._port.send(key, wording.say_what())
        else:
            async with self._turn_lock(key, wording, message.author_id):
                await self._chat_if_allowed(message, text, wording)

    async def _chat_if_allowed(self, message: IncomingMessage, text: str, wording: Wording) -> None:
        if await self._within_limit(message.author_id, message.conversation, wording):
            await self._chat(message.conversation, message.author_id, text, wording)

    async def resend(self, conversation: str) -> bool:
        """Send again the last message of `conversation` that never reached NemoVideo;
        False when there is none (it was sent since, or the bot restarted)."""
        message = self._unsent.pop(conversation, None)
        if message is None:
            return False
        await self.handle(message)
        return True

    def _line(self, conversation: str) -> TurnLine:
        return self._lines.setdefault(conversation, TurnLine(conversation))

    @contextlib.asynccontextmanager
    async def _turn_lock(
        self, conversation: str, wording: Wording, author: int | None
    ) -> AsyncIterator[None]:
        """One turn per conversation (for `author`), after those already in line."""
        async with self._line(conversation).place(author) as place, self._turn(place, wording):
            yield

    @contextlib.asynccontextmanager
    async def _turn(self, place: Place, wording: Wording) -> AsyncIterator[None]:
        """`place`'s turn; a message that has to wait is told so."""
        place.ask()  # waiting from now on, while it is told so too: a cancel drops it
        if self._line(place.conversation).running():
            await self._port.send(place.conversation, wording.wait_your_turn())
        elif place.behind_files():
            await self._port.send(place.conversation, wording.wait_for_files())
        async with place.turn():
            yield

    async def credits_text(self, conversation: str) -> str:
        wording = await self.wording_for(conversation)
        try:
            credits = await self._with_session(
                conversation, wording, lambda _session: self._client.fetch_credits()
            )
        except NemoError as exc:
            return await self.explain(exc, wording, Doing.CHAT)
        return wording.credits(credits.available, credits.frozen, credits.total)

    async def status_text(self, conversation: str) -> str:
        return (await self.status_reply(conversation)).text

    async def status_reply(self, conversation: str) -> StatusReply:
        if not await self.is_session(conversation):  # one being created is waited for
            return StatusReply((await self.wording_for(conversation)).nothing_to_export())
        wording = await self.wording_for(conversation)
        try:
            state = await self._with_session(conversation, wording, self._client.fetch_state)
        except NemoError as exc:
            return StatusReply(await self.explain(exc, wording, Doing.CHAT))
        text = wording.status(timeline_summary(state.draft))
        files = await self._session_files(conversation)
        if files:
            text += "\n" + wording.status_files(files)
        return StatusReply(text, state.draft, timeline_card(state.draft, wording, files=files))

    async def _session_files(self, conversation: str) -> list[str]:
        """The names of the files uploaded into the conversation's current session."""
        record = await self._store.get_conversation(conversation)
        uploads = await self._store.list_uploads(conversation)
        return [u.filename for u in uploads if record and u.session_id == record.session_id]

    async def export(self, conversation: str, requester_id: int | None) -> None:
        """Render the conversation's timeline; one render at a time, never mid-turn (an
        export still waiting for its turn when the work is cancelled is dropped)."""
        session = await self.is_session(conversation)  # one being created is waited for
        wording = await self.wording_for(conversation)
        if not session:
            await self._port.send(conversation, wording.nothing_to_export())
            return
        try:
            await self._export(conversation, requester_id, wording)
        except TurnDropped:
            await self._port.send(conversation, wording.export_dropped())

    async def _export(self, conversation: str, requester_id: int | None, wording: Wording) -> None:
        async with self._turn_lock(conversation, wording, requester_id):
            if await self.renders.is_rendering(conversation):
                await self._port.send(conversation, wording.render_already_running())
                return
            try:
                state = await self._with_session(conversation, wording, self._client.fetch_state)
            except NemoError as exc:
                await self._port.send(conversation, await self.explain(exc, wording))
                return
            if not state.draft.is_exportable:
                await self._port.send(conversation, wording.nothing_to_export())
                return
            record = await self._store.get_conversation(conversation)
            assert record is not None
            await self.renders.start(conversation, record.session_id, state.draft, requester_id)

    async def cancel(self, conversation: str, by: int | None, *, may_manage: bool = False) -> str:
        """Stop what the conversation is doing, as far as `by` may; the sentence to answer.

        `by` may stop what they asked for (and anyone what nobody in particular did, as in
        the terminal); `may_manage` (a thread moderator) anything. The messages waiting for
        their turn are dropped (each author is told as the message leaves the line), the
        chat turn streaming its reply is stopped (its stream closed, then the session read
        as after a dropped stream, never sent again), and the render in flight cancelled
        (`RenderManager.cancel`). Done first, in one step, the drop and the stop leave
        nothing in between to start.
        """
        wording = await self.wording_for(conversation)

        def allowed(owner: int | None) -> bool:
            return may_manage or owner in (None, by)

        line = self._line(conversation)
        dropped = await line.drop_waiting(allowed)
        stop = self._stops.get(conversation)
        mine = stop is not None and allowed(stop.requester)
        stopped = stop is not None and mine and stop.request()
        refused = line.holds_waiting() or (stop is not None and not mine and not stop.requested)
        render = await self.renders.cancel(conversation, by, may_manage=may_manage)
        said = [wording.cancel_turn_done()] if stopped else []
        if render is CancelOutcome.CANCELLED:
            said.append(wording.cancel_done())
        elif render is CancelOutcome.TOO_LATE:
            said.append(wording.cancel_too_late())
        if dropped:
            said.append(wording.cancel_dropped(len(dropped)))
        if said:
            return " ".join(said)
        if refused or render is CancelOutcome.NOT_YOURS:
            return wording.cancel_not_yours()
        return wording.cancel_nothing()

    async def versions_card(self, conversation: str) -> Card:
        """The conversation's delivered videos, newest first (`bot.core.versions`)."""
        return await self.versions.listing(conversation)

    async def version_id(self, conversation: str, number: int) -> str | None:
        """The render id of the conversation's version `number`, if there is one."""
        versions = await self._store.list_versions(conversation)
        return next((v.render_id for v in versions if v.number == number), None)

    async def post_again(self, conversation: str, render_id: str) -> str | None:
        """Post a version again, without a new render; None when the chat shows what
        happened (the video, or that its link expired, with Export MP4), else the sentence
        for the one who asked."""
        wording = await self.wording_for(conversation)
        outcome = await self.versions.post_again(conversation, render_id)
        return {
            AgainOutcome.POSTED: None,
            AgainOutcome.EXPIRED: None,
            AgainOutcome.UNKNOWN: wording.version_unknown(),
            AgainOutcome.BUSY: wording.version_busy(),
            AgainOutcome.FAILED: wording.version_post_failed(),
        }[outcome]

    async def delete_post(
        self,
        conversation: str,
        render_id: str,
        message_id: str,
        by: int | None,
        *,
        may_manage: bool = False,
    ) -> str:
        """Delete a delivered video's message if `by` may (its requester, or `may_manage`);
        the sentence to answer with."""
        wording = await self.wording_for(conversation)
        outcome = await self.versions.delete(
            conversation, render_id, message_id, by=by, may_manage=may_manage
        )
        return {
            DeleteOutcome.DELETED: wording.post_deleted,
            DeleteOutcome.NOT_YOURS: wording.delete_not_yours,
            DeleteOutcome.UNKNOWN: wording.version_unknown,
        }[outcome]()

    async def retry_export(self, conversation: str, requester_id: int | None) -> None:
        """Retry under a failed export: post the last render again if it was rendered but
        could not be posted (and NemoVideo still has it), else render anew."""
        if await self.renders.retry(conversation):
            return
        await self.export(conversation, requester_id)

    async def begin(self, first: IncomingMessage, *, language: str = "en") -> None:
        """A new video: a fresh session for the conversation, then its first message."""
        self.expect_session(first.conversation)
        try:
            await self.start_conversation(
                first.conversation, owner_id=first.author_id, language=language
            )
        except NemoError as exc:
            words = await self.explain(exc, Wording(language), Doing.CHAT)
            await self._port.send(first.conversation, words)
            return
        finally:
            started = self._starting.pop(first.conversation, None)
            if started is not None:
                started.set()
        await self.handle(first, language=language)

    async def reset(self, conversation: str, *, owner_id: int | None) -> str | None:
        """Start over with a fresh NemoVideo session; None, or why it was not done.

        Never while something of the old session is in flight: a running (or resumed)
        turn, or a render, would otherwise post into the fresh session's conversation.
        The turn lock is held throughout, so nothing starts in between.
        """
        record = await self._store.get_conversation(conversation)
        wording = Wording(record.language if record else "en")
        if self._line(conversation).busy() or await self._turn_unfinished(conversation):
            return wording.reset_busy()
        async with self._line(conversation).place() as place, place.turn():
            if await self.renders.is_rendering(conversation):
                return wording.reset_while_rendering()
            try:
                await self.start_conversation(
                    conversation, owner_id=owner_id, language=wording.language
                )
            except NemoError as exc:
                return await self.explain(exc, wording, Doing.CHAT)
            self._unsent.pop(conversation, None)
            await self._port.send(conversation, wording.session_reset())
        return None

    async def _turn_unfinished(self, conversation: str) -> bool:
        """A turn of `conversation` still running here or being resumed after a restart."""
        return any(t.conversation == conversation for t in await self._store.get_unfinished_turns())

    # ----- start-up and shut-down ----------------------------------------------------

    async def resume(self, conversation: str | None = None) -> None:
        """Finish what a previous run left: renders in flight and interrupted turns.

        With `conversation`, only that conversation's (a terminal shows just its own).
        Without, the same is done again every `LeaseTerms.scan_every` from now on, so the
        work of another process that died (or stalled past its leases) is taken over.
        """
        if conversation is None and self._scanner is None and self._timings.lease_background:
            self._scanner = asyncio.create_task(self._scan(), name="lease-scan")
        await self.renders.resume(conversation)
        granted = time.monotonic()
        for turn in await self._store.claim_turns(self._lease, conversation):
            if turn.id in self._live_turns or turn.hold is None:
                continue
            self._hold_turn(turn.id, turn.hold, granted)
            self._live_turns.add(turn.id)
            self._track(self._resume_turn(turn, turn.hold), f"resume-turn-{turn.id}")

    def _track(self, work: Coroutine[Any, Any, None], name: str) -> None:
        """Run `work` in the background: `drain` waits for it, `close` cancels it."""
        task = asyncio.create_task(work, name=name)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def drain(self) -> None:
        """Wait for everything in flight: turns, resumed turns, renders."""
        while self._tasks or any(line.busy() for line in self._lines.values()):
            if self._tasks:
                await asyncio.gather(*list(self._tasks), return_exceptions=True)
            else:
                await asyncio.sleep(0.05)
        await self.renders.wait_idle()

    async def _scan(self) -> None:
        """Claim, now and then, the renders and cut-off turns whose holder stopped
        renewing their leases."""
        while True:
            await asyncio.sleep(self._lease.scan_every)
            try:
                await self.resume()
            except Exception:  # the database is away for a moment: the next scan tries again
                log.warning("the scan for work to take over failed", exc_info=True)

    def _hold_turn(self, turn_id: int, hold: Hold, granted: float) -> None:
        self._turn_leases.add(str(turn_id), hold, granted)
        if not self._timings.lease_background:
            return
        if self._turn_keeper is None or self._turn_keeper.done():
            self._turn_keeper = asyncio.create_task(self._renew_turn_leases(), name="turn-leases")

    async def _renew_turn_leases(self) -> None:
        """Renew the leases of the turns running here, three times a lease."""
        while self._turn_leases:
            await asyncio.sleep(self._lease.renew_every)
            for key, hold in self._turn_leases.items():
                granted = time.monotonic()
                try:
                    kept = await self._store.renew_turn_lease(int(key), hold, self._lease)
                except Exception:  # the database is away: the next round tries again
                    log.warning("turn %s: could not renew its lease", key, exc_info=True)
                    continue
                if kept:
                    self._turn_leases.renewed(key, hold, granted)
                else:
                    log.warning("turn %s: its lease went to another process", key)
                    self._turn_leases.drop(key, hold)

    async def close(self) -> None:
        """Stop, and hand over what is unfinished: the turns cut off here are left running
        with their leases released, so the next start (or another process) resumes them
        at once."""
        held = self._turn_leases.items()
        tasks = list(self._tasks)
        tasks += [t for t in (self._scanner, self._turn_keeper) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.renders.close()
        for key, hold in held:
            try:
                await self._store.release_turn_lease(int(key), hold)
            except Exception:  # the database is going away too: the lease runs out instead
                log.warning("turn %s: could not release its lease", key)

    # ----- internals -----------------------------------------------------------------

    async def _within_limit(self, user_id: int, conversation: str, wording: Wording) -> bool:
        limit = self._limits.max_turns_per_user_per_day
        if limit <= 0:
            return True
        if await self._store.count_turns_today(user_id) >= limit:
            await self._port.send(conversation, wording.limit_reached(limit))
            return False
        return True

    async def _upload(
        self, conversation: str, staged: Sequence[StagedFile], wording: Wording
    ) -> bool:
        """Upload the files read from the platform; True when at least one went through."""
        async def upload(session: str) -> tuple[str, list[UploadedFile]]:
            return session, await self._client.upload_files(session, [f.source() for f in staged])

        try:
            session_id, files = await self._with_session(conversation, wording, upload)
        except NemoError as exc:
            await self._port.send(conversation, await self.explain(exc, wording, Doing.UPLOAD))
            return False
        for item in files:
            await self._store.add_upload(
                conversation,
                session_id=session_id,
                filename=item.filename,
                size_bytes=next((f.size_bytes for f in staged if f.filename == item.filename), 0),
                file_type=item.file_type,
                cdn_url=item.cdn_url,
            )
        await self._port.send(conversation, wording.uploaded([f.filename for f in files]))
        return True

    async def _chat(self, conversation: str, author_id: int, text: str, wording: Wording) -> None:
        record = await self._store.get_conversation(conversation)
        assert record is not None
        reply = LiveReply(
            self._port,
            conversation,
            language=wording.language,
            interval_seconds=self._timings.edit_interval_seconds,
            live_actions=(Action.CANCEL,),
        )
        # From here on a cancel stops this turn (before its message is sent, or its stream).
        stop = self._stops[conversation] = TurnStop(author_id)
        try:
            await self._chat_turn(conversation, author_id, text, wording, record, reply, stop)
        finally:
            if self._stops.get(conversation) is stop:
                del self._stops[conversation]

    async def _chat_turn(
        self,
        conversation: str,
        author_id: int,
        text: str,
        wording: Wording,
        record: Conversation,
        reply: LiveReply,
        stop: TurnStop,
    ) -> None:
        # The placeholder waits for its turn in the platform's budget while the turn gets
        # going: under load the first message then shows the first streamed text.
        reply.begin(live_status(self._port, wording.thinking(), time.time()))

        async def session_lost() -> str:
            return await self._replace_session(conversation, record.language)

        # The state before the turn tells a silent edit, a dropped stream or a restart
        # what the turn changed. It is also where a lost session (1002) shows up first.
        session_id = record.session_id
        before: SessionState | None = None
        try:
            before = await self._client.fetch_state(session_id)
        except NemoError as exc:
            if recovery_for(exc) is not Recovery.NEW_SESSION:
                log.warning("state before the turn unavailable: %r", exc)
            else:
                session_id = await session_lost()
                await self._port.send(conversation, await self.explain(exc, wording, Doing.CHAT))

        granted = time.monotonic()
        turn = await self._store.start_turn(
            conversation,
            author_id=author_id,
            status_message_id=reply.first_message_id,
            state_fingerprint=fingerprint_state(before) if before else None,
            lease=self._lease,
        )
        hold = turn.hold
        assert hold is not None
        self._hold_turn(turn.id, hold, granted)
        if turn.status_message_id is None:
            self._track(self._note_status_message(turn.id, hold, reply), f"turn-{turn.id}-message")
        self._live_turns.add(turn.id)
        await self._store.record_turn_usage(author_id)
        started = time.monotonic()
        try:
            outcome = await self._turns.run(
                conversation,
                session_id,
                text,
                wording,
                before=before,
                reply=reply,
                on_session_lost=session_lost,
                stop=stop,
            )
        except asyncio.CancelledError:
            # Shutting down mid-turn: the turn stays "running" so the next start resumes it.
            log.info("turn %s in %s interrupted by shutdown", turn.id, conversation)
            raise
        except Exception:
            log.exception("turn %s in %s failed unexpectedly", turn.id, conversation)
            await self._store.finish_turn(turn.id, TurnStatus.FAILED, hold)
            self._turn_leases.drop(str(turn.id), hold)
            try:
                await reply.finish(wording.unexpected_error(), (Action.TIMELINE,))
            except Exception:  # the platform itself is failing: the log has it
                log.warning("could not tell %s about the failure", conversation)
            return
        finally:
            await reply.close()
            self._live_turns.discard(turn.id)
        status = TurnStatus.DONE if outcome.error is None else TurnStatus.FAILED
        if outcome.cancelled:
            status = TurnStatus.INTERRUPTED
        await self._store.finish_turn(turn.id, status, hold)
        self._turn_leases.drop(str(turn.id), hold)
        if isinstance(outcome.error, RequestNotSent):
            self._unsent[conversation] = IncomingMessage(conversation, author_id, text)
        else:
            self._unsent.pop(conversation, None)
        seconds = time.monotonic() - started
        if self._telemetry is not None:
            self._telemetry.turn_finished(status.value, seconds)
        log.info(
            "turn %s in %s: %s, %d tool calls, %.1fs",
            turn.id,
            conversation,
            status.value,
            len(outcome.tools),
            seconds,
        )

    async def _note_status_message(self, turn_id: int, hold: Hold, reply: LiveReply) -> None:
        """Record the turn's first message once it is posted: a restart resumes the turn in
        it instead of posting another."""
        try:
            message_id = await reply.first_message()
        except Exception:  # the post failed: the turn's later writes tell, or the log does
            log.warning("turn %s: its first message was not posted", turn_id)
            return
        await self._store.note_turn_status_message(turn_id, message_id, hold)

    async def _resume_turn(self, turn: Turn, hold: Hold) -> None:
        """A turn the last run did not finish: never re-send it, read the state instead.
        This process claimed it (`hold`): no other resumes it too."""
        record = await self._store.get_conversation(turn.conversation)
        if record is None:
            await self._store.finish_turn(turn.id, TurnStatus.INTERRUPTED, hold)
            self._turn_leases.drop(str(turn.id), hold)
            return
        wording = Wording(record.language)
        reply = LiveReply(
            self._port,
            turn.conversation,
            message_id=turn.status_message_id,
            language=wording.language,
            interval_seconds=self._timings.edit_interval_seconds,
        )
        try:
            # recover() shows its notice at once, in the old message or (gone) a new one.
            outcome = await self._turns.recover(
                record.session_id,
                wording,
                turn.state_fingerprint,
                reply,
                TurnOutcome(),
                wording.recovery_checking(),
                lambda: self._replace_session(turn.conversation, record.language),
            )
            final = TurnStatus.DONE if outcome.changed else TurnStatus.INTERRUPTED
            await self._store.finish_turn(turn.id, final, hold)
        except Exception:
            log.exception("could not resume turn %s", turn.id)
            await self._store.finish_turn(turn.id, TurnStatus.INTERRUPTED, hold)
        finally:
            await reply.close()
            self._live_turns.discard(turn.id)
            self._turn_leases.drop(str(turn.id), hold)  # (close() has kept what it releases)
