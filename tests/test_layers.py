"""Imports go one way: cogs → bot.core → bot.nemo. The contracts are import-linter's, in
pyproject.toml (`[tool.importlinter]`); this runs them, and shows that each one catches the
import it forbids, on a copy of the source with that import added."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
LINT_IMPORTS = Path(sys.executable).with_name("lint-imports")


def lint_imports(project: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache"], cwd=project, capture_output=True, text=True,
        check=False, timeout=60,
    )


def test_every_import_contract_is_kept() -> None:
    result = lint_imports(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "5 kept, 0 broken" in result.stdout


@pytest.mark.parametrize(
    ("module", "source", "contract"),
    [
        ("bot/nemo/probe.py", "import bot.core.engine\n", "Imports go one way"),
        ("bot/core/probe.py", "def f() -> None:\n    import cogs.port\n", "Imports go one way"),
        ("cogs/probe.py", "from bot.nemo import errors\n", "only through bot.core"),
        ("bot/terminal_probe.py", "import discord\n", "Only cogs import discord"),
        ("bot/core/probe.py", "from discord import Embed\n", "never import discord"),
        ("bot/probe.py", "from cogs import studio\n", "Nothing in bot imports cogs"),
    ],
    ids=["nemo-up", "core-up-lazily", "edge-to-nemo", "bot-discord", "core-discord", "bot-cogs"],
)
def test_a_forbidden_import_breaks_its_contract(
    tmp_path: Path, module: str, source: str, contract: str
) -> None:
    for package in ("bot", "cogs"):
        shutil.copytree(ROOT / package, tmp_path / package, ignore=shutil.ignore_patterns(
            "__pycache__", "*.png", "*.mp4", "*.ttf"
        ))
    shutil.copy(ROOT / "pyproject.toml", tmp_path)
    (tmp_path / module).write_text(source, encoding="utf-8")

    result = lint_imports(tmp_path)

    assert result.returncode == 1, result.stdout + result.stderr
    broken = [line for line in result.stdout.splitlines() if " BROKEN" in line]
    assert [line for line in broken if contract in line], result.stdout
    assert f"{module.removesuffix('.py').replace('/', '.')} -> " in result.stdout
