"""Fault switches (in process and over HTTP), counters and the request log."""

from __future__ import annotations

import httpx
import pytest

from bot.emulator import RunningEmulator
from bot.emulator.state import FAULT_NAMES
from tests.emulator.helpers import ATTRIBUTION, Api, anonymous_api


async def test_server_error_fault_answers_503_once(emulator: RunningEmulator, api: Api) -> None:
    emulator.set_fault("server_error")

    failed = await api.get("/api/credits/balance/simple")
    recovered = await api.get("/api/credits/balance/simple")

    assert failed.status_code == 503
    assert recovered.json()["code"] == 0


async def test_rate_limited_fault_answers_429_with_retry_after(
    emulator: RunningEmulator, api: Api
) -> None:
    emulator.set_fault("rate_limited")

    response = await api.http.post("/run_sse", json=api.chat_body("hi"), headers=api.headers)

    assert response.status_code == 429
    assert response.headers["Retry-After"] == "30"
    assert response.json()["retry_after"] == 30


async def test_fault_with_times_minus_one_lasts_until_cleared(
    emulator: RunningEmulator, api: Api
) -> None:
    emulator.set_fault("server_error", times=-1)

    statuses = [(await api.get("/api/credits/balance/simple")).status_code for _ in range(3)]
    emulator.clear_faults()
    after = await api.get("/api/credits/balance/simple")

    assert statuses == [503, 503, 503]
    assert after.status_code == 200


async def test_fault_with_times_two_fires_twice(emulator: RunningEmulator, api: Api) -> None:
    emulator.set_fault("server_error", times=2)

    statuses = [(await api.get("/api/credits/balance/simple")).status_code for _ in range(3)]

    assert statuses == [503, 503, 200]


async def test_faults_can_be_armed_and_cleared_over_http(http: httpx.AsyncClient, api: Api) -> None:
    armed = await http.post("/_emulator/faults", json={"no_credits": 1, "server_error": -1})
    blocked = await api.get("/api/credits/balance/simple")
    cleared = await http.delete("/_emulator/faults")
    fine = await api.get("/api/credits/balance/simple")

    assert armed.json() == {"faults": {"no_credits": 1, "server_error": -1}}
    assert blocked.status_code == 503
    assert cleared.json() == {"faults": {}}
    assert fine.status_code == 200


async def test_unknown_fault_name_is_refused(http: httpx.AsyncClient) -> None:
    response = await http.post("/_emulator/faults", json={"meteor_strike": 1})

    assert response.status_code == 400
    assert "meteor_strike" in response.json()["error"]


async def test_control_endpoints_ignore_faults_and_are_not_recorded(
    emulator: RunningEmulator, http: httpx.AsyncClient
) -> None:
    emulator.set_fault("server_error", times=-1)

    stats = await http.get("/_emulator/stats")

    assert stats.status_code == 200
    assert stats.json()["requests"] == []


async def test_expired_token_fault_fails_one_request_and_allows_renewal(
    emulator: RunningEmulator, http: httpx.AsyncClient
) -> None:
    api = await anonymous_api(http, "renewing-client")
    emulator.set_fault("expired_token")

    rejected = await api.get("/api/credits/balance/simple")
    next_one = await api.get("/api/credits/balance/simple")
    renewed = await http.post(
        "/api/auth/anonymous-token", headers={"X-Client-Id": "renewing-client"}
    )
    api.token = renewed.json()["data"]["token"]
    state = await api.get(f"/api/state/nemo_agent/me/{api.session_id}/latest")

    assert rejected.json()["code"] == 1001
    assert next_one.json()["code"] == 0
    assert renewed.status_code == 200
    assert renewed.json()["data"]["user_id"] == api.user_id
    assert state.json()["code"] == 0


@pytest.mark.parametrize("kind", ["state", "upload", "run_sse"])
async def test_session_missing_fault_hits_the_next_session_request(
    emulator: RunningEmulator, api: Api, kind: str
) -> None:
    emulator.set_fault("session_missing")
    await api.get("/api/credits/balance/simple")  # not session-scoped: does not consume it

    if kind == "state":
        response = await api.get(f"/api/state/nemo_agent/me/{api.session_id}/latest")
    elif kind == "upload":
        response = await api.http.post(
            f"/api/upload-video/nemo_agent/me/{api.session_id}",
            files=[("files", ("a.mp4", b"x"))],
            headers=api.headers,
        )
    else:
        response = await api.http.post("/run_sse", json=api.chat_body("hi"), headers=api.headers)
    after = await api.get(f"/api/state/nemo_agent/me/{api.session_id}/latest")

    assert response.json()["code"] == 1002
    assert after.json()["code"] == 0


async def test_no_credits_fault_answers_2001_once(emulator: RunningEmulator, api: Api) -> None:
    emulator.set_fault("no_credits")

    refused = await api.http.post("/run_sse", json=api.chat_body("hi"), headers=api.headers)
    served = await api.chat("hi")

    assert refused.json()["code"] == 2001
    assert served.texts


async def test_stats_count_everything_and_log_requests_without_token_values(
    http: httpx.AsyncClient,
) -> None:
    api = await anonymous_api(http)
    await api.chat("hello")
    await api.http.post(
        f"/api/upload-video/nemo_agent/me/{api.session_id}",
        files=[("files", ("a.mp4", b"x")), ("files", ("b.mp3", b"y"))],
        headers=api.headers,
    )

    stats = (await http.get("/_emulator/stats")).json()

    assert {k: stats[k] for k in ("token_requests", "sessions", "turns", "uploads", "renders")} == {
        "token_requests": 1,
        "sessions": 1,
        "turns": 1,
        "uploads": 2,
        "renders": 0,
    }
    first, *_, last = stats["requests"]
    assert first.pop("at") <= last["at"]  # when each arrived
    assert first == {
        "method": "POST",
        "path": "/api/auth/anonymous-token",
        "headers": {"X-Skill-Source": None, "X-Skill-Version": None, "X-Skill-Platform": None},
        "authorization": False,
    }
    assert last["headers"] == ATTRIBUTION and last["authorization"] is True
    assert api.token not in str(stats)


async def test_request_log_keeps_the_last_200(emulator: RunningEmulator, api: Api) -> None:
    for _ in range(210):
        await api.get("/api/credits/balance/simple")

    assert len(emulator.state.requests) == 200


def test_every_contract_fault_name_is_known() -> None:
    assert {
        "expired_token",
        "token_rejected",
        "session_missing",
        "no_credits",
        "unsupported_file",
        "file_too_large",
        "export_blocked",
        "rate_limited",
        "drop_stream",
        "stream_error",
        "token_expires_mid_stream",
        "silent_edit",
        "trailing_issue",
        "render_failure",
        "slow_render",
        "duplicate_render_id",
        "download_failure",
        "server_error",
        "unsized_download",
        "stalled_download",
        "turn_unsupported_file",
        "turn_file_too_large",
        "turn_plan_refused",
    } == FAULT_NAMES
