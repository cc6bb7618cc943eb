"""Two real bot processes on one PostgreSQL database: renders are polled and delivered by
exactly one of them, and the other takes over when the holder dies or stalls.

Both run as `nemobot run` does (`run_bot` subprocesses, tests/discord/bot_process.py) against
the wire-level fake Discord and the emulator, with 3-second leases (`LEASE_SECONDS`). Process
A opens ten session threads and exports each; only then does B start (the fake gateway
would hand both processes every message, and a thread's messages belong to one process
anyway). The emulator's clock is held still until A is gone, so the renders are in flight
when it goes. Each process names itself in the attribution header (`NEMO_SKILL_PLATFORM`),
so the emulator's request log tells whose poll was whose, and when. (On this one host, B
sees that a killed A no longer runs and takes over without waiting out the lease; the
paused A still runs, so there B waits for the lease to run out.)

The last test moves a bot's SQLite database, renders in flight and all, to PostgreSQL with
`nemobot db copy`, and a bot started on PostgreSQL delivers them.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
import time
from collections import defaultdict
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import asyncpg
import pytest

from bot.emulator import EmulatorConfig, RunningEmulator, run_emulator
from tests.discord.bot_process import BotProcess, bot_messages, delivered, open_threads, videos_in
from tests.fakediscord import FakeDiscord, run_fake_discord

RENDERS = 10
LEASE_SECONDS = "3"
RENDER_POLL = "/api/render/proxy/lambda/"
#: Generous: every wait is for a condition, and the machine may be busy.
WAIT = 120.0
LOST = "its lease went to another process"


class HeldClock:
    """The emulator's clock, held still until `run()`: renders submitted meanwhile stay
    queued, then go on from where they were."""

    def __init__(self) -> None:
        self._held_at: float | None = time.time()
        self._behind = 0.0

    def __call__(self) -> float:
        return self._held_at if self._held_at is not None else time.time() - self._behind

    def run(self) -> None:
        if self._held_at is not None:
            self._behind = time.time() - self._held_at
            self._held_at = None


@contextlib.asynccontextmanager
async def world() -> AsyncIterator[tuple[FakeDiscord, RunningEmulator, HeldClock]]:
    config = EmulatorConfig(
        turn_scale=0.0,
        render_seconds=1.5,
        silent_edit_rate=0.0,
        seed=8,
        recorded_requests=200_000,
    )
    async with run_emulator(config) as emulator, run_fake_discord() as fake:
        clock = HeldClock()
        emulator.state.clock = clock
        yield fake, emulator, clock


def bot(
    name: str, fake: FakeDiscord, emulator: RunningEmulator, folder: Path, database: str
) -> BotProcess:
    return BotProcess(
        fake,
        emulator,
        folder,
        name=name,
        env={
            "DATABASE_URL": database,
            "LEASE_SECONDS": LEASE_SECONDS,
            "NEMO_SKILL_PLATFORM": name,
        },
    )


async def renders_in(database: str) -> dict[str, dict[str, Any]]:
    connection = await asyncpg.connect(database)
    try:
        rows = await connection.fetch("SELECT * FROM renders ORDER BY render_id")
    finally:
        await connection.close()
    return {row["render_id"]: dict(row) for row in rows}


async def wait_for_rows(database: str, check: Any) -> dict[str, Any]:
    """Poll the database until `check(rows)` holds (rows by render id)."""
    seen: dict[str, Any] = {}

    async def ready() -> bool:
        seen.clear()
        seen.update(await renders_in(database))
        return bool(check(seen))

    deadline = time.monotonic() + WAIT
    while not await ready():
        if time.monotonic() > deadline:
            raise TimeoutError(f"the renders never got there: {seen}")
        await asyncio.sleep(0.2)
    return seen


def polls(emulator: RunningEmulator) -> dict[str, list[tuple[float, str]]]:
    """Per render id: (time, process) of every status check the emulator saw."""
    by_render: dict[str, list[tuple[float, str]]] = defaultdict(list)
    for request in emulator.state.requests:
        if request.method == "GET" and request.path.startswith(RENDER_POLL):
            render_id = request.path[len(RENDER_POLL) :]
            by_render[render_id].append((request.at, request.headers["X-Skill-Platform"] or ""))
    return by_render


def assert_polled_by_one_at_a_time(
    emulator: RunningEmulator, renders: list[str], woke: float | None = None
) -> None:
    """Every render was checked by A, then only by B: never by both at once.

    `woke`: A was paused and woke then. A check it had already begun when the pause came
    arrives after that (one at most per render); A starts none after B took over.
    """
    seen = polls(emulator)
    for render_id in renders:
        by_a = [at for at, who in seen[render_id] if who == "a"]
        by_b = [at for at, who in seen[render_id] if who == "b"]
        assert by_a and by_b, (render_id, seen[render_id])
        late = [at for at in by_a if at > min(by_b)]
        if woke is not None:
            assert len(late) <= 1 and all(at > woke for at in late), seen[render_id]
        else:
            assert not late, f"{render_id} was polled by both: {seen[render_id]}"


async def exports_held_by_a(
    fake: FakeDiscord, emulator: RunningEmulator, a: BotProcess, database: str
) -> tuple[list[int], list[str]]:
    """A's ten threads, each with a render in flight that A holds and has polled."""
    threads = await open_threads(fake, RENDERS)
    for thread_id in threads:
        await fake.send_message(thread_id, fake.alice, "export")
    owner = f":{a.pid}:"
    rows = await wait_for_rows(
        database,
        lambda rows: (
            len(rows) == RENDERS
            and all(
                row["status"] == "pending" and owner in (row["lease_owner"] or "")
                for row in rows.values()
            )
        ),
    )
    renders = sorted(rows)
    await fake.wait_for(
        lambda: all(any(who == "a" for _, who in polls(emulator)[r]) for r in renders), WAIT
    )
    return threads, renders


def exactly_once(fake: FakeDiscord, threads: list[int]) -> list[int]:
    return [videos_in(fake, t) for t in threads]


@pytest.mark.slow
async def test_the_other_process_delivers_every_render_once_after_the_holder_is_killed(
    tmp_path: Path, own_postgres_database: str
) -> None:
    database = own_postgres_database
    async with world() as (fake, emulator, clock):
        a = bot("a", fake, emulator, tmp_path, database)
        b = bot("b", fake, emulator, tmp_path, database)
        await a.start()
        try:
            threads, renders = await exports_held_by_a(fake, emulator, a, database)
            await b.start()
            await a.kill()
            clock.run()

            await fake.wait_for(delivered(fake, threads), WAIT)
            rows = await wait_for_rows(
                database, lambda rows: all(row["status"] == "delivered" for row in rows.values())
            )
        except (TimeoutError, AssertionError) as exc:
            raise AssertionError(f"{exc}\n{a.log_tail()}\n{b.log_tail()}") from exc
        finally:
            exit_code = await b.stop()

    assert exit_code == 0, b.log_tail()
    assert exactly_once(fake, threads) == [1] * RENDERS
    assert emulator.state.counters.renders == RENDERS, "none was submitted again"
    assert all(f":{b.pid}:" in row["lease_owner"] for row in rows.values())
    assert all(row["lease_fence"] == 2 for row in rows.values()), "claimed once by B"
    assert_polled_by_one_at_a_time(emulator, renders)


@pytest.mark.slow
async def test_a_holder_paused_past_its_lease_writes_and_posts_nothing_when_it_wakes(
    tmp_path: Path, own_postgres_database: str
) -> None:
    database = own_postgres_database
    async with world() as (fake, emulator, clock):
        a = bot("a", fake, emulator, tmp_path, database)
        b = bot("b", fake, emulator, tmp_path, database)
        await a.start()
        try:
            threads, renders = await exports_held_by_a(fake, emulator, a, database)
            await b.start()
            a.pause()
            clock.run()

            await fake.wait_for(delivered(fake, threads), WAIT)
            # B's last word on each render (its status removed) comes before it records
            # the delivery.
            before = await wait_for_rows(
                database, lambda rows: all(row["status"] == "delivered" for row in rows.values())
            )
            shown = {t: bot_messages(fake, t) for t in threads}

            woke = time.time()
            a.unpause()
            await fake.wait_for(
                lambda: all(f"render {r}: {LOST}" in a.log_text() for r in renders), WAIT
            )
            after = await renders_in(database)
        except (TimeoutError, AssertionError) as exc:
            raise AssertionError(f"{exc}\n{a.log_tail()}\n{b.log_tail()}") from exc
        finally:
            exit_codes = (await a.stop(), await b.stop())

    assert exit_codes == (0, 0), a.log_tail() + b.log_tail()
    assert after == before, "the woken process changed nothing"
    assert {t: bot_messages(fake, t) for t in threads} == shown, "nor posted or edited"
    assert exactly_once(fake, threads) == [1] * RENDERS
    assert all(f":{b.pid}:" in row["lease_owner"] for row in after.values())
    assert_polled_by_one_at_a_time(emulator, renders, woke)


@pytest.mark.slow
async def test_renders_in_flight_moved_to_postgresql_by_db_copy_are_delivered_from_there(
    tmp_path: Path, own_postgres_database: str
) -> None:
    sqlite_url = f"sqlite:///{tmp_path / 'nemobot.sqlite3'}"
    async with world() as (fake, emulator, clock):
        old = BotProcess(fake, emulator, tmp_path, name="sqlite", env={"DATABASE_URL": sqlite_url})
        await old.start()
        try:
            threads = await open_threads(fake, 3)
            for thread_id in threads:
                await fake.send_message(thread_id, fake.alice, "export")
            await fake.wait_for(lambda: len(polls(emulator)) == 3, WAIT)  # all submitted
        finally:
            assert await old.stop() == 0, old.log_tail()  # renders left in flight
        copy = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "db",
            "copy",
            "--from",
            sqlite_url,
            "--to",
            own_postgres_database,
            cwd=tmp_path,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.STDOUT,
        )
        output, _ = await copy.communicate()
        assert copy.returncode == 0, output.decode()
        rows = await renders_in(own_postgres_database)
        assert sorted(row["status"] for row in rows.values()) == ["pending"] * 3

        new = bot("postgresql", fake, emulator, tmp_path, own_postgres_database)
        await new.start()
        clock.run()
        try:
            await fake.wait_for(delivered(fake, threads), WAIT)
            rows = await wait_for_rows(
                own_postgres_database,
                lambda rows: all(row["status"] == "delivered" for row in rows.values()),
            )
        except TimeoutError as exc:
            raise AssertionError(f"{exc}\n{new.log_tail()}") from exc
        finally:
            assert await new.stop() == 0, new.log_tail()

    assert exactly_once(fake, threads) == [1, 1, 1]
    assert emulator.state.counters.renders == 3, "resumed, not submitted again"
    assert all(f":{new.pid}:" in row["lease_owner"] for row in rows.values())
