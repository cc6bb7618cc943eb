"""`nemobot invite`: the OAuth2 link, its application id, and exactly the permissions used."""

from __future__ import annotations

import base64
import os
import subprocess
import sys
from pathlib import Path

import discord
import pytest
from pydantic import SecretStr

from bot.discord_permissions import BOT_PERMISSIONS, permissions_integer
from bot.invite import application_id_from_token, application_id_of, invite_url
from bot.settings import Settings
from cogs.access import IN_THREAD_PERMISSIONS, THREAD_PERMISSIONS

APP_ID = 1098765432109876543


def token_for(user_id: int | str, tail: str = ".GhIjKl.HmacPartHmacPartHmacPart0123456789") -> str:
    return base64.b64encode(str(user_id).encode()).decode().rstrip("=") + tail


@pytest.fixture(autouse=True)
def _no_application_id(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("DISCORD_APPLICATION_ID", raising=False)


def test_the_link_names_the_application_both_scopes_and_the_permissions() -> None:
    assert invite_url(APP_ID) == (
        "https://discord.com/oauth2/authorize?client_id=1098765432109876543"
        "&scope=bot+applications.commands&permissions=309237763072"
    )


def test_the_permissions_are_exactly_the_documented_bits() -> None:
    value = permissions_integer()
    granted = discord.Permissions(value)
    assert all(getattr(granted, permission.name) for permission in BOT_PERMISSIONS)
    assert value.bit_count() == len(BOT_PERMISSIONS), "no bit beyond the documented ones"
    for permission in BOT_PERMISSIONS:
        assert discord.Permissions(**{permission.name: True}).value == permission.bit
        assert permission.why, f"{permission.name} says which feature needs it"


def test_the_invite_grants_what_video_checks_for_and_nothing_else() -> None:
    checked = {name for name, _ in THREAD_PERMISSIONS + IN_THREAD_PERMISSIONS}
    assert {permission.name for permission in BOT_PERMISSIONS} == checked


def test_the_invite_never_asks_for_administration() -> None:
    granted = discord.Permissions(permissions_integer())
    assert not (granted.administrator or granted.manage_guild or granted.manage_messages)
    assert not granted.mention_everyone


@pytest.mark.parametrize(
    ("token", "expected"),
    [
        pytest.param(token_for(APP_ID), APP_ID, id="nineteen-digits"),
        pytest.param(token_for(80351110224678912), 80351110224678912, id="seventeen-digits"),
        pytest.param(token_for(APP_ID) + "\n", APP_ID, id="trailing-newline"),
        pytest.param("fake-bot-token", None, id="not-a-token"),
        pytest.param(token_for("not-a-number"), None, id="not-an-id"),
        pytest.param(token_for(42), None, id="too-short-for-an-id"),
        pytest.param("", None, id="empty"),
        pytest.param("!!!.abc.def", None, id="not-base64"),
    ],
)
def test_the_application_id_is_read_from_the_token_first_part(
    token: str, expected: int | None
) -> None:
    assert application_id_from_token(token) == expected


def test_discord_application_id_wins_over_the_token() -> None:
    settings = Settings(discord_token=SecretStr(token_for(APP_ID)), discord_application_id=7)
    assert application_id_of(settings) == 7
    assert application_id_of(Settings(discord_token=SecretStr(token_for(APP_ID)))) == APP_ID
    assert application_id_of(Settings()) is None


def run_invite(cwd: Path, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", "invite"],
        capture_output=True,
        text=True,
        cwd=cwd,
        env={**os.environ, "PYTHONIOENCODING": "utf-8", **env},
        timeout=60,
        check=False,
    )


def test_nemobot_invite_prints_only_the_link_on_stdout(tmp_path: Path) -> None:
    done = run_invite(tmp_path, DISCORD_TOKEN=token_for(APP_ID))

    assert done.returncode == 0, done.stderr
    assert done.stdout == invite_url(APP_ID) + "\n"
    assert "Attach Files" in done.stderr
    assert "HmacPart" not in done.stdout + done.stderr


def test_nemobot_invite_without_an_id_says_where_to_find_it(tmp_path: Path) -> None:
    done = run_invite(tmp_path)

    assert done.returncode == 2
    assert done.stdout == ""
    assert "DISCORD_APPLICATION_ID" in done.stderr
    assert "General Information" in done.stderr


@pytest.mark.parametrize("token", ["fake-bot-token", token_for("not-a-number"), "!!!.abc.def"])
def test_nemobot_invite_with_a_malformed_token_says_it_is_malformed(
    tmp_path: Path, token: str
) -> None:
    done = run_invite(tmp_path, DISCORD_TOKEN=token)

    assert done.returncode == 2
    assert done.stdout == ""
    assert "does not look like a bot token" in done.stderr
    assert "set DISCORD_APPLICATION_ID" in done.stderr
    assert "or DISCORD_TOKEN" not in done.stderr, "it is set: don't ask to set it"
    assert token not in done.stderr
