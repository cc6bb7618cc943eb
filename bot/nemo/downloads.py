"""What the bot may fetch or show from a URL it was handed, and how it fetches it.

A URL named by NemoVideo (a render's output link) or by a chat message passes `UrlPolicy`
before it is fetched, followed or shown:

- it is on the configured API host: NEMO_API_URL's origin, or a name for the same
  addresses on the same port (plain `http` is fine there, for the emulator), or
- it is `https` and every address its host resolves to is public. Loopback, private,
  link-local, shared, reserved, multicast and unspecified addresses are refused (the
  IPv4 inside an IPv4-mapped, 6to4, Teredo or NAT64 IPv6 address is checked too).

Only the API's own origin (scheme, host and port) gets the API's headers (the token).

`Downloader.stream` follows redirects by hand so every hop passes the policy, connects to
the very address that was checked (no second DNS answer can differ), and sends the API's
headers (the token) only to hops on the API's origin. `Downloader.save` streams the body
to disk and stops at a byte cap; httpx's read timeout abandons a stream that stalls.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import httpx

from bot.nemo.errors import NemoError, UnexpectedResponse
from bot.nemo.multipart import CHUNK_BYTES

log = logging.getLogger(__name__)

#: A little above the largest file the bot posts (Discord: 100 MiB on the most boosted
#: servers) or uploads (NemoVideo: 200 MB).
DEFAULT_MAX_DOWNLOAD_BYTES = 210 * 1024 * 1024
DEFAULT_READ_TIMEOUT_SECONDS = 20.0
CONNECT_TIMEOUT_SECONDS = 10.0
MAX_REDIRECTS = 5
#: A refusal (an error status, or JSON where a file was expected) is read up to this much.
MAX_REFUSAL_BYTES = 64 * 1024

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
#: IPv6 addresses that a NAT64 gateway turns into the IPv4 address in their last 32 bits.
NAT64_PREFIX = ipaddress.IPv6Network("64:ff9b::/96")
#: `(host, port)` → the IP addresses the host resolves to.
Resolver = Callable[[str, int], Awaitable[Sequence[str]]]


class UrlRefused(UnexpectedResponse):
    """A URL the policy does not allow: its scheme, an address it resolves to, a redirect."""


class DownloadTooLarge(NemoError):
    """The body is larger than the download's byte cap (declared, or counted on the way)."""

    def __init__(self, message: str, *, limit_bytes: int) -> None:
        super().__init__(message)
        self.limit_bytes = limit_bytes


async def resolve_with_loop(host: str, port: int) -> list[str]:
    """The addresses of `host`, from the event loop's resolver."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


def _embedded_ipv4(address: IPAddress) -> ipaddress.IPv4Address | None:
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in NAT64_PREFIX:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def is_public(address: IPAddress) -> bool:
    """True for an address on the public internet (checked through IPv6 wrappings)."""
    inner = _embedded_ipv4(address)
    if inner is not None and not is_public(inner):
        return False
    return address.is_global and not address.is_multicast


def _port_of(url: httpx.URL) -> int:
    return url.port or (443 if url.scheme == "https" else 80)


def _ip(host: str) -> IPAddress | None:
    try:
        return ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return None


@dataclass(frozen=True, slots=True)
class Hop:
    """A URL the policy allowed: `address` is the IP to connect to (None: connect to the
    configured API as configured); `on_api` says it may carry the API's headers."""

    url: httpx.URL
    address: str | None
    on_api: bool


class UrlPolicy:
    """Decides which URLs may be fetched or shown; see the module docstring."""

    def __init__(self, api_url: str, *, resolve: Resolver = resolve_with_loop) -> None:
        self._api = httpx.URL(api_url)
        self._resolve = resolve
        self._api_addresses: frozenset[IPAddress] | None = None

    def absolute(self, url: str) -> httpx.URL:
        """`url`, with a path alone taken as one on the API (as the API client sends it)."""
        target = httpx.URL(url)
        if target.is_relative_url and url.startswith("/") and not url.startswith("//"):
            return httpx.URL(str(self._api).rstrip("/") + url)
        return target

    def is_api_origin(self, url: httpx.URL) -> bool:
        api = self._api
        return (url.scheme, url.raw_host, _port_of(url)) == (
            api.scheme,
            api.raw_host,
            _port_of(api),
        )

    async def check(self, url: str) -> Hop:
        """The hop to make for `url`; raises UrlRefused when it may not be fetched."""
        try:
            target = self.absolute(url)
        except (httpx.InvalidURL, UnicodeError) as exc:
            raise UrlRefused("not a URL") from exc
        if self.is_api_origin(target):
            return Hop(target, None, on_api=True)
        if target.scheme not in ("https", "http") or not target.raw_host:
            raise UrlRefused(f"scheme {target.scheme or 'none'!r} is not allowed")
        port = _port_of(target)
        host = target.raw_host.decode("ascii")
        addresses = await self._addresses(host, port)
        api_addresses = await self._api_host_addresses()
        if port == _port_of(self._api) and all(a in api_addresses for a in addresses):
            return Hop(target, str(addresses[0]), on_api=False)  # the API host by another name
        if target.scheme != "https":
            raise UrlRefused("plain http is allowed only to the API host")
        for address in addresses:
            if not is_public(address):
                raise UrlRefused(f"{host} resolves to a non-public address ({address})")
        return Hop(target, str(addresses[0]), on_api=False)

    async def shown(self, url: str | None) -> str | None:
        """`url` if it may be shown to users as a link (absolute and allowed), else None."""
        try:
            if not url or not httpx.URL(url).is_absolute_url:
                return None
            await self.check(url)
        except (httpx.InvalidURL, UnicodeError):
            return None
        except UrlRefused as exc:
            log.warning("not showing a link that the URL policy refuses: %s", exc.message)
            return None
        return url

    async def _addresses(self, host: str, port: int) -> list[IPAddress]:
        literal = _ip(host)
        if literal is not None:
            return [literal]
        try:
            found = await self._resolve(host, port)
        except (OSError, UnicodeError) as exc:  # no such name; a label idna cannot encode
            raise UrlRefused(f"{host} does not resolve ({exc})") from exc
        addresses = [a for a in (_ip(text) for text in found) if a is not None]
        if not addresses:
            raise UrlRefused(f"{host} does not resolve")
        return addresses

    async def _api_host_addresses(self) -> frozenset[IPAddress]:
        if self._api_addresses is None:
            try:
                host = self._api.raw_host.decode("ascii")
                found = await self._addresses(host, _port_of(self._api))
            except UrlRefused:
                found = []
            self._api_addresses = frozenset(found)
        return self._api_addresses


@dataclass(frozen=True, slots=True)
class DownloadLimits:
    """The byte cap of every download and how long a read may wait for data."""

    max_bytes: int = DEFAULT_MAX_DOWNLOAD_BYTES
    read_timeout_seconds: float = DEFAULT_READ_TIMEOUT_SECONDS


def _is_file(response: httpx.Response) -> bool:
    return response.is_success and "json" not in response.headers.get("content-type", "")


async def _refusal(response: httpx.Response) -> httpx.Response:
    """`response` with its body read, at most MAX_REFUSAL_BYTES of it."""
    body = b""
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > MAX_REFUSAL_BYTES:
            raise UnexpectedResponse(
                f"a refusal longer than {MAX_REFUSAL_BYTES} bytes", status=response.status_code
            )
    headers = [
        (name, value)
        for name, value in response.headers.multi_items()
        if name.lower() not in ("content-encoding", "content-length", "transfer-encoding")
    ]
    return httpx.Response(
        response.status_code, headers=headers, content=body, request=response.request
    )


class Downloader:
    """Fetches URLs that passed `UrlPolicy`, hop by hop, and saves bodies within a cap."""

    def __init__(
        self, http: httpx.AsyncClient, policy: UrlPolicy, limits: DownloadLimits | None = None
    ) -> None:
        self._http = http
        self.policy = policy
        self.limits = limits or DownloadLimits()
        self._timeout = httpx.Timeout(
            connect=CONNECT_TIMEOUT_SECONDS,
            read=self.limits.read_timeout_seconds,
            write=30.0,
            pool=10.0,
        )

    @contextlib.asynccontextmanager
    async def stream(
        self,
        url: str,
        *,
        api_headers: Mapping[str, str] | None = None,
        api_auth: httpx.Auth | None = None,
    ) -> AsyncIterator[httpx.Response]:
        """GET `url`; the first response that is not a redirect, body not yet read.

        `api_headers` and `api_auth` go only with hops on the API's origin. A refusal
        (error status or JSON) comes already read, and only up to MAX_REFUSAL_BYTES: a
        longer one raises UnexpectedResponse. Raises UrlRefused for a URL or redirect the
        policy refuses, or after MAX_REDIRECTS; httpx errors pass through.
        """
        hop = await self.policy.check(url)
        for _ in range(MAX_REDIRECTS + 1):
            response = await self._http.send(
                self._request(hop, api_headers or {}),
                stream=True,
                follow_redirects=False,
                auth=api_auth if hop.on_api else None,  # None: not even the client's own
            )
            try:
                location = response.headers.get("location") if response.is_redirect else None
                if location is None:
                    yield response if _is_file(response) else await _refusal(response)
                    return
            finally:
                await response.aclose()
            hop = await self.policy.check(str(hop.url.join(location)))
        raise UrlRefused(f"more than {MAX_REDIRECTS} redirects")

    def _request(self, hop: Hop, api_headers: Mapping[str, str]) -> httpx.Request:
        headers = dict(api_headers) if hop.on_api else {}
        url, extensions = hop.url, {}
        if hop.address is not None:
            url = hop.url.copy_with(host=hop.address)
            headers["Host"] = hop.url.netloc.decode("ascii")
            if hop.url.scheme == "https":
                extensions["sni_hostname"] = hop.url.raw_host.decode("ascii")  # and the cert
        return self._http.build_request(
            "GET", url, headers=headers, timeout=self._timeout, extensions=extensions
        )

    async def save(
        self, response: httpx.Response, destination: Path, *, max_bytes: int | None = None
    ) -> int:
        """Write the body to `<destination>.part`, then move it into place; the size.

        Stops with DownloadTooLarge as soon as the body is known to exceed the cap (the
        smaller of `max_bytes` and the configured one), keeping nothing on disk.
        """
        cap = self.limits.max_bytes if max_bytes is None else min(max_bytes, self.limits.max_bytes)
        declared = response.headers.get("content-length", "")
        encoded = response.headers.get("content-encoding", "identity") != "identity"
        if declared.isdigit() and int(declared) > cap and not encoded:
            raise DownloadTooLarge(f"the body declares {declared} bytes", limit_bytes=cap)
        await asyncio.to_thread(destination.parent.mkdir, parents=True, exist_ok=True)
        partial = destination.with_name(destination.name + ".part")
        handle = await asyncio.to_thread(partial.open, "wb")
        written = 0
        try:
            async for chunk in response.aiter_bytes(CHUNK_BYTES):  # counted once decoded
                written += len(chunk)
                if written > cap:
                    raise DownloadTooLarge(f"the body passed {cap} bytes", limit_bytes=cap)
                await asyncio.to_thread(handle.write, chunk)
        except BaseException:
            await asyncio.to_thread(handle.close)
            with contextlib.suppress(OSError):
                await asyncio.to_thread(partial.unlink)
            raise
        await asyncio.to_thread(handle.close)
        await asyncio.to_thread(partial.replace, destination)
        return written
