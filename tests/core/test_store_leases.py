"""Render leases in the store, on both engines: claim, renew, steal after expiry, a stale
fence writes nothing, and two connections claiming at once never share a render."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import pytest

from bot.core.leases import Hold, LeaseTerms, new_owner
from bot.core.store import RenderState, Store
from bot.nemo.models import RenderStatus

KEY = "discord:1234567890123456789"
A = LeaseTerms(30, "process-a")
B = LeaseTerms(30, "process-b")


class FakeClock:
    def __init__(self) -> None:
        self.now = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += timedelta(seconds=seconds)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
async def store(database_url: str, clock: FakeClock) -> AsyncIterator[Store]:
    async with await Store.open(database_url, now=clock) as opened:
        yield opened


async def _row(store: Store, render_id: str) -> dict[str, Any]:
    row = await store._one("SELECT * FROM renders WHERE render_id = ?", (render_id,))
    assert row is not None
    return dict(row)


async def test_a_new_render_is_held_by_its_creator_and_others_cannot_claim_it(
    store: Store,
) -> None:
    render = await store.create_render("r-1", KEY, session_id="s-1", lease=A)
    assert render.hold == Hold("process-a", 1)
    assert render.lease_expires == store._now() + timedelta(seconds=30)
    assert await store.claim_renders(B) == []


async def test_unheld_renders_in_flight_are_claimed_once_with_a_fence(store: Store) -> None:
    for n in range(3):
        await store.create_render(f"r-{n}", KEY, session_id="s-1")
    await store.create_render("r-done", KEY, session_id="s-1")
    assert await store.end_render("r-done", RenderState.FAILED, "why")

    claimed = await store.claim_renders(A)

    assert [r.render_id for r in claimed] == ["r-0", "r-1", "r-2"]
    assert {r.hold for r in claimed} == {Hold("process-a", 1)}
    assert await store.claim_renders(B) == []
    assert await store.claim_renders(A) == []  # held: its own scan does not claim it again


async def test_a_renewed_lease_is_kept_and_a_lapsed_one_is_taken_with_a_new_fence(
    store: Store, clock: FakeClock
) -> None:
    held = await store.create_render("r-1", KEY, session_id="s-1", lease=A)
    assert held.hold is not None
    clock.advance(20)
    assert await store.renew_render_lease("r-1", held.hold, A)
    clock.advance(20)  # 40 s after the claim, 20 s after the renewal
    assert await store.claim_renders(B) == []

    clock.advance(11)  # the renewal has run out
    [stolen] = await store.claim_renders(B)

    assert stolen.hold == Hold("process-b", 2)
    assert not await store.renew_render_lease("r-1", held.hold, A)
    assert await store.renew_render_lease("r-1", stolen.hold, B)


async def test_writes_under_a_stale_fence_change_nothing(store: Store, clock: FakeClock) -> None:
    old = await store.create_render("r-1", KEY, session_id="s-1", lease=A)
    assert old.hold is not None
    assert await store.advance_render(
        "r-1", RenderStatus.COMPLETED, output_url="https://x", hold=old.hold
    )
    clock.advance(31)
    [new] = await store.claim_renders(B)
    before = await _row(store, "r-1")
    stale = old.hold

    assert (
        await store.advance_render("r-1", RenderStatus.PROCESSING, progress=5, hold=stale) is None
    )
    assert await store.update_render("r-1", message_id="m-stale", hold=stale) is None
    assert not await store.claim_delivery("r-1", stale)
    assert not await store.end_render("r-1", RenderState.GAVE_UP, "stale", stale)
    assert not await store.release_render_lease("r-1", stale)
    assert await _row(store, "r-1") == before

    assert await store.claim_delivery("r-1", new.hold)  # the holder's own write goes through
    during = await _row(store, "r-1")
    assert not await store.record_delivery("r-1", stale)
    assert not await store.give_up_delivery("r-1", "stale", stale)
    assert not await store.release_delivery("r-1", stale)
    assert await _row(store, "r-1") == during
    assert await store.record_delivery("r-1", new.hold)


async def test_a_released_lease_is_claimed_at_once(store: Store) -> None:
    held = await store.create_render("r-1", KEY, session_id="s-1", lease=A)
    assert held.hold is not None
    assert await store.release_render_lease("r-1", held.hold)

    [claimed] = await store.claim_renders(B)

    assert claimed.hold == Hold("process-b", 2)


async def test_a_delivery_whose_holder_lapsed_is_made_again_by_the_claimer(
    store: Store, clock: FakeClock
) -> None:
    held = await store.create_render("r-1", KEY, session_id="s-1", lease=A)
    assert held.hold is not None
    await store.advance_render(
        "r-1", RenderStatus.COMPLETED, output_url="https://x", hold=held.hold
    )
    assert await store.claim_delivery("r-1", held.hold)
    clock.advance(31)  # process A died while posting

    [claimed] = await store.claim_renders(B)

    assert claimed.status is RenderState.COMPLETED and claimed.attempts == 1
    assert await store.claim_delivery("r-1", claimed.hold)


async def test_a_cancel_wins_over_the_holder(store: Store) -> None:
    held = await store.create_render("r-1", KEY, session_id="s-1", lease=A)
    assert await store.end_render("r-1", RenderState.CANCELLED, "cancelled by 7")
    assert await store.advance_render("r-1", RenderStatus.PROCESSING, hold=held.hold) is None
    assert await store.claim_renders(B) == []  # ended: nothing to claim


async def test_a_retry_claims_the_undelivered_render(store: Store) -> None:
    held = await store.create_render("r-1", KEY, session_id="s-1", lease=A)
    assert held.hold is not None
    await store.advance_render("r-1", RenderStatus.COMPLETED, hold=held.hold)
    assert await store.claim_delivery("r-1", held.hold)
    assert await store.give_up_delivery("r-1", "no", held.hold)

    reopened = await store.reopen_undelivered("r-1", B)

    assert reopened is not None and reopened.hold == Hold("process-b", 2)
    assert reopened.status is RenderState.COMPLETED


async def test_claims_only_one_conversation_when_asked(store: Store) -> None:
    await store.create_render("r-1", KEY, session_id="s-1")
    await store.create_render("r-2", "terminal:other", session_id="s-2")
    assert [r.render_id for r in await store.claim_renders(A, "terminal:other")] == ["r-2"]


async def test_two_connections_claiming_at_once_never_share_a_render(
    database_url: str, clock: FakeClock
) -> None:
    async with (
        await Store.open(database_url, now=clock) as one,
        await Store.open(database_url, now=clock) as two,
    ):
        for n in range(60):
            await one.create_render(f"r-{n:02d}", KEY, session_id="s-1")

        async def claim_all(store: Store, lease: LeaseTerms) -> list[str]:
            got: list[str] = []
            while claimed := await store.claim_renders(lease, limit=4):
                got += [r.render_id for r in claimed]
                await asyncio.sleep(0)
            return got

        by_a, by_b = await asyncio.gather(claim_all(one, A), claim_all(two, B))
        engine = one.engine

    assert not set(by_a) & set(by_b)
    assert sorted(by_a + by_b) == [f"r-{n:02d}" for n in range(60)]
    if engine == "postgresql":  # on SQLite one writer may well take them all
        assert by_a and by_b, "both connections claimed some"


async def test_a_row_locked_by_another_transaction_is_skipped_not_waited_for(
    database_url: str, clock: FakeClock
) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SKIP LOCKED is PostgreSQL's; SQLite writers take turns")
    url, _, schema = database_url.partition("?search_path=")
    async with await Store.open(database_url, now=clock) as store:
        for n in range(3):
            await store.create_render(f"r-{n}", KEY, session_id="s-1")
        other = await asyncpg.connect(url, server_settings={"search_path": schema})
        try:
            locking = other.transaction()
            await locking.start()
            await other.execute("SELECT 1 FROM renders WHERE render_id = 'r-1' FOR UPDATE")

            claimed = await asyncio.wait_for(store.claim_renders(A), 60)

            assert [r.render_id for r in claimed] == ["r-0", "r-2"]
            await locking.rollback()
        finally:
            await other.close()
        assert [r.render_id for r in await store.claim_renders(B)] == ["r-1"]


# -- turns ---------------------------------------------------------------------------------


async def test_a_running_turn_is_resumed_by_one_process_once_its_holder_stops_renewing(
    store: Store, clock: FakeClock
) -> None:
    await store.save_conversation(KEY, session_id="s-1")
    running = await store.start_turn(KEY, author_id=7, lease=A)
    assert running.hold == Hold("process-a", 1)
    assert await store.claim_turns(B) == []  # A is running it: not a cut-off turn

    clock.advance(31)
    claimed = await store.claim_turns(B)

    assert [t.id for t in claimed] == [running.id] and claimed[0].hold == Hold("process-b", 2)
    assert await store.claim_turns(A) == []
    assert not await store.finish_turn(running.id, "done", running.hold)  # stale: nothing
    assert not await store.renew_turn_lease(running.id, running.hold, A)
    assert await store.finish_turn(running.id, "interrupted", claimed[0].hold)
    finished = await store.get_turn(running.id)
    assert finished is not None and finished.status.value == "interrupted"


async def test_a_released_turn_is_claimed_at_once_and_only_its_conversation_when_asked(
    store: Store,
) -> None:
    await store.save_conversation(KEY, session_id="s-1")
    await store.save_conversation("terminal:x", session_id="s-2")
    mine = await store.start_turn(KEY, lease=A)
    other = await store.start_turn("terminal:x", lease=A)
    assert mine.hold is not None and other.hold is not None
    assert await store.release_turn_lease(mine.id, mine.hold)
    assert await store.release_turn_lease(other.id, other.hold)

    assert [t.id for t in await store.claim_turns(B, "terminal:x")] == [other.id]
    assert [t.id for t in await store.claim_turns(B)] == [mine.id]


async def test_the_lease_of_a_process_gone_from_this_host_is_not_waited_out(
    store: Store,
) -> None:
    ended = await asyncio.create_subprocess_exec("true")  # a pid that no longer runs
    await ended.wait()
    gone_pid = ended.pid
    owner = new_owner().split(":")
    gone = LeaseTerms(30, ":".join([*owner[:2], str(gone_pid), "deadbeef"]))
    alive = LeaseTerms(30, ":".join([*owner[:2], str(os.getppid()), "cafe"]))
    await store.create_render("r-gone", KEY, session_id="s-1", lease=gone)
    await store.create_render("r-alive", KEY, session_id="s-1", lease=alive)

    assert [r.render_id for r in await store.claim_renders(B)] == ["r-gone"]
