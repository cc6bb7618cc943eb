"""The only place that attaches log handlers: readable text by default, JSON for collectors.

Nothing should ever log a token, and nothing does on purpose; `RedactTokens`, on the handler,
is the second line of defence: whatever looks like a Discord bot token, a NemoVideo token,
an `Authorization` value or an interaction/webhook token in a URL is replaced before a
record is written.
"""

from __future__ import annotations

import json
import logging
import re
import sys
from datetime import UTC, datetime
from typing import Literal

#: Attributes every LogRecord has; anything else passed via `extra=` is emitted as a field.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}

REDACTED = "[redacted]"
#: What a secret looks like. Discord bot tokens are three dot-separated base64url parts (the
#: bot id, a timestamp, an HMAC); NemoVideo tokens start `nmv_usr_` (claim tokens `clm_`);
#: interaction and webhook tokens sit in URL paths after their id.
_SECRETS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"[A-Za-z0-9_-]{18,}\.[A-Za-z0-9_-]{4,}\.[A-Za-z0-9_-]{20,}"), REDACTED),
    (re.compile(r"\b(?:nmv_usr|clm)_[A-Za-z0-9_-]+"), REDACTED),
    (re.compile(r"(?i)\b((?:bot|bearer)\s+)[A-Za-z0-9_.~+/-]{20,}=*"), rf"\1{REDACTED}"),
    (
        re.compile(r"(/(?:webhooks|interactions)/[0-9]{15,21}/)[A-Za-z0-9_.~=-]{20,}"),
        rf"\1{REDACTED}",
    ),
)
_TRACEBACKS = logging.Formatter()


def redact(text: str) -> str:
    """`text` with everything that looks like a token replaced by `[redacted]`."""
    for pattern, replacement in _SECRETS:
        text = pattern.sub(replacement, text)
    return text


class RedactTokens(logging.Filter):
    """Redact tokens from a record's message (with its args), `extra=` fields and traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except (TypeError, ValueError):  # %-args that do not fit: keep them, but redacted
            message = f"{record.msg} (log arguments did not fit: {record.args!r})"
        clean = redact(message)
        if clean != message or record.args:
            record.msg, record.args = clean, None
        for key, value in list(vars(record).items()):
            if key in _STANDARD or isinstance(value, int | float | bool | None):
                continue
            text = value if isinstance(value, str) else str(value)
            clean = redact(text)
            if clean != text or isinstance(value, str):
                setattr(record, key, clean)
        if record.exc_info and not record.exc_text:
            record.exc_text = _TRACEBACKS.formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        if record.stack_info:
            record.stack_info = redact(record.stack_info)
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message and any `extra=` fields."""

    def format(self, record: logging.LogRecord) -> str:
        payload: dict[str, object] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and not key.startswith("_"):
                payload[key] = value
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            payload["exception"] = record.exc_text
        return json.dumps(payload, default=str, ensure_ascii=False)


def setup_logging(level: str = "INFO", fmt: Literal["text", "json"] = "text") -> None:
    """Send logs to stderr; quiet the chattiest libraries a notch below ours."""
    handler = logging.StreamHandler(sys.stderr)
    if fmt == "json":
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(
            logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%H:%M:%S")
        )
    handler.addFilter(RedactTokens())
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "aiohttp.access", "discord.gateway", "discord.http"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
