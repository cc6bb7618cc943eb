"""HTTP-level helpers for NemoClient: reading bodies, naming failures.

Kept apart from the endpoint methods so `client.py` reads as the list of endpoints.
"""

from __future__ import annotations

import json

import httpx

from bot.nemo.errors import (
    NemoError,
    RequestNotSent,
    ServiceTimeout,
    ServiceUnavailable,
    error_from_response,
)


def transport_error(exc: httpx.HTTPError) -> ServiceUnavailable:
    """The NemoError for a request that never got an answer."""
    if isinstance(exc, httpx.ConnectError | httpx.ConnectTimeout | httpx.PoolTimeout):
        return RequestNotSent(f"NemoVideo could not be reached ({type(exc).__name__})")
    if isinstance(exc, httpx.TimeoutException):
        return ServiceTimeout(f"NemoVideo did not answer in time ({type(exc).__name__})")
    return ServiceUnavailable(f"NemoVideo could not be reached ({type(exc).__name__})")


def decode_body(response: httpx.Response) -> object:
    """The JSON body, the text when it is not JSON, or None when it is empty."""
    if not response.content:
        return None
    try:
        return json.loads(response.content)
    except ValueError:
        return response.text


def refusal(response: httpx.Response) -> NemoError | None:
    """The error a fully read response stands for, if any."""
    return error_from_response(response.status_code, decode_body(response), response.headers)



