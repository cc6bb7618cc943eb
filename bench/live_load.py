"""B1: live replies under load, nemobot beside the usual ways of streaming, in one run.

    python bench/live_load.py [--threads 1,50,200] [--reply-chars 3000] [--seconds 30]
                              [--strategies nemobot,every-event,global-timer] [--quick]

For each N and strategy: the bot runs as its own process (`nemobot run`, or
bench/reference_relay.py) against the wire-level fake Discord (per-channel buckets of 5
writes per 5 s, and Discord's global 50 requests per second, both answered with real 429s)
and the NemoVideo emulator, both served by this process. N threads each get one message at
the same moment; each reply is about `--reply-chars` characters streamed in small chunks
over `--seconds`. Printed per run (and written as JSON next to this script):

- 429s the fake answered, the most requests in any 1 s window (all channels) and the most
  message writes in any 5 s window in one channel;
- lag: from a chunk leaving the emulator to the first Discord write that shows it (p50/p99);
- message → first streamed text (p50/max), and whether every thread ends with the reply
  exactly once (every word once, in order);
- the bot process's CPU seconds during the replies, and its peak RSS.

`--quick` (N = 2, short replies over 2 s) is a smoke run for CI: it checks that
every thread got its reply exactly once and nothing else; no time is asserted anywhere.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import re
import signal
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.emulator import sse as emulator_sse  # noqa: E402
from bot.emulator import turns as emulator_turns  # noqa: E402
from bot.emulator.config import EmulatorConfig  # noqa: E402
from bot.emulator.server import RunningEmulator, run_emulator  # noqa: E402
from tests.fakediscord import FakeDiscord, RecordedRequest, run_fake_discord  # noqa: E402

STRATEGIES = ("nemobot", "every-event", "global-timer")
SETUP_BATCH = 10
REGISTERED_TOKEN = "nmv_usr_registered_bench"
WORD_CHARS = 10  # "t017-0001 ", in sentences and paragraphs
TAG = re.compile(r"\b(t\d{3})-(\d{4})\b")
MESSAGE_WRITE = re.compile(r"/channels/(\d+)/messages(?:/(\d+))?$")
CLK_TCK = os.sysconf("SC_CLK_TCK")
#: How long the fake must hear nothing before a phase counts as over (--quick: shorter).
QUIET_SECONDS = {"setup": 3.0, "replies": 2.5}


# ----- the emulator, instrumented ---------------------------------------------------------


class Script:
    """The reply each thread gets (numbered words carrying the thread's tag) and when
    each chunk of it left the emulator."""

    def __init__(self) -> None:
        self.words = 0
        self.sent: dict[str, list[tuple[float, int]]] = {}  # tag -> (time, last word)

    def reply_for(self, text: str) -> str | None:
        found = re.search(r"\b(t\d{3})\b", text)
        if not self.words or found is None:
            return None
        tag = found.group(1)
        text = ""
        for n in range(1, self.words + 1):  # sentences of 8 words, paragraphs of 5 sentences
            text += f"{tag}-{n:04d}"
            text += ("." if n % 8 == 0 else "") + ("\n\n" if n % 40 == 0 else " ")
        return text.strip()


SCRIPT = Script()


def instrument_emulator() -> None:
    """Measured replies come from SCRIPT; every chunk sent is timed."""
    original_reply = emulator_turns._chat_reply
    original_send = emulator_sse.TurnStream._send

    def chat_reply(text: str, session: Any, zh: bool) -> str:
        return SCRIPT.reply_for(text) or original_reply(text, session, zh)

    async def send(self: Any, payload: dict[str, Any]) -> None:
        await original_send(self, payload)
        found = TAG.findall(json.dumps(payload))
        if found:
            tag, last = found[-1]
            SCRIPT.sent.setdefault(tag, []).append((time.monotonic(), int(last)))

    emulator_turns._chat_reply = chat_reply  # type: ignore[assignment]
    emulator_sse.TurnStream._send = send  # type: ignore[method-assign]


# ----- the bot process ----------------------------------------------------------------------


def bot_command(strategy: str) -> list[str]:
    if strategy == "nemobot":
        profile = os.environ.get("B1_PROFILE")  # a path: the bot runs under cProfile
        if profile:
            return [sys.executable, "-m", "cProfile", "-o", profile, "-m", "bot", "run"]
        return [sys.executable, "-m", "bot", "run"]
    return [sys.executable, str(ROOT / "bench" / "reference_relay.py"), strategy]


@contextlib.asynccontextmanager
async def bot_process(strategy: str, fake: FakeDiscord, emulator: RunningEmulator,
                      workdir: Path) -> AsyncIterator[int]:
    env = {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "DISCORD_TOKEN": fake.token,
        "DISCORD_API_BASE_URL": fake.api_base,
        "DISCORD_GATEWAY_URL": fake.gateway_url,
        "NEMO_API_URL": emulator.url,
        "NEMO_TOKEN": REGISTERED_TOKEN,
        "DATABASE_PATH": str(workdir / "nemobot.sqlite3"),
        "LOG_LEVEL": "WARNING",
    }
    log = (workdir / f"{strategy}.log").open("wb")
    process = await asyncio.create_subprocess_exec(
        *bot_command(strategy), cwd=workdir, env=env, stdout=log, stderr=log)
    try:
        with contextlib.suppress(TimeoutError):  # reported below
            await fake.wait_for(lambda: process.returncode is not None or any(
                f.direction == "out" and f.t == "GUILD_CREATE" for f in fake.gateway_frames), 60)
        if process.returncode is not None or not fake.gateway_frames:
            log.flush()
            tail = (workdir / f"{strategy}.log").read_text(errors="replace")[-2000:]
            raise RuntimeError(f"the {strategy} bot did not come up:\n{tail}")
        yield process.pid
    finally:
        if process.returncode is None:
            process.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(process.wait(), 20)
            except TimeoutError:
                process.kill()
                await process.wait()
        log.close()


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


# ----- one run ------------------------------------------------------------------------------


@dataclass
class Result:
    strategy: str
    threads: int
    reply_chars: int
    seconds: float
    rate_limited: int = 0
    peak_requests_1s: int = 0
    peak_channel_writes_5s: int = 0
    lag_p50: float = 0.0
    lag_p99: float = 0.0
    first_text_p50: float = 0.0
    first_text_max: float = 0.0
    exactly_once: int = 0
    cpu_seconds: float = 0.0
    chunks: int = 0
    peak_rss_mb: float = 0.0
    requests_per_s: float = 0.0  # all API requests during the replies, on average
    requests_by_route: dict[str, int] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def most_in_window(times: Iterable[float], window: float) -> int:
    ordered = sorted(times)
    most, first = 0, 0
    for last, at in enumerate(ordered):
        while at - ordered[first] >= window:
            first += 1
        most = max(most, last - first + 1)
    return most


def percentile(values: list[float], share: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


async def quiet(fake: FakeDiscord, seconds: float, at_most: float) -> None:
    """Until the fake has had no request for `seconds` (or `at_most` seconds passed)."""
    deadline = time.monotonic() + at_most
    while time.monotonic() < deadline:
        if not fake.requests or fake.clock() - fake.requests[-1].time >= seconds:
            return
        await asyncio.sleep(0.2)


async def open_threads(strategy: str, fake: FakeDiscord, emulator: RunningEmulator,
                       count: int) -> list[int]:
    """`count` session threads, set up before anything is measured."""
    if strategy == "nemobot":
        def opened() -> list[RecordedRequest]:
            return fake.find_requests(
                "POST", "/channels/{channel_id}/messages/{message_id}/threads", status=201)

        # A few /video at a time: each must be answered within Discord's 3 s.
        for start in range(0, count, SETUP_BATCH):
            batch = range(start, min(count, start + SETUP_BATCH))
            for index in batch:
                await fake.invoke_slash("video", {"prompt": f"hello from thread {index}"})
            await fake.wait_for(lambda stop=batch.stop: len(opened()) >= stop, 120)
        threads = [int(r.response["id"]) for r in opened()]
    else:
        threads = [int((await fake.add_thread(name=f"s{n}"))["id"]) for n in range(count)]
        await fake.wait_for(lambda: len(emulator.state.sessions) >= count, 60 + count)
    await quiet(fake, QUIET_SECONDS["setup"], 120 + count)
    return threads


def shown_words(fake: FakeDiscord, requests: list[RecordedRequest], threads: dict[int, str],
                ) -> dict[int, list[tuple[float, int]]]:
    """Per thread: (time of a successful write, the last word of the reply it then shows)."""
    contents: dict[int, dict[str, int]] = {t: {} for t in threads}
    shown: dict[int, list[tuple[float, int]]] = {t: [] for t in threads}
    for request in requests:
        match = MESSAGE_WRITE.search(request.path)
        if match is None or request.method not in ("POST", "PATCH") or request.status >= 300:
            continue
        channel = int(match.group(1))
        if channel not in threads or not isinstance(request.body, dict):
            continue
        message_id = match.group(2) or str((request.response or {}).get("id"))
        words = [int(n) for tag, n in TAG.findall(request.body.get("content") or "")
                 if tag == threads[channel]]
        contents[channel][message_id] = max(words, default=0)
        shown[channel].append((request.time, max(contents[channel].values())))
    return shown


async def run_one(strategy: str, count: int, reply_chars: int, seconds: float) -> Result:
    result = Result(strategy, count, reply_chars, seconds)
    words = max(3, reply_chars // WORD_CHARS)
    chunks = max(2, words // 3)
    config = EmulatorConfig(turn_scale=0.0, render_seconds=0.2, silent_edit_rate=0.0, seed=7,
                            heartbeat_seconds=0.5)
    SCRIPT.words, SCRIPT.sent = 0, {}
    with tempfile.TemporaryDirectory(prefix="b1-") as tmp:
        async with run_fake_discord(global_rate_limit=(50, 1.0), validate_openapi=False
                                    ) as fake, run_emulator(config) as emulator:
            async with bot_process(strategy, fake, emulator, Path(tmp)) as pid:
                threads = await open_threads(strategy, fake, emulator, count)
                tags = {thread: f"t{index:03d}" for index, thread in enumerate(threads)}
                # The measured replies: long, in small chunks, spread over `seconds`.
                SCRIPT.words = words
                config.partial_text = True
                config.partial_chunks = chunks
                config.partial_interval_seconds = seconds / chunks
                limited_before, first_request = fake.rate_limited_count, len(fake.requests)
                cpu_before = cpu_seconds(pid)
                asked: dict[int, float] = {}
                for thread, tag in tags.items():
                    asked[thread] = fake.clock()
                    await fake.send_message(thread, fake.alice, f"go on please {tag}")
                last_word = f"-{words:04d}"
                bot_id = str(fake.bot_user.id)

                def from_bot(message: dict[str, Any]) -> bool:
                    return str(message["author"]["id"]) == bot_id

                def done() -> bool:
                    return all(
                        any(last_word in (m.get("content") or "") and from_bot(m)
                            for m in fake.messages_in(thread)) for thread in threads)

                with contextlib.suppress(TimeoutError):
                    await fake.wait_for(done, seconds * 4 + 60 + count)
                await quiet(fake, QUIET_SECONDS["replies"], 60)
                result.cpu_seconds = round(cpu_seconds(pid) - cpu_before, 2)
                result.peak_rss_mb = round(peak_rss_mb(pid), 1)
            measured = fake.requests[first_request:]
            result.rate_limited = fake.rate_limited_count - limited_before
            api = [r for r in measured if r.route is not None]
            result.peak_requests_1s = most_in_window((r.time for r in api), 1.0)
            if len(api) > 1:
                result.requests_per_s = round(len(api) / (api[-1].time - api[0].time), 1)
            for request in api:
                route = f"{request.method} {request.route}"
                result.requests_by_route[route] = result.requests_by_route.get(route, 0) + 1
            per_channel: dict[str, list[float]] = {}
            for request in api:
                match = MESSAGE_WRITE.search(request.path)
                if match and request.method in ("POST", "PATCH"):
                    per_channel.setdefault(match.group(1), []).append(request.time)
            result.peak_channel_writes_5s = max(
                (most_in_window(times, 5.0) for times in per_channel.values()), default=0)
            shown = shown_words(fake, measured, tags)
            lags, firsts = [], []
            study: list[tuple[int, float, float]] = []  # (thread, since asked, lag) per chunk
            for thread, tag in tags.items():
                writes = shown[thread]
                first = next((at for at, word in writes if word >= 1), None)
                if first is not None:
                    firsts.append(first - asked[thread])
                for sent_at, word in SCRIPT.sent.get(tag, []):
                    seen = next((at for at, w in writes if w >= word and at >= sent_at), None)
                    if seen is not None:
                        lags.append(seen - sent_at)
                        study.append((thread, sent_at - asked[thread], seen - sent_at))
                bot_text = " ".join(m.get("content") or "" for m in fake.messages_in(thread)
                                    if from_bot(m))
                numbers = [int(n) for t, n in TAG.findall(bot_text) if t == tag]
                if numbers == list(range(1, words + 1)):
                    result.exactly_once += 1
            result.chunks = len(lags)
            if os.environ.get("B1_LAGS"):  # a path: every chunk's lag, to study where it grows
                arrivals = [(r.time - api[0].time, r.method, r.path,
                             len((r.body or {}).get("content") or "")) for r in api]
                origin = {str(t): at - api[0].time for t, at in asked.items()}
                dump = json.dumps({"lags": study, "requests": arrivals, "asked": origin})
                await asyncio.to_thread(Path(os.environ["B1_LAGS"]).write_text, dump)
            result.lag_p50 = round(percentile(lags, 0.5), 2)
            result.lag_p99 = round(percentile(lags, 0.99), 2)
            result.first_text_p50 = round(percentile(firsts, 0.5), 2)
            result.first_text_max = round(max(firsts, default=float("nan")), 2)
            if len(firsts) < count:
                result.notes.append(f"{count - len(firsts)} threads never showed text")
    return result


# ----- the table ----------------------------------------------------------------------------

HEADER = ("| N | strategy | 429s | most requests / 1 s | most writes / 5 s / channel "
          "| lag p50 / p99 s | message → first text p50 / max s | exactly once | bot CPU s "
          "| CPU ms / chunk | peak RSS MB |")


def row(result: Result) -> str:
    per_chunk = 1000 * result.cpu_seconds / result.chunks if result.chunks else float("nan")
    return (f"| {result.threads} | {result.strategy} | {result.rate_limited} "
            f"| {result.peak_requests_1s} | {result.peak_channel_writes_5s} "
            f"| {result.lag_p50} / {result.lag_p99} "
            f"| {result.first_text_p50} / {result.first_text_max} "
            f"| {result.exactly_once}/{result.threads} | {result.cpu_seconds} "
            f"| {per_chunk:.2f} | {result.peak_rss_mb} |")


async def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--threads", default="1,50,200")
    parser.add_argument("--reply-chars", type=int, default=3000)
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--strategies", default=",".join(STRATEGIES))
    parser.add_argument("--quick", action="store_true", help="small smoke run for CI")
    parser.add_argument("--json", type=Path, default=Path(__file__).with_suffix(".json"))
    args = parser.parse_args()
    if args.quick:
        args.threads, args.reply_chars, args.seconds = "2", 300, 2.0
        QUIET_SECONDS.update(setup=1.0, replies=1.0)
    instrument_emulator()
    results = []
    print(HEADER)
    print("|" + " --- |" * (HEADER.count("|") - 1))
    for count in (int(n) for n in args.threads.split(",")):
        for strategy in args.strategies.split(","):
            try:
                result = await run_one(strategy, count, args.reply_chars, args.seconds)
            except Exception as exc:  # one failed run must not lose the others
                if args.quick:
                    raise
                print(f"| {count} | {strategy} | failed: {exc!r} |", flush=True)
                continue
            results.append(result)
            print(row(result), *result.notes, flush=True)
            if not args.quick:
                args.json.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    if not args.quick:
        print(f"written to {args.json}")
    broken = [r for r in results if r.exactly_once != r.threads and r.strategy == "nemobot"]
    if args.quick and broken:
        print("nemobot did not show every reply exactly once", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
