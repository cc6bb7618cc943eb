"""`nemobot invite`: the link that adds the bot to a Discord server.

The link names the application (`DISCORD_APPLICATION_ID`, or the bot id read from
`DISCORD_TOKEN`: a bot's user id is its application id), the two scopes nemobot needs
(`bot` for the gateway and messages, `applications.commands` for the slash commands) and
exactly the permissions in `bot.discord_permissions`. No network call is made.
"""

from __future__ import annotations

import base64
import binascii
from typing import TextIO

from bot.discord_permissions import BOT_PERMISSIONS, permissions_integer
from bot.settings import Settings

AUTHORIZE_URL = "https://discord.com/oauth2/authorize"
SCOPES = ("bot", "applications.commands")
#: Discord ids (snowflakes) are 17 to 20 digits today.
_SNOWFLAKE_DIGITS = range(15, 22)

NO_APPLICATION_ID = (
    "nemobot invite needs the bot's Application ID: set DISCORD_APPLICATION_ID (developer "
    "portal → your application → General Information → Application ID) or DISCORD_TOKEN "
    "in .env, then run it again."
)


def application_id_from_token(token: str) -> int | None:
    """The bot's id from its token's first part (base64 of the id), or None if it is not one.

    For a bot, the user id and the application id are the same number.
    """
    first = token.strip().split(".", 1)[0]
    if not first:
        return None
    try:
        decoded = base64.b64decode(first + "=" * (-len(first) % 4), altchars=b"-_", validate=True)
    except (binascii.Error, ValueError):
        return None
    text = decoded.decode("ascii", errors="replace")
    if not text.isdigit() or len(text) not in _SNOWFLAKE_DIGITS:
        return None
    return int(text)


def application_id_of(settings: Settings) -> int | None:
    """`DISCORD_APPLICATION_ID` when set, else the id inside `DISCORD_TOKEN`, else None."""
    if settings.discord_application_id is not None:
        return settings.discord_application_id
    if settings.discord_token is not None:
        return application_id_from_token(settings.discord_token.get_secret_value())
    return None


def invite_url(application_id: int, permissions: int | None = None) -> str:
    """The OAuth2 link that adds application `application_id` with nemobot's permissions."""
    value = permissions_integer() if permissions is None else permissions
    scope = "+".join(SCOPES)
    return f"{AUTHORIZE_URL}?client_id={application_id}&scope={scope}&permissions={value}"


MALFORMED_TOKEN = (
    "nemobot invite could not read the bot's id from DISCORD_TOKEN: it does not look like a "
    "bot token (its first part should be the bot's id, in base64). Copy the token again "
    "from the developer portal (your application → Bot → Reset Token), or set "
    "DISCORD_APPLICATION_ID (General Information → Application ID), then run it again."
)


def print_invite(settings: Settings, out: TextIO, err: TextIO) -> int:
    """Print the link on `out` (alone, for scripts) and what it asks for on `err`."""
    application_id = application_id_of(settings)
    if application_id is None:
        print(NO_APPLICATION_ID if settings.discord_token is None else MALFORMED_TOKEN, file=err)
        return 2
    print(invite_url(application_id), file=out)
    asked = ", ".join(permission.label for permission in BOT_PERMISSIONS)
    print(
        f"Open it, pick a server, and keep every box ticked. It asks for: {asked}; plus "
        "slash commands. Then use /video in a text channel.",
        file=err,
    )
    return 0
