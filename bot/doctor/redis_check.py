"""The Redis check (only when REDIS_URL is set): it answers, and which server it is."""

from __future__ import annotations

import redis.asyncio
from redis.exceptions import RedisError
from yarl import URL

from bot.doctor.report import Check


def shown(url: str) -> str:
    """The URL without its password."""
    parsed = URL(url)
    return str(parsed.with_password(None)) if parsed.password else url


async def check_redis(url: str, key_prefix: str) -> Check:
    client = redis.asyncio.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=3)
    try:
        info = await client.info("server")
    except (RedisError, OSError) as exc:
        return Check(
            "Redis",
            "fail",
            f"{shown(url)} does not answer: {type(exc).__name__}: {exc}",
            "start Redis, or fix REDIS_URL (unset it to keep each process to its own Discord "
            "budget, which is right for one process)",
        )
    finally:
        await client.aclose()
    version = info.get("redis_version", "?")
    return Check(
        "Redis",
        "ok",
        f"{shown(url)} answers (Redis {version}); the Discord budget is shared under "
        f"{key_prefix}:budget:discord",
    )
