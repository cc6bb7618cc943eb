"""SIGKILL the real bot process at every stage of a render, restart it on the same SQLite
file, and every render reaches its thread exactly once.

The bot runs as `nemobot run` does (`run_bot`, in a subprocess: tests/discord/
killable_bot.py) against the wire-level fake Discord and the NemoVideo emulator, both in
this process so they outlive the kills. Each round starts a few renders in their own
session threads and kills the process at one stage: just after the progress message
(submission in flight), while NemoVideo renders, while the MP4 is downloaded, in the
middle of the upload to Discord, and just after Discord stored the post (before the bot
could record it). The next process delivers what was cut off; a post that had landed is
recognised by its nonce (`enforce_nonce`), so nothing is posted twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import pytest

from bot.emulator import EmulatorConfig, RunningEmulator, run_emulator
from tests.discord.bot_process import BotProcess, bot_messages, delivered, open_threads, videos_in
from tests.fakediscord import FakeDiscord, run_fake_discord

RENDERS_PER_KILL = 4
#: Long enough for a round's renders to be delivered by the process after the kill.
ROUND_SECONDS = 60.0
KILL_POINTS = ("submit", "rendering", "download", "upload", "posted")


def kill_condition(
    point: str, fake: FakeDiscord, emulator: RunningEmulator, threads: list[int],
    renders_before: set[str],
) -> Callable[[], bool]:
    """When to pull the plug for one kill point."""
    state = emulator.state

    def new_renders() -> list[Any]:
        return [r for rid, r in state.renders.items() if rid not in renders_before]

    def downloading() -> bool:  # the emulator keeps its last 200 requests: enough here
        ids = {r.render_id for r in new_renders()}
        return any(
            r.method == "GET" and (r.path.startswith("/files/") or r.path.endswith("/download"))
            and any(render_id in r.path for render_id in ids)
            for r in state.requests
        )

    conditions: dict[str, Callable[[], bool]] = {
        "submit": lambda: all(
            any("Rendering" in json.dumps(m.get("embeds") or [], ensure_ascii=False)
                for m in bot_messages(fake, t))
            for t in threads
        ),
        "rendering": lambda: len(new_renders()) == len(threads) and all(
            r.status_at(state.clock())[0] in ("pending", "processing") for r in new_renders()
        ),
        "download": downloading,
        "upload": lambda: fake.held_uploads > 0,
        "posted": lambda: fake.held_answers > 0,
    }
    return conditions[point]


def states_of(database: Path, threads: list[int]) -> list[str]:
    """The stored states of the renders in these threads (read while the bot is dead)."""
    keys = [f"discord:{t}" for t in threads]
    marks = ", ".join("?" for _ in keys)
    with sqlite3.connect(database) as raw:
        rows = raw.execute(
            f"SELECT status FROM renders WHERE conversation_key IN ({marks})", keys
        ).fetchall()
    return sorted(status for (status,) in rows)


@contextlib.asynccontextmanager
async def world(tmp_path: Path) -> AsyncIterator[tuple[FakeDiscord, RunningEmulator]]:
    config = EmulatorConfig(turn_scale=0.0, render_seconds=1.5, silent_edit_rate=0.0, seed=11)
    async with run_emulator(config) as emulator, run_fake_discord() as fake:
        yield fake, emulator


@pytest.mark.slow
async def test_renders_killed_at_every_stage_are_each_delivered_exactly_once(
    tmp_path: Path,
) -> None:
    async with world(tmp_path) as (fake, emulator):
        # A kill leaves the renders' leases to run out before the next start takes them.
        bot = BotProcess(fake, emulator, tmp_path, env={"LEASE_SECONDS": "3"})
        await bot.start()
        all_threads: list[int] = []
        left: dict[str, list[str]] = {}  # what each kill left in the database
        try:
            for point in KILL_POINTS:
                threads = await open_threads(fake, RENDERS_PER_KILL)
                all_threads += threads
                renders_before = set(emulator.state.renders)
                fake.held_uploads = fake.held_answers = 0
                if point == "upload":
                    fake.hold_uploads = asyncio.Event()
                if point == "posted":
                    fake.hold_answers = asyncio.Event()
                condition = kill_condition(point, fake, emulator, threads, renders_before)
                for thread_id in threads:
                    await fake.send_message(thread_id, fake.alice, "export")
                await fake.wait_for(condition, ROUND_SECONDS)
                await bot.kill()
                left[point] = states_of(tmp_path / "nemobot.sqlite3", threads)
                for hold in (fake.hold_uploads, fake.hold_answers):
                    if hold is not None:
                        hold.set()
                fake.hold_uploads = fake.hold_answers = None
                await bot.start()
                await fake.wait_for(delivered(fake, threads), ROUND_SECONDS)
        except TimeoutError as exc:
            videos = {t: videos_in(fake, t) for t in all_threads}
            raise AssertionError(
                f"{exc}\nkills so far left {left}; videos per thread {videos}"
                f"\n--- bot log ---\n{bot.log_tail()}"
            ) from exc
        finally:
            exit_code = await bot.stop()

    assert exit_code == 0, bot.log_tail()
    # The kills landed where they were meant to (download is too quick to pin down).
    assert not {"delivering", "delivered"} & set(left["submit"]), left
    assert set(left["rendering"]) <= {"submitting", "pending", "processing"}, left
    assert "delivering" in left["upload"] and "delivering" in left["posted"], left
    assert len(all_threads) == RENDERS_PER_KILL * len(KILL_POINTS) == 20
    assert [videos_in(fake, t) for t in all_threads] == [1] * 20, "each video exactly once"
    assert emulator.state.counters.renders == 20, "no render was submitted twice"
    with sqlite3.connect(tmp_path / "nemobot.sqlite3") as raw:
        states = raw.execute("SELECT status, COUNT(*) FROM renders GROUP BY status").fetchall()
    assert dict(states) == {"delivered": 20}
