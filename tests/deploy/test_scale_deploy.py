"""What can be checked of the files for more than one process without Docker or systemd:
deploy/docker-compose.scale.yml runs two bots of this Dockerfile on shard ranges that
split the shards, on the compose file's PostgreSQL and Redis, with real settings only; the
template unit deploy/nemobot@.service starts the real entry point with its instance name
as the shard range, and systemd accepts it."""

from __future__ import annotations

import os
import shutil
import subprocess
from functools import cache
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from bot.settings import Settings
from tests.deploy.test_deploy_files import DEPLOY, SETTINGS, assert_is_nemobot_command

COMPOSE = DEPLOY / "docker-compose.scale.yml"
UNIT = DEPLOY / "nemobot@.service"


@cache
def services() -> dict[str, dict[str, Any]]:
    data = yaml.safe_load(COMPOSE.read_text(encoding="utf-8"))
    assert isinstance(data, dict) and isinstance(data["services"], dict)
    return data["services"]


def bots() -> dict[str, dict[str, Any]]:
    return {name: s for name, s in services().items() if "build" in s}


def bot_settings(service: dict[str, Any]) -> Settings:
    env = {k: str(v) for k, v in service["environment"].items()}
    return Settings(_env_file=None, discord_token="x", **{k.lower(): v for k, v in env.items()})


def test_two_bots_built_from_this_dockerfile_with_postgresql_and_redis() -> None:
    assert len(bots()) == 2
    for service in bots().values():
        build = service["build"]
        assert (COMPOSE.parent / build["context"] / build["dockerfile"]).is_file()
        assert set(service["depends_on"]) == {"postgres", "redis"}
        assert all(v["condition"] == "service_healthy" for v in service["depends_on"].values())
    assert "healthcheck" in services()["postgres"] and "healthcheck" in services()["redis"]


def test_the_bots_set_only_real_settings() -> None:
    for service in bots().values():
        assert set(service["environment"]) - SETTINGS == set()


def test_the_shard_ranges_split_the_shards_between_the_bots() -> None:
    ranges = [bot_settings(s).shards() for s in bots().values()]
    assert all(r is not None for r in ranges)
    counts = {r.count for r in ranges if r is not None}
    assert len(counts) == 1, "every process must agree on SHARD_COUNT"
    taken = [shard for r in ranges if r is not None for shard in r.ids]
    assert sorted(taken) == list(range(counts.pop())), "each shard in exactly one process"


def test_the_bots_share_the_compose_files_database_and_redis() -> None:
    for service in bots().values():
        settings = bot_settings(service)
        database = urlsplit(settings.database_url or "")
        assert database.scheme == "postgresql" and database.hostname == "postgres"
        postgres_env = services()["postgres"]["environment"]
        assert database.path.lstrip("/") == postgres_env["POSTGRES_DB"]
        assert database.username == postgres_env["POSTGRES_USER"]
        assert urlsplit(settings.redis_url or "").hostname == "redis"
        assert settings.metrics_port is not None and settings.metrics_host == "0.0.0.0"


def unit_entries() -> list[tuple[str, str, str]]:
    entries: list[tuple[str, str, str]] = []
    section = ""
    for raw in UNIT.read_text(encoding="utf-8").splitlines():
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line.strip("[]")
            continue
        key, _, value = line.partition("=")
        entries.append((section, key.strip(), value.strip()))
    return entries


def service_values(key: str) -> list[str]:
    return [v for section, k, v in unit_entries() if section == "Service" and k == key]


def test_the_template_starts_the_real_entry_point() -> None:
    [command] = service_values("ExecStart")
    program, *arguments = command.split()
    assert Path(program).name == "nemobot"
    assert_is_nemobot_command(["nemobot", *arguments])


def test_the_instance_name_is_the_shard_range_and_no_env_file_overrides_it() -> None:
    settings_lines = [
        (k, v) for _, k, v in unit_entries() if k in ("Environment", "EnvironmentFile")
    ]
    assert settings_lines[-1] == ("Environment", "SHARD_IDS=%i")
    files = [v for k, v in settings_lines if k == "EnvironmentFile"]
    assert "-/etc/nemobot/nemobot@%i.env" in files
    # the names systemd allows an instance are ranges nemobot reads
    for instance in ("0-3", "4-7", "2"):
        assert Settings(shard_count=8, shard_ids=instance).shards() is not None


@pytest.mark.skipif(shutil.which("systemd-analyze") is None, reason="needs systemd-analyze")
def test_systemd_accepts_the_template_as_an_instance(tmp_path: Path) -> None:
    instance = tmp_path / "nemobot@0-3.service"
    instance.write_text(UNIT.read_text(encoding="utf-8"), encoding="utf-8")
    done = subprocess.run(
        ["systemd-analyze", "verify", str(instance)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**os.environ, "SYSTEMD_LOG_LEVEL": "warning"},
    )
    complaints = [
        line
        for line in (done.stdout + done.stderr).splitlines()
        if line.strip() and "is not executable" not in line  # /opt/nemobot is not installed here
    ]
    assert complaints == []
