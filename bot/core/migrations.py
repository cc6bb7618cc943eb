"""The database schema, as numbered migrations.

`MIGRATIONS[n - 1]` brings the schema from version `n - 1` to version `n`; the version a
database is at lives in SQLite's `PRAGMA user_version` (on PostgreSQL, in the one-row table
`schema_version`), so `Store.open` runs only the ones it has not seen, in one transaction
with the version they reach. They are written in SQLite's dialect and kept portable; the few words
PostgreSQL spells differently are translated in one place (`bot.core.store_postgres`).
Never edit a migration that has shipped: append a new one. They are Python strings (not
`.sql` files) so they travel inside any install.

Why the foreign keys look the way they do: turns and uploads belong to a conversation and go
with it; renders do not, because a render that is still running when a conversation is reset
must still reach the thread that asked for it (its `conversation_key` names the thread).
"""

from __future__ import annotations

MIGRATIONS: tuple[str, ...] = (
    # 1: the first schema.
    """
    CREATE TABLE credentials (
        id          INTEGER PRIMARY KEY CHECK (id = 1),
        client_id   TEXT,
        token       TEXT,
        user_id     TEXT,
        expires_at  TEXT,
        credits     INTEGER,
        updated_at  TEXT NOT NULL
    );

    CREATE TABLE conversations (
        key         TEXT PRIMARY KEY,
        session_id  TEXT NOT NULL,
        task_id     TEXT,
        user_id     TEXT,
        owner_id    INTEGER,
        language    TEXT NOT NULL DEFAULT 'en' CHECK (language IN ('en', 'zh')),
        channel_id  INTEGER,
        created_at  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
    );

    CREATE TABLE turns (
        id                 INTEGER PRIMARY KEY AUTOINCREMENT,
        conversation_key   TEXT NOT NULL REFERENCES conversations (key) ON DELETE CASCADE,
        author_id          INTEGER,
        status             TEXT NOT NULL
                           CHECK (status IN ('running', 'done', 'failed', 'interrupted')),
        status_message_id  TEXT,
        state_fingerprint  TEXT,
        started_at         TEXT NOT NULL,
        finished_at        TEXT
    );
    CREATE INDEX turns_running ON turns (conversation_key) WHERE status = 'running';

    CREATE TABLE renders (
        render_id         TEXT PRIMARY KEY,
        conversation_key  TEXT NOT NULL,
        requester_id      INTEGER,
        status            TEXT NOT NULL,
        progress          INTEGER NOT NULL DEFAULT 0,
        output_url        TEXT,
        error             TEXT,
        message_id        TEXT,
        attempts          INTEGER NOT NULL DEFAULT 0,
        created_at        TEXT NOT NULL,
        updated_at        TEXT NOT NULL,
        delivered_at      TEXT
    );
    CREATE INDEX renders_undelivered ON renders (created_at) WHERE delivered_at IS NULL;

    CREATE TABLE uploads (
        id                INTEGER PRIMARY KEY AUTOINCREMENT,
        conversation_key  TEXT NOT NULL REFERENCES conversations (key) ON DELETE CASCADE,
        session_id        TEXT,
        filename          TEXT NOT NULL,
        size_bytes        INTEGER,
        file_type         TEXT,
        cdn_url           TEXT,
        created_at        TEXT NOT NULL
    );
    CREATE INDEX uploads_by_conversation ON uploads (conversation_key);

    CREATE TABLE usage (
        user_id  INTEGER NOT NULL,
        day      TEXT NOT NULL,
        turns    INTEGER NOT NULL DEFAULT 0,
        PRIMARY KEY (user_id, day)
    );
    """,
    # 2: durable delivery states. `delivered_at` used to be set *before* the download and
    # post (as a claim), so a kill in between lost the render; now the status says where a
    # render is (see `bot.core.records.RenderState`) and `delivered_at` only when it was
    # posted. Old rows: claimed and completed counts as delivered (nothing tells a posted
    # one from a cut-off one, and posting a weeks-old video again would be worse); a
    # claimed failure is `replaced` or `failed`; the rest keep their status. The session
    # id is kept from now on, so a render whose submission was cut off can be sent again.
    """
    CREATE TABLE renders_v2 (
        render_id         TEXT PRIMARY KEY,
        conversation_key  TEXT NOT NULL,
        session_id        TEXT,
        requester_id      INTEGER,
        status            TEXT NOT NULL CHECK (status IN (
                              'submitting', 'pending', 'processing', 'completed',
                              'delivering', 'delivered', 'undelivered', 'failed',
                              'refused', 'replaced', 'gave_up')),
        progress          INTEGER NOT NULL DEFAULT 0,
        output_url        TEXT,
        error             TEXT,
        message_id        TEXT,
        attempts          INTEGER NOT NULL DEFAULT 0,
        created_at        TEXT NOT NULL,
        updated_at        TEXT NOT NULL,
        delivered_at      TEXT
    );
    INSERT INTO renders_v2 (render_id, conversation_key, session_id, requester_id, status,
                            progress, output_url, error, message_id, attempts, created_at,
                            updated_at, delivered_at)
    SELECT render_id, conversation_key, NULL, requester_id,
           CASE
               WHEN delivered_at IS NULL AND status IN ('pending', 'processing', 'completed',
                                                        'failed', 'gave_up') THEN status
               WHEN delivered_at IS NULL THEN 'failed'
               WHEN status = 'completed' THEN 'delivered'
               WHEN error = 'replaced' THEN 'replaced'
               WHEN status = 'gave_up' THEN 'gave_up'
               ELSE 'failed'
           END,
           progress, output_url, error, message_id, attempts, created_at, updated_at,
           CASE WHEN status = 'completed' THEN delivered_at END
    FROM renders;
    DROP TABLE renders;
    ALTER TABLE renders_v2 RENAME TO renders;
    CREATE INDEX renders_in_flight ON renders (created_at)
        WHERE status IN ('submitting', 'pending', 'processing', 'completed', 'delivering');
    CREATE INDEX renders_by_conversation ON renders (conversation_key, created_at);
    """,
    # 3: credentials are kept per API base URL (a token only works on the server that issued
    # it). The old single row does not say which server it came from; it is kept under ''
    # and the first API URL that asks for credentials takes it over (store_credentials.py).
    """
    CREATE TABLE credentials_by_api (
        api_url     TEXT PRIMARY KEY,
        client_id   TEXT,
        token       TEXT,
        user_id     TEXT,
        expires_at  TEXT,
        credits     INTEGER,
        updated_at  TEXT NOT NULL
    );
    INSERT INTO credentials_by_api
        (api_url, client_id, token, user_id, expires_at, credits, updated_at)
        SELECT '', client_id, token, user_id, expires_at, credits, updated_at FROM credentials;
    DROP TABLE credentials;
    ALTER TABLE credentials_by_api RENAME TO credentials;
    """,
    # 4: a render can be `cancelled` (by /cancel, the Cancel button, or "cancel" typed):
    # SQLite cannot change a CHECK constraint, so the table is copied into one that allows it.
    """
    CREATE TABLE renders_v4 (
        render_id         TEXT PRIMARY KEY,
        conversation_key  TEXT NOT NULL,
        session_id        TEXT,
        requester_id      INTEGER,
        status            TEXT NOT NULL CHECK (status IN (
                              'submitting', 'pending', 'processing', 'completed',
                              'delivering', 'delivered', 'undelivered', 'failed',
                              'refused', 'replaced', 'gave_up', 'cancelled')),
        progress          INTEGER NOT NULL DEFAULT 0,
        output_url        TEXT,
        error             TEXT,
        message_id        TEXT,
        attempts          INTEGER NOT NULL DEFAULT 0,
        created_at        TEXT NOT NULL,
        updated_at        TEXT NOT NULL,
        delivered_at      TEXT
    );
    INSERT INTO renders_v4 SELECT render_id, conversation_key, session_id, requester_id,
        status, progress, output_url, error, message_id, attempts, created_at, updated_at,
        delivered_at FROM renders;
    DROP TABLE renders;
    ALTER TABLE renders_v4 RENAME TO renders;
    CREATE INDEX renders_in_flight ON renders (created_at)
        WHERE status IN ('submitting', 'pending', 'processing', 'completed', 'delivering');
    CREATE INDEX renders_by_conversation ON renders (conversation_key, created_at);
    """,
    # 5: every delivered export of a conversation is kept as a version (store_versions.py),
    # with what `/versions` lists and Post again needs: its link, size, duration and the
    # message it was posted in. A render's title (from the draft when it was submitted) is
    # kept with the render, so a delivery resumed after a restart still has it. No foreign
    # key, like renders: a version outlives a /reset of its thread.
    """
    ALTER TABLE renders ADD COLUMN title TEXT;
    CREATE TABLE versions (
        id                INTEGER PRIMARY KEY AUTOINCREMENT,
        conversation_key  TEXT NOT NULL,
        number            INTEGER NOT NULL,
        render_id         TEXT NOT NULL UNIQUE,
        requester_id      INTEGER,
        title             TEXT,
        output_url        TEXT,
        size_bytes        INTEGER,
        duration_ms       INTEGER,
        posted_as         TEXT NOT NULL CHECK (posted_as IN ('file', 'preview', 'link')),
        message_id        TEXT,
        posts             INTEGER NOT NULL DEFAULT 1,
        delivered_at      TEXT NOT NULL,
        posted_at         TEXT NOT NULL,
        UNIQUE (conversation_key, number)
    );
    """,
    # 6: leases, for more than one process on one database (bot.core.leases). A render in
    # flight and a running turn are each held by one process (`lease_owner`) until
    # `lease_expires`; `lease_fence` grows by one at every claim, and every later write of
    # the holder names the fence it claimed with, so one that lost its lease writes
    # nothing. Rows from before have no owner: the first process to look claims them.
    """
    ALTER TABLE renders ADD COLUMN lease_owner TEXT;
    ALTER TABLE renders ADD COLUMN lease_expires TEXT;
    ALTER TABLE renders ADD COLUMN lease_fence INTEGER NOT NULL DEFAULT 0;
    ALTER TABLE turns ADD COLUMN lease_owner TEXT;
    ALTER TABLE turns ADD COLUMN lease_expires TEXT;
    ALTER TABLE turns ADD COLUMN lease_fence INTEGER NOT NULL DEFAULT 0;
    """,
)

SCHEMA_VERSION = len(MIGRATIONS)


def check_version(current: int) -> None:
    """Refuse a database whose schema is newer than this nemobot knows."""
    if current > SCHEMA_VERSION:
        raise RuntimeError(
            f"the database schema is version {current}, newer than this nemobot knows "
            f"({SCHEMA_VERSION}); upgrade nemobot"
        )
