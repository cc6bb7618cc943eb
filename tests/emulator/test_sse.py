"""`/run_sse` on the wire: the three formats, heartbeats, partial text, stream faults."""

from __future__ import annotations

import httpx
import pytest

from bot.emulator import RunningEmulator
from bot.emulator.sse import HEARTBEATS
from bot.emulator.turns import TRAILING_ISSUE
from tests.emulator.helpers import GENERATE, Api, anonymous_api, registered_api, serve


async def test_stream_is_event_stream_of_data_frames_and_simply_closes(api: Api) -> None:
    stream = await api.chat(GENERATE)

    assert stream.status == 200
    assert stream.content_type == "text/event-stream"
    assert all(frame.startswith("data: ") for frame in stream.frames)
    assert not any("done" in frame for frame in stream.frames)


async def test_adk_events_carry_parts_role_author_and_ids(api: Api) -> None:
    events = (await api.chat(GENERATE)).events

    call = next(e for e in events if "functionCall" in e["content"]["parts"][0])
    result = next(e for e in events if "functionResponse" in e["content"]["parts"][0])
    assert {e["invocationId"] for e in events} == {events[0]["invocationId"]}
    assert all(e["author"] == "nemo_agent" and e["id"] and e["timestamp"] > 0 for e in events)
    assert events[0]["content"]["role"] == "model"
    assert result["content"]["role"] == "user"
    assert (
        call["content"]["parts"][0]["functionCall"]["id"]
        == (result["content"]["parts"][0]["functionResponse"]["id"])
    )
    assert result["content"]["parts"][0]["functionResponse"]["response"]["status"] == "success"


async def test_typed_format_sends_text_tool_call_and_tool_result() -> None:
    async with serve(wire_format="typed") as (_, http):
        api = await anonymous_api(http)
        events = (await api.chat(GENERATE)).events

    assert [e["type"] for e in events] == [
        "text",
        "tool_call",
        "tool_result",
        "tool_call",
        "tool_result",
        "text",
    ]
    assert events[1]["name"] == "generate_video_with_seedance"
    assert events[1]["args"]["duration"] == 15
    assert events[2]["result"]["status"] == "success"
    assert events[-1]["content"].startswith("Your video is ready!")


async def test_flat_format_sends_text_at_top_level_and_tools_typed() -> None:
    async with serve(wire_format="flat") as (_, http):
        api = await anonymous_api(http)
        events = (await api.chat(GENERATE)).events

    texts = [e for e in events if "text" in e]
    assert [set(e) for e in texts] == [{"text"}, {"text"}]
    assert {e["type"] for e in events if "type" in e} == {"tool_call", "tool_result"}


@pytest.mark.parametrize("style", ["comment", "empty", "typed"])
async def test_waits_are_filled_with_heartbeats_in_the_configured_style(style: str) -> None:
    # A chat turn lasts 5-15 s; scaled by 0.01 that is 50-150 ms, beats every 10 ms.
    async with serve(turn_scale=0.01, heartbeat_seconds=0.01, heartbeat_style=style) as (_, http):
        api = await anonymous_api(http)
        stream = await api.chat("hello")

    expected = HEARTBEATS[style].decode()
    other_styles = [h.decode() for s, h in HEARTBEATS.items() if s != style]
    assert stream.heartbeats(expected) >= 3
    assert all(stream.heartbeats(other) == 0 for other in other_styles)
    assert len(stream.texts) == 1


async def test_instant_turns_send_no_heartbeats(api: Api) -> None:
    stream = await api.chat(GENERATE)

    assert all(frame.startswith("data: {") for frame in stream.frames)


async def test_partial_text_streams_chunks_then_one_final_aggregate() -> None:
    async with serve(partial_text=True) as (_, http):
        api = await anonymous_api(http)
        events = (await api.chat("hello")).events

    partials = [e for e in events if e.get("partial") is True]
    final = [e for e in events if "partial" not in e]
    assert len(partials) >= 2
    assert len(final) == 1
    assert (
        "".join(e["content"]["parts"][0]["text"] for e in partials)
        == (final[0]["content"]["parts"][0]["text"])
    )


async def test_request_streaming_flag_also_turns_on_partials(api: Api) -> None:
    body = {**api.chat_body("hello"), "streaming": True}

    response = await api.http.post("/run_sse", json=body, headers=api.headers)

    assert '"partial": true' in response.text


@pytest.mark.parametrize(("rate", "silent"), [(1.0, True), (0.0, False)])
async def test_silent_edit_rate_decides_whether_edits_have_text(rate: float, silent: bool) -> None:
    async with serve(silent_edit_rate=rate) as (_, http):
        api = await registered_api(http)
        await api.chat(GENERATE)
        stream = await api.chat('add a title "Hello"')

        assert stream.tool_calls == ["edit_multitrack"]
        assert (stream.texts == []) is silent
        assert (await api.draft())["m"]["title"] == "Hello"


async def test_silent_edit_fault_waits_for_an_edit_turn(
    emulator: RunningEmulator, http: httpx.AsyncClient
) -> None:
    api = await registered_api(http)
    emulator.set_fault("silent_edit")

    chat = await api.chat("hello")
    edit = await api.chat("add a title X")
    next_edit = await api.chat("add a title Y")

    assert chat.texts
    assert edit.texts == []
    assert next_edit.texts


async def test_trailing_issue_fault_appends_the_temporary_issue_text(
    emulator: RunningEmulator, api: Api
) -> None:
    emulator.set_fault("trailing_issue")

    stream = await api.chat(GENERATE)

    assert stream.texts[-1] == TRAILING_ISSUE
    assert stream.texts[-2].startswith("Your video is ready!")


async def test_stream_error_fault_sends_an_error_event_and_refunds(
    emulator: RunningEmulator, api: Api
) -> None:
    emulator.set_fault("stream_error")

    stream = await api.chat(GENERATE)

    assert list(stream.events[0]) == ["error"]
    assert len(stream.events) == 1
    assert await api.credits() == {"available": 100, "frozen": 0, "total": 100}
    assert (await api.draft()) == {}


async def test_drop_stream_breaks_the_connection_but_the_turn_still_applies(
    emulator: RunningEmulator, api: Api
) -> None:
    emulator.set_fault("drop_stream")
    received: list[str] = []

    with pytest.raises(httpx.RemoteProtocolError):
        async with api.http.stream(
            "POST", "/run_sse", json=api.chat_body(GENERATE), headers=api.headers
        ) as response:
            async for line in response.aiter_lines():
                received.append(line)

    assert any(line.startswith("data: ") for line in received)
    assert {t["tt"] for t in (await api.draft())["t"]} == {0, 1}
    assert await api.credits() == {"available": 0, "frozen": 0, "total": 0}


async def test_missing_session_id_is_rejected_before_streaming(api: Api) -> None:
    response = await api.http.post(
        "/run_sse", json={"new_message": {"parts": [{"text": "hi"}]}}, headers=api.headers
    )

    assert response.status_code == 422
