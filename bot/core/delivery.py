"""Posting a finished render: download it, post it in one card message, keep it as a version.

`VideoPoster.post` is the whole of one post, for a render's first delivery (its watcher in
`bot.core.renders`) and for each Post again of a version (`bot.core.versions`):

1. the MP4 is downloaded (up to the downloader's cap, DOWNLOAD_MAX_BYTES) whatever the
   chat's upload limit;
2. ffmpeg reads its duration and takes the poster frame; when the MP4 is over the limit it
   also makes a preview that fits (`bot.core.preview`);
3. one message goes out: the card (`bot.core.video_card`: title, duration, size, poster
   frame, controls) with the MP4, or with the preview and the link, or with the link alone
   when no preview could be made (ffmpeg missing or failing, the file over the download
   cap): the delivery itself never depends on ffmpeg;
4. the version is recorded with the message it is in.

The post carries the caller's nonce, so a post made again after a kill is not posted twice.
"""

from __future__ import annotations

import asyncio
import logging
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from bot.core.port import ChatPort, OutgoingFile
from bot.core.preview import DeliveryMedia, prepare_delivery_media
from bot.core.progress import Stage
from bot.core.records import PostedAs, Version
from bot.core.store import Store
from bot.core.video_card import VideoFacts, video_card
from bot.core.wording import Wording
from bot.nemo.client import NemoClient
from bot.nemo.downloads import DownloadTooLarge
from bot.nemo.errors import RenderFailed
from bot.nemo.models import RenderJob

log = logging.getLogger(__name__)

OnStage = Callable[[Stage], Awaitable[None]]


async def _no_stage(_stage: Stage) -> None:
    return None


@dataclass(frozen=True, slots=True)
class VideoPost:
    """One post of a finished render: where, what, for whom, and its nonce."""

    conversation: str
    job: RenderJob
    title: str | None
    requester_id: int | None
    nonce: str
    #: Only the first delivery pings its requester; a post made again pings nobody.
    ping: bool = True


class VideoPoster:
    """Posts finished renders as cards. Built once, shared by renders and versions."""

    def __init__(self, client: NemoClient, store: Store, port: ChatPort) -> None:
        self._client = client
        self._store = store
        self._port = port

    async def post(
        self, post: VideoPost, wording: Wording, on_stage: OnStage = _no_stage
    ) -> Version:
        """Post the render (see the module docstring) and keep it as a version."""
        render_id = post.job.render_id
        limit = await self._port.upload_limit_bytes(post.conversation)
        with tempfile.TemporaryDirectory(prefix="nemobot-render-") as folder:
            path = Path(folder) / f"{render_id}.mp4"
            await on_stage(Stage.DOWNLOADING)
            try:
                await self._client.download_render(post.job, path)
            except DownloadTooLarge:
                log.info("render %s is over the download cap: posting its link", render_id)
                return await self._send(post, wording, PostedAs.LINK, post.job.size_bytes)
            size = (await asyncio.to_thread(path.stat)).st_size
            if size > limit:  # a preview takes a while to make: say so
                await on_stage(Stage.PREPARING)
            media = await prepare_delivery_media(path, limit)
            if size <= limit:
                video = OutgoingFile(path, wording.video_alt())
                files = [video, *await _poster_within(media, wording, limit - size)]
                await on_stage(Stage.UPLOADING)
                return await self._send(post, wording, PostedAs.FILE, size, media, files)
            if media.preview is None or post.job.output_url is None:
                return await self._send(post, wording, PostedAs.LINK, size, media)
            preview_size = (await asyncio.to_thread(media.preview.stat)).st_size
            clip = OutgoingFile(media.preview, wording.preview_alt())
            files = [clip, *await _poster_within(media, wording, limit - preview_size)]
            await on_stage(Stage.UPLOADING)
            return await self._send(post, wording, PostedAs.PREVIEW, size, media, files)

    async def _send(
        self,
        post: VideoPost,
        wording: Wording,
        posted_as: PostedAs,
        size_bytes: int | None,
        media: DeliveryMedia | None = None,
        files: list[OutgoingFile] | None = None,
    ) -> Version:
        render_id, link = post.job.render_id, post.job.output_url
        if posted_as is PostedAs.LINK and link is None:
            raise RenderFailed("the render has no download link")
        info = media.info if media is not None else None
        duration_ms = round(info.duration_seconds * 1000) if info is not None else None
        facts = VideoFacts(
            render_id,
            await self._store.next_version_number(post.conversation, render_id),
            post.title,
            link,
            size_bytes,
            duration_ms,
            posted_as,
        )
        attached = files or []
        poster = next((f.path.name for f in attached if media and f.path == media.poster), None)
        message_id = await self._port.send_card(
            post.conversation,
            video_card(facts, wording, poster=poster),
            files=attached,
            language=wording.language,
            ping_user=post.requester_id if post.ping else None,
            nonce=post.nonce,
        )
        return await self._store.record_version(
            render_id,
            post.conversation,
            message_id=message_id,
            posted_as=posted_as,
            requester_id=post.requester_id,
            title=post.title,
            output_url=link,
            size_bytes=size_bytes,
            duration_ms=duration_ms,
        )


async def _poster_within(
    media: DeliveryMedia, wording: Wording, room_bytes: int
) -> list[OutgoingFile]:
    """The poster to post beside a video, if there is one and it fits in the room left."""
    if media.poster is None:
        return []
    size = (await asyncio.to_thread(media.poster.stat)).st_size
    return [OutgoingFile(media.poster, wording.poster_alt())] if size <= room_bytes else []
