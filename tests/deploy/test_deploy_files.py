"""What can be checked of deploy/ without Docker or systemd: the files agree with the code.

The Dockerfile copies files that exist (and that its ignore file lets through), runs real
`nemobot` subcommands, and keeps the database on its volume; the compose file parses and
builds that Dockerfile with that volume; the systemd unit starts the real entry point and
keeps the database in its state directory; and every setting any of them names is one
that `bot/settings.py` reads.
"""

from __future__ import annotations

import fnmatch
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path, PurePosixPath

import pytest
import yaml

from bot.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
DOCKERIGNORE = DEPLOY / "Dockerfile.dockerignore"
COMPOSE = DEPLOY / "docker-compose.yml"
UNIT = DEPLOY / "nemobot.service"

SETTINGS = {name.upper() for name in Settings.model_fields}
#: Environment variables in deploy files that are not nemobot settings.
NOT_SETTINGS = re.compile(r"PATH|PYTHON\w+|PIP_\w+")
#: Names that look like nemobot settings wherever they appear in a deploy file.
SETTING_LIKE = re.compile(
    r"\b(?:DISCORD|NEMO|DATABASE|DOWNLOAD|LOG|ALLOWED|MAX_TURNS|SHARD|REDIS|METRICS)"
    r"_[A-Z_]*[A-Z]\b"
)


# ----- reading the files -----------------------------------------------------------------------


def dockerfile_instructions() -> list[tuple[str, str]]:
    """(INSTRUCTION, arguments) with continuation lines joined and comments dropped."""
    instructions: list[tuple[str, str]] = []
    pending = ""
    for raw in DOCKERFILE.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        if line.endswith("\\"):
            pending += line[:-1] + " "
            continue
        keyword, _, arguments = (pending + line).partition(" ")
        instructions.append((keyword.upper(), " ".join(arguments.split())))
        pending = ""
    assert not pending, "the Dockerfile ends inside a continued line"
    return instructions


def instructions(keyword: str) -> list[str]:
    return [arguments for name, arguments in dockerfile_instructions() if name == keyword]


def dockerfile_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for arguments in instructions("ENV"):
        for pair in shlex.split(arguments):
            name, _, value = pair.partition("=")
            env[name] = value
    return env


def exec_form(arguments: str) -> list[str]:
    """A JSON-array CMD (after any HEALTHCHECK options)."""
    command = arguments.split("CMD", 1)[1] if arguments.startswith("--") else arguments
    parsed = json.loads(command)
    assert isinstance(parsed, list) and all(isinstance(part, str) for part in parsed)
    return parsed


def ignored_by_docker(path: str) -> bool:
    """Whether the Dockerfile's ignore file keeps `path` out of the build context.

    Enough of Docker's rules for this file: patterns in order, the last match wins, `!`
    re-includes, and a pattern matching a parent folder matches everything in it.
    """
    ignored = False
    parts = PurePosixPath(path).parts
    for raw in DOCKERIGNORE.read_text(encoding="utf-8").splitlines():
        pattern = raw.strip()
        if not pattern or pattern.startswith("#"):
            continue
        include = pattern.startswith("!")
        pattern = pattern.lstrip("!").rstrip("/")
        anywhere = pattern.startswith("**/")
        pattern = pattern.removeprefix("**/")
        prefixes = ["/".join(parts[: i + 1]) for i in range(len(parts))]
        candidates = [*parts, *prefixes] if anywhere else prefixes
        if any(fnmatch.fnmatchcase(candidate, pattern) for candidate in candidates):
            ignored = not include
    return ignored


def unit_entries() -> list[tuple[str, str, str]]:
    """(section, key, value) for every line of the unit, repeated keys kept in order."""
    entries: list[tuple[str, str, str]] = []
    section = ""
    for raw in UNIT.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, separator, value = line.partition("=")
        assert separator, f"not a key=value line: {line!r}"
        entries.append((section, key.strip(), value.strip()))
    return entries


def unit_values(key: str, section: str = "Service") -> list[str]:
    return [value for where, name, value in unit_entries() if where == section and name == key]


def unit_value(key: str, section: str = "Service") -> str:
    [value] = unit_values(key, section)
    return value


def unit_environment() -> dict[str, str]:
    env: dict[str, str] = {}
    for line in unit_values("Environment"):
        for pair in shlex.split(line):
            name, _, value = pair.partition("=")
            env[name] = value
    return env


@cache
def compose() -> dict[str, object]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict)
    return data


def compose_service() -> dict[str, object]:
    services = compose()["services"]
    assert isinstance(services, dict)
    service = services["nemobot"]
    assert isinstance(service, dict)
    return service


@cache
def nemobot_help(*command: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "bot", *command, "--help"],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={**os.environ, "PYTHONIOENCODING": "utf-8"},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def assert_is_nemobot_command(argv: list[str]) -> None:
    """`argv` is `nemobot <subcommand> [--options]`, all of which `nemobot` knows."""
    program, subcommand, *options = argv
    assert program == "nemobot"
    listed = re.findall(r"^    ([a-z]+)  ", nemobot_help(), re.MULTILINE)
    assert {"run", "chat"} <= set(listed), "nemobot --help lists its subcommands"
    assert subcommand in listed
    sub_help = nemobot_help(subcommand)
    for option in options:
        assert option.startswith("--") and re.search(rf"(?<![\w-]){option}\b", sub_help), option


# ----- Dockerfile ------------------------------------------------------------------------------


def test_the_image_builds_on_python_3_11_slim() -> None:
    bases = [arguments.split()[0] for arguments in instructions("FROM")]
    assert bases and all(base == "python:3.11-slim" for base in bases)


def test_every_copied_file_exists_and_reaches_the_build_context() -> None:
    sources = []
    for arguments in instructions("COPY"):
        if arguments.startswith("--from"):
            continue
        *paths, _destination = arguments.split()
        sources += paths
    assert {"pyproject.toml", "bot", "cogs"} <= set(sources)
    for source in sources:
        path = ROOT / source
        assert path.exists(), f"COPY {source}: no such file in the repository"
        sample = next(path.rglob("*.py")).relative_to(ROOT) if path.is_dir() else Path(source)
        assert not ignored_by_docker(sample.as_posix()), f"{sample} is left out of the build"


def test_the_build_context_leaves_out_secrets_and_local_state() -> None:
    for path in (
        ".env",
        "data/nemobot.sqlite3",
        "exports/video.mp4",
        ".venv/bin/python",
        ".git/config",
        "bot/__pycache__/cli.cpython-311.pyc",
        "tests/conftest.py",
    ):
        assert ignored_by_docker(path), path


def test_the_package_metadata_the_build_reads_is_copied() -> None:
    copied = " ".join(instructions("COPY"))
    readme = re.search(r'^readme\s*=\s*"([^"]+)"', (ROOT / "pyproject.toml").read_text(), re.M)
    assert readme is not None and readme.group(1) in copied.split()


def test_the_container_runs_nemobot_run_as_an_unprivileged_user() -> None:
    [cmd] = instructions("CMD")
    assert exec_form(cmd) == ["nemobot", "run"]
    assert_is_nemobot_command(exec_form(cmd))
    users = instructions("USER")
    assert users and users[-1] not in ("root", "0")
    order = [name for name, _ in dockerfile_instructions()]
    assert order.index("USER") < order.index("CMD")


def test_the_health_check_is_a_real_nemobot_check_without_network() -> None:
    [health] = instructions("HEALTHCHECK")
    argv = exec_form(health)
    assert argv == ["nemobot", "doctor", "--quick"]
    assert_is_nemobot_command(argv)
    assert "--interval=" in health and "--timeout=" in health


def test_the_database_lives_on_the_volume() -> None:
    env = dockerfile_env()
    database = PurePosixPath(env["DATABASE_PATH"])
    volumes = [v for arguments in instructions("VOLUME") for v in json.loads(arguments)]
    assert str(database.parent) in volumes
    assert database.parent == PurePosixPath("/data")


def test_the_dockerfile_sets_only_real_settings() -> None:
    names = list(dockerfile_env())
    assert names, "the Dockerfile's ENV lines were found"
    for name in names:
        assert NOT_SETTINGS.fullmatch(name) or name in SETTINGS, name


# ----- docker-compose.yml ----------------------------------------------------------------------


def test_compose_builds_this_dockerfile_from_the_repository_root() -> None:
    build = compose_service()["build"]
    assert isinstance(build, dict)
    context = (DEPLOY / str(build["context"])).resolve()
    assert context == ROOT
    assert (context / str(build["dockerfile"])).resolve() == DOCKERFILE


def test_compose_reads_the_repository_env_file_and_restarts_unless_stopped() -> None:
    service = compose_service()
    env_file = service["env_file"]
    files = [env_file] if isinstance(env_file, str) else env_file
    assert isinstance(files, list)
    assert [(DEPLOY / str(f)).resolve() for f in files] == [ROOT / ".env"]
    assert service["restart"] == "unless-stopped"


def test_compose_keeps_the_database_in_a_named_volume() -> None:
    service = compose_service()
    volumes = service["volumes"]
    assert isinstance(volumes, list)
    mounts = dict(str(v).split(":", 1) for v in volumes)
    declared = compose()["volumes"]
    assert isinstance(declared, dict)
    [(volume, target)] = mounts.items()
    assert volume in declared, "a named volume, not a folder of the host"
    environment = service["environment"]
    assert isinstance(environment, dict)
    database = PurePosixPath(str(environment["DATABASE_PATH"]))
    assert database.parent == PurePosixPath(target)
    assert str(database) == dockerfile_env()["DATABASE_PATH"]


def test_compose_sets_only_real_settings() -> None:
    environment = compose_service().get("environment") or {}
    assert isinstance(environment, dict) and environment, "the service has an environment"
    for name in environment:
        assert name in SETTINGS, name


# ----- nemobot.service -------------------------------------------------------------------------


def test_the_unit_starts_the_real_entry_point() -> None:
    argv = shlex.split(unit_value("ExecStart"))
    program = PurePosixPath(argv[0])
    assert program.is_absolute()
    assert program.name == "nemobot", "the console script that `pip install` creates"
    assert argv[1:] == ["run"]
    assert_is_nemobot_command(["nemobot", *argv[1:]])


def test_the_database_is_in_the_state_directory() -> None:
    state = PurePosixPath("/var/lib") / unit_value("StateDirectory")
    assert unit_value("StateDirectory") == "nemobot"
    assert PurePosixPath(unit_environment()["DATABASE_PATH"]).parent == state
    assert PurePosixPath(unit_value("WorkingDirectory")) == state


def test_the_unit_runs_as_a_dynamic_user_with_optional_env_file_and_restarts() -> None:
    assert unit_value("DynamicUser") == "yes"
    assert unit_value("EnvironmentFile") == "-/etc/nemobot/nemobot.env"
    assert unit_value("Restart") == "on-failure"
    assert "network-online.target" in unit_value("After", "Unit")


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("NoNewPrivileges", "yes"),
        ("CapabilityBoundingSet", ""),
        ("ProtectSystem", "strict"),
        ("ProtectHome", "yes"),
        ("PrivateTmp", "yes"),
        ("PrivateDevices", "yes"),
        ("ProtectKernelTunables", "yes"),
        ("ProtectKernelModules", "yes"),
        ("ProtectKernelLogs", "yes"),
        ("ProtectControlGroups", "yes"),
        ("RestrictAddressFamilies", "AF_INET AF_INET6 AF_UNIX"),
        ("RestrictNamespaces", "yes"),
        ("LockPersonality", "yes"),
        ("MemoryDenyWriteExecute", "yes"),
        ("SystemCallArchitectures", "native"),
    ],
)
def test_the_unit_is_hardened(key: str, value: str) -> None:
    assert unit_value(key) == value


def test_the_system_call_filter_starts_from_system_service() -> None:
    filters = unit_values("SystemCallFilter")
    assert filters[0] == "@system-service"
    assert all(f.startswith("~") for f in filters[1:]), "later lines only take calls away"


def test_only_the_state_directory_is_writable() -> None:
    state = f"/var/lib/{unit_value('StateDirectory')}"
    assert unit_value("ProtectSystem") == "strict", "everything else is read-only"
    for line in unit_values("ReadWritePaths"):
        assert line.split() == [state]


def test_the_unit_sets_only_real_settings() -> None:
    names = list(unit_environment())
    assert names, "the unit's Environment= lines were found"
    for name in names:
        assert NOT_SETTINGS.fullmatch(name) or name in SETTINGS, name


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_accepts_the_unit() -> None:
    done = subprocess.run(
        ["systemd-analyze", "verify", str(UNIT)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    complaints = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if line.strip() and "is not executable" not in line  # /opt/nemobot is not installed here
    ]
    assert complaints == []


# ----- all of them -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    sorted(p for p in DEPLOY.iterdir() if p.is_file()),
    ids=lambda p: p.name,
)
def test_every_setting_named_in_deploy_files_exists(path: Path) -> None:
    named = set(SETTING_LIKE.findall(path.read_text(encoding="utf-8")))
    assert named - SETTINGS == set()
