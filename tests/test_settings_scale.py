"""The settings for more than one process: shard ranges, Redis and metrics, and what a
wrong value is told (through `nemobot run`, as an operator meets it)."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bot.cli import main
from bot.settings import Settings
from bot.shards import ShardRange, format_ids, shard_of


def test_unset_shards_mean_one_unsharded_connection() -> None:
    assert Settings().shards() is None


@pytest.mark.parametrize(
    ("count", "ids", "expected"),
    [
        ("4", "0-3", (0, 1, 2, 3)),
        ("6", "0,2,4", (0, 2, 4)),
        ("8", " 0-1, 4 ", (0, 1, 4)),
        ("3", "", (0, 1, 2)),  # SHARD_COUNT alone: every shard in this process
    ],
)
def test_shard_ranges_from_the_environment(
    monkeypatch: pytest.MonkeyPatch, count: str, ids: str, expected: tuple[int, ...]
) -> None:
    monkeypatch.setenv("SHARD_COUNT", count)
    monkeypatch.setenv("SHARD_IDS", ids)
    assert Settings().shards() == ShardRange(int(count), expected)


@pytest.mark.parametrize(
    ("count", "ids", "told"),
    [
        (None, "0-1", "SHARD_IDS needs SHARD_COUNT"),
        ("2", "1-3", "SHARD_IDS names shard 2-3, but with SHARD_COUNT=2 the shards are 0-1"),
        ("4", "a", "'a' is not a shard number or range; write shard numbers like 0-3"),
        ("4", "3-1", "'3-1' is not a range from a lower to a higher shard number"),
        ("0", None, "SHARD_COUNT: Input should be greater than 0"),
    ],
)
def test_a_wrong_shard_setting_stops_nemobot_run_with_what_to_write(
    monkeypatch: pytest.MonkeyPatch, count: str | None, ids: str | None, told: str
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "x.y.z")
    for name, value in (("SHARD_COUNT", count), ("SHARD_IDS", ids)):
        if value is not None:
            monkeypatch.setenv(name, value)
    with pytest.raises(SystemExit) as stopped:
        main(["run"])
    assert "invalid settings" in str(stopped.value)
    assert told in str(stopped.value)


def test_a_redis_url_that_is_not_redis_is_refused() -> None:
    with pytest.raises(ValidationError, match=r"redis://host:6379/0"):
        Settings(redis_url="http://127.0.0.1:6379")
    assert Settings(redis_url=" ").redis_url is None


def test_a_guild_belongs_to_the_shard_discord_sends_it_to() -> None:
    guild_id = (123_456_789 << 22) | 42
    assert shard_of(guild_id, 4) == 123_456_789 % 4
    shards = ShardRange(4, (1,))
    assert shards.owns_guild(guild_id) == (123_456_789 % 4 == 1)
    assert not shards.owns_direct_messages and ShardRange(2, (0, 1)).owns_direct_messages
    assert format_ids((0, 1, 2, 5, 7, 8)) == "0-2,5,7-8"
