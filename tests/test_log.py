"""Logs: JSON lines for collectors, and no token ever written, whatever a caller passes."""

from __future__ import annotations

import base64
import json
import logging
from collections.abc import Callable, Iterator
from typing import Literal

import pytest
from pydantic import SecretStr

from bot.log import REDACTED, redact, setup_logging

DISCORD_TOKEN = (
    base64.b64encode(b"1098765432109876543").decode().rstrip("=")
    + ".GhIjKl."
    + "HmacThatMustNeverBeLogged_0123456789abc"
)
NEMO_TOKEN = "nmv_usr_KGdwtlGw3hBDUpV-4_FJfEgYqFbTXQuYPKP12345"
CLAIM_TOKEN = "clm_Zx81kPq0ReallySecretClaim"
INTERACTION_TOKEN = "aW50ZXJhY3Rpb246MTIzNDU2Nzg5MDEyMzQ1Njc4OmFiY2RlZg"
SECRETS = (DISCORD_TOKEN, NEMO_TOKEN, CLAIM_TOKEN, INTERACTION_TOKEN)

log = logging.getLogger("tests.log")


@pytest.fixture(autouse=True)
def _restore_root_logger() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    root.handlers[:] = handlers
    root.setLevel(level)


def logged(
    capsys: pytest.CaptureFixture[str], fmt: Literal["text", "json"], emit: Callable[[], None]
) -> str:
    setup_logging("DEBUG", fmt)
    emit()
    return capsys.readouterr().err


def test_json_logs_are_one_object_per_line_with_extra_fields(
    capsys: pytest.CaptureFixture[str],
) -> None:
    def emit() -> None:
        log.info("render %s finished", "r-1", extra={"conversation": "discord:42", "bytes": 1234})
        log.warning("second line")

    lines = logged(capsys, "json", emit).splitlines()

    first, second = (json.loads(line) for line in lines)
    assert first["message"] == "render r-1 finished"
    assert first["level"] == "INFO"
    assert first["logger"] == "tests.log"
    assert first["conversation"] == "discord:42"
    assert first["bytes"] == 1234
    assert "time" in first
    assert second["message"] == "second line"


def test_json_logs_carry_the_traceback(capsys: pytest.CaptureFixture[str]) -> None:
    def emit() -> None:
        try:
            raise ValueError("broken")
        except ValueError:
            log.exception("it failed")

    [line] = logged(capsys, "json", emit).splitlines()

    record = json.loads(line)
    assert "ValueError: broken" in record["exception"]


def _in_args() -> None:
    log.info("logging in with %s", DISCORD_TOKEN)


def _in_message() -> None:
    log.info(f"token is {NEMO_TOKEN}")  # the mistake this filter guards against


def _in_extra() -> None:
    log.info("request", extra={"authorization": f"Bearer {NEMO_TOKEN}", "claim": CLAIM_TOKEN})


def _in_a_dict_extra() -> None:
    log.info("headers", extra={"headers": {"Authorization": f"Bot {DISCORD_TOKEN}"}})


def _in_a_url() -> None:
    log.debug(
        "POST https://discord.com/api/v10/webhooks/1098765432109876543/%s/messages/@original",
        INTERACTION_TOKEN,
    )


def _in_an_exception() -> None:
    try:
        raise RuntimeError(f"refused token {DISCORD_TOKEN} and {NEMO_TOKEN}")
    except RuntimeError:
        log.exception("login failed")


def _with_dict_args() -> None:
    log.info("sent %(what)s", {"what": f"Authorization: Bearer {NEMO_TOKEN}"})


@pytest.mark.parametrize("fmt", ["text", "json"])
@pytest.mark.parametrize(
    "emit",
    [
        _in_args,
        _in_message,
        _in_extra,
        _in_a_dict_extra,
        _in_a_url,
        _in_an_exception,
        _with_dict_args,
    ],
    ids=lambda emit: emit.__name__.strip("_"),
)
def test_a_log_record_never_contains_a_token(
    capsys: pytest.CaptureFixture[str], fmt: Literal["text", "json"], emit: Callable[[], None]
) -> None:
    output = logged(capsys, fmt, emit)

    if fmt == "json" or emit not in (_in_extra, _in_a_dict_extra):  # text shows no extras
        assert REDACTED in output
    for secret in SECRETS:
        assert secret not in output
        assert secret[-12:] not in output
    if fmt == "json":
        for line in output.splitlines():
            json.loads(line)


def test_a_secret_str_stays_masked_in_logs(capsys: pytest.CaptureFixture[str]) -> None:
    output = logged(capsys, "text", lambda: log.info("settings: %s", SecretStr(NEMO_TOKEN)))
    assert NEMO_TOKEN not in output
    assert "**********" in output


@pytest.mark.parametrize(
    "text",
    [
        "connected to Discord as nemobot#0 in 3 servers",
        "the bot started; render r-1 of session sess_abc123 finished",
        "GET https://mega-api-prod.nemovideo.ai/api/credits/balance/simple -> HTTP 200",
        "opened store data/nemobot.sqlite3 at schema version 1",
        "video session thread 1098765432109876543 opened by 80351110224678912",
        "nemobot 0.1.0 with discord.py 2.7.1",
        "POST /channels/1098765432109876543/messages",
    ],
)
def test_ordinary_log_text_is_left_alone(text: str) -> None:
    assert redact(text) == text


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (f"token={NEMO_TOKEN}", f"token={REDACTED}"),
        (f"Authorization: Bot {DISCORD_TOKEN}", f"Authorization: Bot {REDACTED}"),
        (f"Bearer {INTERACTION_TOKEN}", f"Bearer {REDACTED}"),
        (
            f"/interactions/1098765432109876543/{INTERACTION_TOKEN}/callback",
            f"/interactions/1098765432109876543/{REDACTED}/callback",
        ),
    ],
)
def test_redact_replaces_only_the_secret(text: str, expected: str) -> None:
    assert redact(text) == expected
