"""The store's credentials: one client id and anonymous token per API base URL.

NemoVideo issues one anonymous token per client id per 7 days, so both outlive a restart;
and a token only works on the server that issued it, so each server (the real one, an
emulator on some port) has its own row, keyed by `normalise_api_url`.
"""

from __future__ import annotations

from bot.core.records import time_from_text, time_to_text
from bot.core.store_tables import StoreTables
from bot.nemo.auth import normalise_api_url
from bot.nemo.models import AnonymousToken

#: Where migration 3 put the row of a database that kept a single server's credentials.
_UNKNOWN_SERVER = ""


class CredentialTable(StoreTables):
    """Implements `bot.nemo.auth.CredentialStore` on the `credentials` table."""

    async def get_client_id(self, api_url: str) -> str | None:
        row = await self._one(
            "SELECT client_id FROM credentials WHERE api_url = ?", (await self._key(api_url),)
        )
        return None if row is None else row["client_id"]

    async def save_client_id(self, api_url: str, client_id: str) -> None:
        await self._write(
            "INSERT INTO credentials (api_url, client_id, updated_at) VALUES (?, ?, ?) "
            "ON CONFLICT (api_url) DO UPDATE SET client_id = excluded.client_id, "
            "updated_at = excluded.updated_at",
            (await self._key(api_url), client_id, self._stamp()),
        )

    async def get_anonymous_token(self, api_url: str) -> AnonymousToken | None:
        row = await self._one(
            "SELECT token, user_id, expires_at, credits FROM credentials WHERE api_url = ?",
            (await self._key(api_url),),
        )
        if row is None or row["token"] is None:
            return None
        return AnonymousToken(
            token=row["token"],
            user_id=row["user_id"],
            expires_at=time_from_text(row["expires_at"]),
            credits=row["credits"],
        )

    async def save_anonymous_token(self, api_url: str, token: AnonymousToken) -> None:
        expires = time_to_text(token.expires_at) if token.expires_at is not None else None
        await self._write(
            "INSERT INTO credentials (api_url, token, user_id, expires_at, credits, updated_at) "
            "VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (api_url) DO UPDATE SET token = excluded.token, "
            "user_id = excluded.user_id, expires_at = excluded.expires_at, "
            "credits = excluded.credits, updated_at = excluded.updated_at",
            (await self._key(api_url), token.token, token.user_id, expires, token.credits,
             self._stamp()),
        )

    async def _key(self, api_url: str) -> str:
        """`api_url` normalised; the first server to ask takes over a pre-3 database's row.

        That row came from whatever NEMO_API_URL was then, almost always the one the bot
        still runs with; dropping it instead could cost the real server's token (a week).
        """
        key = normalise_api_url(api_url)
        if await self._one("SELECT 1 FROM credentials WHERE api_url = ?", (_UNKNOWN_SERVER,)):
            await self._write(
                "UPDATE credentials SET api_url = ? WHERE api_url = ? "
                "AND NOT EXISTS (SELECT 1 FROM credentials WHERE api_url = ?)",
                (key, _UNKNOWN_SERVER, key),
            )
        return key
