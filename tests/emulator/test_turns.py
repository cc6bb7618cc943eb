"""What chat turns do to the session: the draft, the media lists and the credits."""

from __future__ import annotations

import asyncio
import json

import httpx
import pytest

from bot.emulator import RunningEmulator
from tests.emulator.helpers import GENERATE, Api, registered_api, serve


def tracks(draft: dict[str, object]) -> dict[int, list[dict[str, object]]]:
    return {t["tt"]: t["sg"] for t in draft["t"]}


async def test_generation_adds_a_video_and_a_music_track(api: Api) -> None:
    stream = await api.chat(GENERATE)

    draft = await api.draft()
    by_type = tracks(draft)
    assert stream.tool_calls == ["generate_video_with_seedance", "generate_music"]
    assert stream.texts[-1].startswith("Your video is ready!")
    assert "click Export" in stream.texts[-1]
    assert by_type[0][0]["d"] == 15000
    assert by_type[0][0]["name"] == "sunset over a mountain lake"
    assert 0 < by_type[1][0]["vol"] < 1
    assert draft["d"] == 15000
    assert len((await api.state())["generated_media"]) == 1


async def test_vertical_prompt_makes_a_portrait_canvas(http: httpx.AsyncClient) -> None:
    api = await registered_api(http)

    await api.chat("make a vertical 9:16 video of city lights for TikTok")

    state = await api.state()
    assert state["canvas_config"]["height"] > state["canvas_config"]["width"]
    assert state["draft"]["m"]["height"] == 1920


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ('add a title "Urban Dreams"', "Urban Dreams"),
        ("add a title Urban Dreams", "Urban Dreams"),
        ("change the title to Summer Trip.", "Summer Trip"),
        ("加上标题「城市之光」", "城市之光"),
    ],
)
async def test_title_edit_adds_a_text_track(
    http: httpx.AsyncClient, message: str, expected: str
) -> None:
    api = await registered_api(http)
    await api.chat(GENERATE)

    stream = await api.chat(message)

    title = tracks(await api.draft())[7][0]
    assert title["text"] == expected
    assert title["d"] == 3000
    assert stream.tool_calls == ["edit_multitrack"]
    assert expected in stream.texts[-1]


@pytest.mark.parametrize(
    ("message", "quieter"),
    [
        ("make the music calmer", True),
        ("turn the music down, quieter", True),
        ("make the music louder", False),
    ],
)
async def test_music_edits_change_the_bgm_volume(
    http: httpx.AsyncClient, message: str, quieter: bool
) -> None:
    api = await registered_api(http)
    await api.chat(GENERATE)
    before = tracks(await api.draft())[1][0]["vol"]

    await api.chat(message)

    after = tracks(await api.draft())[1][0]["vol"]
    assert (after < before) if quieter else (after > before)


async def test_make_it_n_seconds_changes_every_duration(http: httpx.AsyncClient) -> None:
    api = await registered_api(http)
    await api.chat(GENERATE)

    await api.chat("make it 8 seconds")

    draft = await api.draft()
    by_type = tracks(draft)
    assert draft["d"] == 8000
    assert by_type[0][0]["d"] == 8000
    assert by_type[1][0]["d"] == 8000


async def test_plain_chat_answers_text_and_leaves_the_draft_alone(api: Api) -> None:
    before = await api.state()

    stream = await api.chat("hello, what can you do?")

    assert stream.tool_calls == []
    assert len(stream.texts) == 1
    assert await api.state() == before


async def test_chinese_message_gets_a_chinese_reply(api: Api) -> None:
    stream = await api.chat("生成一个10秒的日落视频")

    assert "视频" in stream.texts[-1]
    assert tracks(await api.draft())[0][0]["d"] == 10000


async def test_generation_costs_its_credits(api: Api) -> None:
    await api.chat(GENERATE)

    assert await api.credits() == {"available": 0, "frozen": 0, "total": 0}


async def test_turn_without_enough_credits_answers_2001_before_streaming(api: Api) -> None:
    await api.chat(GENERATE)

    response = await api.http.post(
        "/run_sse", json=api.chat_body("add a title X"), headers=api.headers
    )

    assert response.headers["content-type"].startswith("application/json")
    assert response.json()["code"] == 2001
    assert 7 not in tracks(await api.draft())


async def test_credits_are_frozen_during_a_turn_then_deducted_even_if_client_leaves() -> None:
    # Realistic durations (minutes) so the turn is surely still running when checked.
    async with serve(turn_scale=1.0, heartbeat_seconds=0.01) as (emulator, http):
        api = await registered_api(http)
        async with http.stream(
            "POST", "/run_sse", json=api.chat_body(GENERATE), headers=api.headers
        ) as response:
            lines = response.aiter_lines()
            first = await anext(lines)
            during = await api.credits()
        # The stream is closed: the emulator notices at its next heartbeat.
        after = await _credits_when_settled(api)
        draft = await api.draft()

    assert json.loads(first.removeprefix("data: "))["content"]["parts"][0]["text"]
    assert during == {"available": 9900, "frozen": 100, "total": 10000}
    assert after == {"available": 9900, "frozen": 0, "total": 9900}
    assert {t["tt"] for t in draft["t"]} == {0, 1}
    assert emulator.state.counters.turns == 1


async def _credits_when_settled(api: Api) -> dict[str, int]:
    for _ in range(500):
        credits = await api.credits()
        if credits["frozen"] == 0:
            return credits
        await asyncio.sleep(0.01)
    raise AssertionError("credits stayed frozen")


async def test_uploads_appear_in_video_infos(api: Api, emulator: RunningEmulator) -> None:
    files = [
        ("files", ("beach.mp4", b"\0" * 2048, "video/mp4")),
        ("files", ("logo.png", b"\x89PNG", "image/png")),
    ]

    response = await api.http.post(
        f"/api/upload-video/nemo_agent/me/{api.session_id}", files=files, headers=api.headers
    )

    infos = (await api.state())["video_infos"]
    assert response.json()["data"]["session_state_applied"] is True
    assert [(i["filename"], i["file_type"]) for i in infos] == [
        ("beach.mp4", "video"),
        ("logo.png", "image"),
    ]
    assert infos[0]["size"] == 2048
    assert emulator.state.counters.uploads == 2
