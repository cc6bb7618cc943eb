"""`nemobot doctor`: is this installation ready? One row per check, and what to do if not.

    ✓  settings   valid; .env read from /srv/nemobot
    ✓  database   data/nemobot.sqlite3: schema version 3 (current), wal journal
    ✓  NemoVideo  https://mega-api-prod.nemovideo.ai answers; NEMO_TOKEN works; 9,900 credits
    ✓  Discord    logged in as nemobot (id 1234…); application 1234…, in 2 servers
    !  intents    Message Content is off
                  → turn it on in the developer portal: …

✓ passed, ✗ failed (the exit status is 1), ! works but needs attention, – not checked.
`--quick` checks only what needs no network outside the installation (settings, database,
and Redis when REDIS_URL is set): that is the Docker health check. Checking NemoVideo
without `NEMO_TOKEN` obtains the free anonymous token if the database has none yet,
exactly as `nemobot run` would at start-up, and keeps it there. No token is ever printed:
every line also goes through `bot.log.redact`.
"""

from __future__ import annotations

import asyncio
import sys
from typing import TextIO

from bot.doctor.discord_api import (
    GATEWAY_GUILD_MEMBERS,
    GATEWAY_GUILD_MEMBERS_LIMITED,
    GATEWAY_MESSAGE_CONTENT,
    GATEWAY_MESSAGE_CONTENT_LIMITED,
    GATEWAY_PRESENCE,
    GATEWAY_PRESENCE_LIMITED,
    check_discord,
    intents_check,
    login_check,
)
from bot.doctor.local import check_database, load_settings, settings_check
from bot.doctor.nemovideo import check_nemovideo
from bot.doctor.redis_check import check_redis
from bot.doctor.report import Check, Status, write_report
from bot.log import setup_logging
from bot.settings import Settings

__all__ = [
    "GATEWAY_GUILD_MEMBERS",
    "GATEWAY_GUILD_MEMBERS_LIMITED",
    "GATEWAY_MESSAGE_CONTENT",
    "GATEWAY_MESSAGE_CONTENT_LIMITED",
    "GATEWAY_PRESENCE",
    "GATEWAY_PRESENCE_LIMITED",
    "Check",
    "Status",
    "check_database",
    "check_discord",
    "check_nemovideo",
    "doctor_main",
    "intents_check",
    "load_settings",
    "login_check",
    "run_checks",
    "run_doctor",
    "settings_check",
    "write_report",
]


async def run_checks(settings: Settings, *, quick: bool = False) -> list[Check]:
    """Every check after the settings, in report order."""
    database, store = await check_database(settings.database())
    try:
        # Redis, like the database, is this installation's own (a health check needs it)
        shared = (
            [await check_redis(settings.redis_url, settings.redis_key_prefix)]
            if settings.redis_url
            else []
        )
        if quick:
            skipped = "not checked (--quick: no network)"
            return [
                database,
                *shared,
                *(Check(name, "skip", skipped) for name in ("NemoVideo", "Discord")),
            ]
        nemo, discord_rows = await asyncio.gather(
            check_nemovideo(settings, store), check_discord(settings)
        )
        return [database, *shared, nemo, *discord_rows]
    finally:
        if store is not None:
            await store.close()


async def run_doctor(out: TextIO, *, settings: Settings | None = None, quick: bool = False) -> int:
    """Check everything, write the report to `out`, return the exit status (1: a check failed).

    Without `settings` they are loaded from the environment and `.env`, and a failure to
    load them is the first row of the report.
    """
    if settings is None:
        settings, first = load_settings()
    else:
        first = settings_check()
    checks = [first]
    if settings is None:
        checks += [
            Check(name, "skip", "not checked: fix the settings first")
            for name in ("database", "NemoVideo", "Discord")
        ]
    else:
        checks += await run_checks(settings, quick=quick)
    write_report(checks, out, quick=quick)
    return 1 if any(check.status == "fail" for check in checks) else 0


def doctor_main(*, quick: bool = False) -> int:
    """`nemobot doctor [--quick]`: the report on stdout, the exit status for scripts."""
    setup_logging("WARNING")  # the report is the output; only real trouble goes to stderr
    try:
        return asyncio.run(run_doctor(sys.stdout, quick=quick))
    except KeyboardInterrupt:
        return 130
