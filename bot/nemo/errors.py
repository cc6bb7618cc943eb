"""Errors from NemoVideo, typed where they enter.

Every failed response goes through one pure function, `error_from_response(status, body)`,
which picks the type from the body's business `code` first and the HTTP status second.
Each type carries the data a caller needs (`code`, `status`, `retry_after`); the words a
user reads live in `bot.core.wording`, never here.

    NemoError                      anything NemoVideo (or the way to it) refused
    ├── TokenInvalid               1001  bad or expired token      → new token, retry once
    ├── TokenRefused                     no new anonymous token    → NEMO_TOKEN, or wait
    ├── SessionNotFound            1002  session is gone           → new session
    ├── InsufficientCredits        2001  no credits left           → register / top up
    ├── UnsupportedFile            4001  file type not accepted    → list the formats
    ├── FileTooLarge               4002  file over the limit       → compress or trim
    ├── MissingClientId            400   X-Client-Id missing       → send one, retry
    ├── ExportBlocked              402   plan cannot export        → register / upgrade
    ├── RateLimited                429   too many requests         → wait 30 s, retry once
    ├── RenderFailed                     the render job reported failure
    ├── StreamDropped                    the SSE stream broke before it closed cleanly
    ├── ServiceUnavailable               5xx, connection refused, DNS, …
    │   ├── ServiceTimeout               no answer in time
    │   └── RequestNotSent               the request never left (refused, DNS, connect)
    └── UnexpectedResponse               a body we cannot read, or an unknown error code
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

__all__ = [
    "DEFAULT_RETRY_AFTER_SECONDS",
    "ExportBlocked",
    "FileTooLarge",
    "InsufficientCredits",
    "MissingClientId",
    "NemoError",
    "RateLimited",
    "RenderFailed",
    "RequestNotSent",
    "ServiceTimeout",
    "ServiceUnavailable",
    "SessionNotFound",
    "StreamDropped",
    "TokenInvalid",
    "TokenRefused",
    "UnexpectedResponse",
    "UnsupportedFile",
    "error_from_response",
]

DEFAULT_RETRY_AFTER_SECONDS = 30.0


class NemoError(Exception):
    """Base of every NemoVideo failure; `code` is the business code, `status` the HTTP one."""

    def __init__(
        self, message: str = "", *, code: int | None = None, status: int | None = None
    ) -> None:
        super().__init__(message or type(self).__name__)
        self.message = message
        self.code = code
        self.status = status

    def __repr__(self) -> str:
        return f"{type(self).__name__}(code={self.code!r}, status={self.status!r})"


class TokenInvalid(NemoError):
    """1001: the token is wrong or expired (anonymous tokens live 7 days)."""


class TokenRefused(NemoError):
    """NemoVideo would not issue a new anonymous token (one per client id per 7 days).

    Not a passing rate limit: waiting minutes does not help. `retry_after` is how many
    seconds until it may issue one, when it said; setting NEMO_TOKEN helps at once.
    """

    def __init__(
        self,
        message: str = "",
        *,
        code: int | None = None,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        super().__init__(message, code=code, status=status)
        self.retry_after = retry_after


class SessionNotFound(NemoError):
    """1002: the session no longer exists on the backend."""


class InsufficientCredits(NemoError):
    """2001: the account has no credits left for this operation."""


class UnsupportedFile(NemoError):
    """4001: the uploaded file's type is not accepted."""


class FileTooLarge(NemoError):
    """4002: the uploaded file is over the size limit."""


class MissingClientId(NemoError):
    """HTTP 400 on the anonymous token: the `X-Client-Id` header is missing."""


class ExportBlocked(NemoError):
    """HTTP 402: the plan cannot export. A subscription issue, not a credits one."""


class RateLimited(NemoError):
    """HTTP 429: too many requests (1 anonymous token per client per 7 days)."""

    def __init__(
        self,
        message: str = "",
        *,
        code: int | None = None,
        status: int | None = None,
        retry_after: float = DEFAULT_RETRY_AFTER_SECONDS,
    ) -> None:
        super().__init__(message, code=code, status=status)
        self.retry_after = retry_after


class RenderFailed(NemoError):
    """The render job ended in `failed`, or could not be submitted."""


class StreamDropped(NemoError):
    """The chat stream broke (network error) before the server closed it cleanly."""


class ServiceUnavailable(NemoError):
    """NemoVideo could not be reached or answered with a server error."""


class ServiceTimeout(ServiceUnavailable):
    """NemoVideo did not answer in time."""


class RequestNotSent(ServiceUnavailable):
    """The request never reached NemoVideo (connection refused, DNS, connect timeout):
    sending it again cannot make NemoVideo do (or charge for) anything twice."""


class UnexpectedResponse(NemoError):
    """A response we could not make sense of."""


_BY_CODE: dict[int, type[NemoError]] = {
    1001: TokenInvalid,
    1002: SessionNotFound,
    2001: InsufficientCredits,
    4001: UnsupportedFile,
    4002: FileTooLarge,
}

_BY_STATUS: dict[int, type[NemoError]] = {
    400: MissingClientId,
    401: TokenInvalid,
    402: ExportBlocked,
    404: SessionNotFound,
    413: FileTooLarge,
    415: UnsupportedFile,
    429: RateLimited,
}


def _message_of(body: Mapping[str, Any]) -> str:
    for key in ("message", "error", "detail", "msg"):
        value = body.get(key)
        if isinstance(value, str) and value:
            return value
        if isinstance(value, Mapping):
            inner = value.get("message")
            if isinstance(inner, str):
                return inner
    return ""


def _seconds_of(value: object) -> float | None:
    """A non-negative, finite number of seconds from a number or a numeric string."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        seconds = float(value)
    elif isinstance(value, str):
        try:
            seconds = float(value.strip())
        except ValueError:
            return None  # e.g. an HTTP-date Retry-After: the default wait will do
    else:
        return None
    return seconds if math.isfinite(seconds) and seconds >= 0 else None


def _retry_after_of(body: Mapping[str, Any], headers: Mapping[str, str] | None) -> float:
    for source in (body, body.get("data"), body.get("error")):
        if isinstance(source, Mapping):
            for key in ("retry_after", "retryAfter"):
                seconds = _seconds_of(source.get(key))
                if seconds is not None:
                    return seconds
    if headers:
        for name, value in headers.items():
            if name.lower() == "retry-after":
                seconds = _seconds_of(value)
                if seconds is not None:
                    return seconds
    return DEFAULT_RETRY_AFTER_SECONDS


def _as_code(raw: object) -> int | None:
    """A business code from an int, an integral float or a numeric string."""
    if isinstance(raw, bool):
        return None
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float) and raw.is_integer():
        return int(raw)
    if isinstance(raw, str):
        try:
            return int(raw.strip())
        except ValueError:
            return None
    return None


def error_from_response(
    status: int, body: object, headers: Mapping[str, str] | None = None
) -> NemoError | None:
    """The error a response stands for, or None when it is a success.

    `body` is the decoded JSON (or None / a string when it was not JSON). Envelopes:
    `{"code": 0, "data": …}` is a success whatever the HTTP status; `{"success": true}` too;
    otherwise a business code wins over the HTTP status, and the status decides the rest.
    The code is read from `code`, or from `error.code` in `{"success": false, "error": {…}}`;
    a `code` that is not a number is not a success.
    """
    mapping = body if isinstance(body, Mapping) else {}
    message = _message_of(mapping)
    raw_code = mapping.get("code")
    nested = False
    error = mapping.get("error")
    if raw_code is None and isinstance(error, Mapping) and error.get("code") is not None:
        raw_code, nested = error.get("code"), True
    code = _as_code(raw_code)
    unreadable_code = raw_code is not None and code is None

    if code == 0 and nested:
        code = None  # an "error" object saying 0 is still an error
    if code == 0 or (code is None and not unreadable_code and mapping.get("success") is True):
        return None
    if (
        code is None
        and not unreadable_code
        and mapping.get("success") is None
        and 200 <= status < 300
    ):
        return None

    if code == 429 or (status == 429 and code not in _BY_CODE):
        return RateLimited(
            message, code=code, status=status, retry_after=_retry_after_of(mapping, headers)
        )
    if code is not None and code in _BY_CODE:
        return _BY_CODE[code](message, code=code, status=status)
    if code in (400, 402):
        return _BY_STATUS[code](message, code=code, status=status)
    if status in _BY_STATUS:
        return _BY_STATUS[status](message, code=code, status=status)
    if status == 504 or status == 408:
        return ServiceTimeout(message, code=code, status=status)
    if status >= 500:
        return ServiceUnavailable(message, code=code, status=status)
    return UnexpectedResponse(message or f"HTTP {status}", code=code, status=status)
