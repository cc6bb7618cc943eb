"""NemoClient: one async method per NemoVideo endpoint (nemovideo-api.md).

Every request goes through the same few steps: the attribution headers, the token
(`TokenAuth`, which also renews it on 1001 and sends the request once more), the JSON body
decoded whatever the HTTP status (§2.3), and a failure turned into a typed error with
`error_from_response`. Network failures become `ServiceUnavailable` / `ServiceTimeout`,
or `StreamDropped` once a chat stream has started.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import mimetypes
from collections.abc import AsyncIterable, AsyncIterator, Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
from httpx_sse import EventSource, aconnect_sse

from bot.nemo.auth import TokenAuth, TokenProvider, normalise_api_url
from bot.nemo.downloads import Downloader, DownloadTooLarge, UrlPolicy
from bot.nemo.draft import Draft
from bot.nemo.errors import (
    MissingClientId,
    NemoError,
    RenderFailed,
    SessionNotFound,
    StreamDropped,
    TokenInvalid,
    UnexpectedResponse,
)
from bot.nemo.events import Event, PartialTextFilter, parse_event
from bot.nemo.models import (
    AnonymousToken,
    Credits,
    RenderJob,
    Session,
    SessionState,
    UploadedFile,
)
from bot.nemo.multipart import CHUNK_BYTES, FilePart, MultipartBody, file_chunks
from bot.nemo.transport import decode_body, refusal, transport_error
from bot.nemo.wire import (
    parse_anonymous_token,
    parse_credits,
    parse_render_job,
    parse_session,
    parse_state,
    parse_uploaded_files,
)

log = logging.getLogger(__name__)

#: A chat turn may last 15 minutes (generation takes 100–300 s).
STREAM_TIMEOUT_SECONDS = 900.0
CONNECT_TIMEOUT_SECONDS = 10.0
#: After a large upload the backend may probe the file before it answers.
UPLOAD_READ_TIMEOUT_SECONDS = 300.0

APP_NAME = "nemo_agent"
DEFAULT_RENDER_OUTPUT: dict[str, Any] = {"format": "mp4", "quality": "high", "resolution": "1080p"}

_STREAM_TIMEOUT = httpx.Timeout(
    connect=CONNECT_TIMEOUT_SECONDS, read=STREAM_TIMEOUT_SECONDS, write=30.0, pool=10.0
)
_UPLOAD_TIMEOUT = httpx.Timeout(
    connect=CONNECT_TIMEOUT_SECONDS, read=UPLOAD_READ_TIMEOUT_SECONDS, write=60.0, pool=10.0
)


@dataclass(frozen=True, slots=True)
class Attribution:
    """The three headers NemoVideo wants on every request (missing ones → 402 on export)."""

    source: str
    version: str
    platform: str = "unknown"

    def headers(self) -> dict[str, str]:
        return {
            "X-Skill-Source": self.source,
            "X-Skill-Version": self.version,
            "X-Skill-Platform": self.platform,
        }


@dataclass(frozen=True, slots=True)
class UploadSource:
    """One file to upload: from disk (`path`) or from an async byte source (`chunks`).

    `size`, when known for a `chunks` source, lets the request carry a Content-Length
    instead of being sent chunked; it must then be exact. A `chunks` source that is a
    one-shot iterator cannot be sent twice, so such an upload is not retried after a 1001.
    """

    filename: str
    path: Path | None = None
    chunks: AsyncIterable[bytes] | None = None
    content_type: str | None = None
    size: int | None = None


def _segment(value: str) -> str:
    return quote(value, safe="")


class NemoClient:
    """Talks to NemoVideo over an `httpx.AsyncClient` whose base_url is NEMO_API_URL.

    Renders are downloaded through `downloads` (by default: the URL policy for this API
    and the default byte cap and read timeout). `on_error` is told of every failure as it
    is raised (the metrics count them by type and code).

    `transfers`, if given, is a second client to the same server for what holds a
    connection for long: streamed replies and uploads (and, built by the caller, the
    downloads). httpx's pool walks all of its connections on every request and response
    (encode/httpcore#1035), so with hundreds of replies streaming at once the short calls
    (a session's state after each turn) would cost the whole bot seconds of CPU in one
    pool; in a small pool of their own they cost next to nothing.
    """

    def __init__(
        self,
        http: httpx.AsyncClient,
        tokens: TokenProvider,
        attribution: Attribution,
        downloads: Downloader | None = None,
        *,
        on_error: Callable[[NemoError], None] | None = None,
        transfers: httpx.AsyncClient | None = None,
    ) -> None:
        transfers = transfers or http
        for client in (http, transfers):
            if normalise_api_url(str(client.base_url)) != tokens.api_url:
                raise ValueError(
                    f"tokens for {tokens.api_url} cannot be sent to {client.base_url}: a "
                    "token only works on the server that issued it"
                )
        self._http = http
        self._transfers = transfers
        self._auth = TokenAuth(tokens)
        self._auth_no_replay = TokenAuth(tokens, replay=False)
        self._attribution = attribution
        self._downloads = downloads or Downloader(http, UrlPolicy(str(http.base_url)))
        self._on_error = on_error

    def _noted(self, error: NemoError) -> NemoError:
        """`error`, after telling `on_error` of it (raise what this returns)."""
        if self._on_error is not None:
            self._on_error(error)
        return error

    # -- plumbing ---------------------------------------------------------------------

    async def _call(
        self,
        method: str,
        url: str,
        *,
        json_body: object = None,
        body: MultipartBody | None = None,
        replayable: bool = True,
        http_timeout: httpx.Timeout | None = None,
    ) -> object:
        """Send an authenticated request; return the decoded body of a success.

        On 1001 the token is renewed and the request sent once more, when its body can be
        produced again (`replayable`).
        """
        headers = self._attribution.headers()
        if body is not None:
            headers["Content-Type"] = body.content_type
            if body.content_length is not None:
                headers["Content-Length"] = str(body.content_length)
        try:
            client = self._http if body is None else self._transfers
            response = await client.request(
                method,
                url,
                json=json_body,
                content=body,
                headers=headers,
                auth=self._auth if replayable else self._auth_no_replay,
                timeout=http_timeout if http_timeout is not None else httpx.USE_CLIENT_DEFAULT,
            )
        except httpx.HTTPError as exc:
            raise self._noted(transport_error(exc)) from exc
        finally:
            if body is not None:
                await body.aclose()  # closes the file when the server answered early
        log.debug("%s %s -> HTTP %s", method, url, response.status_code)
        error = refusal(response)
        if error is not None:
            raise self._noted(error)
        return decode_body(response)

    # -- auth and sessions ------------------------------------------------------------

    async def fetch_anonymous_token(self, client_id: str) -> AnonymousToken:
        """A starter token for `client_id` (one per client id per 7 days: keep it)."""
        headers = self._attribution.headers()
        headers["X-Client-Id"] = client_id
        try:
            response = await self._http.post("/api/auth/anonymous-token", headers=headers)
        except httpx.HTTPError as exc:
            raise self._noted(transport_error(exc)) from exc
        error = refusal(response)
        if error is not None:
            raise self._noted(error)
        return parse_anonymous_token(decode_body(response))

    async def create_session(self, language: str = "en", task_name: str = "project") -> Session:
        body = await self._call(
            "POST",
            f"/api/tasks/me/with-session/{APP_NAME}",
            json_body={"task_name": task_name, "language": language},
        )
        return parse_session(body)

    # -- chat -------------------------------------------------------------------------

    async def stream_chat(self, session_id: str, text: str) -> AsyncIterator[Event]:
        """The events of one turn, until the server closes the stream.

        A refusal before the stream starts raises its typed error (1001: renewed and sent
        once more); a network failure after it started raises StreamDropped, after the
        events received so far. The turn goes on server-side either way: never re-send.
        """
        payload = {
            "app_name": APP_NAME,
            "user_id": "me",
            "session_id": session_id,
            "new_message": {"role": "user", "parts": [{"text": text}]},
        }
        try:
            async with aconnect_sse(
                self._transfers,
                "POST",
                "/run_sse",
                json=payload,
                headers=self._attribution.headers(),
                auth=self._auth,
                timeout=_STREAM_TIMEOUT,
            ) as source:
                response = source.response
                content_type = response.headers.get("content-type", "")
                if response.is_success and "text/event-stream" in content_type:
                    try:
                        async for event in self._events(source):
                            yield event
                    except StreamDropped as exc:
                        self._noted(exc)
                        raise
                    return
                await response.aread()
                error = refusal(response) or UnexpectedResponse(
                    f"expected an event stream, got {content_type or 'no content type'}",
                    status=response.status_code,
                )
        except (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout) as exc:
            raise self._noted(transport_error(exc)) from exc  # never sent: safe to send again
        except httpx.HTTPError as exc:
            # The message went out, so NemoVideo may be working on it (and charging for
            # it): the caller must read the state, never send it again.
            dropped = StreamDropped(f"connection lost before the reply: {exc!r}")
            raise self._noted(dropped) from exc
        raise self._noted(error)

    @staticmethod
    async def _events(source: EventSource) -> AsyncIterator[Event]:
        partials = PartialTextFilter()
        count = 0
        try:
            async with contextlib.aclosing(source.aiter_sse()) as messages:
                async for message in messages:
                    event = parse_event(message.event, message.data)
                    if event is not None:
                        event = partials.feed(event)
                    if event is not None:
                        count += 1
                        yield event
        except httpx.HTTPError as exc:
            log.warning("chat stream dropped after %d events (%s)", count, type(exc).__name__)
            raise StreamDropped(f"the chat stream broke ({type(exc).__name__})") from exc
        log.debug("chat stream closed after %d events", count)

    # -- uploads ----------------------------------------------------------------------

    async def upload_files(
        self, session_id: str, files: Sequence[UploadSource]
    ) -> list[UploadedFile]:
        """Upload several files in one streamed multipart request (field `files`)."""
        parts = [await self._file_part(source) for source in files]
        replayable = all(
            source.chunks is None or not isinstance(source.chunks, AsyncIterator)
            for source in files
        )
        body = await self._call(
            "POST",
            f"/api/upload-video/{APP_NAME}/me/{_segment(session_id)}",
            body=MultipartBody(parts),
            replayable=replayable,
            http_timeout=_UPLOAD_TIMEOUT,
        )
        return parse_uploaded_files(body)

    @staticmethod
    async def _file_part(source: UploadSource) -> FilePart:
        content_type = (
            source.content_type
            or mimetypes.guess_type(source.filename)[0]
            or "application/octet-stream"
        )
        open_chunks: Callable[[], AsyncIterator[bytes]]
        if source.path is not None and source.chunks is None:
            path = source.path
            size: int | None = (await asyncio.to_thread(path.stat)).st_size

            def open_chunks() -> AsyncIterator[bytes]:
                return file_chunks(path, CHUNK_BYTES)

        elif source.chunks is not None and source.path is None:
            chunks = source.chunks
            size = source.size

            def open_chunks() -> AsyncIterator[bytes]:
                return aiter(chunks)

        else:
            raise ValueError(f"{source.filename}: give exactly one of path or chunks")
        return FilePart("files", source.filename, content_type, open_chunks, size)

    # -- account and state ------------------------------------------------------------

    async def fetch_credits(self) -> Credits:
        return parse_credits(await self._call("GET", "/api/credits/balance/simple"))

    async def fetch_state(self, session_id: str) -> SessionState:
        body = await self._call(
            "GET", f"/api/state/{APP_NAME}/me/{_segment(session_id)}/latest"
        )
        return parse_state(body)

    # -- render -----------------------------------------------------------------------

    async def submit_render(
        self,
        render_id: str,
        session_id: str,
        draft: Draft,
        output: dict[str, Any] | None = None,
    ) -> RenderJob:
        """Start rendering `draft` under the client-chosen `render_id`.

        A refusal that is not about the token, plan or service (e.g. a duplicate id)
        raises RenderFailed: the caller retries with a new id.
        """
        payload = {
            "id": render_id,
            "sessionId": session_id,
            "draft": draft.raw,
            "output": output if output is not None else dict(DEFAULT_RENDER_OUTPUT),
        }
        try:
            body = await self._call("POST", "/api/render/proxy/lambda", json_body=payload)
        except (UnexpectedResponse, MissingClientId) as exc:
            raise RenderFailed(exc.message, code=exc.code, status=exc.status) from exc
        return parse_render_job(body, render_id)

    async def fetch_render(self, render_id: str) -> RenderJob:
        """The job as the poll endpoint describes it; a failed job is returned, not raised.

        An output URL the URL policy refuses is dropped (None): it is never fetched or shown.
        """
        try:
            body = await self._call("GET", f"/api/render/proxy/lambda/{_segment(render_id)}")
        except SessionNotFound as exc:
            if exc.code == 1002:
                raise
            # An HTTP 404 here means the render id is unknown, not the session.
            raise RenderFailed(exc.message or "render not found", status=exc.status) from exc
        job = parse_render_job(body, render_id)
        return replace(job, output_url=await self._downloads.policy.shown(job.output_url))

    async def cancel_render(self, render_id: str) -> None:
        """Stop a pending render; one that already finished is refused (UnexpectedResponse)."""
        await self._call("POST", f"/api/render/proxy/lambda/{_segment(render_id)}/cancel")

    async def download_render(
        self, job: RenderJob, destination: Path, *, max_bytes: int | None = None
    ) -> Path:
        """Save the rendered video at `destination`, streamed to disk, at most `max_bytes`
        (and the downloader's cap): a larger one raises DownloadTooLarge.

        The output URL is tried first (a public CDN link: no token goes there unless it is
        on the API host); when it fails or is refused, the API's own download endpoint.
        """
        fallback = f"/api/render/proxy/{_segment(job.render_id)}/download"
        if job.output_url:
            try:
                return await self._download(job.output_url, destination, max_bytes)
            except (TokenInvalid, DownloadTooLarge):
                raise  # the fallback would be refused the same way, or is the same file
            except NemoError as exc:
                log.warning(
                    "render %s: output URL failed (%s); trying the download endpoint",
                    job.render_id,
                    type(exc).__name__,
                )
        return await self._download(fallback, destination, max_bytes)

    async def _download(self, url: str, destination: Path, max_bytes: int | None) -> Path:
        policy = self._downloads.policy
        on_api = policy.is_api_origin(policy.absolute(url))
        headers = self._attribution.headers() if on_api else {}
        try:
            async with self._downloads.stream(
                url, api_headers=headers, api_auth=self._auth  # the token on the API only
            ) as response:
                error = await self._download_refusal(response, on_api=on_api)
                if error is None:
                    await self._downloads.save(response, destination, max_bytes=max_bytes)
                    return destination
        except httpx.HTTPError as exc:
            raise self._noted(transport_error(exc)) from exc
        raise self._noted(error)

    @staticmethod
    async def _download_refusal(response: httpx.Response, *, on_api: bool) -> NemoError | None:
        content_type = response.headers.get("content-type", "")
        if response.is_success and "json" not in content_type:
            return None
        await response.aread()
        if not on_api:
            # A CDN's status codes say nothing about NemoVideo's business codes.
            return UnexpectedResponse(
                f"HTTP {response.status_code} from the output URL", status=response.status_code
            )
        return refusal(response) or UnexpectedResponse(
            "expected a video, got a JSON body", status=response.status_code
        )
