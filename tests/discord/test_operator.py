"""What only the bot's operator can act on stays with the operator: end users in Discord
get a plain sentence, the log gets the detail."""

from __future__ import annotations

import logging

import pytest
from pydantic import SecretStr

from bot.core.wording import Wording
from tests.discord.conftest import WorldFactory, start_video

SUNSET = "a 15-second clip of a sunset over a mountain lake with music"


async def test_a_rejected_nemo_token_tells_users_an_admin_was_told(
    studio: WorldFactory, caplog: pytest.LogCaptureFixture
) -> None:
    world = await studio()
    thread = await start_video(world, SUNSET)
    await world.restart(nemo_token=SecretStr("nmv_usr_never_issued_by_this_server"))

    with caplog.at_level(logging.ERROR):
        await world.alice.send(thread, 'add a title "Golden Hour"')
        await world.idle()

    shown = world.bot_messages(thread)[-1].content
    assert shown.endswith(Wording("en").misconfigured())
    assert "NEMO_TOKEN" not in shown and "doctor" not in shown
    assert any("NEMO_TOKEN" in r.getMessage() for r in caplog.records), "the operator is told"
    zh = Wording("zh").misconfigured()
    assert "管理员" in zh and "NEMO_TOKEN" not in zh
