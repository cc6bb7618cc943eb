"""Response bodies and the errors handlers raise to produce them.

Gateway endpoints answer `{"code", "message", "data"}`; render endpoints
`{"success", "data"}` or `{"success": false, "error"}`. Handlers raise `ApiError`; the
middleware turns it into the response (and reads any unread request body first, so a
client still uploading sees the answer instead of a broken pipe).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bot.emulator.config import BusinessStatus

RETRY_AFTER_SECONDS = 30

#: HTTP statuses that accompany business codes when `business_status="http4xx"`.
HTTP4XX_BY_CODE = {1001: 401, 1002: 404, 2001: 402, 4001: 415, 4002: 413}

MESSAGES = {
    1001: "Invalid or expired token",
    1002: "Session not found",
    2001: "Insufficient credits",
    4001: "Unsupported file type",
    4002: "File too large",
}


class ApiError(Exception):
    """Stop handling and answer `body` with `status` (and `headers`)."""

    def __init__(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        super().__init__(body.get("message") or body.get("error") or str(status))
        self.status = status
        self.body = body
        self.headers = headers or {}

    def response(self) -> web.Response:
        return web.json_response(self.body, status=self.status, headers=self.headers)


def gateway_ok(data: Any) -> web.Response:
    return web.json_response({"code": 0, "message": "success", "data": data})


def render_ok(data: Any) -> web.Response:
    return web.json_response({"success": True, "data": data})


def business_error(code: int, mode: BusinessStatus, message: str | None = None) -> ApiError:
    """A gateway error with business `code` (1001, 1002, 2001, 4001, 4002)."""
    status = HTTP4XX_BY_CODE.get(code, 400) if mode == "http4xx" else 200
    return ApiError(status, {"code": code, "message": message or MESSAGES[code], "data": None})


def render_error(status: int, message: str) -> ApiError:
    return ApiError(status, {"success": False, "error": message})


def missing_client_id() -> ApiError:
    return ApiError(400, {"code": 400, "message": "X-Client-Id header is required", "data": None})


def export_blocked() -> ApiError:
    return ApiError(402, {"code": 402, "message": "Export not available on free plan"})


def rate_limited(seconds: int = RETRY_AFTER_SECONDS) -> ApiError:
    return ApiError(
        429,
        {"code": 429, "message": "rate limited", "retry_after": seconds},
        {"Retry-After": str(seconds)},
    )


def server_error() -> ApiError:
    return ApiError(503, {"code": 503, "message": "Service temporarily unavailable", "data": None})
