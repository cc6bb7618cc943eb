"""A conversation's versions: every video it was delivered, listed, posted again, deleted.

    card = await versions.listing(conversation)        # newest first, links and jump links
    outcome = await versions.post_again(conversation, render_id)
    outcome = await versions.delete(conversation, render_id, message_id, by=user)

Post again asks NemoVideo about the render (a status check, never a new render): while it
is still there, its video is downloaded and posted again in a card like the first one
(`bot.core.delivery`), pinging nobody, and the version's jump link moves to the new post.
A render NemoVideo no longer has, or no longer has finished, has an expired link: the chat
is told so, with Export MP4 to render the current timeline anew.
"""

from __future__ import annotations

import logging
from datetime import UTC
from enum import StrEnum

from bot.core.card import Card, CardField, Control, Tone
from bot.core.delivery import VideoPost, VideoPoster
from bot.core.port import Action, ChatPort
from bot.core.records import Version
from bot.core.renders import WordingFor, post_nonce
from bot.core.store import Store
from bot.core.video_card import VideoFacts, video_fields
from bot.nemo.client import NemoClient
from bot.nemo.errors import NemoError, RenderFailed
from bot.nemo.models import RenderStatus

log = logging.getLogger(__name__)

#: How many versions the list shows with a Post again button (Discord: 5 buttons a row).
MAX_LISTED_CONTROLS = 5
#: How many versions the list shows at all (Discord: 25 fields to a card).
MAX_LISTED = 20


class AgainOutcome(StrEnum):
    """What `Versions.post_again` did."""

    POSTED = "posted"
    EXPIRED = "expired"  # NemoVideo no longer has it: the chat was told, with Export
    UNKNOWN = "unknown"  # no such version in this conversation
    BUSY = "busy"  # being posted again already
    FAILED = "failed"  # NemoVideo could not be reached, or the post failed: try again


class DeleteOutcome(StrEnum):
    DELETED = "deleted"
    NOT_YOURS = "not_yours"
    UNKNOWN = "unknown"


class Versions:
    """The versions of every conversation. Built once, beside the render manager."""

    def __init__(
        self,
        client: NemoClient,
        store: Store,
        port: ChatPort,
        poster: VideoPoster,
        *,
        wording_for: WordingFor,
    ) -> None:
        self._client = client
        self._store = store
        self._port = port
        self._poster = poster
        self._wording_for = wording_for
        self._posting: set[str] = set()

    async def listing(self, conversation: str) -> Card:
        """The conversation's versions, newest first: each with its duration, size, when it
        was posted, its download link and a jump link to its post; Post again under the
        newest few."""
        wording = await self._wording_for(conversation)
        versions = await self._store.list_versions(conversation)
        if not versions:
            return Card(Tone.INFO, wording.versions_title(), body=wording.versions_none())
        fields = [await self._entry(version) for version in versions[:MAX_LISTED]]
        controls = tuple(
            Control(Action.POST_AGAIN, v.render_id, note=str(v.number))
            for v in versions[:MAX_LISTED_CONTROLS]
        )
        return Card(
            Tone.INFO,
            wording.versions_title(),
            fields=tuple(fields),
            footer=wording.versions_how(),
            controls=controls,
        )

    async def _entry(self, version: Version) -> CardField:
        wording = await self._wording_for(version.conversation)
        clock = self._port.clock_since(version.posted_at.timestamp())
        when = clock or version.posted_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")
        facts = " · ".join(f.value for f in video_fields(VideoFacts.of(version), wording))
        lines = [" · ".join(part for part in (facts, wording.version_posted(when)) if part)]
        if version.output_url:
            lines.append(version.output_url)
        if version.message_id is not None:
            jump = await self._port.message_link(version.conversation, version.message_id)
            if jump:
                lines.append(jump)
        title = version.title or wording.video_untitled()
        return CardField(f"{version.number}. {title}", "\n".join(lines), inline=False)

    async def post_again(self, conversation: str, render_id: str) -> AgainOutcome:
        """Post a version again, without a new render, while NemoVideo still has it."""
        version = await self._store.get_version(render_id)
        if version is None or version.conversation != conversation:
            return AgainOutcome.UNKNOWN
        if render_id in self._posting:
            return AgainOutcome.BUSY
        self._posting.add(render_id)
        try:
            return await self._post_again(version)
        finally:
            self._posting.discard(render_id)

    async def _post_again(self, version: Version) -> AgainOutcome:
        wording = await self._wording_for(version.conversation)
        try:
            job = await self._client.fetch_render(version.render_id)
        except RenderFailed:  # NemoVideo does not know it any more
            job = None
        except NemoError as exc:
            log.info("version %s: NemoVideo could not be asked (%r)", version.render_id, exc)
            return AgainOutcome.FAILED
        if job is None or job.status is not RenderStatus.COMPLETED:
            log.info("version %s of %s has expired", version.number, version.conversation)
            await self._port.send(
                version.conversation,
                wording.version_expired(version.number),
                actions=(Action.EXPORT,),
                language=wording.language,
            )
            return AgainOutcome.EXPIRED
        posts = await self._store.count_posts(version.render_id)
        post = VideoPost(
            version.conversation,
            job,
            version.title,
            version.requester_id,
            post_nonce(version.render_id, f"again-{posts}"),
            ping=False,
        )
        try:
            await self._poster.post(post, wording)
        except Exception:
            log.warning("version %s could not be posted again", version.render_id, exc_info=True)
            return AgainOutcome.FAILED
        log.info("version %s of %s posted again", version.number, version.conversation)
        return AgainOutcome.POSTED

    async def delete(
        self,
        conversation: str,
        render_id: str,
        message_id: str,
        *,
        by: int | None,
        may_manage: bool = False,
    ) -> DeleteOutcome:
        """Delete a post of a version: its requester (anyone, for one nobody requested, like
        the terminal's) or `may_manage` may. The version stays listed (its link may still
        work); its jump link goes if it pointed at this message."""
        version = await self._store.get_version(render_id)
        if version is None or version.conversation != conversation:
            return DeleteOutcome.UNKNOWN
        if not may_manage and version.requester_id not in (None, by):
            return DeleteOutcome.NOT_YOURS
        await self._port.delete(conversation, message_id)  # one gone already is no error
        await self._store.forget_version_message(render_id, message_id)
        log.info("a post of version %s in %s deleted by %s", version.number, conversation, by)
        return DeleteOutcome.DELETED
