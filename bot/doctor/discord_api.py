"""The Discord check, over plain HTTP (the engine side never imports discord.py).

`GET /users/@me` with the bot token says whether the token works and whose it is;
`GET /applications/@me` says which privileged gateway intents are switched on.
"""

from __future__ import annotations

import httpx

from bot import __version__
from bot.doctor.report import Check
from bot.settings import DEFAULT_DISCORD_API_BASE_URL, Settings

#: The doctor should answer in seconds, even when Discord does not.
DISCORD_TIMEOUT = httpx.Timeout(15.0, connect=5.0)

# Application flags (GET /applications/@me `flags`) that say which privileged gateway
# intents are switched on; the _LIMITED ones are the same switch for unverified apps.
GATEWAY_PRESENCE = 1 << 12
GATEWAY_PRESENCE_LIMITED = 1 << 13
GATEWAY_GUILD_MEMBERS = 1 << 14
GATEWAY_GUILD_MEMBERS_LIMITED = 1 << 15
GATEWAY_MESSAGE_CONTENT = 1 << 18
GATEWAY_MESSAGE_CONTENT_LIMITED = 1 << 19

NO_DISCORD_TOKEN_ADVICE = (
    "set DISCORD_TOKEN to run the bot; `nemobot chat --offline` works without it"
)
BAD_DISCORD_TOKEN_ADVICE = (
    "the token is wrong or was reset: copy it again from the Developer Portal "
    "(your application → Bot → Reset Token) into DISCORD_TOKEN"
)
MESSAGE_CONTENT_ADVICE = (
    "turn on developer portal → your application → Bot → Privileged Gateway Intents → "
    "Message Content Intent, then restart nemobot. Until then it still works through slash "
    "commands and when people mention it, but plain messages in session threads reach it empty"
)


class _DiscordRefused(Exception):
    def __init__(self, path: str, status: int, body: object) -> None:
        super().__init__(f"GET {path}: HTTP {status}")
        self.path = path
        self.status = status
        self.body = body if isinstance(body, dict) else {}


async def _get(http: httpx.AsyncClient, path: str) -> dict[str, object]:
    response = await http.get(path)
    try:
        body: object = response.json()
    except ValueError:
        body = None
    if response.status_code != 200 or not isinstance(body, dict):
        raise _DiscordRefused(path, response.status_code, body)
    return body


async def check_discord(settings: Settings) -> list[Check]:
    """Log in over HTTP as the bot, then read which privileged intents are switched on."""
    if settings.discord_token is None:
        return [Check("Discord", "skip", "DISCORD_TOKEN is not set", NO_DISCORD_TOKEN_ADVICE)]
    base = settings.discord_api_base_url
    headers = {
        "Authorization": f"Bot {settings.discord_token.get_secret_value()}",
        "User-Agent": f"DiscordBot (nemobot doctor, {__version__})",
    }
    async with httpx.AsyncClient(base_url=base, timeout=DISCORD_TIMEOUT, headers=headers) as http:
        try:
            user = await _get(http, "/users/@me")
            application = await _get(http, "/applications/@me")
        except _DiscordRefused as exc:
            return [_discord_refusal(base, exc)]
        except httpx.HTTPError as exc:
            return [
                Check(
                    "Discord",
                    "fail",
                    f"cannot reach {base}: {exc or type(exc).__name__}",
                    f"check this machine's network, or DISCORD_API_BASE_URL (Discord's own "
                    f"is {DEFAULT_DISCORD_API_BASE_URL})",
                )
            ]
    return [login_check(settings, user, application), intents_check(application)]


def _discord_refusal(base: str, exc: _DiscordRefused) -> Check:
    if exc.status == 401:
        return Check(
            "Discord", "fail", "Discord refused DISCORD_TOKEN (401)", BAD_DISCORD_TOKEN_ADVICE
        )
    if exc.status == 429:
        wait = exc.body.get("retry_after")
        return Check(
            "Discord",
            "fail",
            f"Discord is rate limiting this bot (retry after {wait} s)",
            "wait and run it again; many failed logins in a row get a bot blocked for a while",
        )
    message = exc.body.get("message")
    said = f": {message}" if isinstance(message, str) and message else ""
    return Check(
        "Discord",
        "fail",
        f"{base} answered HTTP {exc.status} to GET {exc.path}{said}",
        f"check DISCORD_API_BASE_URL (Discord's own is {DEFAULT_DISCORD_API_BASE_URL})",
    )


def login_check(
    settings: Settings, user: dict[str, object], application: dict[str, object]
) -> Check:
    name = str(user.get("username", "?"))
    discriminator = user.get("discriminator")
    if isinstance(discriminator, str) and discriminator not in ("", "0"):
        name += f"#{discriminator}"
    application_id = str(application.get("id", "?"))
    detail = f"logged in as {name} (id {user.get('id', '?')}); application {application_id}"
    servers = application.get("approximate_guild_count")
    if isinstance(servers, int):
        detail += f", in {servers} server{'s' if servers != 1 else ''}"
    configured = settings.discord_application_id
    if configured is not None and str(configured) != application_id:
        return Check(
            "Discord",
            "fail",
            f"{detail}; but DISCORD_APPLICATION_ID is {configured}",
            "set DISCORD_APPLICATION_ID to this token's application (or remove it): "
            "`nemobot invite` would make a link for the wrong application",
        )
    advice = "add it to a server with the link from `nemobot invite`" if servers == 0 else ""
    return Check("Discord", "ok", detail, advice)


def intents_check(application: dict[str, object]) -> Check:
    raw = application.get("flags")
    flags = raw if isinstance(raw, int) else 0

    def on(*bits: int) -> bool:
        return any(flags & bit for bit in bits)

    members = "on" if on(GATEWAY_GUILD_MEMBERS, GATEWAY_GUILD_MEMBERS_LIMITED) else "off"
    presence = "on" if on(GATEWAY_PRESENCE, GATEWAY_PRESENCE_LIMITED) else "off"
    others = f"Server Members {members}, Presence {presence} (nemobot needs neither)"
    if on(GATEWAY_MESSAGE_CONTENT, GATEWAY_MESSAGE_CONTENT_LIMITED):
        return Check("intents", "ok", f"Message Content on; {others}")
    return Check("intents", "warn", f"Message Content is off; {others}", MESSAGE_CONTENT_ADVICE)
