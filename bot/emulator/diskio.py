"""Blocking file operations run in a thread, and finished even if their task is cancelled.

`asyncio.to_thread` alone lets a cancelled task end while its thread keeps writing; the
app would then remove its temporary folder while a file is still being created in it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


async def in_thread(func: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
    """Run `func` in a thread; on cancellation, wait for it to finish, then re-raise."""
    future = asyncio.ensure_future(asyncio.to_thread(func, *args, **kwargs))
    try:
        return await asyncio.shield(future)
    except asyncio.CancelledError:
        await asyncio.wait([future])
        raise
