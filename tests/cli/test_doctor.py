"""`nemobot doctor` against the NemoVideo emulator and the fake Discord, both on loopback.

Most tests call `run_doctor` in-process with a `Settings` object and read the report from
a StringIO; one runs `python -m bot doctor` as an operator would.
"""

from __future__ import annotations

import asyncio
import base64
import io
import os
import socket
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from bot.core.migrations import SCHEMA_VERSION
from bot.doctor import (
    GATEWAY_GUILD_MEMBERS,
    GATEWAY_MESSAGE_CONTENT,
    GATEWAY_MESSAGE_CONTENT_LIMITED,
    GATEWAY_PRESENCE,
    Check,
    intents_check,
    run_doctor,
    write_report,
)
from bot.emulator import RunningEmulator, run_emulator
from bot.settings import Settings
from tests.engine.conftest import fast_config
from tests.fakediscord import FakeDiscord, run_fake_discord
from tests.fakediscord.gateway import PRIVILEGED_INTENTS

#: A token shaped like a real one (bot id in base64, timestamp, HMAC), so redaction would see it.
DISCORD_TOKEN = (
    base64.b64encode(b"1098765432109876543").decode().rstrip("=")
    + ".GhIjKl."
    + "s3cr3tHmacPartThatMustNeverBePrinted0123"
)
REGISTERED_NEMO_TOKEN = "nmv_usr_registered_doctor_check_0123456789"


@pytest.fixture(autouse=True)
def _no_application_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISCORD_APPLICATION_ID", raising=False)


@pytest.fixture
async def emulator() -> AsyncIterator[RunningEmulator]:
    async with run_emulator(fast_config()) as running:
        yield running


@pytest.fixture
async def fake() -> AsyncIterator[FakeDiscord]:
    async with run_fake_discord(token=DISCORD_TOKEN) as running:
        yield running
        assert running.internal_errors == []


def free_port() -> int:
    """A loopback port nothing listens on (connections to it are refused)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def settings_for(
    fake: FakeDiscord, emulator: RunningEmulator, tmp_path: Path, **changes: Any
) -> Settings:
    values: dict[str, Any] = {
        "discord_token": SecretStr(DISCORD_TOKEN),
        "discord_api_base_url": fake.api_base,
        "nemo_api_url": emulator.url,
        "nemo_token": SecretStr(REGISTERED_NEMO_TOKEN),
        "database_path": tmp_path / "nemobot.sqlite3",
    }
    values.update(changes)
    return Settings(**values)


async def doctor(settings: Settings | None = None, *, quick: bool = False) -> tuple[int, str]:
    out = io.StringIO()
    code = await run_doctor(out, settings=settings, quick=quick)
    return code, out.getvalue()


def row(report: str, name: str) -> str:
    """The report's row for check `name`, with the lines under it (advice)."""
    lines = report.splitlines()
    start = next(i for i, line in enumerate(lines) if line[5:].startswith(f"{name} "))
    block = [lines[start]]
    for line in lines[start + 1 :]:
        if not line.startswith("      "):
            break
        block.append(line)
    return "\n".join(block)


def mark(report: str, name: str) -> str:
    return row(report, name)[2]


def marks(report: str, *names: str) -> str:
    return "".join(mark(report, name) for name in names)


def assert_no_secrets(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text
        # Not even its distinctive part (the HMAC of a Discord token, the tail of NemoVideo's).
        assert secret[-20:] not in text


# ----- healthy ---------------------------------------------------------------------------------


async def test_a_healthy_setup_passes_every_check_and_shows_the_credits(
    fake: FakeDiscord, emulator: RunningEmulator, tmp_path: Path
) -> None:
    code, report = await doctor(settings_for(fake, emulator, tmp_path))

    assert code == 0, report
    for name in ("settings", "database", "NemoVideo", "Discord", "intents"):
        assert mark(report, name) == "✓", report
    assert "10,000 credits available" in row(report, "NemoVideo")
    assert "?bind=" not in report, "a registered account has nothing to claim"
    assert "NEMO_TOKEN works" in row(report, "NemoVideo")
    assert "schema version" in row(report, "database")
    assert f"logged in as nemobot (id {fake.bot_user.id})" in row(report, "Discord")
    assert "Message Content on" in row(report, "intents")
    assert report.rstrip().endswith("All checks passed.")
    assert_no_secrets(report, DISCORD_TOKEN, REGISTERED_NEMO_TOKEN)


async def test_without_nemo_token_the_free_token_is_obtained_once_and_kept(
    fake: FakeDiscord, emulator: RunningEmulator, tmp_path: Path
) -> None:
    settings = settings_for(fake, emulator, tmp_path, nemo_token=None)

    first_code, first = await doctor(settings)
    second_code, second = await doctor(settings)

    assert (first_code, second_code) == (0, 0), first + second
    assert "free anonymous token works (kept in the database" in row(second, "NemoVideo")
    assert "100 credits available" in row(second, "NemoVideo")
    # The operator (and only the operator: Discord members never see it) gets the link
    # that claims the bot's shared anonymous account.
    (user_id,) = [u for u in emulator.state.users if u.startswith("anon_")]
    assert f"register through https://nemovideo.com/register?bind={user_id}" in row(
        second, "NemoVideo"
    )
    assert emulator.state.counters.token_requests == 1, "the second run reused the saved token"
    assert "nmv_usr_" not in first + second


async def test_without_a_discord_token_discord_is_not_checked_and_offline_chat_is_suggested(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    settings = Settings(
        nemo_api_url=emulator.url,
        nemo_token=SecretStr(REGISTERED_NEMO_TOKEN),
        database_path=tmp_path / "db.sqlite3",
    )

    code, report = await doctor(settings)

    assert code == 0, "a missing DISCORD_TOKEN is not a failure of the installation"
    assert mark(report, "Discord") == "–"
    assert "set DISCORD_TOKEN to run the bot; `nemobot chat --offline` works without it" in row(
        report, "Discord"
    )


async def test_quick_checks_settings_and_database_without_any_network(
    fake: FakeDiscord, emulator: RunningEmulator, tmp_path: Path
) -> None:
    settings = settings_for(
        fake, emulator, tmp_path, nemo_api_url=f"http://127.0.0.1:{free_port()}"
    )

    code, report = await doctor(settings, quick=True)

    assert code == 0, report
    assert marks(report, "settings", "database", "NemoVideo", "Discord") == "✓✓––"
    assert fake.requests == []
    assert emulator.state.counters.token_requests == 0
    assert (tmp_path / "nemobot.sqlite3").exists(), "the database was opened and migrated"


async def test_quick_checks_the_database_that_database_url_names_on_either_engine(
    fake: FakeDiscord, emulator: RunningEmulator, tmp_path: Path, database_url: str
) -> None:
    unused = tmp_path / "from-database-path.sqlite3"
    settings = settings_for(
        fake, emulator, tmp_path, database_url=database_url, database_path=unused
    )

    code, report = await doctor(settings, quick=True)

    assert code == 0, report
    database = row(report, "database")
    assert mark(report, "database") == "✓"
    assert f"schema version {SCHEMA_VERSION} (current)" in database
    engine_words = "PostgreSQL" if database_url.startswith("postgresql") else "wal journal"
    assert engine_words in database
    assert not unused.exists(), "DATABASE_URL wins over DATABASE_PATH"


async def test_a_postgresql_url_nobody_answers_fails_with_advice(
    fake: FakeDiscord, emulator: RunningEmulator, tmp_path: Path
) -> None:
    url = f"postgresql://nemobot:hunter2@127.0.0.1:{free_port()}/nemobot"

    code, report = await doctor(
        settings_for(fake, emulator, tmp_path, database_url=url), quick=True
    )

    assert code == 1
    database = row(report, "database")
    assert mark(report, "database") == "✗"
    assert "cannot use postgresql://nemobot:***@127.0.0.1:" in database
    assert "hunter2" not in report, "the password is never shown"
    assert "DATABASE_URL must name a PostgreSQL database" in database


# ----- NemoVideo failures ----------------------------------------------------------------------


async def test_an_unreachable_nemo_api_url_fails_with_what_to_check(
    fake: FakeDiscord, emulator: RunningEmulator, tmp_path: Path
) -> None:
    url = f"http://127.0.0.1:{free_port()}"

    code, report = await doctor(settings_for(fake, emulator, tmp_path, nemo_api_url=url))

    assert code == 1
    nemo = row(report, "NemoVideo")
    assert mark(report, "NemoVideo") == "✗"
    assert f"cannot reach {url}" in nemo
    assert "check NEMO_API_URL" in nemo
    assert mark(report, "Discord") == "✓", "the other checks still ran"
    assert "1 of 5 checks failed." in report


async def test_a_nemo_token_that_is_not_registered_is_reported_as_rejected(
    fake: FakeDiscord, emulator: RunningEmulator, tmp_path: Path
) -> None:
    unknown = "nmv_usr_NotARealTokenAtAll0123456789abcdef"

    code, report = await doctor(
        settings_for(fake, emulator, tmp_path, nemo_token=SecretStr(unknown))
    )

    assert code == 1
    nemo = row(report, "NemoVideo")
    assert mark(report, "NemoVideo") == "✗"
    assert "rejected NEMO_TOKEN (code 1001)" in nemo
    assert "leave NEMO_TOKEN empty to use a free anonymous token" in nemo
    assert emulator.state.counters.token_requests == 0, "a static token is never swapped"
    assert_no_secrets(report, unknown, DISCORD_TOKEN)


# ----- Discord failures ------------------------------------------------------------------------


async def test_a_wrong_discord_token_fails_with_where_to_copy_it_from(
    fake: FakeDiscord, emulator: RunningEmulator, tmp_path: Path
) -> None:
    wrong = DISCORD_TOKEN[:-10] + "WrongWrong"

    code, report = await doctor(
        settings_for(fake, emulator, tmp_path, discord_token=SecretStr(wrong))
    )

    assert code == 1
    discord = row(report, "Discord")
    assert mark(report, "Discord") == "✗"
    assert "401" in discord
    assert "the token is wrong or was reset: copy it again from the Developer Portal" in discord
    assert fake.find_requests("GET", "/users/@me", status=401)
    assert not fake.find_requests("GET", "/applications/@me"), "one refused request is enough"
    assert_no_secrets(report, wrong, DISCORD_TOKEN)


async def test_message_content_intent_off_is_flagged_with_the_fix_and_what_still_works(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    without_content = PRIVILEGED_INTENTS & ~(1 << 15)
    async with run_fake_discord(
        token=DISCORD_TOKEN, allowed_privileged_intents=without_content
    ) as fake:
        code, report = await doctor(settings_for(fake, emulator, tmp_path))

    intents = row(report, "intents")
    assert mark(report, "intents") == "!"
    assert "Message Content is off" in intents
    assert "Privileged Gateway Intents → Message Content Intent" in intents
    assert "slash commands" in intents and "mention" in intents
    assert code == 0, "the bot still runs without it"
    assert "1 thing to fix" in report


async def test_an_unreachable_discord_api_fails_with_what_to_check(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    settings = Settings(
        discord_token=SecretStr(DISCORD_TOKEN),
        discord_api_base_url=f"http://127.0.0.1:{free_port()}/api/v10",
        nemo_api_url=emulator.url,
        nemo_token=SecretStr(REGISTERED_NEMO_TOKEN),
        database_path=tmp_path / "db.sqlite3",
    )

    code, report = await doctor(settings)

    assert code == 1
    assert mark(report, "Discord") == "✗"
    assert "cannot reach" in row(report, "Discord")
    assert "DISCORD_API_BASE_URL" in row(report, "Discord")


async def test_an_application_id_that_is_not_the_tokens_fails(
    fake: FakeDiscord, emulator: RunningEmulator, tmp_path: Path
) -> None:
    settings = settings_for(fake, emulator, tmp_path, discord_application_id=42)

    code, report = await doctor(settings)

    assert code == 1
    assert mark(report, "Discord") == "✗"
    assert "DISCORD_APPLICATION_ID is 42" in row(report, "Discord")


@pytest.mark.parametrize(
    ("flags", "status", "words"),
    [
        pytest.param(GATEWAY_MESSAGE_CONTENT, "ok", "Message Content on", id="content"),
        pytest.param(
            GATEWAY_MESSAGE_CONTENT_LIMITED, "ok", "Message Content on", id="content-limited"
        ),
        pytest.param(
            GATEWAY_GUILD_MEMBERS | GATEWAY_PRESENCE,
            "warn",
            "Server Members on, Presence on",
            id="members-and-presence-only",
        ),
        pytest.param(0, "warn", "Message Content is off", id="none"),
    ],
)
def test_privileged_intents_are_read_from_the_application_flags(
    flags: int, status: str, words: str
) -> None:
    check = intents_check({"id": "1", "flags": flags})
    assert check.status == status
    assert words in check.detail


# ----- local failures --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("prepare", "words"),
    [
        pytest.param("parent-is-a-file", "cannot open", id="unwritable-folder"),
        pytest.param("not-a-database", "is not a nemobot database", id="not-a-database"),
    ],
)
async def test_a_database_that_cannot_be_used_fails_with_advice(
    fake: FakeDiscord, emulator: RunningEmulator, tmp_path: Path, prepare: str, words: str
) -> None:
    if prepare == "parent-is-a-file":
        (tmp_path / "taken").write_text("a file, not a folder")
        path = tmp_path / "taken" / "nemobot.sqlite3"
    else:
        path = tmp_path / "notes.sqlite3"
        path.write_bytes(b"these are not the tables you are looking for" * 100)

    code, report = await doctor(settings_for(fake, emulator, tmp_path, database_path=path))

    assert code == 1
    database = row(report, "database")
    assert mark(report, "database") == "✗"
    assert words in database
    assert "DATABASE_PATH" in database
    assert mark(report, "NemoVideo") == "✓", "NEMO_TOKEN is checked even without the database"


async def test_without_database_or_nemo_token_no_free_token_is_spent(
    fake: FakeDiscord, emulator: RunningEmulator, tmp_path: Path
) -> None:
    (tmp_path / "taken").write_text("a file")
    settings = settings_for(
        fake, emulator, tmp_path, nemo_token=None, database_path=tmp_path / "taken" / "db"
    )

    code, report = await doctor(settings)

    assert code == 1
    assert mark(report, "NemoVideo") == "–"
    assert emulator.state.counters.token_requests == 0


@pytest.mark.parametrize(
    ("name", "value", "words"),
    [
        ("LOG_FORMAT", "xml", "LOG_FORMAT: Input should be 'text' or 'json' (got 'xml')"),
        ("MAX_TURNS_PER_USER_PER_DAY", "-1", "MAX_TURNS_PER_USER_PER_DAY: Input should be"),
        ("DISCORD_APPLICATION_ID", "my-bot", "DISCORD_APPLICATION_ID: Input should be"),
    ],
)
async def test_an_invalid_setting_is_named_with_its_problem(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str, words: str
) -> None:
    monkeypatch.setenv(name, value)

    code, report = await doctor()

    assert code == 1
    settings = row(report, "settings")
    assert mark(report, "settings") == "✗"
    assert words in settings
    assert ".env.example" in settings
    assert {mark(report, other) for other in ("database", "NemoVideo", "Discord")} == {"–"}


async def test_settings_are_read_from_the_env_file_in_the_working_directory(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    Path(".env").write_text(
        f"NEMO_API_URL={emulator.url}\nNEMO_TOKEN={REGISTERED_NEMO_TOKEN}\n"
        f"DATABASE_PATH={tmp_path / 'db.sqlite3'}\nLOG_FORMAT=yaml\n",
        encoding="utf-8",
    )

    code, report = await doctor()

    assert code == 1
    assert "LOG_FORMAT: Input should be 'text' or 'json' (got 'yaml')" in row(report, "settings")

    Path(".env").write_text(
        Path(".env").read_text(encoding="utf-8").replace("yaml", "json"), encoding="utf-8"
    )
    code, report = await doctor()

    assert code == 0, report
    assert f"valid; .env read from {Path.cwd()}" in row(report, "settings")
    assert mark(report, "NemoVideo") == "✓"
    assert_no_secrets(report, REGISTERED_NEMO_TOKEN)


async def test_an_account_without_credits_is_flagged_with_where_to_top_up(
    fake: FakeDiscord, tmp_path: Path
) -> None:
    async with run_emulator(fast_config(registered_credits=0)) as broke:
        code, report = await doctor(settings_for(fake, broke, tmp_path))

    assert code == 0, "the bot runs; people just cannot spend"
    assert mark(report, "NemoVideo") == "!"
    assert "0 credits available" in row(report, "NemoVideo")
    assert "top up your account at https://nemovideo.com" in row(report, "NemoVideo")


def test_the_report_falls_back_to_ascii_where_the_output_cannot_show_the_marks() -> None:
    raw = io.BytesIO()
    out = io.TextIOWrapper(raw, encoding="ascii")
    checks = [Check("settings", "ok", "valid"), Check("Discord", "fail", "no", "do this")]

    write_report(checks, out)
    out.flush()

    text = raw.getvalue().decode("ascii")
    assert "  ok  settings" in text
    assert "  XX  Discord" in text
    assert "-> do this" in text


# ----- as an operator runs it ------------------------------------------------------------------


async def test_python_m_bot_doctor_reports_a_healthy_setup_without_printing_tokens(
    fake: FakeDiscord, emulator: RunningEmulator, tmp_path: Path
) -> None:
    env = {
        **os.environ,
        "PYTHONIOENCODING": "utf-8",
        "DISCORD_TOKEN": DISCORD_TOKEN,
        "DISCORD_API_BASE_URL": fake.api_base,
        "NEMO_API_URL": emulator.url,
        "NEMO_TOKEN": REGISTERED_NEMO_TOKEN,
        "DATABASE_PATH": str(tmp_path / "nemobot.sqlite3"),
        "LOG_LEVEL": "DEBUG",
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "doctor",
        cwd=tmp_path,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    report, errors = stdout.decode(), stderr.decode()

    assert process.returncode == 0, report + errors
    assert marks(report, "settings", "database", "NemoVideo", "Discord") == "✓✓✓✓"
    assert "10,000 credits available" in report
    assert_no_secrets(report + errors, DISCORD_TOKEN, REGISTERED_NEMO_TOKEN)


async def test_a_refused_free_token_renewal_says_what_the_operator_can_do(
    fake: FakeDiscord, emulator: RunningEmulator, tmp_path: Path
) -> None:
    settings = settings_for(fake, emulator, tmp_path, nemo_token=None)
    assert (await doctor(settings))[0] == 0
    emulator.set_fault("token_rejected")  # 1001 on a still-valid token; a new one is refused

    code, report = await doctor(settings)

    assert code == 1
    nemo = row(report, "NemoVideo")
    assert "will not give out another free anonymous token yet" in nemo
    assert "set NEMO_TOKEN" in nemo


async def test_doctor_without_a_discord_token_does_not_claim_all_checks_passed(
    emulator: RunningEmulator, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    env |= {
        "PYTHONIOENCODING": "utf-8",
        "NEMO_API_URL": emulator.url,
        "NEMO_TOKEN": REGISTERED_NEMO_TOKEN,
        "DATABASE_PATH": str(tmp_path / "nemobot.sqlite3"),
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", "doctor", cwd=tmp_path, env=env,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    report = stdout.decode()

    assert process.returncode == 0, report + stderr.decode()
    assert mark(report, "Discord") == "–"
    assert "All checks passed" not in report
    assert report.rstrip().endswith("not checked: Discord."), report


async def test_with_redis_url_set_doctor_checks_redis_and_fails_when_it_does_not_answer(
    fake: FakeDiscord, emulator: RunningEmulator, tmp_path: Path, redis_prefix: str
) -> None:
    from tests.conftest import REDIS_TEST_URL

    unset, report = await doctor(settings_for(fake, emulator, tmp_path), quick=True)
    assert unset == 0 and "Redis" not in report

    answering = settings_for(
        fake, emulator, tmp_path, redis_url=REDIS_TEST_URL, redis_key_prefix=redis_prefix
    )
    code, report = await doctor(answering, quick=True)
    assert code == 0, report
    assert marks(report, "settings", "database", "Redis") == "✓✓✓"
    assert f"{redis_prefix}:budget:discord" in row(report, "Redis")

    closed = f"redis://nemobot:secret-pass@127.0.0.1:{free_port()}/0"
    code, report = await doctor(
        settings_for(fake, emulator, tmp_path, redis_url=closed), quick=True
    )
    assert code == 1
    assert marks(report, "Redis") == "✗"
    assert "start Redis, or fix REDIS_URL" in row(report, "Redis")
    assert "secret-pass" not in report
