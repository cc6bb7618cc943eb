"""Tokens, identity in paths, and the HTTP status that comes with business errors."""

from __future__ import annotations

import httpx
import pytest

from bot.emulator import RunningEmulator
from bot.emulator.state import TOKEN_TTL_SECONDS
from tests.emulator.helpers import Api, FakeClock, anonymous_api, registered_api, serve


async def test_anonymous_token_has_100_credits_for_7_days(http: httpx.AsyncClient) -> None:
    response = await http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "c-1"})

    body = response.json()
    assert response.status_code == 200
    assert body["code"] == 0
    assert body["data"]["token"].startswith("nmv_usr_")
    assert body["data"]["user_id"].startswith("anon_")
    assert body["data"]["credits"] == 100
    assert body["data"]["expires_at"].endswith("Z")


async def test_anonymous_token_without_client_id_is_http_400(http: httpx.AsyncClient) -> None:
    response = await http.post("/api/auth/anonymous-token")

    assert response.status_code == 400
    assert response.json()["code"] == 400


async def test_second_token_for_same_client_is_refused_until_the_first_expires(
    http: httpx.AsyncClient,
) -> None:
    first = await http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "c-1"})
    again = await http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "c-1"})
    other = await http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "c-2"})

    assert first.status_code == 200
    assert again.status_code == 429
    week = 7 * 24 * 3600
    assert week - 60 < int(again.headers["Retry-After"]) <= week
    assert again.json() == {
        "code": 429, "message": "rate limited", "retry_after": int(again.headers["Retry-After"])
    }
    assert other.status_code == 200


async def test_expired_token_answers_1001_and_a_new_one_keeps_the_user(
    emulator: RunningEmulator, http: httpx.AsyncClient
) -> None:
    clock = FakeClock()
    emulator.state.clock = clock
    api = await anonymous_api(http, "c-1")
    clock.advance(TOKEN_TTL_SECONDS + 1)

    rejected = await api.get("/api/credits/balance/simple")
    renewed = await http.post("/api/auth/anonymous-token", headers={"X-Client-Id": "c-1"})

    assert rejected.json()["code"] == 1001
    assert renewed.status_code == 200
    assert renewed.json()["data"]["user_id"] == api.user_id
    assert renewed.json()["data"]["token"] != api.token


@pytest.mark.parametrize("authorization", [None, "Bearer nmv_usr_unknown", "Basic abc", "Bearer"])
async def test_missing_or_unknown_token_answers_1001(
    http: httpx.AsyncClient, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization else {}

    response = await http.get("/api/credits/balance/simple", headers=headers)

    assert response.status_code == 200
    assert response.json() == {"code": 1001, "message": response.json()["message"], "data": None}


async def test_registered_token_form_has_10000_credits(http: httpx.AsyncClient) -> None:
    api = await registered_api(http)

    assert await api.credits() == {"available": 10000, "frozen": 0, "total": 10000}


@pytest.mark.parametrize("segment", ["me", "own-id"])
async def test_paths_accept_me_and_the_callers_own_user_id(api: Api, segment: str) -> None:
    user = api.user_id if segment == "own-id" else "me"

    response = await api.get(f"/api/state/nemo_agent/{user}/{api.session_id}/latest")

    assert response.json()["code"] == 0
    assert response.json()["data"]["user_id"] == api.user_id


async def test_someone_elses_session_is_not_found(http: httpx.AsyncClient) -> None:
    alice = await anonymous_api(http, "alice")
    bob = await anonymous_api(http, "bob")

    response = await bob.get(f"/api/state/nemo_agent/me/{alice.session_id}/latest")
    by_id = await bob.get(f"/api/state/nemo_agent/{alice.user_id}/{bob.session_id}/latest")

    assert response.json()["code"] == 1002
    assert by_id.json()["code"] == 1002


async def test_create_session_returns_numeric_session_and_user_id(api: Api) -> None:
    response = await api.http.post(
        "/api/tasks/me/with-session/nemo_agent",
        json={"task_name": "project"},
        headers=api.headers,
    )

    data = response.json()["data"]
    assert data["session_id"].isdigit() and len(data["session_id"]) == 19
    assert data["task_id"].startswith("task_")
    assert data["user_id"] == api.user_id


@pytest.mark.parametrize(
    ("fault", "code", "http4xx"),
    [
        ("expired_token", 1001, 401),
        ("session_missing", 1002, 404),
        ("no_credits", 2001, 402),
    ],
)
@pytest.mark.parametrize("mode", ["http200", "http4xx"])
async def test_business_errors_come_with_the_configured_http_status(
    fault: str, code: int, http4xx: int, mode: str
) -> None:
    async with serve(business_status=mode) as (emulator, http):
        api = await anonymous_api(http)
        emulator.set_fault(fault)

        response = await api.http.post("/run_sse", json=api.chat_body("hi"), headers=api.headers)

    assert response.json() == {"code": code, "message": response.json()["message"], "data": None}
    assert response.status_code == (http4xx if mode == "http4xx" else 200)
