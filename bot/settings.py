"""Every setting nemobot reads, from the environment or a `.env` file.

Built once at start-up (`Settings()`) and passed to whatever needs it; there is no
module-level instance. Tokens are `SecretStr`, so they never show up in a repr or a log.
Every field here is listed, with a comment, in `.env.example`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Literal

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from bot import __version__
from bot.core.leases import DEFAULT_LEASE_SECONDS
from bot.core.store_sql import parse_location
from bot.nemo.downloads import DEFAULT_MAX_DOWNLOAD_BYTES, DEFAULT_READ_TIMEOUT_SECONDS
from bot.shards import ShardRange, parse_shard_ids, shard_range

DEFAULT_NEMO_API_URL = "https://mega-api-prod.nemovideo.ai"
DEFAULT_NEMO_WEB_URL = "https://nemovideo.com"
DEFAULT_DISCORD_API_BASE_URL = "https://discord.com/api/v10"
DEFAULT_DISCORD_GATEWAY_URL = "wss://gateway.discord.gg"
SKILL_SOURCE = "best-free-video-generation-ai"


class Settings(BaseSettings):
    """nemobot's configuration. Field names are the environment variable names."""

    model_config = SettingsConfigDict(
        env_file=".env",
        env_file_encoding="utf-8",
        case_sensitive=False,
        extra="ignore",
    )

    # Discord
    discord_token: SecretStr | None = None
    discord_application_id: int | None = Field(default=None, gt=0)
    discord_api_base_url: str = DEFAULT_DISCORD_API_BASE_URL
    discord_gateway_url: str = DEFAULT_DISCORD_GATEWAY_URL
    allowed_role_ids: Annotated[list[int], NoDecode] = Field(default_factory=list)
    max_turns_per_user_per_day: int = Field(default=0, ge=0)
    #: Shards in all processes, and the ones this process runs (`0-3`, `0,2,4`); both
    #: unset: one process, one connection for every guild.
    shard_count: int | None = Field(default=None, gt=0)
    shard_ids: Annotated[tuple[int, ...] | None, NoDecode] = None

    # NemoVideo
    nemo_token: SecretStr | None = None
    nemo_api_url: str = DEFAULT_NEMO_API_URL
    nemo_web_url: str = DEFAULT_NEMO_WEB_URL
    nemo_skill_source: str = SKILL_SOURCE
    nemo_skill_version: str = __version__
    nemo_skill_platform: str = "unknown"
    #: Connections for streamed replies, uploads and downloads (short calls have a pool
    #: of their own, `runtime.CALL_CONNECTIONS`). Every live turn holds one for as long
    #: as its reply streams (up to 15 minutes): the pool must be larger than the number
    #: of turns live at once, or the turns past it wait for one to end before they start.
    nemo_max_connections: int = Field(default=1000, ge=1)

    # Storage and output. DATABASE_URL (sqlite:///… or postgresql://…) wins over DATABASE_PATH.
    database_url: str | None = None
    database_path: Path = Path("data/nemobot.sqlite3")
    #: How long a process holds a render (or a turn to resume) without renewing it: after
    #: a crash, another process (or the next start) takes the work over this much later.
    lease_seconds: float = Field(default=DEFAULT_LEASE_SECONDS, gt=0)
    download_dir: Path = Path("exports")

    # More than one process: Discord's global budget shared through Redis (redis://…),
    # its keys under this prefix.
    redis_url: str | None = None
    redis_key_prefix: str = Field(default="nemobot", min_length=1)

    # Health: Prometheus metrics and /healthz on this port (unset: off).
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    metrics_host: str = "127.0.0.1"

    # Downloads (renders, attachments): the byte cap of each, and how long a read may stall
    download_max_bytes: int = Field(default=DEFAULT_MAX_DOWNLOAD_BYTES, gt=0)
    download_read_timeout_seconds: float = Field(default=DEFAULT_READ_TIMEOUT_SECONDS, gt=0)

    # Logs
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR"] = "INFO"
    log_format: Literal["text", "json"] = "text"

    @field_validator("allowed_role_ids", mode="before")
    @classmethod
    def _split_ids(cls, value: object) -> object:
        """Accept `ALLOWED_ROLE_IDS=1,2,3` (commas or spaces) as well as a list."""
        if isinstance(value, str):
            return [int(part) for part in value.replace(",", " ").split()]
        return value

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _parse_shard_ids(cls, value: object) -> object:
        """`SHARD_IDS=0-3` or `0,2,4`; ValueError names the accepted forms."""
        if isinstance(value, str):
            return parse_shard_ids(value) if value.strip() else None
        if isinstance(value, int):
            return (value,)
        return value

    @model_validator(mode="after")
    def _shards_fit(self) -> Settings:
        shard_range(self.shard_count, self.shard_ids)  # ValueError says what does not fit
        return self

    def shards(self) -> ShardRange | None:
        """The shards this process runs, or None for one unsharded connection."""
        return shard_range(self.shard_count, self.shard_ids)

    @field_validator("redis_url", mode="after")
    @classmethod
    def _known_redis(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        if not value.strip().startswith(("redis://", "rediss://", "unix://")):
            raise ValueError(
                "write it as redis://host:6379/0 (rediss:// for TLS, unix:// for a socket)"
            )
        return value.strip()

    @field_validator("database_url", mode="after")
    @classmethod
    def _known_database(cls, value: str | None) -> str | None:
        if value is None or not value.strip():
            return None
        parse_location(value.strip())  # ValueError names the accepted forms
        return value.strip()

    def database(self) -> Path | str:
        """Where the store lives: DATABASE_URL when set, else DATABASE_PATH."""
        return self.database_url or self.database_path

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper_level(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value

    @field_validator("nemo_api_url", "nemo_web_url", "discord_api_base_url", mode="after")
    @classmethod
    def _strip_slash(cls, value: str) -> str:
        return value.rstrip("/")

    @field_validator(
        "discord_token",
        "nemo_token",
        "discord_application_id",
        "shard_count",
        "metrics_port",
        mode="before",
    )
    @classmethod
    def _empty_is_unset(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value
