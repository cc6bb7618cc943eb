"""The store's counts for the metrics, on both engines: renders by state (every state
listed), and the renders that ended since a moment, with how long each took."""

from __future__ import annotations

from datetime import timedelta

from bot.core.records import RenderState
from bot.core.store import Store
from bot.core.store_counts import EndedRender
from bot.nemo.models import RenderStatus
from tests.core.test_store import FakeClock, _render_at, clock, store

__all__ = ["clock", "store"]  # test_store's fixtures (both engines), used here by name


async def test_renders_are_counted_by_state_with_every_state_listed(store: Store) -> None:
    assert await store.count_renders_by_state() == dict.fromkeys(RenderState, 0)
    await _render_at(store, "a", RenderState.PROCESSING)
    await _render_at(store, "b", RenderState.PROCESSING)
    await _render_at(store, "c", RenderState.DELIVERED)
    counts = await store.count_renders_by_state()
    assert counts[RenderState.PROCESSING] == 2 and counts[RenderState.DELIVERED] == 1
    assert sum(counts.values()) == 3


async def test_renders_ended_since_a_moment_with_their_durations(
    store: Store, clock: FakeClock
) -> None:
    await _render_at(store, "old", RenderState.FAILED)
    clock.advance(hours=2)
    since = clock.now
    await store.create_render("new", "discord:1", session_id="s")
    clock.advance(seconds=90)
    await _render_at(store, "refused", RenderState.REFUSED)
    assert await store.advance_render("new", RenderStatus.COMPLETED, output_url="https://x")
    assert await store.claim_delivery("new")
    clock.advance(seconds=30)
    assert await store.record_delivery("new")
    ended = await store.renders_ended_since(since)
    assert sorted(ended, key=lambda e: e.state) == [
        EndedRender(RenderState.DELIVERED, 120.0),
        EndedRender(RenderState.REFUSED, 0.0),
    ]
    assert await store.renders_ended_since(since + timedelta(hours=1)) == []
