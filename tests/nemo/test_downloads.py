"""What the bot fetches from URLs it was handed (SSRF), and how much of it.

The configured API is a small aiohttp server on 127.0.0.1 (it redirects, serves a video,
sends one without a size, stalls); an "internal service" listens on another loopback port
and must never be reached. Names are resolved by a table (`NAMES`) given to the policy, as
tests never use real DNS; `localhost` and numeric hosts go through the real resolver.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from aiohttp import web

from bot.nemo.downloads import (
    MAX_REDIRECTS,
    Downloader,
    DownloadLimits,
    DownloadTooLarge,
    UrlPolicy,
    UrlRefused,
)
from bot.nemo.errors import UnexpectedResponse

VIDEO = b"\x00\x00\x00\x18ftypmp42" + bytes(20_000)
PUBLIC_IP = "93.184.216.34"
#: What the fake resolver answers; a name missing here does not resolve.
NAMES: dict[str, list[str]] = {
    "cdn.public.test": [PUBLIC_IP],
    "v6.public.test": ["2606:2800:220:1:248:1893:25c8:1946"],
    "intranet.test": ["10.1.2.3"],
    "metadata.test": ["169.254.169.254"],
    "loopback.test": ["127.0.0.1"],
    "v6-loopback.test": ["::1"],
    "mapped.test": ["::ffff:127.0.0.1"],
    "half-public.test": [PUBLIC_IP, "192.168.0.10"],
}


async def table_resolver(host: str, port: int) -> list[str]:
    if host not in NAMES:
        raise OSError(f"{host} does not resolve")
    return NAMES[host]


@dataclass
class Servers:
    api: str
    internal: str
    internal_hits: list[str] = field(default_factory=list)
    api_hits: list[tuple[str, str | None]] = field(default_factory=list)


async def _serve(app: web.Application) -> AsyncIterator[str]:
    runner = web.AppRunner(app, shutdown_timeout=1)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    host, port = runner.addresses[0][:2]
    try:
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
async def servers() -> AsyncIterator[Servers]:
    internal_hits: list[str] = []
    api_hits: list[tuple[str, str | None]] = []

    async def secret(request: web.Request) -> web.Response:
        internal_hits.append(request.path)
        return web.Response(body=b"internal admin page", content_type="video/mp4")

    async def video(request: web.Request) -> web.Response:
        api_hits.append((request.path, request.headers.get("Authorization")))
        return web.Response(body=VIDEO, content_type="video/mp4")

    async def redirect(request: web.Request) -> web.Response:
        api_hits.append((request.path, request.headers.get("Authorization")))
        raise web.HTTPFound(request.query["to"])

    async def loop(request: web.Request) -> web.Response:
        raise web.HTTPFound("/loop")

    async def unsized(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "video/mp4"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        for _ in range(40):
            await response.write(bytes(16 * 1024))
        await response.write_eof()
        return response

    async def stalled(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "video/mp4"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(bytes(1024))
        for _ in range(3000):  # until the client hangs up (at most a minute)
            if request.transport is None or request.transport.is_closing():
                break
            await asyncio.sleep(0.02)
        return response

    async def endless_refusal(request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(status=500, headers={"Content-Type": "application/json"})
        response.enable_chunked_encoding()
        await response.prepare(request)
        await response.write(b'{"code": 500, "message": "')
        for _ in range(64):
            await response.write(b"x" * 16 * 1024)
        await response.write_eof()
        return response

    async def short_refusal(request: web.Request) -> web.Response:
        return web.json_response({"code": 1001, "message": "token expired"}, status=401)

    internal_app = web.Application()
    internal_app.router.add_get("/{tail:.*}", secret)
    api_app = web.Application()
    api_app.add_routes(
        [
            web.get("/video.mp4", video),
            web.get("/redirect", redirect),
            web.get("/loop", loop),
            web.get("/unsized.mp4", unsized),
            web.get("/stalled.mp4", stalled),
            web.get("/endless-refusal", endless_refusal),
            web.get("/short-refusal", short_refusal),
        ]
    )
    async for internal in _serve(internal_app):
        async for api in _serve(api_app):
            yield Servers(api, internal, internal_hits, api_hits)


@pytest.fixture
async def http(servers: Servers) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=servers.api, verify=False) as client:
        yield client


def downloader(http: httpx.AsyncClient, api: str, **limits: float) -> Downloader:
    policy = UrlPolicy(api, resolve=table_resolver)
    return Downloader(http, policy, DownloadLimits(**limits))  # type: ignore[arg-type]


# -- the policy, as a table ------------------------------------------------------------------

REFUSED = [
    # schemes
    pytest.param("file:///etc/passwd", id="file"),
    pytest.param("javascript:alert(document.cookie)", id="javascript"),
    pytest.param("ftp://cdn.public.test/video.mp4", id="ftp"),
    pytest.param("data:video/mp4;base64,AAAA", id="data"),
    pytest.param("gopher://cdn.public.test:70/_stats", id="gopher"),
    pytest.param("//cdn.public.test/video.mp4", id="scheme-relative"),
    pytest.param("video.mp4", id="no-scheme"),
    pytest.param("http://cdn.public.test/video.mp4", id="plain-http-off-the-api"),
    # loopback, private, link-local, … as literals
    pytest.param("https://127.0.0.1/", id="loopback"),
    pytest.param("https://127.8.9.10/", id="loopback-range"),
    pytest.param("https://10.0.0.5/", id="private-10"),
    pytest.param("https://172.16.4.2/", id="private-172"),
    pytest.param("https://192.168.1.1/", id="private-192"),
    pytest.param("https://169.254.169.254/latest/meta-data/", id="link-local-metadata"),
    pytest.param("https://100.64.0.1/", id="shared-cgnat"),
    pytest.param("https://0.0.0.0/", id="unspecified"),
    pytest.param("https://224.0.0.1/", id="multicast"),
    pytest.param("https://[::1]/", id="ipv6-loopback"),
    pytest.param("https://[fe80::1]/", id="ipv6-link-local"),
    pytest.param("https://[fc00::7]/", id="ipv6-unique-local"),
    pytest.param("https://[::ffff:127.0.0.1]/", id="ipv4-mapped-loopback"),
    pytest.param("https://[::ffff:169.254.169.254]/", id="ipv4-mapped-metadata"),
    pytest.param("https://[2002:7f00:1::]/", id="6to4-loopback"),
    pytest.param("https://[64:ff9b::a9fe:a9fe]/", id="nat64-metadata"),
    pytest.param("https://[2001:0:4136:e378:8000:63bf:80ff:fffe]/", id="teredo-loopback"),
    # names that resolve to such addresses
    pytest.param("https://intranet.test/video.mp4", id="name-to-private"),
    pytest.param("https://metadata.test/", id="name-to-link-local"),
    pytest.param("https://loopback.test/", id="name-to-loopback"),
    pytest.param("https://v6-loopback.test/", id="name-to-ipv6-loopback"),
    pytest.param("https://mapped.test/", id="name-to-ipv4-mapped"),
    pytest.param("https://half-public.test/", id="name-with-one-private-address"),
    pytest.param("https://nowhere.test/", id="name-that-does-not-resolve"),
    pytest.param("https://xn--/x", id="malformed-idna-label"),
]


@pytest.mark.parametrize("url", REFUSED)
async def test_the_policy_refuses(url: str, servers: Servers) -> None:
    with pytest.raises(UrlRefused):
        await UrlPolicy(servers.api, resolve=table_resolver).check(url)


async def test_another_port_on_the_api_address_is_refused(servers: Servers) -> None:
    policy = UrlPolicy(servers.api, resolve=table_resolver)
    for scheme in ("http", "https"):
        with pytest.raises(UrlRefused):
            await policy.check(f"{scheme}://{httpx.URL(servers.internal).netloc.decode()}/x")


@pytest.mark.parametrize(
    "url",
    [
        "https://localhost/",
        "https://2130706433/",
        "https://localhost:8443/x.mp4",
        "https://" + "a" * 70 + ".invalid/",  # a label too long to encode
    ],
)
async def test_the_real_resolver_sees_loopback_behind_names(url: str) -> None:
    with pytest.raises(UrlRefused):
        await UrlPolicy(f"https://{PUBLIC_IP}").check(url)  # no name to look up for the API


@pytest.mark.parametrize(
    ("url", "address", "on_api"),
    [
        pytest.param("https://cdn.public.test/v.mp4", PUBLIC_IP, False, id="public-https"),
        pytest.param(
            "https://v6.public.test/v.mp4", "2606:2800:220:1:248:1893:25c8:1946", False, id="ipv6"
        ),
        pytest.param("https://93.184.216.34/v.mp4", PUBLIC_IP, False, id="public-literal"),
    ],
)
async def test_the_policy_allows_public_https(url: str, address: str, on_api: bool) -> None:
    hop = await UrlPolicy("https://api.public.test", resolve=table_resolver).check(url)

    assert (str(hop.url), hop.address, hop.on_api) == (url, address, on_api)


async def test_the_api_itself_is_allowed_even_on_loopback_and_plain_http(
    servers: Servers,
) -> None:
    policy = UrlPolicy(servers.api, resolve=table_resolver)
    port = httpx.URL(servers.api).port

    own = await policy.check(f"{servers.api}/files/x.mp4")
    path = await policy.check("/api/render/proxy/r/download")
    alias = await policy.check(f"http://loopback.test:{port}/files/x.mp4")

    assert own.on_api and own.address is None
    assert path.on_api and str(path.url) == f"{servers.api}/api/render/proxy/r/download"
    assert (alias.on_api, alias.address) == (False, "127.0.0.1"), "same host, no token"


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", "file:///etc/passwd", "https://10.0.0.1/v.mp4", "", None]
)
async def test_a_refused_link_is_never_shown(url: str | None) -> None:
    assert await UrlPolicy("https://api.public.test", resolve=table_resolver).shown(url) is None


async def test_an_allowed_link_is_shown_as_it_is() -> None:
    policy = UrlPolicy("https://api.public.test", resolve=table_resolver)

    assert await policy.shown("https://cdn.public.test/v.mp4?sig=1") == (
        "https://cdn.public.test/v.mp4?sig=1"
    )


# -- redirects: every hop is checked ---------------------------------------------------------


def redirect_to(servers: Servers, target: str) -> str:
    return str(httpx.URL(f"{servers.api}/redirect", params={"to": target}))


@pytest.mark.parametrize(
    "target",
    [
        pytest.param("internal", id="to-another-loopback-port"),
        pytest.param("https://intranet.test/", id="to-a-name-for-a-private-address"),
        pytest.param("https://169.254.169.254/latest/meta-data/", id="to-link-local"),
        pytest.param("file:///etc/passwd", id="to-a-file"),
    ],
)
async def test_a_redirect_to_a_refused_url_is_not_followed(
    servers: Servers, http: httpx.AsyncClient, tmp_path: Path, target: str
) -> None:
    target = f"{servers.internal}/admin" if target == "internal" else target
    fetch = downloader(http, servers.api)

    with pytest.raises(UrlRefused):
        async with fetch.stream(redirect_to(servers, target)) as response:
            await fetch.save(response, tmp_path / "v.mp4")

    assert servers.internal_hits == []
    assert list(tmp_path.iterdir()) == []


async def test_a_redirect_on_the_api_is_followed_with_its_headers(
    servers: Servers, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    fetch = downloader(http, servers.api)
    token = {"Authorization": "Bearer secret"}

    async with fetch.stream(redirect_to(servers, "/video.mp4"), api_headers=token) as response:
        size = await fetch.save(response, tmp_path / "v.mp4")

    assert size == len(VIDEO) and (tmp_path / "v.mp4").read_bytes() == VIDEO
    assert servers.api_hits == [("/redirect", "Bearer secret"), ("/video.mp4", "Bearer secret")]


async def test_a_redirect_to_the_api_host_by_another_name_drops_the_token(
    servers: Servers, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    fetch = downloader(http, servers.api)
    port = httpx.URL(servers.api).port
    alias = f"http://loopback.test:{port}/video.mp4"

    async with fetch.stream(
        redirect_to(servers, alias), api_headers={"Authorization": "Bearer secret"}
    ) as response:
        await fetch.save(response, tmp_path / "v.mp4")

    assert servers.api_hits == [("/redirect", "Bearer secret"), ("/video.mp4", None)]


async def test_endless_redirects_end(servers: Servers, http: httpx.AsyncClient) -> None:
    fetch = downloader(http, servers.api)

    with pytest.raises(UrlRefused, match=f"more than {MAX_REDIRECTS} redirects"):
        async with fetch.stream(f"{servers.api}/loop"):
            pass


# -- the byte cap and the read timeout -------------------------------------------------------


async def test_a_body_without_a_size_stops_at_the_cap(
    servers: Servers, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    fetch = downloader(http, servers.api, max_bytes=100_000)

    with pytest.raises(DownloadTooLarge) as caught:
        async with fetch.stream(f"{servers.api}/unsized.mp4") as response:
            await fetch.save(response, tmp_path / "v.mp4")

    assert caught.value.limit_bytes == 100_000
    assert list(tmp_path.iterdir()) == [], "nothing is left on disk"


async def test_a_declared_size_over_the_cap_is_refused_before_reading(
    servers: Servers, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    fetch = downloader(http, servers.api)

    with pytest.raises(DownloadTooLarge, match="declares"):
        async with fetch.stream(f"{servers.api}/video.mp4") as response:
            await fetch.save(response, tmp_path / "v.mp4", max_bytes=1000)
    assert list(tmp_path.iterdir()) == []


async def test_a_stalled_body_is_abandoned_after_the_read_timeout(
    servers: Servers, http: httpx.AsyncClient, tmp_path: Path
) -> None:
    fetch = downloader(http, servers.api, read_timeout_seconds=0.2)

    with pytest.raises(httpx.ReadTimeout):
        async with fetch.stream(f"{servers.api}/stalled.mp4") as response:
            await fetch.save(response, tmp_path / "v.mp4")
    assert list(tmp_path.iterdir()) == []


async def test_a_refusal_comes_read_and_an_endless_one_is_cut_off(
    servers: Servers, http: httpx.AsyncClient
) -> None:
    fetch = downloader(http, servers.api)

    async with fetch.stream(f"{servers.api}/short-refusal") as response:
        assert (response.status_code, response.json()["code"]) == (401, 1001)
    with pytest.raises(UnexpectedResponse, match="refusal longer than"):
        async with fetch.stream(f"{servers.api}/endless-refusal"):
            pass
