"""The NemoVideo check: the API answers, and the token `nemobot run` would use works."""

from __future__ import annotations

import httpx

from bot import __version__
from bot.core.store import Store
from bot.core.wording import registration_url
from bot.doctor.report import Check
from bot.nemo.auth import CredentialStore, MemoryCredentialStore, TokenSource
from bot.nemo.client import NemoClient
from bot.nemo.errors import NemoError, ServiceUnavailable, TokenInvalid, TokenRefused
from bot.runtime import attribution_from
from bot.settings import DEFAULT_NEMO_API_URL, Settings

#: The doctor should answer in seconds, even when NemoVideo does not.
NEMO_TIMEOUT = httpx.Timeout(15.0, connect=5.0)


async def check_nemovideo(settings: Settings, store: Store | None) -> Check:
    """Ask NemoVideo for the credit balance with the token `nemobot run` would use."""
    credentials: CredentialStore
    if store is not None:
        credentials = store
    elif settings.nemo_token is not None:
        credentials = MemoryCredentialStore()
    else:
        return Check(
            "NemoVideo",
            "skip",
            "not checked: without NEMO_TOKEN the free token lives in the database",
            "fix the database first",
        )
    url = settings.nemo_api_url
    async with httpx.AsyncClient(
        base_url=url, timeout=NEMO_TIMEOUT, headers={"User-Agent": f"nemobot/{__version__}"}
    ) as http:
        tokens = TokenSource(static_token=settings.nemo_token, store=credentials, api_url=url)
        client = NemoClient(http, tokens, attribution_from(settings))
        tokens.bind_fetcher(client.fetch_anonymous_token)
        try:
            credits = await client.fetch_credits()
        except NemoError as exc:
            return _nemo_failure(settings, exc)
    claim = None
    if settings.nemo_token is not None:
        who = "NEMO_TOKEN works"
    else:
        saved = await credentials.get_anonymous_token(tokens.api_url)
        until = f", valid until {saved.expires_at:%Y-%m-%d}" if saved and saved.expires_at else ""
        who = f"the free anonymous token works (kept in the database{until})"
        # Only the operator runs doctor: Discord members never see this link.
        claim = registration_url(settings.nemo_web_url, await tokens.user_id())
    detail = f"{url} answers; {who}; {credits.available:,} credits available"
    if credits.frozen:
        detail += f" ({credits.frozen:,} held by work in progress)"
    if claim is not None:
        detail += (
            f"; to own this account and its projects, register through {claim} "
            "(keep the link to yourself: whoever opens it first owns the account)"
        )
    if credits.available <= 0:
        advice = (
            f"no credits left: top up your account at {settings.nemo_web_url}"
            if claim is None
            else f"the free credits are spent: register through {claim} to keep the "
            "bot's projects, then set NEMO_TOKEN to your account's token"
        )
        return Check("NemoVideo", "warn", detail, advice)
    return Check("NemoVideo", "ok", detail)


def _nemo_failure(settings: Settings, exc: NemoError) -> Check:
    url = settings.nemo_api_url
    if isinstance(exc, ServiceUnavailable):
        return Check(
            "NemoVideo",
            "fail",
            f"cannot reach {url}: {_cause(exc)}",
            f"check NEMO_API_URL (the real service is {DEFAULT_NEMO_API_URL}) and this "
            "machine's network, proxy and firewall",
        )
    if isinstance(exc, TokenInvalid):
        if settings.nemo_token is not None:
            return Check(
                "NemoVideo",
                "fail",
                f"{url} rejected NEMO_TOKEN (code {exc.code})",
                f"copy a current API token from your account at {settings.nemo_web_url}, or "
                "leave NEMO_TOKEN empty to use a free anonymous token",
            )
        return Check(
            "NemoVideo",
            "fail",
            f"{url} rejected the free anonymous token, even a new one (code {exc.code})",
            f"set NEMO_TOKEN to a token from your account at {settings.nemo_web_url}",
        )
    if isinstance(exc, TokenRefused):
        return Check(
            "NemoVideo",
            "fail",
            f"{url} will not give out another free anonymous token yet",
            "NemoVideo gives one free token per installation per 7 days: keep the database "
            f"that holds it, or set NEMO_TOKEN to a token from {settings.nemo_web_url}",
        )
    reason = exc.message or type(exc).__name__
    status = f"HTTP {exc.status}, " if exc.status else ""
    code = f"code {exc.code}, " if exc.code is not None else ""
    return Check(
        "NemoVideo",
        "fail",
        f"{url} refused the balance request ({status}{code}{reason})",
        "check NEMO_API_URL; if it is right, NemoVideo may be having trouble: try again later",
    )


def _cause(exc: BaseException) -> str:
    cause = exc.__cause__
    if cause is None:
        return str(exc)
    return str(cause) or type(cause).__name__
