"""The process the kill test SIGKILLs: `nemobot run`'s own start-up (`run_bot`), with the
settings from the environment and render waits shrunk so a test round takes seconds."""

from __future__ import annotations

import asyncio
import sys

from bot.core.timings import Timings
from bot.log import setup_logging
from bot.settings import Settings
from cogs.run_bot import run_bot

#: The brief's waits, shrunk: first render poll after 0.2 s, then every 0.2 s.
QUICK = Timings(
    edit_interval_seconds=0.05,
    rate_limit_retry_seconds=0.1,
    rate_limit_max_wait_seconds=0.5,
    recovery_first_check_seconds=0.1,
    recovery_interval_seconds=0.1,
    render_first_poll_seconds=0.2,
    render_poll_backoff=1.0,
    render_max_poll_seconds=0.2,
)


def main() -> int:
    settings = Settings()
    setup_logging(settings.log_level, settings.log_format)
    return asyncio.run(run_bot(settings, timings=QUICK))


if __name__ == "__main__":
    sys.exit(main())
