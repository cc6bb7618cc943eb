"""The README and .env.example stay true: every setting and every command is documented."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.cli import _parser
from bot.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SETTINGS = sorted(name.upper() for name in Settings.model_fields)
#: The subcommands, as `nemobot --help` lists them under COMMAND (indented by four).
COMMANDS = sorted(re.findall(r"^    ([a-z-]+) +\S", _parser().format_help(), re.MULTILINE))


@pytest.mark.parametrize("name", SETTINGS)
def test_every_setting_is_explained_in_env_example_and_readme(name: str) -> None:
    example = (ROOT / ".env.example").read_text(encoding="utf-8")
    assert re.search(rf"^(# )?{name}=", example, re.MULTILINE), f"{name} not in .env.example"
    assert f"`{name}`" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_commands_are_read_from_the_help() -> None:
    assert {"run", "chat", "doctor"} <= set(COMMANDS), "else the next test checks nothing"


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_is_in_the_readme(command: str) -> None:
    assert f"`nemobot {command}" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_readme_test_command_is_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    command = "python3 -m venv .venv && .venv/bin/pip install -e '.[test]' && .venv/bin/pytest"
    assert command in readme and command in ci
