"""The store's credentials row: the client id and the anonymous token (`CredentialStore`).

NemoVideo issues one anonymous token per client id per 7 days, so both outlive a restart.
"""

from __future__ import annotations

from bot.core.records import time_from_text, time_to_text
from bot.core.store_tables import StoreTables
from bot.nemo.models import AnonymousToken


class CredentialTable(StoreTables):
    """Implements `bot.nemo.auth.CredentialStore` on the one-row `credentials` table."""

    async def get_client_id(self) -> str | None:
        row = await self._one("SELECT client_id FROM credentials WHERE id = 1")
        return None if row is None else row["client_id"]

    async def save_client_id(self, client_id: str) -> None:
        await self._write(
            "INSERT INTO credentials (id, client_id, updated_at) VALUES (1, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET client_id = excluded.client_id, "
            "updated_at = excluded.updated_at",
            (client_id, self._stamp()),
        )

    async def get_anonymous_token(self) -> AnonymousToken | None:
        row = await self._one(
            "SELECT token, user_id, expires_at, credits FROM credentials WHERE id = 1"
        )
        if row is None or row["token"] is None:
            return None
        return AnonymousToken(
            token=row["token"],
            user_id=row["user_id"],
            expires_at=time_from_text(row["expires_at"]),
            credits=row["credits"],
        )

    async def save_anonymous_token(self, token: AnonymousToken) -> None:
        expires = time_to_text(token.expires_at) if token.expires_at is not None else None
        await self._write(
            "INSERT INTO credentials (id, token, user_id, expires_at, credits, updated_at) "
            "VALUES (1, ?, ?, ?, ?, ?) "
            "ON CONFLICT (id) DO UPDATE SET token = excluded.token, "
            "user_id = excluded.user_id, expires_at = excluded.expires_at, "
            "credits = excluded.credits, updated_at = excluded.updated_at",
            (token.token, token.user_id, expires, token.credits, self._stamp()),
        )
