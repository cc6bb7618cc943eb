"""HTTP-level helpers for NemoClient: reading bodies, naming failures, saving bytes.

Kept apart from the endpoint methods so `client.py` reads as the list of endpoints.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from pathlib import Path

import httpx

from bot.nemo.errors import NemoError, ServiceTimeout, ServiceUnavailable, error_from_response
from bot.nemo.multipart import CHUNK_BYTES


def transport_error(exc: httpx.HTTPError) -> ServiceUnavailable:
    """The NemoError for a request that never got an answer."""
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


async def save_body(response: httpx.Response, destination: Path) -> None:
    """Write the body to `<destination>.part`, then move it into place."""
    await asyncio.to_thread(destination.parent.mkdir, parents=True, exist_ok=True)
    partial = destination.with_name(destination.name + ".part")
    handle = await asyncio.to_thread(partial.open, "wb")
    try:
        async for chunk in response.aiter_bytes(CHUNK_BYTES):
            await asyncio.to_thread(handle.write, chunk)
    except BaseException:
        await asyncio.to_thread(handle.close)
        with contextlib.suppress(OSError):
            await asyncio.to_thread(partial.unlink)
        raise
    await asyncio.to_thread(handle.close)
    await asyncio.to_thread(partial.replace, destination)

