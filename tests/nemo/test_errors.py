"""error_from_response: the brief's error table, in both envelopes, as one table."""

from __future__ import annotations

from collections.abc import Mapping

import httpx
import pytest

from bot.nemo.errors import (
    DEFAULT_RETRY_AFTER_SECONDS,
    ExportBlocked,
    FileTooLarge,
    InsufficientCredits,
    MissingClientId,
    NemoError,
    RateLimited,
    ServiceTimeout,
    ServiceUnavailable,
    SessionNotFound,
    TokenInvalid,
    UnexpectedResponse,
    UnsupportedFile,
    error_from_response,
)


def gateway(code: object, message: str = "") -> dict[str, object]:
    """The gateway envelope: `{"code", "message", "data"}`."""
    return {"code": code, "message": message, "data": None}


def render_failure(error: object) -> dict[str, object]:
    """The render-proxy envelope on failure: `{"success": false, "error"}`."""
    return {"success": False, "error": error}


SUCCESSES = [
    pytest.param(200, {"code": 0, "data": {"token": "nmv_usr_x"}}, id="code-0"),
    pytest.param(200, {"code": 0, "message": "success", "data": {}}, id="code-0-with-message"),
    pytest.param(200, {"code": "0", "data": {}}, id="code-0-as-string"),
    pytest.param(500, {"code": 0, "data": {}}, id="code-0-wins-over-status"),
    pytest.param(200, {"success": True, "data": {"id": "render_1"}}, id="success-true"),
    pytest.param(201, {"taskId": "render_1", "status": "completed"}, id="no-envelope-2xx"),
    pytest.param(200, None, id="empty-body-2xx"),
]


@pytest.mark.parametrize(("status", "body"), SUCCESSES)
def test_successes_are_not_errors(status: int, body: object) -> None:
    assert error_from_response(status, body) is None


# (status, body, error type, code it carries)
BUSINESS_CODES = [
    # 1001 bad or expired token
    pytest.param(200, gateway(1001, "Token expired"), TokenInvalid, 1001, id="1001-http200"),
    pytest.param(401, gateway(1001, "Token expired"), TokenInvalid, 1001, id="1001-http401"),
    pytest.param(200, gateway("1001"), TokenInvalid, 1001, id="1001-numeric-string"),
    pytest.param(200, gateway(1001.0), TokenInvalid, 1001, id="1001-integral-float"),
    pytest.param(
        401,
        render_failure({"code": 1001, "message": "bad token"}),
        TokenInvalid,
        1001,
        id="1001-in-success-envelope",
    ),
    # 1002 session not found
    pytest.param(200, gateway(1002, "Session not found"), SessionNotFound, 1002, id="1002-http200"),
    pytest.param(404, gateway(1002, "Session not found"), SessionNotFound, 1002, id="1002-http404"),
    pytest.param(
        200, render_failure({"code": "1002"}), SessionNotFound, 1002, id="1002-in-success-envelope"
    ),
    # 2001 no credits: never confused with the 402 export block
    pytest.param(
        200, gateway(2001, "Insufficient credits"), InsufficientCredits, 2001, id="2001-http200"
    ),
    pytest.param(
        402,
        gateway(2001, "Insufficient credits"),
        InsufficientCredits,
        2001,
        id="2001-http402-is-credits-not-plan",
    ),
    pytest.param(
        200,
        {"success": False, "code": 2001, "error": "no credits"},
        InsufficientCredits,
        2001,
        id="2001-success-envelope-top-level-code",
    ),
    # 4001 / 4002 files
    pytest.param(
        200, gateway(4001, "Unsupported file type"), UnsupportedFile, 4001, id="4001-http200"
    ),
    pytest.param(400, gateway(4001), UnsupportedFile, 4001, id="4001-http400-not-client-id"),
    pytest.param(415, gateway(4001), UnsupportedFile, 4001, id="4001-http415"),
    pytest.param(200, gateway(4002, "File too large"), FileTooLarge, 4002, id="4002-http200"),
    pytest.param(413, gateway(4002), FileTooLarge, 4002, id="4002-http413"),
    pytest.param(
        400,
        render_failure({"code": 4002, "message": "too big"}),
        FileTooLarge,
        4002,
        id="4002-in-success-envelope",
    ),
    # 400 / 402 as codes in the body
    pytest.param(200, gateway(400, "X-Client-Id required"), MissingClientId, 400, id="400-as-code"),
    pytest.param(
        400, gateway(400, "X-Client-Id required"), MissingClientId, 400, id="400-as-code-and-status"
    ),
    pytest.param(
        200, gateway(402, "Export not available on free plan"), ExportBlocked, 402, id="402-as-code"
    ),
    pytest.param(402, gateway(402), ExportBlocked, 402, id="402-as-code-and-status"),
]


@pytest.mark.parametrize(("status", "body", "kind", "code"), BUSINESS_CODES)
def test_business_codes(status: int, body: object, kind: type[NemoError], code: int) -> None:
    error = error_from_response(status, body)
    assert type(error) is kind
    assert error.code == code
    assert error.status == status


# (status, body, error type) when only the HTTP status tells
STATUSES = [
    pytest.param(400, None, MissingClientId, id="400-no-body"),
    pytest.param(
        400, {"detail": "X-Client-Id header is required"}, MissingClientId, id="400-detail"
    ),
    pytest.param(
        400, render_failure("missing client id"), MissingClientId, id="400-success-envelope"
    ),
    pytest.param(401, {"detail": "Unauthorized"}, TokenInvalid, id="401"),
    pytest.param(402, None, ExportBlocked, id="402-no-body"),
    pytest.param(
        402,
        render_failure("Export not available on free plan"),
        ExportBlocked,
        id="402-success-envelope",
    ),
    pytest.param(402, "Payment Required", ExportBlocked, id="402-non-json"),
    pytest.param(404, {"detail": "Session not found"}, SessionNotFound, id="404-adk-detail"),
    pytest.param(413, "Request Entity Too Large", FileTooLarge, id="413-non-json"),
    pytest.param(415, None, UnsupportedFile, id="415"),
    pytest.param(500, {"detail": "Internal Server Error"}, ServiceUnavailable, id="500"),
    pytest.param(502, "<html><body>Bad gateway</body></html>", ServiceUnavailable, id="502-html"),
    pytest.param(503, None, ServiceUnavailable, id="503-no-body"),
    pytest.param(503, render_failure("busy"), ServiceUnavailable, id="503-success-envelope"),
    pytest.param(504, "Gateway Timeout", ServiceTimeout, id="504-non-json"),
    pytest.param(504, gateway(-1, "upstream timeout"), ServiceTimeout, id="504-gateway-body"),
    pytest.param(408, None, ServiceTimeout, id="408"),
]


@pytest.mark.parametrize(("status", "body", "kind"), STATUSES)
def test_http_statuses(status: int, body: object, kind: type[NemoError]) -> None:
    error = error_from_response(status, body)
    assert type(error) is kind
    assert error.status == status


def test_gateway_timeout_is_also_a_service_unavailable() -> None:
    assert isinstance(error_from_response(504, None), ServiceUnavailable)


# (status, body, headers, seconds)
RATE_LIMITS = [
    pytest.param(429, None, None, DEFAULT_RETRY_AFTER_SECONDS, id="no-hint-defaults-to-30"),
    pytest.param(429, gateway(429, "Rate limit"), None, 30.0, id="code-and-status-default"),
    pytest.param(200, gateway(429, "Rate limit"), None, 30.0, id="code-429-http200"),
    pytest.param(429, {"code": 429, "retry_after": 12}, None, 12.0, id="body-retry-after"),
    pytest.param(
        429, {"code": 429, "data": {"retry_after": 45.5}}, None, 45.5, id="retry-after-in-data"
    ),
    pytest.param(
        429,
        render_failure({"message": "slow down", "retry_after": "9"}),
        None,
        9.0,
        id="retry-after-in-error-object",
    ),
    pytest.param(429, None, {"Retry-After": "7"}, 7.0, id="header"),
    pytest.param(429, None, {"retry-after": "8"}, 8.0, id="header-lower-case"),
    pytest.param(429, None, httpx.Headers({"RETRY-AFTER": "5"}), 5.0, id="httpx-headers"),
    pytest.param(429, {"retry_after": 3}, {"Retry-After": "60"}, 3.0, id="body-wins-over-header"),
    pytest.param(
        429,
        None,
        {"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"},
        30.0,
        id="http-date-header-uses-default",
    ),
    pytest.param(
        429, {"retry_after": -5}, {"Retry-After": "garbage"}, 30.0, id="nonsense-uses-default"
    ),
    pytest.param(429, {"retry_after": True}, None, 30.0, id="bool-is-not-seconds"),
    pytest.param(429, None, {"Retry-After": "inf"}, 30.0, id="infinite-is-not-seconds"),
    pytest.param(
        429, render_failure("Rate limit (1 token/client/7 days)"), None, 30.0, id="success-envelope"
    ),
]


@pytest.mark.parametrize(("status", "body", "headers", "seconds"), RATE_LIMITS)
def test_rate_limited_carries_retry_after(
    status: int, body: object, headers: Mapping[str, str] | None, seconds: float
) -> None:
    error = error_from_response(status, body, headers)
    assert isinstance(error, RateLimited)
    assert error.retry_after == seconds
    assert error.status == status


def test_business_code_wins_over_a_429_status() -> None:
    error = error_from_response(429, gateway(1001))
    assert type(error) is TokenInvalid


# (status, body, code) for bodies we cannot make sense of
UNEXPECTED = [
    pytest.param(200, gateway(9999, "mystery"), 9999, id="unknown-code-http200"),
    pytest.param(418, gateway(9999), 9999, id="unknown-code-unmapped-status"),
    pytest.param(200, gateway("ERR_SOMETHING", "bad"), None, id="non-numeric-code-is-not-success"),
    pytest.param(200, gateway(True), None, id="bool-code-is-not-success"),
    pytest.param(200, render_failure("duplicate id"), None, id="success-false-http200"),
    pytest.param(
        200,
        render_failure({"code": 0, "message": "odd"}),
        None,
        id="error-object-with-code-0-is-still-an-error",
    ),
    pytest.param(200, {"success": False}, None, id="success-false-no-detail"),
    pytest.param(409, "Conflict", None, id="unmapped-status-non-json"),
    pytest.param(302, None, None, id="redirect"),
]


@pytest.mark.parametrize(("status", "body", "code"), UNEXPECTED)
def test_unreadable_or_unknown_answers_are_unexpected(
    status: int, body: object, code: int | None
) -> None:
    error = error_from_response(status, body)
    assert type(error) is UnexpectedResponse
    assert error.code == code
    assert error.status == status


def test_unknown_code_on_a_server_error_is_service_unavailable() -> None:
    error = error_from_response(503, gateway(9999))
    assert type(error) is ServiceUnavailable
    assert error.code == 9999


# (body, message) the message a caller may log or show to an operator
MESSAGES = [
    pytest.param(gateway(1002, "Session not found"), "Session not found", id="gateway-message"),
    pytest.param(render_failure("duplicate id"), "duplicate id", id="success-envelope-string"),
    pytest.param(
        render_failure({"message": "invalid draft"}), "invalid draft", id="success-envelope-object"
    ),
    pytest.param({"detail": "Session not found"}, "Session not found", id="adk-detail"),
    pytest.param({"code": 1001, "msg": "expired"}, "expired", id="msg-key"),
]


@pytest.mark.parametrize(("body", "message"), MESSAGES)
def test_error_keeps_the_server_message(body: object, message: str) -> None:
    error = error_from_response(404, body)
    assert error is not None
    assert error.message == message
    assert str(error) == message


def test_error_without_message_is_named_after_its_type() -> None:
    error = error_from_response(503, None)
    assert str(error) == "ServiceUnavailable"
    assert repr(error) == "ServiceUnavailable(code=None, status=503)"


def test_unexpected_response_without_message_names_the_status() -> None:
    assert str(error_from_response(409, None)) == "HTTP 409"
