"""A token is only ever sent to the server that issued it (issue 11, defect 5).

Two emulators on two ports stand for the real NemoVideo and a local emulator; one SQLite
database is shared, as when an operator points `NEMO_API_URL` at the emulator for one run
(`nemobot doctor`, a test) and then back. NemoVideo gives one anonymous token per client id
per 7 days, so a token lost to the other server would lock the install out for a week.
"""

from __future__ import annotations

import io
from pathlib import Path

from bot.core.port import ChatPort
from bot.doctor import Check, run_checks
from bot.emulator import RunningEmulator, run_emulator
from bot.runtime import open_services
from bot.settings import Settings
from bot.terminal.chat import run_chat
from tests.emulator.helpers import fast_config
from tests.engine.memport import MemoryPort


def settings_for(url: str, database: Path) -> Settings:
    return Settings(nemo_api_url=url, nemo_token=None, database_path=database)


async def nemovideo_row(url: str, database: Path) -> Check:
    checks = await run_checks(settings_for(url, database))
    return next(check for check in checks if check.name == "NemoVideo")


def issued(server: RunningEmulator) -> int:
    return server.state.counters.token_requests


async def test_doctor_against_an_emulator_leaves_the_real_servers_token_alone(
    tmp_path: Path,
) -> None:
    database = tmp_path / "nemobot.sqlite3"
    # Different seeds: two servers never issue the same token by chance.
    async with (
        run_emulator(fast_config(seed=1)) as real,
        run_emulator(fast_config(seed=2)) as emulator,
    ):
        assert (await nemovideo_row(real.url, database)).status == "ok"
        (real_token,) = real.state.tokens

        for _ in range(2):  # back and forth, as an operator trying things would
            assert (await nemovideo_row(emulator.url, database)).status == "ok"
            row = await nemovideo_row(real.url, database)
            assert row.status == "ok", row

        assert issued(real) == 1, "the real server was asked for a second token"
        assert list(real.state.tokens) == [real_token]
        assert issued(emulator) == 1


async def test_a_1001_is_renewed_by_the_server_that_sent_it(tmp_path: Path) -> None:
    database = tmp_path / "nemobot.sqlite3"
    port: ChatPort = MemoryPort()
    async with (
        run_emulator(fast_config(seed=1)) as real,
        run_emulator(fast_config(seed=2)) as emulator,
    ):
        async with open_services(settings_for(emulator.url, database), port) as services:
            await services.client.fetch_credits()
        async with open_services(settings_for(real.url, database), port) as services:
            await services.client.fetch_credits()
            first_real = await services.tokens.current()
            real.set_fault("expired_token")
            await services.client.fetch_credits()  # renewed by `real`, for `real`
            renewed_real = await services.tokens.current()
        async with open_services(settings_for(emulator.url, database), port) as services:
            await services.client.fetch_credits()
            emulator_token = await services.tokens.current()

    assert renewed_real != first_real
    assert set(real.state.users_by_client) != set(emulator.state.users_by_client)
    assert (issued(real), issued(emulator)) == (2, 1)
    assert emulator_token in emulator.state.tokens
    assert emulator_token not in real.state.tokens


async def test_offline_chat_never_opens_the_real_database(tmp_path: Path) -> None:
    database = tmp_path / "nemobot.sqlite3"
    settings = Settings(nemo_token=None, database_path=database, download_dir=tmp_path / "dl")
    out = io.StringIO()
    script = io.StringIO("/credits\n/quit\n")

    code = await run_chat(settings, offline=True, stdin=script, stdout=out)

    assert code == 0 and "credits" in out.getvalue().lower()
    assert not database.exists()
    assert not list(tmp_path.glob("*.sqlite3*")), "an offline run's database is thrown away"
