"""The SSE layer: one event → one meaning, partial-text dedupe, and the byte-level decoder."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest
from httpx_sse._decoders import SSEDecoder as HttpxSSEDecoder
from httpx_sse._decoders import SSELineDecoder as HttpxLineDecoder

from bot.nemo.events import (
    Event,
    Heartbeat,
    PartialTextFilter,
    SSEDecoder,
    StreamError,
    TextEvent,
    ToolCall,
    ToolResult,
    parse_event,
)

# --- parse_event ----------------------------------------------------------------------------


def adk(*parts: dict[str, Any], role: str = "model", **extra: Any) -> str:
    """An ADK event as `model_dump_json(exclude_none=True, by_alias=True)` writes it."""
    event: dict[str, Any] = {
        "content": {"parts": list(parts), "role": role},
        "invocationId": "e-7f1c",
        "author": "nemo_agent",
        "actions": {"stateDelta": {}, "artifactDelta": {}, "requestedAuthConfigs": {}},
        "id": "Qw3",
        "timestamp": 1773921810.12,
    }
    event.update(extra)
    return json.dumps(event)


SEEDANCE_CALL = {
    "functionCall": {
        "id": "adk-1a2b",
        "name": "generate_video_with_seedance",
        "args": {"prompt": "sunset timelapse", "duration": 10},
    }
}
SEEDANCE_RESPONSE = {
    "functionResponse": {
        "id": "adk-1a2b",
        "name": "generate_video_with_seedance",
        "response": {"status": "success"},
    }
}
SEEDANCE_TOOL_CALL = ToolCall(
    "generate_video_with_seedance", {"prompt": "sunset timelapse", "duration": 10}
)

ADK_CASES = [
    pytest.param(
        adk({"text": "Sure — generating a 10s sunset timelapse."}),
        TextEvent("Sure — generating a 10s sunset timelapse."),
        id="adk-text",
    ),
    pytest.param(
        adk({"text": "Sure"}, partial=True), TextEvent("Sure", partial=True), id="adk-partial-text"
    ),
    pytest.param(adk(SEEDANCE_CALL), SEEDANCE_TOOL_CALL, id="adk-function-call"),
    pytest.param(
        adk({"functionCall": {"name": "edit_multitrack"}}),
        ToolCall("edit_multitrack", {}),
        id="adk-function-call-without-args",
    ),
    pytest.param(
        adk(SEEDANCE_RESPONSE, role="user"),
        ToolResult("generate_video_with_seedance", {"status": "success"}),
        id="adk-function-response",
    ),
    pytest.param(
        adk({"function_call": {"name": "edit_multitrack", "args": {"title": "Hi"}}}),
        ToolCall("edit_multitrack", {"title": "Hi"}),
        id="adk-snake-case-function-call",
    ),
    pytest.param(
        adk({"functionResponse": {"name": "edit_multitrack", "response": "ok"}}),
        ToolResult("edit_multitrack", {"result": "ok"}),
        id="adk-scalar-response-wrapped",
    ),
    pytest.param(
        adk({"text": "Adding music "}, {"text": "and a title."}),
        TextEvent("Adding music and a title."),
        id="adk-text-parts-concatenated",
    ),
    pytest.param(
        adk({"text": "Generating now."}, SEEDANCE_CALL),
        TextEvent("Generating now."),
        id="adk-text-wins-over-function-call",
    ),
    pytest.param(
        adk(SEEDANCE_CALL, {"text": "Generating now."}),
        TextEvent("Generating now."),
        id="adk-text-after-function-call-still-wins",
    ),
    pytest.param(
        adk(SEEDANCE_CALL, {"functionCall": {"name": "generate_music", "args": {}}}),
        SEEDANCE_TOOL_CALL,
        id="adk-first-of-two-function-calls",
    ),
    pytest.param(
        adk(SEEDANCE_RESPONSE, SEEDANCE_CALL),
        SEEDANCE_TOOL_CALL,
        id="adk-function-call-wins-over-response",
    ),
    pytest.param(
        adk({"text": "", "functionCall": {"name": "edit_multitrack", "args": {}}}),
        ToolCall("edit_multitrack", {}),
        id="adk-empty-text-does-not-hide-call",
    ),
    pytest.param(
        json.dumps({"actions": {"stateDelta": {"draft_version": 2}}, "author": "nemo_agent"}),
        None,
        id="adk-state-delta-only",
    ),
    pytest.param(adk(), None, id="adk-empty-parts"),
    pytest.param(adk({"text": ""}), None, id="adk-empty-text"),
    pytest.param(
        json.dumps({"content": {"role": "model"}, "turnComplete": True}),
        None,
        id="adk-content-without-parts",
    ),
    pytest.param(
        json.dumps({"turnComplete": True, "author": "nemo_agent"}), None, id="adk-turn-complete"
    ),
    pytest.param(
        adk({"executableCode": {"code": "print(1)", "language": "PYTHON"}}),
        None,
        id="adk-unshown-part-kinds",
    ),
    pytest.param(
        json.dumps({"errorCode": "SAFETY", "errorMessage": "The response was blocked."}),
        StreamError("The response was blocked."),
        id="adk-error-code-and-message",
    ),
    pytest.param(
        json.dumps({"errorCode": "MALFORMED_FUNCTION_CALL", "author": "nemo_agent"}),
        StreamError("MALFORMED_FUNCTION_CALL"),
        id="adk-error-code-only",
    ),
]

THOUGHT_CASES = [
    pytest.param(adk({"text": "Let me plan the shots…", "thought": True}), None, id="thought-only"),
    pytest.param(
        adk({"text": "The user wants a sunset.", "thought": True}, {"text": "On it!"}),
        TextEvent("On it!"),
        id="thought-then-text",
    ),
    pytest.param(
        adk({"text": "thinking…", "thought": True}, SEEDANCE_CALL),
        SEEDANCE_TOOL_CALL,
        id="thought-then-function-call",
    ),
    pytest.param(
        json.dumps({"type": "text", "content": "hmm", "thought": True}), None, id="typed-thought"
    ),
    pytest.param(json.dumps({"type": "thinking", "content": "hmm"}), None, id="typed-thinking"),
    pytest.param(json.dumps({"text": "hmm", "thought": True}), None, id="flat-thought"),
]

TYPED_CASES = [
    pytest.param(
        json.dumps({"type": "text", "content": "I'll generate your video now..."}),
        TextEvent("I'll generate your video now..."),
        id="typed-text",
    ),
    pytest.param(
        json.dumps({"type": "text", "content": "I'll", "partial": True}),
        TextEvent("I'll", partial=True),
        id="typed-partial-text",
    ),
    pytest.param(json.dumps({"type": "text", "content": ""}), None, id="typed-empty-text"),
    pytest.param(
        json.dumps(
            {
                "type": "tool_call",
                "name": "generate_video_with_seedance",
                "args": {"prompt": "sunset timelapse", "duration": 10},
            }
        ),
        SEEDANCE_TOOL_CALL,
        id="typed-tool-call",
    ),
    pytest.param(
        json.dumps({"type": "tool_call", "name": "edit_multitrack", "arguments": '{"vol": 0.2}'}),
        ToolCall("edit_multitrack", {"vol": 0.2}),
        id="typed-tool-call-json-string-arguments",
    ),
    pytest.param(
        json.dumps(
            {
                "type": "tool_result",
                "name": "generate_video_with_seedance",
                "result": {"video_url": "https://cdn.example/v.mp4"},
            }
        ),
        ToolResult("generate_video_with_seedance", {"video_url": "https://cdn.example/v.mp4"}),
        id="typed-tool-result",
    ),
    pytest.param(
        json.dumps({"type": "tool_result", "name": "edit_multitrack", "result": "done"}),
        ToolResult("edit_multitrack", {"result": "done"}),
        id="typed-tool-result-scalar",
    ),
    pytest.param(
        json.dumps({"type": "tool_result", "name": "edit_multitrack", "error": "timeout"}),
        ToolResult("edit_multitrack", {"error": "timeout"}),
        id="typed-tool-result-error-is-not-a-stream-error",
    ),
    pytest.param(json.dumps({"type": "heartbeat"}), Heartbeat(), id="typed-heartbeat"),
    pytest.param(json.dumps({"type": "ping"}), Heartbeat(), id="typed-ping"),
    pytest.param(
        json.dumps({"type": "error", "message": "agent crashed"}),
        StreamError("agent crashed"),
        id="typed-error",
    ),
    pytest.param(
        json.dumps({"type": "error", "error": {"message": "quota exceeded"}}),
        StreamError("quota exceeded"),
        id="typed-error-nested",
    ),
    pytest.param(json.dumps({"type": "done"}), None, id="typed-done"),
    pytest.param(
        json.dumps({"type": "message", "text": "hello"}),
        TextEvent("hello"),
        id="unknown-type-falls-back-to-text",
    ),
]

FLAT_AND_ERROR_CASES = [
    pytest.param(
        json.dumps({"text": "Your video is ready!"}),
        TextEvent("Your video is ready!"),
        id="flat-text",
    ),
    pytest.param(
        json.dumps({"text": "Your", "partial": True}),
        TextEvent("Your", partial=True),
        id="flat-partial-text",
    ),
    pytest.param(json.dumps({"text": ""}), None, id="flat-empty-text"),
    pytest.param(
        json.dumps({"content": "plain content"}),
        TextEvent("plain content"),
        id="flat-content-string",
    ),
    pytest.param(
        json.dumps({"error": "Internal agent error"}),
        StreamError("Internal agent error"),
        id="error-string",
    ),
    pytest.param(
        json.dumps({"error": {"message": "Model overloaded", "code": 503}}),
        StreamError("Model overloaded", 503),
        id="error-object",
    ),
    pytest.param(
        json.dumps({"error": {"code": 503}}),
        StreamError("error 503", 503),
        id="error-object-code-only",
    ),
    pytest.param(
        json.dumps({"error": {"code": 2001, "message": "no credits"}}),
        StreamError("no credits", 2001),
        id="error-with-business-code",
    ),
    pytest.param(
        json.dumps({"errorCode": "1001", "errorMessage": "token expired"}),
        StreamError("token expired", 1001),
        id="adk-error-code",
    ),
    pytest.param(
        json.dumps({"error": None, "text": "fine"}), TextEvent("fine"), id="null-error-is-no-error"
    ),
    pytest.param(
        json.dumps({"error": {"error": {"message": "deep"}}}),
        StreamError("deep"),
        id="error-doubly-nested",
    ),
]

RAW_CASES = [
    pytest.param("message", "", Heartbeat(), id="empty-data"),
    pytest.param("message", "  \n\t ", Heartbeat(), id="whitespace-data"),
    pytest.param("", "", Heartbeat(), id="no-event-name-empty-data"),
    pytest.param("heartbeat", "", Heartbeat(), id="heartbeat-event"),
    pytest.param("heartbeat", '{"ts": 1}', Heartbeat(), id="heartbeat-event-with-data"),
    pytest.param("ping", "", Heartbeat(), id="ping-event"),
    pytest.param("PING", "keepalive", Heartbeat(), id="ping-event-any-case"),
    pytest.param("comment", "", Heartbeat(), id="comment-from-decoder"),
    pytest.param(
        "message", "Here is your edit.", TextEvent("Here is your edit."), id="non-json-is-text"
    ),
    pytest.param(
        "", "line one\nline two", TextEvent("line one\nline two"), id="non-json-multiline-text"
    ),
    pytest.param(
        "message",
        '{"text": "unterminated',
        TextEvent('{"text": "unterminated'),
        id="broken-json-is-text",
    ),
    pytest.param("message", '"just a string"', TextEvent("just a string"), id="json-string"),
    pytest.param("message", "42", TextEvent("42"), id="json-number"),
    pytest.param("message", "null", None, id="json-null"),
    pytest.param("message", "[1, 2]", None, id="json-list"),
    pytest.param("message", "[DONE]", None, id="done-marker"),
    pytest.param(
        "error", "upstream exploded", StreamError("upstream exploded"), id="error-event-plain"
    ),
    pytest.param(
        "error", '{"message": "bad session"}', StreamError("bad session"), id="error-event-json"
    ),
    pytest.param(
        "update",
        json.dumps({"text": "named events parse too"}),
        TextEvent("named events parse too"),
        id="other-event-name",
    ),
    pytest.param(
        "message",
        adk({"text": "I encountered a temporary issue. Please try again."}),
        TextEvent("I encountered a temporary issue. Please try again."),
        id="trailing-temporary-issue-is-text",
    ),
]


@pytest.mark.parametrize(("data", "expected"), ADK_CASES)
def test_adk_events(data: str, expected: Event | None) -> None:
    assert parse_event("message", data) == expected


@pytest.mark.parametrize(("data", "expected"), THOUGHT_CASES)
def test_model_thoughts_are_never_shown(data: str, expected: Event | None) -> None:
    assert parse_event("message", data) == expected


@pytest.mark.parametrize(("data", "expected"), TYPED_CASES)
def test_typed_events(data: str, expected: Event | None) -> None:
    assert parse_event("message", data) == expected


@pytest.mark.parametrize(("data", "expected"), FLAT_AND_ERROR_CASES)
def test_flat_and_error_events(data: str, expected: Event | None) -> None:
    assert parse_event("message", data) == expected


@pytest.mark.parametrize(("event", "data", "expected"), RAW_CASES)
def test_heartbeats_raw_text_and_event_names(event: str, data: str, expected: Event | None) -> None:
    assert parse_event(event, data) == expected


def test_non_json_text_is_logged_without_its_words(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="bot.nemo.events"):
        event = parse_event("message", "my secret storyboard")
    assert event == TextEvent("my secret storyboard")
    assert caplog.records, "a non-JSON event should leave a debug trace"
    assert "secret" not in caplog.text


# --- PartialTextFilter ----------------------------------------------------------------------


def run_filter(events: list[Event]) -> list[Event]:
    text_filter = PartialTextFilter()
    out = [text_filter.feed(ev) for ev in events]
    return [ev for ev in out if ev is not None]


def shown_text(events: list[Event]) -> str:
    return "".join(ev.text for ev in events if isinstance(ev, TextEvent))


def test_final_text_repeating_the_partials_is_shown_exactly_once() -> None:
    chunks = ["Your video ", "is ", "ready!"]
    events: list[Event] = [TextEvent(c, partial=True) for c in chunks]
    events.append(TextEvent("Your video is ready!"))
    out = run_filter(events)
    assert out == [TextEvent(c, partial=True) for c in chunks]
    assert shown_text(out) == "Your video is ready!"


def test_final_text_longer_than_the_partials_adds_only_the_remainder() -> None:
    out = run_filter([TextEvent("Adding ", partial=True), TextEvent("Adding music and a title.")])
    assert out == [TextEvent("Adding ", partial=True), TextEvent("music and a title.")]
    assert shown_text(out) == "Adding music and a title."


def test_final_text_without_partials_passes_unchanged() -> None:
    assert run_filter([TextEvent("Done.")]) == [TextEvent("Done.")]


def test_tool_events_between_partials_and_final_pass_and_keep_the_dedupe() -> None:
    events: list[Event] = [
        TextEvent("Generating ", partial=True),
        SEEDANCE_TOOL_CALL,
        Heartbeat(),
        TextEvent("now.", partial=True),
        TextEvent("Generating now."),
    ]
    out = run_filter(events)
    assert out == events[:-1]


def test_filter_resets_after_each_final() -> None:
    out = run_filter(
        [
            TextEvent("First", partial=True),
            TextEvent("First"),
            TextEvent("Second turn text."),
            TextEvent("Third ", partial=True),
            TextEvent("Third part."),
        ]
    )
    assert shown_text(out) == "FirstSecond turn text.Third part."
    assert out[1] == TextEvent("Second turn text.")


def test_final_that_differs_from_the_partials_is_kept_whole() -> None:
    out = run_filter([TextEvent("Draft wording", partial=True), TextEvent("Other wording.")])
    assert out == [TextEvent("Draft wording", partial=True), TextEvent("Other wording.")]


def test_final_equal_to_the_partials_but_for_surrounding_space_is_dropped() -> None:
    out = run_filter([TextEvent("Ready!\n", partial=True), TextEvent("Ready!")])
    assert out == [TextEvent("Ready!\n", partial=True)]


@pytest.mark.parametrize(
    "event",
    [SEEDANCE_TOOL_CALL, ToolResult("x", {}), Heartbeat(), StreamError("boom")],
    ids=["tool-call", "tool-result", "heartbeat", "stream-error"],
)
def test_non_text_events_pass_through_unchanged(event: Event) -> None:
    assert PartialTextFilter().feed(event) is event


def test_streamed_adk_turn_from_bytes_shows_its_text_once() -> None:
    """Decoder → parse_event → filter, as the client chains them (ADK `streaming: true`)."""
    wire = "".join(
        f"data: {line}\n\n"
        for line in [
            adk({"text": "日本語 "}, partial=True),
            adk({"text": "🎬 text"}, partial=True),
            adk({"text": "日本語 🎬 text"}),
            adk(SEEDANCE_CALL),
        ]
    ).encode()
    decoder = SSEDecoder()
    pairs = [pair for i in range(0, len(wire), 7) for pair in decoder.feed(wire[i : i + 7])]
    pairs += decoder.flush()
    text_filter = PartialTextFilter()
    events = [parse_event(name, data) for name, data in pairs]
    shown = [text_filter.feed(ev) for ev in events if ev is not None]
    assert shown_text([ev for ev in shown if ev is not None]) == "日本語 🎬 text"
    assert shown[-1] == SEEDANCE_TOOL_CALL


# --- SSEDecoder -----------------------------------------------------------------------------


def decode_all(raw: bytes, chunk_size: int | None = None) -> list[tuple[str, str]]:
    decoder = SSEDecoder()
    size = chunk_size or max(len(raw), 1)
    out: list[tuple[str, str]] = []
    for i in range(0, len(raw), size):
        out += decoder.feed(raw[i : i + size])
    return out + decoder.flush()


DECODER_CASES = [
    pytest.param(b"data: hello\n\n", [("message", "hello")], id="lf"),
    pytest.param(b"data: hello\r\n\r\n", [("message", "hello")], id="crlf"),
    pytest.param(b"data: hello\r\r", [("message", "hello")], id="cr"),
    pytest.param(
        b"data: a\r\ndata: b\rdata: c\n\n", [("message", "a\nb\nc")], id="mixed-line-endings"
    ),
    pytest.param(
        b"data: first\ndata: second\n\n", [("message", "first\nsecond")], id="data-lines-joined"
    ),
    pytest.param(b"event: heartbeat\ndata:\n\n", [("heartbeat", "")], id="named-event"),
    pytest.param(b"data:\n\n", [("message", "")], id="empty-data-line"),
    pytest.param(b"data\n\n", [("message", "")], id="field-without-colon"),
    pytest.param(b"data:x\n\n", [("message", "x")], id="no-space-after-colon"),
    pytest.param(
        b"data:  two spaces\n\n", [("message", " two spaces")], id="only-one-space-dropped"
    ),
    pytest.param(b": heartbeat\n\n", [("comment", "")], id="comment"),
    pytest.param(b":\n", [("comment", "")], id="bare-colon-comment"),
    pytest.param(
        b"data: a\n: ping\ndata: b\n\n",
        [("comment", ""), ("message", "a\nb")],
        id="comment-inside-event",
    ),
    pytest.param(b"\n\n\n", [], id="blank-lines-alone"),
    pytest.param(b"foo: bar\n\n", [], id="unknown-field-ignored"),
    pytest.param(b"retry: soon\ndata: x\n\n", [("message", "x")], id="bad-retry-ignored"),
    pytest.param(b"id: 7\n\n", [("message", "")], id="id-only-dispatches-like-httpx-sse"),
    pytest.param(b"data: a\n\ndata: b\n\n", [("message", "a"), ("message", "b")], id="two-events"),
    pytest.param(
        b"event: ping\n\ndata: x\n\n", [("ping", ""), ("message", "x")], id="event-name-resets"
    ),
    pytest.param(
        b"data: complete\n\ndata: cut off",
        [("message", "complete")],
        id="unterminated-event-dropped-at-eof",
    ),
    pytest.param(
        b"data: x\n\n: bye", [("message", "x"), ("comment", "")], id="unterminated-comment-at-eof"
    ),
    pytest.param(b"\xef\xbb\xbfdata: bom\n\n", [("message", "bom")], id="leading-bom"),
    pytest.param(b"data: caf\xff\n\n", [("message", "caf\ufffd")], id="invalid-utf8-replaced"),
    pytest.param(b"", [], id="empty-stream"),
]


@pytest.mark.parametrize(("raw", "expected"), DECODER_CASES)
def test_decoder(raw: bytes, expected: list[tuple[str, str]]) -> None:
    assert decode_all(raw) == expected


@pytest.mark.parametrize(("raw", "expected"), DECODER_CASES)
def test_decoder_byte_by_byte(raw: bytes, expected: list[tuple[str, str]]) -> None:
    assert decode_all(raw, chunk_size=1) == expected


SAMPLE_EVENTS = [
    ("message", adk({"text": "日本語 🎬 text"})),
    ("comment", ""),
    ("heartbeat", ""),
    ("message", "first line 🎞️\nsecond line é"),
    ("message", json.dumps({"text": "ünïcødé — done ✅"}, ensure_ascii=False)),
]


def sample_stream(newline: str) -> bytes:
    body = (
        f"data: {SAMPLE_EVENTS[0][1]}{newline}{newline}"
        f": heartbeat{newline}"
        f"event: heartbeat{newline}data:{newline}{newline}"
        f"data: first line 🎞️{newline}data: second line é{newline}{newline}"
        f"data: {SAMPLE_EVENTS[4][1]}{newline}{newline}"
    )
    return body.encode("utf-8")


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_decoder_gives_the_same_events_whatever_the_split(newline: str) -> None:
    raw = sample_stream(newline)
    assert decode_all(raw) == SAMPLE_EVENTS
    for cut in range(len(raw) + 1):
        decoder = SSEDecoder()
        got = decoder.feed(raw[:cut]) + decoder.feed(raw[cut:]) + decoder.flush()
        assert got == SAMPLE_EVENTS, f"split at byte {cut}"


@pytest.mark.parametrize("newline", ["\n", "\r\n", "\r"], ids=["lf", "crlf", "cr"])
def test_decoder_three_way_splits_inside_multibyte_characters(newline: str) -> None:
    raw = sample_stream(newline)
    multibyte_starts = [i for i, b in enumerate(raw) if b >= 0xC0]
    for start in multibyte_starts:
        for second in range(start + 1, min(start + 5, len(raw))):
            decoder = SSEDecoder()
            got = (
                decoder.feed(raw[: start + 1])
                + decoder.feed(raw[start + 1 : second + 1])
                + decoder.feed(raw[second + 1 :])
                + decoder.flush()
            )
            assert got == SAMPLE_EVENTS, f"splits after bytes {start} and {second}"


def test_decoder_emits_an_event_as_soon_as_its_blank_line_arrives() -> None:
    decoder = SSEDecoder()
    assert decoder.feed(b"data: early\r\n") == []
    assert decoder.feed(b"\r") == [("message", "early")]
    assert decoder.feed(b"\ndata: next\n\n") == [("message", "next")]


def httpx_sse_events(raw: bytes) -> list[tuple[str, str]]:
    """What httpx-sse (the client's parser) makes of the same bytes."""
    lines = HttpxLineDecoder()
    events = HttpxSSEDecoder()
    text = raw.decode("utf-8", errors="replace")
    out = []
    for line in [*lines.decode(text), *lines.flush()] if text else []:
        sse = events.decode(line)
        if sse is not None:
            out.append((sse.event, sse.data))
    return out


@pytest.mark.parametrize(
    "raw",
    [p.values[0] for p in DECODER_CASES if p.id != "leading-bom"]
    + [sample_stream("\n"), sample_stream("\r\n"), sample_stream("\r")],
    ids=[str(p.id) for p in DECODER_CASES if p.id != "leading-bom"]
    + ["sample-lf", "sample-crlf", "sample-cr"],
)
def test_decoder_agrees_with_httpx_sse(raw: bytes) -> None:
    ours = [pair for pair in decode_all(raw) if pair != ("comment", "")]
    assert ours == httpx_sse_events(raw)
