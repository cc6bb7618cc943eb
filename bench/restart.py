"""B5: restart. SIGKILL the bot with renders in flight and turns mid-stream, start it again.

    python bench/restart.py [--renders 20] [--turns 10] [--render-seconds 20] [--quick]

The bot runs as its own process (`nemobot run`, default timings: the real poll schedule)
against the wire-level fake Discord (Discord's global 50 requests per second enforced) and
the NemoVideo emulator, both served by this process so they outlive the kill. `--renders`
session threads are told "export" and `--turns` others get a chat message whose reply
streams slowly; once every render is submitted and every reply has shown some text, the
process is SIGKILLed and a new one started on the same SQLite file. Measured from the new
process's READY (its guild arriving over the gateway):

- until every render is polled again (first GET of its status), and until every cut-off
  turn's recovery message ("🔄 I was interrupted…") is posted: p50 and the last one, also as
  a ratio of the cold start (process start → READY) measured in the same run;
- whether every video reached its thread exactly once, and whether any message or render
  went to NemoVideo twice (the emulator's counters, before the kill and at the end).

Written as JSON next to this script. `--quick` (3 renders, 2 turns, short renders) is a
smoke run for CI: it fails only when a video is missing or doubled or something was sent
twice; no time is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.live_load import REGISTERED_TOKEN, percentile  # noqa: E402
from bot.core.wording import Wording  # noqa: E402
from bot.emulator.config import EmulatorConfig  # noqa: E402
from bot.emulator.server import RunningEmulator, run_emulator  # noqa: E402
from bot.emulator.state import EmulatorState, RequestRecord  # noqa: E402
from tests.fakediscord import FakeDiscord, run_fake_discord  # noqa: E402

THREAD_FROM_MESSAGE = "/channels/{channel_id}/messages/{message_id}/threads"
RENDER_POLL = "/api/render/proxy/lambda/"
RECOVERY = Wording("en").recovery_checking()
SETUP_BATCH = 10
#: After the last video arrived, how long a second copy is given to show up (--quick: 1 s).
SETTLE_SECONDS = {"after": 2.0}


# ----- what the emulator saw, with times ----------------------------------------------------

EMULATOR_LOG: list[tuple[float, str, str]] = []  # (monotonic time, method, path)



def words_of(message: dict[str, Any]) -> str:
    """What a message (or a message body) says: its content and its cards' descriptions."""
    cards = message.get("embeds") or []
    return "\n".join([message.get("content") or "", *(c.get("description") or "" for c in cards)])

def instrument_emulator() -> None:
    original = EmulatorState.record

    def record(self: EmulatorState, request: RequestRecord) -> None:
        EMULATOR_LOG.append((time.monotonic(), request.method, request.path))
        original(self, request)

    EmulatorState.record = record  # type: ignore[method-assign]


# ----- the bot process ----------------------------------------------------------------------


class Bot:
    """`nemobot run` as a subprocess; `start` returns when its guild has arrived."""

    def __init__(self, fake: FakeDiscord, emulator: RunningEmulator, folder: Path) -> None:
        self.fake, self.folder = fake, folder
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "DISCORD_TOKEN": fake.token,
            "DISCORD_API_BASE_URL": fake.api_base,
            "DISCORD_GATEWAY_URL": fake.gateway_url,
            "NEMO_API_URL": emulator.url,
            "NEMO_TOKEN": REGISTERED_TOKEN,
            "DATABASE_PATH": str(folder / "nemobot.sqlite3"),
            "LOG_LEVEL": "WARNING",
        }
        self.starts = 0
        self.process: asyncio.subprocess.Process | None = None

    def _guilds(self) -> int:
        return sum(1 for f in self.fake.gateway_frames if f.direction == "out"
                   and f.t == "GUILD_CREATE")

    async def start(self) -> tuple[float, float]:
        """(when the process was started, when its guild arrived), monotonic seconds."""
        self.starts += 1
        before = self._guilds()
        log = (self.folder / f"bot-{self.starts}.log").open("wb")
        started = time.monotonic()
        self.process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", "run", cwd=self.folder, env=self.env,
            stdout=log, stderr=log)
        log.close()
        while self._guilds() == before:  # sampled finely: this is the READY being timed
            if self.process.returncode is not None or time.monotonic() - started > 60:
                raise RuntimeError(f"the bot did not come up:\n{self.log_tail()}")
            await asyncio.sleep(0.005)
        return started, time.monotonic()

    async def kill(self) -> None:
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.process.wait(), 20)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()

    def log_tail(self) -> str:
        return (self.folder / f"bot-{self.starts}.log").read_text(errors="replace")[-3000:]


@contextlib.asynccontextmanager
async def running(bot: Bot) -> AsyncIterator[Bot]:
    try:
        yield bot
    finally:
        await bot.stop()


# ----- reading the fake ---------------------------------------------------------------------


def bot_messages(fake: FakeDiscord, thread_id: int) -> list[dict[str, Any]]:
    bot_id = str(fake.bot_user.id)
    return [m for m in fake.messages_in(thread_id) if str(m["author"]["id"]) == bot_id]


def videos_in(fake: FakeDiscord, thread_id: int) -> int:
    return sum(1 for m in bot_messages(fake, thread_id)
               if any(a["filename"].endswith(".mp4") for a in m.get("attachments") or []))


def has_button(message: dict[str, Any], label: str) -> bool:
    return any(c.get("label") == label for row in message.get("components") or []
               for c in row.get("components") or [])


def first_write_with(fake: FakeDiscord, thread_id: int, text: str, after: float) -> float | None:
    """When the first successful message write in the thread showing `text` arrived."""
    prefix = f"/channels/{thread_id}/messages"
    for request in fake.requests:
        if (request.time >= after and request.path.startswith(prefix)
                and request.method in ("POST", "PATCH") and request.status < 300
                and isinstance(request.body, dict)
                and text in words_of(request.body)):
            return request.time
    return None


async def open_threads(fake: FakeDiscord, count: int, wait_seconds: float = 120) -> list[int]:
    """`count` new session threads whose first reply offers Export MP4."""
    def opened() -> list[int]:
        found = fake.find_requests("POST", THREAD_FROM_MESSAGE, status=201)
        return [int(r.response["id"]) for r in found]

    before = len(opened())
    for start in range(0, count, SETUP_BATCH):  # each /video must be answered within 3 s
        stop = min(count, start + SETUP_BATCH)
        for n in range(before + start, before + stop):
            await fake.invoke_slash("video", {"prompt": f"a 10-second sunset clip number {n}"})
        await fake.wait_for(lambda stop=stop: len(opened()) >= before + stop, wait_seconds)
    threads = opened()[before:]
    await fake.wait_for(lambda: all(
        any(has_button(m, "Export MP4") for m in bot_messages(fake, t)) for t in threads),
        wait_seconds)
    return threads


# ----- one run ------------------------------------------------------------------------------


@dataclass
class Result:
    renders: int
    turns: int
    render_seconds: float
    cold_start_s: float = 0.0
    ready_to_polled_p50_s: float = 0.0
    ready_to_polled_max_s: float = 0.0
    ready_to_recovery_p50_s: float = 0.0
    ready_to_recovery_max_s: float = 0.0
    ready_to_all_s: float = 0.0
    delivered_exactly_once: int = 0
    renders_submitted_after_kill: int = 0
    messages_sent_again: int = 0
    notes: list[str] = field(default_factory=list)


async def wait_until(check: Callable[[], bool], seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        await asyncio.sleep(0.02)


async def run(renders: int, turns: int, render_seconds: float, stream_seconds: float
              ) -> Result:
    result = Result(renders, turns, render_seconds)
    config = EmulatorConfig(turn_scale=0.0, render_seconds=render_seconds,
                            silent_edit_rate=0.0, seed=11)
    with tempfile.TemporaryDirectory(prefix="b5-") as tmp:
        async with run_emulator(config) as emulator, run_fake_discord(
                global_rate_limit=(50, 1.0), validate_openapi=False) as fake:
            bot = Bot(fake, emulator, Path(tmp))
            async with running(bot):
                started, ready = await bot.start()
                result.cold_start_s = round(ready - started, 2)
                threads = await open_threads(fake, renders + turns)
                exports, chats = threads[:renders], threads[renders:]
                # From now on replies stream slowly: the chats are cut off mid-stream.
                config.partial_text = True
                config.partial_chunks = 40
                config.partial_interval_seconds = stream_seconds / 40
                renders_before = set(emulator.state.renders)
                asked = fake.clock()
                for thread in exports:
                    await fake.send_message(thread, fake.alice, "export")
                for thread in chats:
                    await fake.send_message(thread, fake.alice, "tell me more about the light")
                state = emulator.state

                def new_renders() -> list[Any]:
                    return [r for rid, r in state.renders.items() if rid not in renders_before]

                def cut_here() -> bool:  # every render submitted, every reply showing text
                    if len(new_renders()) < renders:
                        return False
                    return all(
                        any("Rendering" in words_of(m)
                            for m in bot_messages(fake, t)) for t in exports
                    ) and all(
                        sum(1 for r in fake.requests if r.time > asked and r.method == "PATCH"
                            and r.path.startswith(f"/channels/{t}/messages/")) >= 1
                        for t in chats)

                await wait_until(cut_here, 120, "renders submitted and replies streaming")
                still = [r for r in new_renders()
                         if r.status_at(state.clock())[0] in ("pending", "processing")]
                if len(still) < renders:
                    result.notes.append(f"only {len(still)} renders still in flight at the kill")
                turns_before = state.counters.turns
                renders_at_kill = state.counters.renders
                await bot.kill()
                killed = time.monotonic()
                _, ready = await bot.start()
                render_ids = {r.render_id for r in new_renders()}

                def polled() -> dict[str, float]:
                    seen: dict[str, float] = {}
                    for at, method, path in EMULATOR_LOG:
                        if at >= ready and method == "GET" and path.startswith(RENDER_POLL):
                            render_id = path[len(RENDER_POLL):]
                            if render_id in render_ids:
                                seen.setdefault(render_id, at)
                    return seen

                def recovered() -> dict[int, float]:
                    found = {t: first_write_with(fake, t, RECOVERY, killed) for t in chats}
                    return {t: at for t, at in found.items() if at is not None}

                await wait_until(lambda: len(polled()) == renders and len(recovered()) == turns,
                                 120, "every render polled and every turn told")
                await wait_until(lambda: all(videos_in(fake, t) >= 1 for t in exports),
                                 render_seconds + 120, "every video delivered")
                await asyncio.sleep(SETTLE_SECONDS["after"])  # a second copy would come now
                polls = [at - ready for at in polled().values()]
                recoveries = [at - ready for at in recovered().values()]
                result.ready_to_polled_p50_s = round(percentile(polls, 0.5), 2)
                result.ready_to_polled_max_s = round(max(polls), 2)
                result.ready_to_recovery_p50_s = round(percentile(recoveries, 0.5), 2)
                result.ready_to_recovery_max_s = round(max(recoveries, default=0.0), 2)
                result.ready_to_all_s = round(max(polls + recoveries), 2)
                result.delivered_exactly_once = sum(1 for t in exports if videos_in(fake, t) == 1)
                result.renders_submitted_after_kill = state.counters.renders - renders_at_kill
                result.messages_sent_again = state.counters.turns - turns_before
    return result


HEADER = ("| renders / turns cut off | cold start s | READY → renders polled p50 / last s "
          "| READY → recovery messages p50 / last s | READY → all, × cold start "
          "| delivered exactly once | renders submitted again | messages sent again |")


def row(r: Result) -> str:
    ratio = r.ready_to_all_s / r.cold_start_s if r.cold_start_s else float("nan")
    return (f"| {r.renders} / {r.turns} | {r.cold_start_s} "
            f"| {r.ready_to_polled_p50_s} / {r.ready_to_polled_max_s} "
            f"| {r.ready_to_recovery_p50_s} / {r.ready_to_recovery_max_s} "
            f"| {r.ready_to_all_s} s, {ratio:.2f} × | {r.delivered_exactly_once}/{r.renders} "
            f"| {r.renders_submitted_after_kill} | {r.messages_sent_again} |")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--renders", type=int, default=20)
    parser.add_argument("--turns", type=int, default=10)
    parser.add_argument("--render-seconds", type=float, default=20.0)
    parser.add_argument("--stream-seconds", type=float, default=40.0)
    parser.add_argument("--quick", action="store_true", help="small smoke run for CI")
    parser.add_argument("--json", type=Path, default=Path(__file__).with_suffix(".json"))
    args = parser.parse_args()
    if args.quick:
        args.renders, args.turns, args.render_seconds, args.stream_seconds = 3, 2, 6.0, 12.0
        SETTLE_SECONDS["after"] = 1.0
    instrument_emulator()
    result = await run(args.renders, args.turns, args.render_seconds, args.stream_seconds)
    print(HEADER)
    print("|" + " --- |" * (HEADER.count("|") - 1))
    print(row(result), *result.notes)
    if not args.quick:
        args.json.write_text(json.dumps(asdict(result), indent=2) + "\n")
        print(f"written to {args.json}")
    broken = (result.delivered_exactly_once != result.renders
              or result.renders_submitted_after_kill or result.messages_sent_again)
    if broken:
        print("a video was missing or doubled, or something went to NemoVideo twice",
              file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
