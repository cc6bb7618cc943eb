"""Responses in Discord's format.

`Content-Type` is exactly `application/json`: discord.py compares the header with `==` and
treats anything else (`application/json; charset=utf-8` from `web.json_response`) as text.
Errors use Discord's JSON error codes; a handler raises `DiscordError` to answer one.
"""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

# JSON error codes the fake uses.
UNKNOWN_CHANNEL = 10003
UNKNOWN_MESSAGE = 10008
UNKNOWN_WEBHOOK = 10015
UNKNOWN_INTERACTION = 10062
REQUEST_TOO_LARGE = 40005
ALREADY_ACKNOWLEDGED = 40060
EMPTY_MESSAGE = 50006
INVALID_FORM_BODY = 50035
THREAD_LOCKED = 50083


class DiscordError(Exception):
    """Raised by a handler to answer with a Discord JSON error."""

    def __init__(self, status: int, code: int, message: str,
                 errors: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


class JSONResponse(web.Response):
    """A response that keeps its JSON body around for the recorder."""

    def __init__(self, body: Any, status: int, headers: dict[str, str] | None) -> None:
        super().__init__(body=json.dumps(body).encode(), status=status,
                         content_type="application/json", headers=headers)
        self.json_body = body


def json_response(body: Any, status: int = 200,
                  headers: dict[str, str] | None = None) -> web.Response:
    return JSONResponse(body, status, headers)


def no_content(headers: dict[str, str] | None = None) -> web.Response:
    return web.Response(status=204, headers=headers)


def field_error(field: str, code: str, message: str) -> DiscordError:
    """A 400 Invalid Form Body naming one field, like Discord's 50035."""
    errors = {field: {"_errors": [{"code": code, "message": message}]}}
    return DiscordError(400, INVALID_FORM_BODY, "Invalid Form Body", errors)
