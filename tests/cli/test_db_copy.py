"""`nemobot db copy`, run as an operator would: a populated SQLite file into an empty
database of either engine (`database_url`), every row, id and the schema version kept."""

from __future__ import annotations

import asyncio
import sys
from datetime import UTC, date, datetime
from pathlib import Path

from bot.core.migrations import SCHEMA_VERSION
from bot.core.records import RenderState, TurnStatus
from bot.core.store import Store
from bot.core.store_copy import TABLES
from bot.nemo.models import AnonymousToken

API = "https://mega-api-prod.nemovideo.ai"
TOKEN = AnonymousToken(
    token="nmv_usr_kept", user_id="anon_1", expires_at=datetime(2026, 3, 18, tzinfo=UTC),
    credits=100,
)


async def nemobot(*args: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", *args,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def populate(path: Path) -> None:
    """A bot's memory after some use: every table has rows, some ids were skipped."""
    async with await Store.open(path) as store:
        await store.save_client_id(API, "client-1")
        await store.save_anonymous_token(API, TOKEN)
        await store.save_conversation("discord:1", session_id="s-1", owner_id=2**62)
        await store.save_conversation("discord:2", session_id="s-2", language="zh")
        first = await store.start_turn("discord:1", author_id=7)
        await store.finish_turn(first.id, TurnStatus.DONE)
        await store.start_turn("discord:2", author_id=8)  # cut off: still running
        await store.add_upload("discord:1", filename="a.png", size_bytes=10)
        await store.add_upload("discord:2", filename="b.mp4")
        await store.create_render("r-posted", "discord:1", requester_id=7)
        await store.advance_render("r-posted", RenderState.COMPLETED, output_url="https://x/a")
        await store.claim_delivery("r-posted")
        await store.record_delivery("r-posted")
        await store.create_render("r-running", "discord:2", session_id="s-2")
        await store.advance_render("r-running", RenderState.PROCESSING, progress=40)
        await store.record_turn_usage(7, date(2026, 3, 1))
        await store.record_turn_usage(7, date(2026, 3, 1))


async def test_a_populated_sqlite_file_is_copied_whole(tmp_path: Path, database_url: str) -> None:
    source = tmp_path / "old" / "nemobot.sqlite3"
    await populate(source)

    code, out, err = await nemobot("db", "copy", "--from", f"sqlite:///{source}", "--to",
                                   database_url)

    assert (code, err) == (0, ""), err
    assert f"(schema version {SCHEMA_VERSION})" in out
    assert "2 conversations, 2 turns, 2 uploads, 2 renders, 1 usage" in out
    async with await Store.open(source) as old, await Store.open(database_url) as new:
        assert await new.schema_version() == SCHEMA_VERSION
        assert await new.get_anonymous_token(API) == TOKEN
        assert await new.get_client_id(API) == "client-1"
        for key in ("discord:1", "discord:2"):
            assert await new.get_conversation(key) == await old.get_conversation(key)
            assert await new.list_uploads(key) == await old.list_uploads(key)
        assert await new.get_unfinished_turns() == await old.get_unfinished_turns()
        assert await new.get_unfinished_renders() == await old.get_unfinished_renders()
        assert await new.get_render("r-posted") == await old.get_render("r-posted")
        assert await new.count_turns_today(7, datetime(2026, 3, 1, tzinfo=UTC)) == 2
        # New rows continue after the copied ids, as they would have in the old file.
        old_next = await old.start_turn("discord:1")
        new_next = await new.start_turn("discord:1")
        assert new_next.id == old_next.id == 3
        assert (await new.add_upload("discord:1", filename="c.png")).id == 3


async def test_a_copy_into_a_database_that_has_rows_is_refused(
    tmp_path: Path, database_url: str
) -> None:
    source = tmp_path / "old" / "nemobot.sqlite3"
    await populate(source)
    async with await Store.open(database_url) as target:
        await target.save_conversation("terminal:default", session_id="other")

    code, out, err = await nemobot("db", "copy", "--from", str(source), "--to", database_url)

    assert code == 1 and out == ""
    assert "is not empty (its conversations table has rows)" in err
    async with await Store.open(database_url) as target:
        assert await target.get_conversation("discord:1") is None, "nothing was merged"


async def test_the_copy_knows_every_table_of_the_schema(tmp_path: Path) -> None:
    path = tmp_path / "nemobot.sqlite3"
    async with await Store.open(path) as store:
        rows = await store._all(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name != 'sqlite_sequence'"
        )
    assert sorted(row["name"] for row in rows) == sorted(table for table, _ in TABLES)
