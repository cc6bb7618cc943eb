"""The fake's HTTP side: its route table and the pipeline every request goes through.

The pipeline reads the body once (JSON or multipart), records the request, answers forced
429s, checks the bot token (interaction and webhook routes authenticate with their token
instead), spends the bot's global budget (when switched on) and the channel's message-write
budget, runs the handler, turns a `DiscordError`
into Discord's JSON error, and checks bodies against the OpenAPI description. A crash in a
handler answers 501 and lands in `internal_errors`: never 500, which discord.py retries for
about 25 s.
"""

from __future__ import annotations

import contextvars
import logging
import traceback
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from aiohttp import web

from tests.fakediscord import rest_app, rest_interactions, rest_messages
from tests.fakediscord.ratelimit import (
    FORCED_BUCKET,
    Budget,
    rate_limit_headers,
    too_many_requests,
)
from tests.fakediscord.recording import ParsedBody, RecordedFile, RecordedRequest, read_body
from tests.fakediscord.responses import DiscordError, JSONResponse, json_response

if TYPE_CHECKING:
    from tests.fakediscord.server import FakeDiscord

log = logging.getLogger(__name__)

API_PREFIX = "/api/v10"
MAX_REQUEST_BYTES = 600 * 1024 * 1024
Handler = Callable[["FakeDiscord", web.Request, ParsedBody], Awaitable[web.Response]]
RouteHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]

ROUTES: list[tuple[str, str, Handler]] = [
    ("GET", "/users/@me", rest_app.get_current_user),
    ("GET", "/oauth2/applications/@me", rest_app.get_application),
    ("GET", "/applications/@me", rest_app.get_application),
    ("GET", "/gateway", rest_app.get_gateway),
    ("GET", "/gateway/bot", rest_app.get_gateway_bot),
    ("GET", "/applications/{application_id}/commands", rest_app.list_commands),
    ("PUT", "/applications/{application_id}/commands", rest_app.overwrite_commands),
    ("POST", "/applications/{application_id}/commands", rest_app.upsert_command),
    ("GET", "/applications/{application_id}/guilds/{guild_id}/commands", rest_app.list_commands),
    ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands",
     rest_app.overwrite_commands),
    ("POST", "/applications/{application_id}/guilds/{guild_id}/commands",
     rest_app.upsert_command),
    ("GET", "/channels/{channel_id}", rest_messages.get_channel),
    ("PATCH", "/channels/{channel_id}", rest_messages.modify_channel),
    ("GET", "/channels/{channel_id}/messages", rest_messages.list_messages),
    ("POST", "/channels/{channel_id}/messages", rest_messages.create_message),
    ("GET", "/channels/{channel_id}/messages/{message_id}", rest_messages.get_message),
    ("PATCH", "/channels/{channel_id}/messages/{message_id}", rest_messages.edit_message),
    ("DELETE", "/channels/{channel_id}/messages/{message_id}", rest_messages.delete_message),
    ("POST", "/channels/{channel_id}/messages/{message_id}/threads",
     rest_messages.create_thread_from_message),
    ("PUT", "/channels/{channel_id}/messages/{message_id}/reactions/{emoji}/@me",
     rest_messages.add_reaction),
    ("POST", "/channels/{channel_id}/threads", rest_messages.create_thread),
    ("PUT", "/channels/{channel_id}/thread-members/@me", rest_messages.join_thread),
    ("POST", "/channels/{channel_id}/typing", rest_messages.trigger_typing),
    ("POST", "/interactions/{interaction_id}/{token}/callback", rest_interactions.callback),
    ("POST", "/webhooks/{webhook_id}/{token}", rest_interactions.followup),
    ("GET", "/webhooks/{webhook_id}/{token}/messages/{message_id}",
     rest_interactions.get_webhook_message),
    ("PATCH", "/webhooks/{webhook_id}/{token}/messages/{message_id}",
     rest_interactions.edit_webhook_message),
    ("DELETE", "/webhooks/{webhook_id}/{token}/messages/{message_id}",
     rest_interactions.delete_webhook_message),
]
MESSAGE_WRITE_ROUTES = frozenset({
    ("POST", "/channels/{channel_id}/messages"),
    ("PATCH", "/channels/{channel_id}/messages/{message_id}"),
    ("DELETE", "/channels/{channel_id}/messages/{message_id}"),
})
MESSAGE_READ_ROUTES = frozenset({
    ("GET", "/channels/{channel_id}/messages"),
    ("GET", "/channels/{channel_id}/messages/{message_id}"),
})
_TOKEN_AUTHENTICATED = ("/interactions/", "/webhooks/")  # the interaction token is the auth
_INVALID_STATUSES = (401, 403, 429)
# The body the middleware parsed, for the handler it calls (same task).
_PARSED_BODY: contextvars.ContextVar[ParsedBody] = contextvars.ContextVar("fake_discord_body")


def build_app(fake: FakeDiscord) -> web.Application:
    """The aiohttp application of `fake`: gateway, CDN, REST routes, and a 501 for the rest."""
    pipeline = _Pipeline(fake)
    app = web.Application(middlewares=[pipeline.middleware], client_max_size=MAX_REQUEST_BYTES)
    app.router.add_get("/gateway", fake.gateway.handle)
    app.router.add_get("/attachments/{channel_id}/{attachment_id}/{filename}",
                       pipeline.bind(rest_app.get_attachment))
    for method, template, handler in ROUTES:
        app.router.add_route(method, API_PREFIX + template, pipeline.bind(handler))
    app.router.add_route("*", "/{tail:.*}", pipeline.unknown_route)
    return app


class _Pipeline:
    """The middleware and handler adapters, bound to one FakeDiscord."""

    def __init__(self, fake: FakeDiscord) -> None:
        self.fake = fake

    def bind(self, handler: Handler) -> RouteHandler:
        async def bound(request: web.Request) -> web.StreamResponse:
            return await handler(self.fake, request, _PARSED_BODY.get())

        return bound

    async def unknown_route(self, request: web.Request) -> web.StreamResponse:
        return json_response({"message": f"fake discord: no route for {request.method} "
                                         f"{request.path}", "code": 0}, status=501)

    @web.middleware
    async def middleware(self, request: web.Request, handler: RouteHandler) -> web.StreamResponse:
        if request.path == "/gateway":
            return await handler(request)
        in_api = request.path.startswith(API_PREFIX + "/")
        path = request.path[len(API_PREFIX):] if in_api else request.path
        route = _route_template(request)
        content_type = request.content_type if request.can_read_body else None
        parsed = await read_body(request)
        token = _PARSED_BODY.set(parsed)
        record = RecordedRequest(
            request.method, path, dict(request.query), route, parsed.body,
            [RecordedFile(f.field, f.filename, len(f.data), f.content_type) for f in parsed.files],
            content_type, time=self.fake.clock())
        self.fake.requests.append(record)
        if route is None:
            self.fake.unknown_routes.append(record)
        try:
            response = await self._answer(request, handler, record, parsed, in_api=in_api)
        except Exception:  # a bug in the fake must not look like a Discord outage
            self.fake.internal_errors.append(traceback.format_exc())
            log.exception("fake discord failed on %s %s", request.method, request.path)
            response = json_response({"message": "fake discord error (see internal_errors)",
                                      "code": 0}, status=501)
        finally:
            _PARSED_BODY.reset(token)
        record.status = response.status
        record.response_headers = dict(response.headers)
        record.response = response.json_body if isinstance(response, JSONResponse) else None
        if response.status in _INVALID_STATUSES:
            self.fake.invalid_request_count += 1
        if in_api and route is not None:
            self._validate(record)
        return response

    async def _answer(self, request: web.Request, handler: RouteHandler,
                      record: RecordedRequest, parsed: ParsedBody, *,
                      in_api: bool) -> web.StreamResponse:
        if parsed.error is not None:
            return json_response({"message": "The request body contains invalid JSON.",
                                  "code": 50109}, status=400)
        forced = next((f for f in self.fake.forced_rate_limits
                       if f.matches(record.method, record.path, record.route)), None)
        if forced is not None:
            forced.remaining -= 1
            return self._too_many(forced.retry_after, Budget(1, 0, forced.retry_after,
                                                             FORCED_BUCKET),
                                  is_global=forced.is_global, via=forced.via)
        if (in_api and record.route is not None
                and not record.path.startswith(_TOKEN_AUTHENTICATED)
                and request.headers.get("Authorization") != f"Bot {self.fake.token}"):
            return json_response({"message": "401: Unauthorized", "code": 0}, status=401)
        limiter = self.fake.global_limiter
        if (limiter is not None and in_api and record.route is not None
                and not record.path.startswith(_TOKEN_AUTHENTICATED)):
            wait = limiter.try_request()
            if wait is not None:
                return self._too_many(wait, Budget(limiter.limit, 0, wait, "global"),
                                      is_global=True)
        headers: dict[str, str] = {}
        key = (record.method, record.route)
        if key in MESSAGE_WRITE_ROUTES:
            channel_id = int(request.match_info["channel_id"])
            budget_after = self.fake.message_limiter.try_write(channel_id)
            if budget_after is None:
                budget = self.fake.message_limiter.budget(channel_id)
                return self._too_many(budget.reset_after, budget)
            if self.fake.advertise_rate_limits:
                headers = rate_limit_headers(budget_after)
        elif key in MESSAGE_READ_ROUTES and self.fake.advertise_rate_limits:
            headers = rate_limit_headers(Budget(50, 49, 1.0, "fake-message-reads"))
        try:
            response = await handler(request)
        except DiscordError as error:
            response = json_response(error.body(), status=error.status)
        response.headers.update(headers)
        return response

    def _too_many(self, retry_after: float, budget: Budget, *, is_global: bool = False,
                  via: bool = True) -> web.Response:
        self.fake.rate_limited_count += 1
        body, headers = too_many_requests(retry_after, budget, is_global=is_global, via=via)
        return json_response(body, status=429, headers=headers)

    def _validate(self, record: RecordedRequest) -> None:
        if self.fake.validator is None:
            return
        if record.method in ("POST", "PUT", "PATCH") and record.body is not None:
            violations = self.fake.validator.validate_request(
                record.method, record.path, record.body)
            if violations is not None:
                self.fake.schema_checked += 1
                self.fake.schema_violations.extend(violations)
        if 200 <= record.status < 300 and record.response is not None:
            self.fake.fake_violations.extend(self.fake.validator.validate_response(
                record.method, record.path, record.status, record.response))


def _route_template(request: web.Request) -> str | None:
    resource = request.match_info.route.resource
    canonical = resource.canonical if resource is not None else None
    if canonical is None or canonical == "/{tail}":
        return None
    return canonical[len(API_PREFIX):] if canonical.startswith(API_PREFIX) else canonical
