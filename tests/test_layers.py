"""Imports go one way: cogs → bot.core → bot.nemo. Checked on the source, not at run time."""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
BOT = ROOT / "bot"


def python_files(*folders: Path) -> list[Path]:
    return sorted(path for folder in folders for path in folder.rglob("*.py"))


def imported_modules(path: Path) -> Iterator[tuple[int, str]]:
    """(line, module) for every absolute import, and every `import_module("…")` literal."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            yield node.lineno, node.module
        elif isinstance(node, ast.Call) and _is_dynamic_import(node.func):
            first = node.args[0] if node.args else None
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                yield node.lineno, first.value


def _is_dynamic_import(func: ast.expr) -> bool:
    name = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", None)
    return name in ("import_module", "__import__")


def is_within(module: str, package: str) -> bool:
    return module == package or module.startswith(package + ".")


def violations(files: list[Path], package: str) -> list[str]:
    return [
        f"{path.relative_to(ROOT)}:{line} imports {module}"
        for path in files
        for line, module in imported_modules(path)
        if is_within(module, package)
    ]


ENGINE_FILES = python_files(BOT / "core", BOT / "nemo")
NEMO_FILES = python_files(BOT / "nemo")
BOT_FILES = python_files(BOT)
#: The composition root: `nemobot run` starts the Discord edge, so it may import it lazily.
COMPOSITION_ROOT = BOT / "cli.py"


def test_the_layer_checks_see_the_source() -> None:
    names = {path.relative_to(ROOT).as_posix() for path in BOT_FILES}
    assert {"bot/nemo/events.py", "bot/nemo/client.py", "bot/core/__init__.py"} <= names
    assert set(ENGINE_FILES) <= set(BOT_FILES)


@pytest.mark.parametrize("path", ENGINE_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_engine_never_imports_discord(path: Path) -> None:
    assert violations([path], "discord") == []


@pytest.mark.parametrize(
    "path",
    [p for p in BOT_FILES if p != COMPOSITION_ROOT],
    ids=lambda p: p.relative_to(ROOT).as_posix(),
)
def test_bot_never_imports_cogs(path: Path) -> None:
    assert violations([path], "cogs") == []


def test_only_the_cli_reaches_the_discord_edge() -> None:
    assert violations([COMPOSITION_ROOT], "discord") == []
    assert [m for _, m in imported_modules(COMPOSITION_ROOT) if is_within(m, "cogs")] == [
        "cogs.launcher"
    ]


@pytest.mark.parametrize("path", NEMO_FILES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_nemo_client_never_imports_the_engine(path: Path) -> None:
    assert violations([path], "bot.core") == []


@pytest.mark.parametrize(
    ("source", "module"),
    [
        pytest.param("import discord", "discord", id="import"),
        pytest.param("import discord.ext.commands as c", "discord", id="import-submodule"),
        pytest.param("from discord import Embed", "discord", id="from-import"),
        pytest.param("from discord.ui import View", "discord", id="from-submodule"),
        pytest.param("def f():\n    import discord\n", "discord", id="inside-function"),
        pytest.param(
            "import importlib\nimportlib.import_module('discord')",
            "discord",
            id="import-module-call",
        ),
        pytest.param("__import__('cogs.studio')", "cogs", id="dunder-import"),
        pytest.param("from cogs import studio", "cogs", id="from-cogs"),
    ],
)
def test_the_checker_catches_each_import_form(tmp_path: Path, source: str, module: str) -> None:
    path = tmp_path / "sample.py"
    path.write_text(source, encoding="utf-8")
    assert [found for _, found in imported_modules(path) if is_within(found, module)]


@pytest.mark.parametrize(
    "source",
    ["import discordant", "from discordian import x", "from . import discord", "import cogsworth"],
    ids=["similar-name", "similar-from", "relative", "similar-cogs"],
)
def test_the_checker_ignores_look_alikes(tmp_path: Path, source: str) -> None:
    path = tmp_path / "sample.py"
    path.write_text(source, encoding="utf-8")
    found = [module for _, module in imported_modules(path)]
    assert not any(is_within(m, "discord") or is_within(m, "cogs") for m in found)
