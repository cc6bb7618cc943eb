"""A wire-level fake Discord (REST under /api/v10 + gateway websocket) on 127.0.0.1.

For tests of the real start-up path: a real discord.py client logs in, gets READY and a
GUILD_CREATE, receives injected events and sends real HTTP requests, which are recorded and
checked against Discord's OpenAPI description.

    async with run_fake_discord() as fake, running(fake, make_bot()) as bot:
        await fake.send_message(fake.text_channel_id, fake.alice, "hello")
        record = await fake.invoke_slash("video", {"prompt": "a sunset"})
        await fake.wait_for(lambda: "followup" in record.calls)
    assert fake.schema_violations == []

Modules: `server` (FakeDiscord, run_fake_discord), `wiring` (pointing discord.py at it),
`harness` (make_bot, running), `http_app` (route table and request pipeline), `rest_*`
(handlers), `gateway`, `interactions`, `ratelimit`, `openapi`, `recording`, `state`, `guild`.
"""

from tests.fakediscord.harness import make_bot, running
from tests.fakediscord.interactions import InteractionRecord
from tests.fakediscord.openapi import SchemaViolation
from tests.fakediscord.recording import RecordedFile, RecordedRequest
from tests.fakediscord.server import FakeDiscord, run_fake_discord
from tests.fakediscord.state import FakeFile, FakeUser
from tests.fakediscord.wiring import configure_discord_endpoints, discord_endpoints

__all__ = [
    "FakeDiscord",
    "FakeFile",
    "FakeUser",
    "InteractionRecord",
    "RecordedFile",
    "RecordedRequest",
    "SchemaViolation",
    "configure_discord_endpoints",
    "discord_endpoints",
    "make_bot",
    "run_fake_discord",
    "running",
]
