"""Exports: submit, the status over time, the three poll shapes, real MP4 files, faults."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from bot.emulator import RunningEmulator
from tests.emulator.helpers import (
    ATTRIBUTION,
    GENERATE,
    Api,
    FakeClock,
    anonymous_api,
    loopback_client,
    registered_api,
    serve,
)

RENDER_SECONDS = 0.2
DRAFT = {
    "t": [
        {"tt": 0, "sg": [{"id": "v1", "st": 0, "d": 2000, "name": "city timelapse"}]},
        {"tt": 1, "sg": [{"id": "a1", "st": 0, "d": 2000, "name": "Lo-fi", "vol": 0.35}]},
        {"tt": 7, "sg": [{"id": "t1", "st": 0, "d": 1000, "text": "Urban Dreams"}]},
    ],
    "d": 2000,
    "m": {"title": "Urban Dreams", "width": 1080, "height": 1920},
}


async def media_ready(emulator: RunningEmulator, render_id: str) -> None:
    """Wait (bounded) for the background encoder of `render_id` to finish."""
    for _ in range(1000):
        if emulator.state.renders[render_id].media_done_at is not None:
            return
        await asyncio.sleep(0.01)
    raise AssertionError("the encoder never finished")


@pytest.fixture
def clock(emulator: RunningEmulator) -> FakeClock:
    fake = FakeClock()
    emulator.state.clock = fake
    return fake


async def test_render_goes_pending_processing_completed_with_rising_progress(
    emulator: RunningEmulator, api: Api, clock: FakeClock
) -> None:
    submitted = await api.submit_render("render_1", DRAFT)
    polls = [await api.poll("render_1")]
    for _ in range(3):
        clock.advance(RENDER_SECONDS / 4)
        polls.append(await api.poll("render_1"))
    await media_ready(emulator, "render_1")
    clock.advance(RENDER_SECONDS)
    polls.append(await api.poll("render_1"))

    assert submitted.json() == {
        "success": True,
        "data": {"id": "render_1", "status": "pending", "progress": 5},
    }
    statuses = [p["data"]["status"] for p in polls]
    progress = [p["data"]["progress"] for p in polls]
    assert statuses == ["pending", "processing", "processing", "processing", "completed"]
    assert progress == sorted(progress) and progress[-1] == 100
    assert polls[-1]["data"]["outputUrl"] == f"{emulator.url}/files/render_1.mp4"
    assert polls[-1]["data"]["completedAt"] >= polls[-1]["data"]["createdAt"]


async def test_completed_render_is_a_real_mp4_at_output_url_and_download(
    emulator: RunningEmulator, api: Api, clock: FakeClock
) -> None:
    await api.submit_render("render_mp4", DRAFT)
    await media_ready(emulator, "render_mp4")
    clock.advance(RENDER_SECONDS)
    data = (await api.poll("render_mp4"))["data"]

    async with loopback_client() as anonymous:  # the CDN link needs no token
        public = await anonymous.get(data["outputUrl"])
    download = await api.get("/api/render/proxy/render_mp4/download")

    assert data["status"] == "completed"
    assert public.status_code == 200
    assert public.headers["content-type"] == "video/mp4"
    assert public.content[4:8] == b"ftyp"
    assert download.content == public.content
    assert len(public.content) == data["size"]
    assert 1_000 < len(public.content) < 1024 * 1024


async def test_download_failure_fault_refuses_the_mp4_on_both_paths(
    emulator: RunningEmulator, api: Api, clock: FakeClock
) -> None:
    await api.submit_render("render_cdn_down", DRAFT)
    await media_ready(emulator, "render_cdn_down")
    clock.advance(RENDER_SECONDS)
    data = (await api.poll("render_cdn_down"))["data"]
    emulator.set_fault("download_failure", 2)

    async with loopback_client() as anonymous:
        public = await anonymous.get(data["outputUrl"])
    download = await api.get("/api/render/proxy/render_cdn_down/download")
    after = await api.get("/api/render/proxy/render_cdn_down/download")

    assert (public.status_code, download.status_code) == (503, 503)
    assert after.status_code == 200 and after.content[4:8] == b"ftyp"


async def test_download_needs_a_token(emulator: RunningEmulator, api: Api) -> None:
    await api.submit_render("render_x", DRAFT)

    response = await api.http.get("/api/render/proxy/render_x/download")

    assert response.json()["code"] == 1001


def _completed_shape(body: dict[str, Any], shape: str) -> tuple[str, str]:
    if shape == "A":
        return body["data"]["status"], body["data"]["outputUrl"]
    return body["status"], body["output"]["url"]


@pytest.mark.parametrize("shape", ["A", "B", "superset"])
async def test_poll_shapes(shape: str) -> None:
    async with serve(render_shape=shape, render_seconds=0.0) as (emulator, http):
        api = await anonymous_api(http)
        await api.submit_render("render_s", DRAFT)
        await media_ready(emulator, "render_s")
        body = await api.poll("render_s")

    status, url = _completed_shape(body, shape)
    assert status == "completed"
    assert url.endswith("/files/render_s.mp4")
    if shape == "A":
        assert set(body) == {"success", "data"}
    if shape == "B":
        assert "success" not in body and body["taskId"] == "render_s"
        assert body["output"]["size"] > 0
    if shape == "superset":
        assert body["data"]["outputUrl"] == body["output"]["url"]
        assert body["data"]["status"] == body["status"]


@pytest.mark.parametrize("shape", ["A", "B", "superset"])
async def test_render_failure_fault_ends_failed_with_an_error(shape: str) -> None:
    async with serve(render_shape=shape, render_seconds=0.0) as (emulator, http):
        api = await anonymous_api(http)
        emulator.set_fault("render_failure")
        await api.submit_render("render_f", DRAFT)
        body = await api.poll("render_f")

    flat = body["data"] if shape == "A" else body
    assert flat["status"] == "failed"
    assert flat["error"].startswith("Render failed")


async def test_slow_render_fault_takes_ten_times_longer(
    emulator: RunningEmulator, api: Api, clock: FakeClock
) -> None:
    emulator.set_fault("slow_render")
    await api.submit_render("render_slow", DRAFT)
    await api.submit_render("render_fast", DRAFT)
    await media_ready(emulator, "render_slow")
    await media_ready(emulator, "render_fast")
    clock.advance(RENDER_SECONDS * 2)
    slow_early = (await api.poll("render_slow"))["data"]["status"]
    fast = (await api.poll("render_fast"))["data"]["status"]
    clock.advance(RENDER_SECONDS * 8)
    slow_late = (await api.poll("render_slow"))["data"]["status"]

    assert (slow_early, fast, slow_late) == ("processing", "completed", "completed")


async def test_cancel_stops_a_running_render(
    emulator: RunningEmulator, api: Api, clock: FakeClock
) -> None:
    await api.submit_render("render_c", DRAFT)

    cancelled = await api.http.post("/api/render/proxy/lambda/render_c/cancel", headers=api.headers)
    clock.advance(RENDER_SECONDS * 2)
    polled = (await api.poll("render_c"))["data"]
    again = await api.http.post("/api/render/proxy/lambda/render_c/cancel", headers=api.headers)

    assert cancelled.json()["success"] is True
    assert (polled["status"], polled["error"]) == ("failed", "Render cancelled")
    assert again.status_code == 409 and again.json()["success"] is False


async def test_export_blocked_fault_answers_http_402_once(
    emulator: RunningEmulator, api: Api
) -> None:
    emulator.set_fault("export_blocked")

    blocked = await api.submit_render("render_b", DRAFT)
    allowed = await api.submit_render("render_b", DRAFT)

    assert blocked.status_code == 402
    assert blocked.json() == {"code": 402, "message": "Export not available on free plan"}
    assert allowed.json()["success"] is True


@pytest.mark.parametrize("missing", list(ATTRIBUTION))
async def test_missing_attribution_header_blocks_export(api: Api, missing: str) -> None:
    headers = {k: v for k, v in api.headers.items() if k != missing}

    response = await api.http.post(
        "/api/render/proxy/lambda", json={"id": "r", "draft": DRAFT}, headers=headers
    )

    assert response.status_code == 402


async def test_attribution_can_be_optional() -> None:
    async with serve(require_attribution=False) as (_, http):
        api = await anonymous_api(http)
        response = await http.post(
            "/api/render/proxy/lambda",
            json={"id": "r", "draft": DRAFT},
            headers={"Authorization": f"Bearer {api.token}"},
        )

    assert response.json()["success"] is True


async def test_anonymous_users_can_be_barred_from_exporting() -> None:
    async with serve(anonymous_can_render=False) as (_, http):
        anonymous = await anonymous_api(http)
        registered = await registered_api(http)
        refused = await anonymous.submit_render("r1", DRAFT)
        accepted = await registered.submit_render("r2", DRAFT)

    assert refused.status_code == 402
    assert accepted.json()["success"] is True


async def test_reused_id_and_duplicate_fault_answer_duplicate_id(
    emulator: RunningEmulator, api: Api
) -> None:
    await api.submit_render("render_d", DRAFT)
    reused = await api.submit_render("render_d", DRAFT)
    emulator.set_fault("duplicate_render_id")
    faulted = await api.submit_render("render_new", DRAFT)
    retried = await api.submit_render("render_new2", DRAFT)

    assert reused.json() == {"success": False, "error": "duplicate id"}
    assert faulted.json() == {"success": False, "error": "duplicate id"}
    assert retried.json()["success"] is True


async def test_draft_without_segments_is_refused(api: Api) -> None:
    response = await api.submit_render("render_e", {"t": [{"tt": 0, "sg": []}]})

    assert response.json()["success"] is False


async def test_unknown_or_foreign_render_is_not_found(http: httpx.AsyncClient) -> None:
    alice = await anonymous_api(http, "alice")
    bob = await anonymous_api(http, "bob")
    await alice.submit_render("render_a", DRAFT)

    unknown = await alice.get("/api/render/proxy/lambda/nope")
    foreign = await bob.get("/api/render/proxy/lambda/render_a")

    assert unknown.status_code == foreign.status_code == 404
    assert foreign.json()["success"] is False


async def test_export_is_free_and_works_on_a_generated_draft(
    emulator: RunningEmulator, http: httpx.AsyncClient
) -> None:
    api = await registered_api(http)
    await api.chat(GENERATE)
    before = await api.credits()

    await api.submit_render("render_g")
    await media_ready(emulator, "render_g")

    assert emulator.state.renders["render_g"].media_error is None
    assert await api.credits() == before
    assert emulator.state.counters.renders == 1


async def test_large_render_is_over_10_mib() -> None:
    async with serve(large_render=True, render_seconds=0.0) as (emulator, http):
        api = await anonymous_api(http)
        await api.submit_render("render_big", DRAFT)
        await media_ready(emulator, "render_big")
        data = (await api.poll("render_big"))["data"]
        async with http.stream("GET", data["outputUrl"]) as response:
            head = await anext(response.aiter_bytes())
            size = int(response.headers["content-length"])

    assert head[4:8] == b"ftyp"
    assert size == data["size"] > 10 * 1024 * 1024


async def test_renders_are_removed_when_the_emulator_stops() -> None:
    async with serve(render_seconds=0.0) as (emulator, http):
        api = await anonymous_api(http)
        await api.submit_render("render_tmp", DRAFT)
        await media_ready(emulator, "render_tmp")
        path = emulator.state.renders["render_tmp"].path
        assert path is not None and path.exists()

    assert not emulator.workdir.exists()


async def test_stopping_during_a_render_still_removes_the_folder() -> None:
    async with serve() as (emulator, http):
        api = await anonymous_api(http)
        await api.submit_render("render_cut", DRAFT)

    assert not emulator.workdir.exists()


async def test_output_url_knob_names_another_link() -> None:
    async with serve(render_seconds=0.0, output_url="file:///etc/passwd") as (emulator, http):
        api = await anonymous_api(http)
        await api.submit_render("render_odd", DRAFT)
        await media_ready(emulator, "render_odd")
        data = (await api.poll("render_odd"))["data"]

    assert data["outputUrl"] == "file:///etc/passwd"


async def test_unsized_download_fault_sends_the_file_without_a_length() -> None:
    async with serve(render_seconds=0.0) as (emulator, http):
        api = await anonymous_api(http)
        await api.submit_render("render_chunked", DRAFT)
        await media_ready(emulator, "render_chunked")
        data = (await api.poll("render_chunked"))["data"]
        emulator.set_fault("unsized_download")
        unsized = await http.get(data["outputUrl"])
        sized = await http.get(data["outputUrl"])

    assert "content-length" not in unsized.headers
    assert unsized.headers["transfer-encoding"] == "chunked"
    assert unsized.content == sized.content and len(unsized.content) == data["size"]


async def test_stalled_download_fault_sends_a_little_then_nothing() -> None:
    async with serve(render_seconds=0.0) as (emulator, http):
        api = await anonymous_api(http)
        await api.submit_render("render_stuck", DRAFT)
        await media_ready(emulator, "render_stuck")
        data = (await api.poll("render_stuck"))["data"]
        emulator.set_fault("stalled_download")
        received = b""
        with pytest.raises(httpx.ReadTimeout):
            async with http.stream("GET", data["outputUrl"], timeout=0.3) as response:
                async for chunk in response.aiter_bytes():
                    received += chunk

    assert received[4:8] == b"ftyp" and 0 < len(received) < data["size"]
