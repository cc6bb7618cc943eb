"""Shard ranges: which of the bot's Discord shards this process runs.

`SHARD_COUNT` is how many shards the bot has in all (across every process) and
`SHARD_IDS` the ones this process runs, written as `0-3`, `0,2,4` or a mix (`0-1,4`).
Discord sends a guild's events to shard `(guild_id >> 22) % SHARD_COUNT` and direct
messages to shard 0, so each guild, and every thread in it, belongs to exactly one process.
"""

from __future__ import annotations

from dataclasses import dataclass

ACCEPTED_FORMS = "shard numbers like 0-3, 0,2,4 or 0-1,4"


@dataclass(frozen=True, slots=True)
class ShardRange:
    """The shards one process runs: `ids` out of `count` (ids sorted, no repeats)."""

    count: int
    ids: tuple[int, ...]

    def owns_guild(self, guild_id: int) -> bool:
        """Whether Discord sends this guild's events to one of this process's shards."""
        return shard_of(guild_id, self.count) in self.ids

    @property
    def owns_direct_messages(self) -> bool:
        return 0 in self.ids

    def describe(self) -> str:
        return f"shards {format_ids(self.ids)} of {self.count}"


def shard_of(guild_id: int, count: int) -> int:
    """The shard Discord sends a guild's events to."""
    return (guild_id >> 22) % count


def parse_shard_ids(text: str) -> tuple[int, ...]:
    """`0-3`, `0,2,4`, `0-1, 4` → sorted shard numbers; ValueError names the accepted forms."""
    ids: set[int] = set()
    parts = [part.strip() for part in text.replace(" ", "").split(",")]
    if not any(parts):
        raise ValueError(f"no shard numbers given; write {ACCEPTED_FORMS}")
    for part in parts:
        first, dash, last = part.partition("-")
        try:
            low = int(first)
            high = int(last) if dash else low
        except ValueError:
            raise ValueError(
                f"{part!r} is not a shard number or range; write {ACCEPTED_FORMS}"
            ) from None
        if low < 0 or high < low:
            raise ValueError(
                f"{part!r} is not a range from a lower to a higher shard number; "
                f"write {ACCEPTED_FORMS}"
            )
        ids.update(range(low, high + 1))
    return tuple(sorted(ids))


def shard_range(count: int | None, ids: tuple[int, ...] | None) -> ShardRange | None:
    """The process's shards from SHARD_COUNT and SHARD_IDS, or None for one unsharded
    connection (both unset). ValueError says what is wrong with them together."""
    if count is None:
        if ids:
            raise ValueError("SHARD_IDS needs SHARD_COUNT, the number of shards in all processes")
        return None
    if not ids:
        return ShardRange(count, tuple(range(count)))
    outside = [shard for shard in ids if shard >= count]
    if outside:
        raise ValueError(
            f"SHARD_IDS names shard {format_ids(tuple(outside))}, but with SHARD_COUNT={count} "
            f"the shards are 0-{count - 1}"
        )
    return ShardRange(count, ids)


def format_ids(ids: tuple[int, ...]) -> str:
    """(0, 1, 2, 5) → "0-2,5"."""
    runs: list[str] = []
    start = previous = None
    for shard in (*ids, None):
        if shard is not None and previous is not None and shard == previous + 1:
            previous = shard
            continue
        if start is not None:
            runs.append(str(start) if start == previous else f"{start}-{previous}")
        start = previous = shard
    return ",".join(runs)
