"""The `nemobot` command (also `python -m bot`): run, chat, emulator, doctor, invite, db.

Each subcommand builds its resources in its own `main` coroutine and passes them down;
heavy imports happen inside the subcommand so `nemobot --help` stays instant.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Coroutine, Sequence
from typing import Any

from pydantic import ValidationError

from bot import __version__
from bot.log import setup_logging
from bot.settings import Settings

NO_DISCORD_TOKEN = (
    "DISCORD_TOKEN is not set, so the Discord bot cannot start. Put it in .env "
    "(see .env.example and the README), or try nemobot right now in your terminal with "
    "`nemobot chat --offline`, which needs no account at all."
)

DESCRIPTION = """\
nemobot turns Discord threads into NemoVideo editing sessions: describe a video,
attach images or clips, refine it by chatting, and get the MP4 back.

Settings come from the environment or a .env file (see .env.example)."""


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="nemobot",
        description=DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"nemobot {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    sub.add_parser(
        "run",
        help="run the Discord bot (needs DISCORD_TOKEN)",
        description="Run the Discord bot. Needs DISCORD_TOKEN; without it, says how to "
        "try nemobot offline instead. For more than one process: SHARD_COUNT and SHARD_IDS "
        "pick this process's shards, REDIS_URL shares Discord's request budget with the "
        "others; METRICS_PORT serves Prometheus metrics and /healthz (see .env.example).",
    )

    chat = sub.add_parser(
        "chat",
        help="talk to NemoVideo from this terminal",
        description="The same engine as the bot, in a terminal: type a message, read the "
        "streamed reply. Commands: /upload PATH, /export, /status, /versions [N], /credits, "
        "/reset, /help, "
        "/quit; an unknown /command is refused and costs nothing. On a terminal the line "
        "can be edited (arrows, Up for history) and Ctrl+C or Ctrl+D leaves at once. Piped "
        "input works too; at its end, work in flight (such as an export) finishes before "
        "nemobot exits. Exports are saved into DOWNLOAD_DIR.",
    )
    chat.add_argument(
        "--offline",
        action="store_true",
        help="start the built-in NemoVideo emulator on a free local port and use it "
        "(no account, no network)",
    )
    chat.add_argument(
        "--conversation",
        default="default",
        metavar="NAME",
        help="which saved conversation to continue (default: %(default)s)",
    )

    emulator = sub.add_parser(
        "emulator",
        help="run the local NemoVideo emulator",
        description="Run a NemoVideo-compatible server on this machine, for trying nemobot "
        "offline and for tests. Point NEMO_API_URL at the address it prints.",
    )
    emulator.add_argument("--host", default="127.0.0.1", help="address to listen on")
    emulator.add_argument("--port", type=int, default=8765, help="port (default: %(default)s)")
    emulator.add_argument(
        "--render-seconds",
        type=float,
        default=5.0,
        help="how long a render takes (default: %(default)s)",
    )
    emulator.add_argument(
        "--turn-scale",
        type=float,
        default=0.05,
        help="scales real turn durations (1 = realistic minutes; default: %(default)s)",
    )
    emulator.add_argument(
        "--large-renders",
        action="store_true",
        help="produce renders over 10 MiB (to see delivery as a link)",
    )

    doctor = sub.add_parser(
        "doctor",
        help="check the settings, database, Redis, NemoVideo and Discord",
        description="Check that nemobot is ready to run: the settings, the database, "
        "Redis (when REDIS_URL is set), "
        "NemoVideo (the token works, credits left) and Discord (the token works, the "
        "Message Content intent). One row per check, with what to do when one fails; "
        "exits with 1 if any check fails.",
    )
    doctor.add_argument(
        "--quick",
        action="store_true",
        help="check only the settings, the database and Redis (when set), without "
        "NemoVideo or Discord (the Docker health check)",
    )

    sub.add_parser(
        "invite",
        help="print the link that adds the bot to a Discord server",
        description="Print the OAuth2 link that adds the bot to a Discord server, with "
        "exactly the permissions it needs. Uses DISCORD_APPLICATION_ID, or the id inside "
        "DISCORD_TOKEN.",
    )
    database = sub.add_parser(
        "db",
        help="database tools (copy a SQLite database to PostgreSQL)",
        description="Database tools. `nemobot db copy --from sqlite:///data/nemobot.sqlite3 "
        "--to postgresql://user@host/nemobot` copies every table (ids and the schema "
        "version kept) into an empty database; stop the bot first.",
    )
    database_sub = database.add_subparsers(dest="db_command", metavar="DB_COMMAND")
    copy = database_sub.add_parser(
        "copy",
        help="copy every table into an empty database",
        description="Copy every table of one database into another, empty one (either "
        "engine), keeping ids and the schema version. Stop the bot first.",
    )
    copy.add_argument(
        "--from", dest="source", required=True, metavar="URL",
        help="the database to copy: sqlite:///relative/file, sqlite:////absolute/file, "
        "a file path, or postgresql://…",
    )
    copy.add_argument(
        "--to", dest="target", required=True, metavar="URL",
        help="the empty database to copy into (same forms)",
    )
    return parser


def _load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']).upper()}: {err['msg']}" for err in exc.errors()
        )
        raise SystemExit(f"nemobot: invalid settings: {problems}") from None


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the `nemobot` console script."""
    parser = _parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    if args.command == "doctor":  # it loads the settings itself, to report each bad one
        from bot.doctor import doctor_main

        return doctor_main(quick=args.quick)

    if args.command == "db":
        if args.db_command != "copy":
            parser.parse_args(["db", "--help"])
        from bot.db_command import copy_main

        return _run(copy_main(args.source, args.target, sys.stdout, sys.stderr))

    settings = _load_settings()
    level = settings.log_level
    if args.command == "chat" and "log_level" not in settings.model_fields_set:
        level = "WARNING"  # the terminal is the conversation; keep routine logs out of it
    setup_logging(level, settings.log_format)

    if args.command == "emulator":
        from bot.emulator.config import EmulatorConfig
        from bot.emulator.server import serve_forever

        config = EmulatorConfig(
            render_seconds=args.render_seconds,
            turn_scale=args.turn_scale,
            large_render=args.large_renders,
        )
        return _run(serve_forever(args.host, args.port, config))

    if args.command == "chat":
        from bot.terminal.chat import run_chat

        return _run(run_chat(settings, offline=args.offline, conversation=args.conversation))

    if args.command == "invite":
        from bot.invite import print_invite

        return print_invite(settings, sys.stdout, sys.stderr)

    if args.command == "run":
        if settings.discord_token is None:
            print(NO_DISCORD_TOKEN, file=sys.stderr)
            return 2
        from cogs.run_bot import run_bot

        return _run(run_bot(settings))

    parser.error(f"unknown command {args.command!r}")
    return 2


def _run(coro: Coroutine[Any, Any, int | None]) -> int:
    try:
        result = asyncio.run(coro)
    except KeyboardInterrupt:
        return 130
    return result or 0
