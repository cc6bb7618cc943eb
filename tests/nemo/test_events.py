"""What SSE events mean: one event → one meaning, and partial-text dedupe (pure; the bytes on
the wire are tested through the client against the emulator, in test_client.py)."""

from __future__ import annotations

import json
import logging
from typing import Any

import pytest

from bot.nemo.events import (
    Event,
    PartialTextFilter,
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
    pytest.param(json.dumps({"type": "heartbeat"}), None, id="typed-heartbeat"),
    pytest.param(json.dumps({"type": "ping"}), None, id="typed-ping"),
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
    pytest.param("message", "", None, id="empty-data"),
    pytest.param("message", "  \n\t ", None, id="whitespace-data"),
    pytest.param("", "", None, id="no-event-name-empty-data"),
    pytest.param("heartbeat", "", None, id="heartbeat-event"),
    pytest.param("heartbeat", '{"ts": 1}', None, id="heartbeat-event-with-data"),
    pytest.param("ping", "", None, id="ping-event"),
    pytest.param("PING", "keepalive", None, id="ping-event-any-case"),
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
    [SEEDANCE_TOOL_CALL, ToolResult("x", {}), StreamError("boom")],
    ids=["tool-call", "tool-result", "stream-error"],
)
def test_non_text_events_pass_through_unchanged(event: Event) -> None:
    assert PartialTextFilter().feed(event) is event
