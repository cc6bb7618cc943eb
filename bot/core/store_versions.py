"""The store's versions: every delivered export of a conversation, for `/versions`.

A version is written when a render's video is in the chat (`record_version`), once per
render: a delivery made again after a kill (the same post, by its nonce) finds the row
there and only refreshes its message. Each conversation numbers its versions from 1, in
the order they were delivered. Post again counts each new post (`count_posts`), so each
one has a nonce of its own, and moves the version to the message it was posted in.
"""

from __future__ import annotations

from bot.core.records import PostedAs, Version, version_from_row
from bot.core.store_tables import StoreTables


class VersionTable(StoreTables):
    """The `versions` table."""

    async def record_version(
        self,
        render_id: str,
        conversation: str,
        *,
        message_id: str,
        posted_as: PostedAs,
        requester_id: int | None = None,
        title: str | None = None,
        output_url: str | None = None,
        size_bytes: int | None = None,
        duration_ms: int | None = None,
    ) -> Version:
        """Keep the delivered render as the conversation's next version (its number is one
        more than the last); a render already kept (posted again, or its delivery made
        again after a kill) keeps its number and moves to `message_id`."""
        stamp = self._stamp()
        await self._write(
            "INSERT INTO versions (conversation_key, number, render_id, requester_id, title, "
            "output_url, size_bytes, duration_ms, posted_as, message_id, delivered_at, "
            "posted_at) VALUES (?, (SELECT COALESCE(MAX(number), 0) + 1 FROM versions "
            "WHERE conversation_key = ?), ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (render_id) DO UPDATE SET message_id = excluded.message_id, "
            "posted_at = excluded.posted_at",
            (
                conversation,
                conversation,
                render_id,
                requester_id,
                title,
                output_url,
                size_bytes,
                duration_ms,
                posted_as.value,
                message_id,
                stamp,
                stamp,
            ),
        )
        version = await self.get_version(render_id)
        assert version is not None
        return version

    async def get_version(self, render_id: str) -> Version | None:
        row = await self._one("SELECT * FROM versions WHERE render_id = ?", (render_id,))
        return None if row is None else version_from_row(row)

    async def next_version_number(self, conversation: str, render_id: str) -> int:
        """The number `record_version` gives this render: its own if it is kept already,
        else one more than the conversation's last."""
        kept = await self.get_version(render_id)
        if kept is not None:
            return kept.number
        row = await self._one(
            "SELECT COALESCE(MAX(number), 0) + 1 AS next FROM versions WHERE conversation_key = ?",
            (conversation,),
        )
        assert row is not None
        return int(row["next"])

    async def list_versions(self, conversation: str) -> list[Version]:
        """The conversation's versions, newest first."""
        rows = await self._all(
            "SELECT * FROM versions WHERE conversation_key = ? ORDER BY number DESC",
            (conversation,),
        )
        return [version_from_row(row) for row in rows]

    async def count_posts(self, render_id: str) -> int | None:
        """Count one more post of the version (Post again); the new count, which names the
        post (its nonce), or None when there is no such version."""
        row = await self._one(
            "UPDATE versions SET posts = posts + 1 WHERE render_id = ? RETURNING posts",
            (render_id,),
        )
        return None if row is None else int(row["posts"])

    async def forget_version_message(self, render_id: str, message_id: str) -> bool:
        """`message_id` was deleted: if the version's jump link pointed there, it has none
        now (the version itself stays listed; its link may still work)."""
        changed = await self._write(
            "UPDATE versions SET message_id = NULL WHERE render_id = ? AND message_id = ?",
            (render_id, message_id),
        )
        return changed == 1
