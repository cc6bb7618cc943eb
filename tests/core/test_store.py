"""The store, on both engines (`database_url`: a real SQLite file in tmp_path, a fresh
PostgreSQL schema); what is about the SQLite file itself (modes, WAL, other processes
reading it) on a file only."""

from __future__ import annotations

import asyncio
import sqlite3
import stat
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta, timezone
from pathlib import Path

import asyncpg
import pytest

from bot.core.leases import LeaseTerms
from bot.core.migrations import MIGRATIONS, SCHEMA_VERSION
from bot.core.state_fingerprint import fingerprint_state
from bot.core.store import RenderState, Store, TurnStatus
from bot.nemo.auth import CredentialStore
from bot.nemo.draft import Draft
from bot.nemo.models import AnonymousToken, RenderStatus, SessionState
from tests.core.raw_database import make_old_database

KEY = "discord:1234567890123456789"
API = "https://mega-api-prod.nemovideo.ai"
#: What a broken constraint raises, on each engine.
INTEGRITY = (sqlite3.IntegrityError, asyncpg.IntegrityConstraintViolationError)


class FakeClock:
    """A settable UTC clock, so timestamps and "today" are under the test's control."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
async def store(database_url: str, clock: FakeClock) -> AsyncIterator[Store]:
    async with await Store.open(database_url, now=clock) as opened:
        yield opened


async def _conversation(store: Store, key: str = KEY) -> None:
    await store.save_conversation(key, session_id="s-1", owner_id=42)


# -- opening ------------------------------------------------------------------------------


async def test_open_creates_folder_and_a_private_file(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "data" / "bot.sqlite3"
    async with await Store.open(path) as store:
        await store.save_client_id(API, "c-1")
        for candidate in path.parent.iterdir():
            assert stat.S_IMODE(candidate.stat().st_mode) == 0o600, candidate.name
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_open_tightens_an_existing_world_readable_file(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    path.touch(mode=0o644)
    path.chmod(0o644)
    async with await Store.open(path):
        pass
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


async def test_journal_mode_is_wal(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "db" / "nemobot.sqlite3") as store:
        assert (await store.journal_mode()).lower() == "wal"


async def test_migrations_are_recorded_and_idempotent_on_reopen(tmp_path: Path) -> None:
    path = tmp_path / "bot.sqlite3"
    async with await Store.open(path) as store:
        assert await store.schema_version() == SCHEMA_VERSION
        await store.save_conversation(KEY, session_id="s-1")
    async with await Store.open(path) as store:
        assert await store.schema_version() == SCHEMA_VERSION
        assert (await store.get_conversation(KEY)) is not None
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION


async def test_a_database_from_a_newer_version_is_refused(database_url: str) -> None:
    await make_old_database(database_url, SCHEMA_VERSION + 1)
    with pytest.raises(RuntimeError, match="newer"):
        await Store.open(database_url)


async def test_two_processes_opening_a_new_database_at_once_both_succeed(
    database_url: str,
) -> None:
    path = database_url
    first, second = await asyncio.gather(Store.open(path), Store.open(path))
    try:
        assert await first.schema_version() == await second.schema_version() == SCHEMA_VERSION
    finally:
        await first.close()
        await second.close()


async def test_foreign_keys_are_enforced(store: Store) -> None:
    with pytest.raises(INTEGRITY):
        await store.start_turn("discord:unknown", author_id=1)


# -- credentials --------------------------------------------------------------------------


async def test_store_satisfies_the_credential_store_protocol(store: Store) -> None:
    credentials: CredentialStore = store
    assert await credentials.get_client_id(API) is None
    assert await credentials.get_anonymous_token(API) is None


async def test_credentials_survive_close_and_reopen(database_url: str) -> None:
    path = database_url
    token = AnonymousToken(
        token="nmv_usr_secret",
        user_id="anon_abc123",
        expires_at=datetime(2026, 3, 18, tzinfo=UTC),
        credits=100,
    )
    async with await Store.open(path) as store:
        await store.save_client_id(API, "client-uuid")
        await store.save_anonymous_token(API, token)
    async with await Store.open(path) as store:
        assert await store.get_client_id(API) == "client-uuid"
        assert await store.get_anonymous_token(API) == token


async def test_saving_a_token_keeps_the_client_id_and_replaces_the_old_token(
    store: Store,
) -> None:
    await store.save_client_id(API, "client-uuid")
    await store.save_anonymous_token(API, AnonymousToken("old", "anon_1", None, 100))
    await store.save_anonymous_token(API, AnonymousToken("new", "anon_1", None, None))
    assert await store.get_client_id(API) == "client-uuid"
    assert await store.get_anonymous_token(API) == AnonymousToken("new", "anon_1", None, None)


async def test_a_naive_expiry_is_read_back_as_utc(store: Store) -> None:
    await store.save_anonymous_token(
        API, AnonymousToken("t", None, datetime(2026, 3, 18, 8, 30), None)
    )
    token = await store.get_anonymous_token(API)
    assert token is not None
    assert token.expires_at == datetime(2026, 3, 18, 8, 30, tzinfo=UTC)


async def test_each_api_url_keeps_its_own_client_id_and_token(store: Store) -> None:
    emulator = "http://127.0.0.1:8765"
    await store.save_client_id(API, "real-client")
    await store.save_anonymous_token(API, AnonymousToken("nmv_usr_real", "anon_r", None, 100))
    await store.save_client_id(emulator, "emulator-client")
    await store.save_anonymous_token(emulator, AnonymousToken("nmv_usr_emu", "anon_e", None, 1))

    assert await store.get_client_id(API) == "real-client"
    assert (await store.get_anonymous_token(API)) == AnonymousToken(
        "nmv_usr_real", "anon_r", None, 100
    )
    assert await store.get_client_id("http://127.0.0.1:8766") is None
    assert await store.get_anonymous_token("http://127.0.0.1:8766") is None


@pytest.mark.parametrize(
    "spelling",
    [
        "https://mega-api-prod.nemovideo.ai/",
        "HTTPS://Mega-API-Prod.NemoVideo.ai",
        "https://mega-api-prod.nemovideo.ai:443",
        " https://mega-api-prod.nemovideo.ai// ",
    ],
)
async def test_one_server_spelt_differently_is_one_key(store: Store, spelling: str) -> None:
    await store.save_anonymous_token(API, AnonymousToken("nmv_usr_real", None, None, None))
    token = await store.get_anonymous_token(spelling)
    assert token is not None and token.token == "nmv_usr_real"


@pytest.mark.parametrize(
    "other",
    [
        "http://mega-api-prod.nemovideo.ai",
        "https://mega-api-prod.nemovideo.ai:8443",
        "https://mega-api-prod.nemovideo.ai/v2",
        "https://mega-api.nemovideo.ai",
    ],
)
async def test_another_scheme_port_path_or_host_is_another_server(
    store: Store, other: str
) -> None:
    await store.save_anonymous_token(API, AnonymousToken("nmv_usr_real", None, None, None))
    assert await store.get_anonymous_token(other) is None


async def test_a_pre_3_database_keeps_its_token_for_the_server_that_asks_first(
    database_url: str,
) -> None:
    path = database_url
    await make_old_database(  # a database as schema version 1 left it
        path,
        1,
        MIGRATIONS[0]
        + "INSERT INTO credentials (id, client_id, token, user_id, expires_at, credits, "
        "updated_at) VALUES (1, 'old-client', 'nmv_usr_kept', 'anon_1', NULL, 100, 'x');",
    )

    async with await Store.open(path) as store:
        token = await store.get_anonymous_token(API)
        assert token is not None and token.token == "nmv_usr_kept"
        assert await store.get_client_id(API) == "old-client"
        # Only one server can be the one it came from.
        assert await store.get_anonymous_token("http://127.0.0.1:8765") is None
        assert await store.get_client_id("http://127.0.0.1:8765") is None


# -- conversations ------------------------------------------------------------------------


async def test_conversation_round_trip_keeps_discord_ids_as_int(store: Store) -> None:
    saved = await store.save_conversation(
        KEY,
        session_id="5529798706024415232",
        task_id="task_1",
        user_id="anon_abc",
        owner_id=987654321098765432,
        language="zh",
        channel_id=1234567890123456789,
    )
    assert await store.get_conversation(KEY) == saved
    assert saved.owner_id == 987654321098765432
    assert saved.channel_id == 1234567890123456789
    assert saved.language == "zh"
    assert await store.get_conversation("terminal:other") is None


async def test_saving_again_replaces_fields_but_keeps_created_at(
    store: Store, clock: FakeClock
) -> None:
    first = await store.save_conversation(KEY, session_id="s-1", owner_id=1)
    clock.advance(minutes=5)
    second = await store.save_conversation(KEY, session_id="s-2", owner_id=1)
    assert second.session_id == "s-2"
    assert second.created_at == first.created_at
    assert second.updated_at == first.updated_at + timedelta(minutes=5)


async def test_rebind_session_after_1002_keeps_owner_and_language(store: Store) -> None:
    await store.save_conversation(
        KEY, session_id="old", task_id="t-old", user_id="anon_1", owner_id=7, language="zh"
    )
    rebound = await store.rebind_session(KEY, "new", "t-new")
    assert rebound is not None
    assert (rebound.session_id, rebound.task_id) == ("new", "t-new")
    assert (rebound.owner_id, rebound.language, rebound.user_id) == (7, "zh", "anon_1")
    assert await store.rebind_session("terminal:nobody", "x") is None


async def test_unknown_language_is_rejected_by_the_schema(store: Store) -> None:
    with pytest.raises(INTEGRITY):
        await store.save_conversation(KEY, session_id="s", language="fr")  # type: ignore[arg-type]


# -- turns --------------------------------------------------------------------------------


async def test_turn_lifecycle(store: Store, clock: FakeClock) -> None:
    await _conversation(store)
    turn = await store.start_turn(
        KEY, author_id=42, state_fingerprint="abc", status_message_id="1111"
    )
    assert turn.status is TurnStatus.RUNNING
    assert (turn.conversation, turn.author_id, turn.state_fingerprint) == (KEY, 42, "abc")
    assert await store.get_unfinished_turns() == [
        await store.get_turn(turn.id)
    ]
    clock.advance(seconds=20)
    assert await store.finish_turn(turn.id, TurnStatus.DONE) is True
    finished = await store.get_turn(turn.id)
    assert finished is not None
    assert finished.status is TurnStatus.DONE
    assert finished.status_message_id == "1111"
    assert finished.finished_at == turn.started_at + timedelta(seconds=20)
    assert await store.get_unfinished_turns() == []


async def test_a_turn_finishes_once(store: Store) -> None:
    await _conversation(store)
    turn = await store.start_turn(KEY)
    assert await store.finish_turn(turn.id, "interrupted") is True
    assert await store.finish_turn(turn.id, TurnStatus.DONE) is False
    again = await store.get_turn(turn.id)
    assert again is not None and again.status is TurnStatus.INTERRUPTED


async def test_a_turn_started_before_its_message_was_posted_records_the_first_one(
    store: Store,
) -> None:
    await _conversation(store)
    turn = await store.start_turn(KEY, author_id=1)
    assert turn.status_message_id is None
    assert await store.note_turn_status_message(turn.id, "m-1") is True
    assert await store.note_turn_status_message(turn.id, "m-2") is False, "the first counts"
    again = await store.get_turn(turn.id)
    assert again is not None and again.status_message_id == "m-1"


@pytest.mark.parametrize("status", [TurnStatus.RUNNING, "running", "finished"])
async def test_finish_turn_refuses_a_status_that_is_not_an_end(
    store: Store, status: str
) -> None:
    await _conversation(store)
    turn = await store.start_turn(KEY)
    with pytest.raises(ValueError):
        await store.finish_turn(turn.id, status)


async def test_unfinished_turns_survive_a_restart(database_url: str) -> None:
    path = database_url
    async with await Store.open(path) as store:
        await _conversation(store)
        running = await store.start_turn(KEY, author_id=1, status_message_id="m-1")
        done = await store.start_turn(KEY, author_id=1)
        await store.finish_turn(done.id, TurnStatus.FAILED)
    async with await Store.open(path) as store:
        assert [t.id for t in await store.get_unfinished_turns()] == [running.id]


async def test_state_fingerprint_changes_only_with_the_draft_or_media() -> None:
    def state(draft: dict[str, object], **raw: object) -> SessionState:
        return SessionState("s", None, None, Draft.from_wire(draft), raw=dict(raw))

    base = {"t": [{"tt": 0, "sg": [{"d": 1000}]}], "d": 1000}
    assert fingerprint_state(state(base)) == fingerprint_state(state(dict(base), fetched="now"))
    assert fingerprint_state(state(base)) != fingerprint_state(state({**base, "d": 2000}))


# -- renders ------------------------------------------------------------------------------


async def test_render_lifecycle(store: Store, clock: FakeClock) -> None:
    created = await store.create_render("r-1", KEY, requester_id=42, message_id="m-9")
    assert created.status is RenderState.SUBMITTING
    assert (created.progress, created.attempts, created.delivered_at) == (0, 0, None)

    clock.advance(seconds=30)
    await store.advance_render("r-1", RenderStatus.PROCESSING)
    updated = await store.update_render("r-1", progress=40, attempts=2)
    assert updated is not None
    assert (updated.status, updated.progress, updated.attempts) == (
        RenderState.PROCESSING, 40, 2
    )
    assert updated.message_id == "m-9"  # untouched fields stay
    assert updated.updated_at == created.created_at + timedelta(seconds=30)

    done = await store.advance_render(
        "r-1", RenderStatus.COMPLETED, progress=100, output_url="https://cdn/x.mp4"
    )
    assert done is not None and done.output_url == "https://cdn/x.mp4"
    assert await store.get_render("r-1") == done
    assert await store.update_render("missing", progress=1) is None


async def _render_at(store: Store, render_id: str, state: RenderState) -> None:
    """A render brought to `state` the way the render manager gets it there."""
    await store.create_render(render_id, KEY, session_id="s-1")
    if state is RenderState.SUBMITTING:
        return
    if state in (RenderState.FAILED, RenderState.REFUSED, RenderState.REPLACED,
                 RenderState.GAVE_UP, RenderState.CANCELLED):
        assert await store.end_render(render_id, state, "why")
        return
    assert await store.advance_render(render_id, RenderStatus.PROCESSING, progress=40)
    if state is RenderState.PROCESSING:
        return
    assert await store.advance_render(render_id, RenderStatus.COMPLETED, output_url="https://x")
    if state is RenderState.COMPLETED:
        return
    assert await store.claim_delivery(render_id)
    if state is RenderState.DELIVERED:
        assert await store.record_delivery(render_id)
    elif state is RenderState.UNDELIVERED:
        assert await store.give_up_delivery(render_id, "RuntimeError()")


async def test_unfinished_renders_are_the_ones_in_flight(store: Store) -> None:
    for state in RenderState:
        if state is not RenderState.PENDING:
            await _render_at(store, f"r-{state.value}", state)
    await store.create_render("r-elsewhere", "terminal:me")

    unfinished = [r.render_id for r in await store.get_unfinished_renders()]
    assert sorted(unfinished) == [
        "r-completed", "r-delivering", "r-elsewhere", "r-processing", "r-submitting"
    ]
    in_thread = [r.render_id for r in await store.get_unfinished_renders(KEY)]
    assert "r-elsewhere" not in in_thread and len(in_thread) == 4


async def test_a_delivery_is_claimed_once_and_stamped_when_posted(store: Store) -> None:
    await _render_at(store, "r-1", RenderState.COMPLETED)
    assert await store.claim_delivery("r-1") is True
    assert await store.claim_delivery("r-1") is False
    claimed = await store.get_render("r-1")
    assert claimed is not None and claimed.status is RenderState.DELIVERING
    assert claimed.delivered_at is None and claimed.attempts == 1  # not delivered yet
    assert await store.record_delivery("r-1") is True
    delivered = await store.get_render("r-1")
    assert delivered is not None and delivered.delivered_at is not None
    assert await store.record_delivery("r-1") is False
    assert await store.claim_delivery("unknown") is False


async def test_two_racing_resumers_deliver_a_render_once(store: Store) -> None:
    await _render_at(store, "r-1", RenderState.COMPLETED)
    results = await asyncio.gather(*(store.claim_delivery("r-1") for _ in range(2)))
    assert sorted(results) == [False, True]


async def test_two_processes_racing_on_one_database_deliver_a_render_once(
    database_url: str,
) -> None:
    path = database_url
    async with await Store.open(path) as first, await Store.open(path) as second:
        await _render_at(first, "r-1", RenderState.COMPLETED)
        results = await asyncio.gather(
            *(store.claim_delivery("r-1") for store in (first, second, first, second))
        )
    assert results.count(True) == 1


async def test_a_delivery_cut_off_by_a_kill_is_reopened_when_it_is_claimed_again(
    database_url: str,
) -> None:
    path = database_url
    async with await Store.open(path) as store:
        await _render_at(store, "r-cut-off", RenderState.DELIVERING)
    # (no release: a SIGKILL runs no clean-up; the render was never leased, as before
    # schema 5, so the next start claims it at once)
    async with await Store.open(path) as store:
        [claimed] = await store.claim_renders(LeaseTerms(30, "next-start"))
        assert claimed.render_id == "r-cut-off" and claimed.status is RenderState.COMPLETED
        assert await store.claim_delivery("r-cut-off", claimed.hold) is True


async def test_an_undelivered_render_can_be_reopened_once_for_a_retry(store: Store) -> None:
    await _render_at(store, "r-1", RenderState.UNDELIVERED)
    assert await store.get_unfinished_renders() == []
    assert await store.reopen_undelivered("r-1") is not None
    assert await store.reopen_undelivered("r-1") is None
    assert [r.render_id for r in await store.get_unfinished_renders()] == ["r-1"]


@pytest.mark.parametrize("outcome", [RenderState.FAILED, RenderState.REFUSED,
                                     RenderState.REPLACED, RenderState.GAVE_UP])
async def test_a_render_ends_once_and_never_while_it_is_being_posted(
    store: Store, outcome: RenderState
) -> None:
    await store.create_render("r-1", KEY)
    assert await store.end_render("r-1", outcome, "why") is True  # type: ignore[arg-type]
    assert await store.end_render("r-1", outcome, "why") is False  # type: ignore[arg-type]
    await _render_at(store, "r-2", RenderState.DELIVERING)
    assert await store.end_render("r-2", outcome, "why") is False  # type: ignore[arg-type]
    assert await store.advance_render("r-2", RenderStatus.PROCESSING) is None


async def test_migration_2_gives_old_renders_the_state_they_were_in(
    database_url: str,
) -> None:
    path = database_url
    rows = [  # render_id, status, error, delivered_at
        ("r-posted", "completed", None, "2026-01-01T00:00:00+00:00"),
        ("r-to-post", "completed", None, None),
        ("r-running", "processing", None, None),
        ("r-replaced", "failed", "replaced", "2026-01-01T00:00:00+00:00"),
        ("r-failed", "failed", "boom", "2026-01-01T00:00:00+00:00"),
        ("r-gave-up", "gave_up", "slow", "2026-01-01T00:00:00+00:00"),
    ]
    values = ", ".join(
        "({}, 'k', {}, {}, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00', {})".format(
            *(f"'{value}'" if value is not None else "NULL" for value in row)
        )
        for row in rows
    )
    await make_old_database(
        path,
        1,
        MIGRATIONS[0] + "INSERT INTO renders (render_id, conversation_key, status, error, "
        f"created_at, updated_at, delivered_at) VALUES {values};",
    )
    async with await Store.open(path) as store:
        assert await store.schema_version() == SCHEMA_VERSION
        states = {
            render_id: (render.status.value, render.delivered_at is not None)
            for render_id, *_ in rows
            if (render := await store.get_render(render_id)) is not None
        }
        resumed = [r.render_id for r in await store.get_unfinished_renders()]
    assert states == {
        "r-posted": ("delivered", True),
        "r-to-post": ("completed", False),
        "r-running": ("processing", False),
        "r-replaced": ("replaced", False),
        "r-failed": ("failed", False),
        "r-gave-up": ("gave_up", False),
    }
    assert sorted(resumed) == ["r-running", "r-to-post"]


async def test_renders_survive_a_restart(database_url: str) -> None:
    path = database_url
    async with await Store.open(path) as store:
        await store.create_render("r-1", KEY, requester_id=5)
        await store.advance_render("r-1", RenderState.PROCESSING, progress=50)
    async with await Store.open(path) as store:
        [render] = await store.get_unfinished_renders()
        assert (render.render_id, render.requester_id, render.progress) == ("r-1", 5, 50)


# -- uploads and usage --------------------------------------------------------------------


async def test_uploads_are_listed_in_order_per_conversation(store: Store) -> None:
    await _conversation(store)
    await _conversation(store, "terminal:other")
    first = await store.add_upload(
        KEY, filename="a.mp4", size_bytes=1_000, file_type="video", cdn_url="https://cdn/a",
        session_id="s-1",
    )
    await store.add_upload("terminal:other", filename="elsewhere.png")
    second = await store.add_upload(KEY, filename="b.png", session_id="s-2")
    assert await store.list_uploads(KEY) == [first, second]
    assert (first.session_id, second.session_id) == ("s-1", "s-2")
    assert (first.size_bytes, first.file_type, first.cdn_url) == (1_000, "video", "https://cdn/a")


async def test_turn_usage_counts_per_user_per_utc_day(store: Store, clock: FakeClock) -> None:
    assert await store.record_turn_usage(1, date(2026, 3, 1)) == 1
    assert await store.record_turn_usage(1, date(2026, 3, 1)) == 2
    assert await store.record_turn_usage(2, date(2026, 3, 1)) == 1
    assert await store.record_turn_usage(1) == 3  # the store's clock says 2026-03-01
    assert await store.count_turns_today(1, datetime(2026, 3, 1, 23, 59, tzinfo=UTC)) == 3
    assert await store.count_turns_today(1, datetime(2026, 3, 2, 0, 0, tzinfo=UTC)) == 0
    clock.advance(days=1)
    assert await store.count_turns_today(1) == 0


async def test_usage_day_follows_utc_not_local_time(store: Store) -> None:
    new_york = timezone(timedelta(hours=-5))
    late_evening_in_new_york = datetime(2026, 3, 1, 21, 0, tzinfo=new_york)
    await store.record_turn_usage(1, late_evening_in_new_york)  # 2026-03-02 02:00 UTC
    assert await store.count_turns_today(1, datetime(2026, 3, 2, 12, tzinfo=UTC)) == 1
    assert await store.count_turns_today(1, datetime(2026, 3, 1, 12, tzinfo=UTC)) == 0


async def test_another_process_reading_the_file_never_loses_the_bots_writes(
    tmp_path: Path,
) -> None:
    """POSIX locks go when any descriptor of the file closes in the process that holds
    them: the store must not open and close the database file behind SQLite's back, or
    the next reader (`sqlite3`, a backup, `nemobot doctor`) takes itself for the last
    connection and deletes the write-ahead log the bot is still writing to."""
    import subprocess
    import sys

    path = tmp_path / "bot.sqlite3"
    reader = "import sqlite3, sys; c = sqlite3.connect(sys.argv[1]); " \
             "c.execute('SELECT COUNT(*) FROM renders').fetchall(); c.close()"
    async with await Store.open(path) as store:
        await store.create_render("r-before", KEY)
        await asyncio.to_thread(
            subprocess.run, [sys.executable, "-c", reader, str(path)], check=True
        )
        await store.create_render("r-after", KEY)
        wal = path.with_name(path.name + "-wal")
        assert wal.exists(), "the write-ahead log was deleted under the open store"
        copy = tmp_path / "copy.sqlite3"  # what a crash now would leave: file + log
        copy.write_bytes(path.read_bytes())
        copy.with_name(copy.name + "-wal").write_bytes(wal.read_bytes())
    with sqlite3.connect(copy) as raw:
        kept = sorted(row[0] for row in raw.execute("SELECT render_id FROM renders"))
    assert kept == ["r-after", "r-before"]


# -- where the database is ----------------------------------------------------------------


def test_database_url_wins_over_database_path(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.settings import Settings

    monkeypatch.setenv("DATABASE_PATH", "data/by-path.sqlite3")
    assert Settings().database() == Path("data/by-path.sqlite3")
    monkeypatch.setenv("DATABASE_URL", "postgresql://nemobot@db:5432/nemobot")
    assert Settings().database() == "postgresql://nemobot@db:5432/nemobot"


@pytest.mark.parametrize(
    ("url", "path"),
    [
        ("sqlite:///data/bot.sqlite3", Path("data/bot.sqlite3")),
        ("sqlite:////var/lib/nemobot/bot.sqlite3", Path("/var/lib/nemobot/bot.sqlite3")),
    ],
)
def test_a_sqlite_url_names_a_relative_or_absolute_file(url: str, path: Path) -> None:
    from bot.core.store_sql import SqliteLocation, parse_location

    assert parse_location(url) == SqliteLocation(path)


@pytest.mark.parametrize("url", ["mysql://db/nemobot", "sqlite://data.sqlite3"])
def test_a_database_url_of_another_kind_is_refused_by_the_settings(
    monkeypatch: pytest.MonkeyPatch, url: str
) -> None:
    from pydantic import ValidationError

    from bot.settings import Settings

    monkeypatch.setenv("DATABASE_URL", url)
    with pytest.raises(ValidationError, match="sqlite:///"):
        Settings()
