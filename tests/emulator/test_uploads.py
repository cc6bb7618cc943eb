"""Uploads: multipart (with or without a length), URLs, type and size rules, memory."""

from __future__ import annotations

import tracemalloc
from collections.abc import AsyncIterator

import httpx
import pytest

from bot.emulator import RunningEmulator
from bot.emulator.config import MAX_UPLOAD_BYTES
from tests.emulator.helpers import Api, anonymous_api, serve

MIB = 1024 * 1024
BOUNDARY = "emulatorTestBoundary"


def upload_path(api: Api) -> str:
    return f"/api/upload-video/nemo_agent/me/{api.session_id}"


async def chunked_multipart(filename: str, size: int) -> AsyncIterator[bytes]:
    """A multipart body with one `files` part, produced piece by piece (no length)."""
    yield (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="files"; '
        f'filename="{filename}"\r\nContent-Type: application/octet-stream\r\n\r\n'
    ).encode()
    block = b"\x17" * MIB
    for _ in range(size // MIB):
        yield block
    yield b"\x17" * (size % MIB)
    yield f"\r\n--{BOUNDARY}--\r\n".encode()


async def post_chunked(api: Api, filename: str, size: int) -> httpx.Response:
    return await api.http.post(
        upload_path(api),
        content=chunked_multipart(filename, size),
        headers={**api.headers, "Content-Type": f"multipart/form-data; boundary={BOUNDARY}"},
    )


async def test_multipart_upload_answers_file_metadata(api: Api) -> None:
    response = await api.http.post(
        upload_path(api),
        files=[("files", ("clip.mov", b"\0" * 100, "video/quicktime"))],
        headers=api.headers,
    )

    body = response.json()
    entry = body["data"]["files"][0]
    assert body["code"] == 0
    assert entry["filename"] == "clip.mov"
    assert entry["file_type"] == "video"
    assert entry["cdn_url"].startswith("https://")
    assert isinstance(entry["duration"], float) and entry["width"] and entry["height"]


async def test_chunked_upload_without_content_length_is_accepted(api: Api) -> None:
    response = await post_chunked(api, "song.mp3", 3 * MIB + 5)

    entry = response.json()["data"]["files"][0]
    assert response.request.headers.get("Transfer-Encoding") == "chunked"
    assert (entry["file_type"], entry["size"]) == ("audio", 3 * MIB + 5)


async def test_upload_bytes_are_not_kept_on_disk(api: Api, emulator: RunningEmulator) -> None:
    await post_chunked(api, "clip.mp4", 2 * MIB)

    assert (await api.state())["video_infos"][0]["size"] == 2 * MIB
    assert list(emulator.workdir.iterdir()) == []


async def test_json_urls_are_accepted(api: Api) -> None:
    response = await api.http.post(
        upload_path(api),
        json={"urls": ["https://example.com/media/intro.webm"], "source_type": "url"},
        headers=api.headers,
    )

    assert response.json()["data"]["files"][0]["filename"] == "intro.webm"
    assert (await api.state())["video_infos"][0]["file_type"] == "video"


@pytest.mark.parametrize("filename", ["notes.txt", "movie.flv", "archive.zip", "noextension"])
async def test_unsupported_extension_answers_4001(api: Api, filename: str) -> None:
    response = await api.http.post(
        upload_path(api), files=[("files", (filename, b"data"))], headers=api.headers
    )

    assert response.json()["code"] == 4001
    assert (await api.state())["video_infos"] == []


@pytest.mark.parametrize(
    "filename",
    [
        "a.mp4",
        "a.MOV",
        "a.avi",
        "a.webm",
        "a.mkv",
        "a.jpg",
        "a.jpeg",
        "a.png",
        "a.gif",
        "a.webp",
        "a.mp3",
        "a.wav",
        "a.m4a",
        "a.aac",
    ],
)
async def test_every_supported_extension_is_accepted(api: Api, filename: str) -> None:
    response = await api.http.post(
        upload_path(api), files=[("files", (filename, b"data"))], headers=api.headers
    )

    assert response.json()["code"] == 0


async def test_upload_over_the_limit_answers_4002_after_reading_the_body() -> None:
    async with serve(max_upload_bytes=MIB) as (_, http):
        api = await anonymous_api(http)
        response = await post_chunked(api, "big.mp4", 3 * MIB)
        infos = (await api.state())["video_infos"]

    assert response.json()["code"] == 4002
    assert infos == []


async def test_200_mb_limit_holds_without_holding_the_upload_in_memory(api: Api) -> None:
    tracemalloc.start()
    try:
        response = await post_chunked(api, "huge.mp4", MAX_UPLOAD_BYTES + 1)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert response.json()["code"] == 4002
    assert peak < 16 * MIB


@pytest.mark.parametrize(("mode", "status"), [("http200", 200), ("http4xx", 415)])
async def test_unsupported_file_fault_answers_4001(mode: str, status: int) -> None:
    async with serve(business_status=mode) as (emulator, http):
        api = await anonymous_api(http)
        emulator.set_fault("unsupported_file")
        rejected = await post_chunked(api, "fine.mp4", 10)
        accepted = await post_chunked(api, "fine.mp4", 10)

    assert (rejected.status_code, rejected.json()["code"]) == (status, 4001)
    assert accepted.json()["code"] == 0


@pytest.mark.parametrize(("mode", "status"), [("http200", 200), ("http4xx", 413)])
async def test_file_too_large_fault_answers_4002(mode: str, status: int) -> None:
    async with serve(business_status=mode) as (emulator, http):
        api = await anonymous_api(http)
        emulator.set_fault("file_too_large")
        rejected = await api.http.post(
            upload_path(api), json={"urls": ["https://example.com/a.mp4"]}, headers=api.headers
        )

    assert (rejected.status_code, rejected.json()["code"]) == (status, 4002)


async def test_upload_to_unknown_session_answers_1002(api: Api) -> None:
    response = await api.http.post(
        "/api/upload-video/nemo_agent/me/123",
        files=[("files", ("a.mp4", b"x"))],
        headers=api.headers,
    )

    assert response.json()["code"] == 1002
