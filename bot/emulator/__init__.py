"""A local NemoVideo-compatible server (aiohttp) for offline use and tests.

    async with run_emulator(EmulatorConfig(turn_scale=0.0)) as emulator:
        ...  # point NemoClient at emulator.url; emulator.set_fault("no_credits")

Modules: `config` (knobs), `state` (what it remembers), `drafts` and `turns` (what a
message does), `sse` (the stream on the wire), `media` (real MP4 renders), `uploads`
(streamed multipart), `gateway` and `renders` (the endpoints), `server` (the app).
"""

from bot.emulator.config import EmulatorConfig
from bot.emulator.server import RunningEmulator, create_app, run_emulator, serve_forever
from bot.emulator.state import EmulatorState

__all__ = [
    "EmulatorConfig",
    "EmulatorState",
    "RunningEmulator",
    "create_app",
    "run_emulator",
    "serve_forever",
]
