"""A reply that spills onto new messages shows its text exactly once, whatever is cancelled
or finished while a message write is on its way.

The port below creates each message (or edit) at once, as Discord does when the request
arrives, and holds the answer back: the moment at which a cancelled caller used to lose
the new message's id, and the page was posted a second time.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from bot.core.live import LiveReply
from bot.core.port import Action
from tests.engine.memport import MemoryPort

PAGE = 120
SENTENCE = "The sunset clip now fades in over two seconds. "
VERSIONS = [SENTENCE * 3, SENTENCE * 6, SENTENCE * 8]  # one, then more pages each time
FINAL = SENTENCE * 8 + "Done."
#: Writes of the scenario: the first message, then each version's edits and new pages.
WRITES = 9


class HeldPort(MemoryPort):
    """Holds the answer to write number `hold_at` (1-based) until `release` is set."""

    def __init__(self, hold_at: int) -> None:
        super().__init__(max_message_chars=PAGE)
        self.hold_at = hold_at
        self.writes = 0
        self.held = asyncio.Event()
        self.release = asyncio.Event()

    async def send(self, conversation: str, text: str, **options: Any) -> str:
        message_id = await super().send(conversation, text, **options)
        await self._answer()
        return message_id

    async def edit(self, conversation: str, message_id: str, text: str, **options: Any) -> None:
        await super().edit(conversation, message_id, text, **options)
        await self._answer()

    async def _answer(self) -> None:
        self.writes += 1
        if self.writes == self.hold_at:
            self.held.set()
            await self.release.wait()

    def shown(self) -> str:
        return shown(self)


def shown(port: MemoryPort) -> str:
    """Every message of the reply, read one after the other."""
    return "".join(m.text for m in port.messages)


async def settle() -> None:
    """Let every task run until it waits for something."""
    for _ in range(50):
        await asyncio.sleep(0)


async def stream_turn(reply: LiveReply) -> None:
    await reply.start("💭 Thinking…")
    for version in VERSIONS:
        reply.show(version)
        await settle()
    await reply.finish(FINAL, (Action.EXPORT,))


@pytest.mark.parametrize("hold_at", range(1, WRITES + 1))
async def test_finishing_while_a_page_is_on_its_way_shows_the_reply_once(hold_at: int) -> None:
    port = HeldPort(hold_at)
    reply = LiveReply(port, "c", interval_seconds=0.0)
    turn = asyncio.create_task(stream_turn(reply))
    await asyncio.wait({turn, asyncio.ensure_future(port.held.wait())},
                       return_when=asyncio.FIRST_COMPLETED)
    # The stream ends now: the reply is finished while that write is still on its way.
    finishing = asyncio.create_task(reply.finish(FINAL, (Action.EXPORT,)))
    await settle()
    port.release.set()
    await asyncio.gather(turn, finishing)
    await reply.close()
    assert port.shown() == FINAL
    assert port.messages[-1].actions == (Action.EXPORT,)


@pytest.mark.parametrize("hold_at", range(1, WRITES + 1))
async def test_cancelling_the_turn_while_a_page_is_on_its_way_never_shows_text_twice(
    hold_at: int,
) -> None:
    port = HeldPort(hold_at)
    reply = LiveReply(port, "c", interval_seconds=0.0)
    turn = asyncio.create_task(stream_turn(reply))
    await asyncio.wait({turn, asyncio.ensure_future(port.held.wait())},
                       return_when=asyncio.FIRST_COMPLETED)
    turn.cancel()  # shutting down in the middle of the turn
    await reply.close()
    port.release.set()
    await settle()
    # What is shown is one whole version of the reply: nothing lost, nothing twice.
    assert port.shown() in ["💭 Thinking…", *VERSIONS, FINAL]
    # And a turn that goes on from here (a resumed turn) edits those messages.
    await reply.finish(FINAL)
    assert port.shown() == FINAL


async def test_a_shorter_final_text_leaves_no_page_of_the_longer_one_behind() -> None:
    port = MemoryPort(max_message_chars=PAGE)
    reply = LiveReply(port, "c", interval_seconds=0.0)
    await reply.start("💭 Thinking…")
    reply.show(SENTENCE * 2 + "\n\n🎬 Generating video… · [since 1]")
    await settle()
    assert len(port.messages) == 2
    await reply.finish(SENTENCE * 2)
    assert shown(port) == SENTENCE * 2


class StillClock:
    """A clock that does not move unless told."""

    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


async def test_the_first_text_replaces_the_placeholder_at_once_then_edits_are_paced() -> None:
    port = MemoryPort()
    clock = StillClock()
    reply = LiveReply(port, "c", interval_seconds=1.5, clock=clock)
    await reply.start("💭 Thinking…")
    reply.show("The first words")
    await settle()
    assert port.texts() == ["The first words"]  # not 1.5 s after the placeholder
    clock.now += 0.1
    reply.show("The first words and more")
    await settle()
    assert port.texts() == ["The first words"]  # the next edit waits for the interval
    await reply.close()


class BusyPort(MemoryPort):
    """Holds every edit before it leaves, as a busy platform's budget does, until `release`."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = asyncio.Event()
        self.release = asyncio.Event()

    async def edit(self, conversation: str, message_id: str, text: Any, **options: Any) -> None:
        self.waiting.set()
        await self.release.wait()
        await super().edit(conversation, message_id, text, **options)


async def test_an_edit_held_back_by_the_budget_shows_the_newest_text_when_it_leaves() -> None:
    port = BusyPort()
    reply = LiveReply(port, "c", interval_seconds=0.0)
    await reply.start("💭 Thinking…")
    reply.show("The sunset")
    await port.waiting.wait()  # that edit waits for the budget …
    reply.show("The sunset clip")
    reply.show("The sunset clip now fades in.")  # … while the reply grows
    port.release.set()
    await settle()
    message = port.messages[0]
    assert message.versions == ["💭 Thinking…", "The sunset clip now fades in."]
    await reply.finish("The sunset clip now fades in.")
    assert message.versions == ["💭 Thinking…", "The sunset clip now fades in."]  # no repeat


class BusySendPort(MemoryPort):
    """Holds the first post before it leaves, as a busy platform's budget does."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = asyncio.Event()
        self.release = asyncio.Event()

    async def send(self, conversation: str, text: Any, **options: Any) -> str:
        if not self.release.is_set():
            self.waiting.set()
            await self.release.wait()
        return await super().send(conversation, text, **options)


async def test_a_first_message_held_back_by_the_budget_shows_the_text_that_came_meanwhile(
) -> None:
    port = BusySendPort()
    reply = LiveReply(port, "c", interval_seconds=0.0)
    starting = asyncio.create_task(reply.start("💭 Thinking…"))
    await port.waiting.wait()
    reply.show("The sunset clip now fades in.")  # the stream began while the post waited
    port.release.set()
    await starting
    await settle()
    (message,) = port.messages
    assert message.versions == ["The sunset clip now fades in."]  # never "Thinking", no edit
    await reply.finish("The sunset clip now fades in. Done.")
    assert shown(port) == "The sunset clip now fades in. Done."


async def test_live_actions_stay_under_the_last_page_until_finish_replaces_them() -> None:
    port = MemoryPort(max_message_chars=PAGE)
    reply = LiveReply(port, "c", interval_seconds=0.0, live_actions=(Action.CANCEL,))
    await reply.start("Thinking…")
    assert port.messages[0].actions == (Action.CANCEL,), "a Cancel from the first moment"

    await reply.show_now(SENTENCE * 6)  # onto more pages: the button moves with the last
    *earlier, last = port.messages
    assert earlier and all(m.actions == () for m in earlier)
    assert last.actions == (Action.CANCEL,)

    await reply.finish(SENTENCE * 6, (Action.EXPORT,))
    assert [m.actions for m in port.messages] == [*(() for _ in earlier), (Action.EXPORT,)]
    edits = port.edits
    await reply.finish(SENTENCE * 6, (Action.EXPORT,))
    assert port.edits == edits, "what is shown already is not edited again"



class RecordingPort(MemoryPort):
    """Notes every write: what it was, to which message, whether it continues a push."""

    def __init__(self) -> None:
        super().__init__(max_message_chars=PAGE)
        self.writes: list[tuple[str, str | None, bool]] = []

    async def send(self, conversation: str, text: Any, **options: Any) -> str:
        self.writes.append(("send", None, options.get("continued", False)))
        return await super().send(conversation, text, **options)

    async def edit(self, conversation: str, message_id: str, text: Any, **options: Any) -> None:
        self.writes.append(("edit", message_id, options.get("continued", False)))
        await super().edit(conversation, message_id, text, **options)


async def test_a_spill_keeps_the_page_shown_and_only_posts_the_next() -> None:
    port = RecordingPort()
    reply = LiveReply(port, "c", interval_seconds=0.0, live_actions=(Action.CANCEL,))
    await reply.start("Thinking…")
    await reply.show_now(SENTENCE * 2)  # one page, ending between two words
    (first,) = port.messages
    port.writes.clear()

    await reply.show_now(SENTENCE * 6)  # past the page: it stays as it is

    assert first.versions[-1] == SENTENCE * 2
    assert [kind for kind, _, _ in port.writes] == ["send"] * (len(port.messages) - 1)
    assert [continued for _, _, continued in port.writes] == [False] + [True] * (
        len(port.writes) - 1
    ), "the new pages follow each other in the platform's queue"
    assert shown(port) == SENTENCE * 6
    assert all(len(m.text) <= PAGE for m in port.messages)

    port.writes.clear()
    await reply.finish(SENTENCE * 6 + "Done.", (Action.EXPORT,))
    assert shown(port) == SENTENCE * 6 + "Done."
    assert [m.actions for m in port.messages] == [()] * (len(port.messages) - 1) + [
        (Action.EXPORT,)
    ]
    last_id = port.messages[-1].id
    assert port.writes[0][:2] == ("edit", last_id), "the new text first, the buttons after"
    assert all(not continued for _, message_id, continued in port.writes[1:]), (
        "a change of buttons alone waits behind other conversations' text"
    )


async def test_a_page_that_ends_inside_a_word_is_cut_afresh_when_the_reply_spills() -> None:
    port = RecordingPort()
    reply = LiveReply(port, "c", interval_seconds=0.0)
    await reply.start("Thinking…")
    calmer = SENTENCE + "The music gets calmer and softer. " * 4
    await reply.show_now(calmer[: len(SENTENCE) + 18])  # "… The music gets cal": mid-word
    port.writes.clear()

    await reply.show_now(calmer)

    kinds = [kind for kind, _, _ in port.writes]
    assert kinds[0] == "edit" and set(kinds[1:]) == {"send"}
    assert [continued for _, _, continued in port.writes] == [False] + [True] * (len(kinds) - 1)
    assert shown(port) == calmer
    assert not any(m.text.endswith("cal") for m in port.messages)


async def test_a_final_text_worded_otherwise_is_cut_afresh() -> None:
    port = MemoryPort(max_message_chars=PAGE)
    reply = LiveReply(port, "c", interval_seconds=0.0)
    await reply.start("Thinking…")
    await reply.show_now(SENTENCE * 2)
    await reply.show_now(SENTENCE * 6)  # the first page is kept
    final = "Your sunset clip is ready: it fades in over two seconds. " * 6

    await reply.finish(final)

    assert shown(port) == final
    assert all(len(m.text) <= PAGE for m in port.messages)


class BusyRecordingPort(RecordingPort):
    """Holds the first edit before it leaves, as a busy platform's budget does."""

    def __init__(self) -> None:
        super().__init__()
        self.waiting = asyncio.Event()
        self.release = asyncio.Event()

    async def edit(self, conversation: str, message_id: str, text: Any, **options: Any) -> None:
        if not self.release.is_set():
            self.waiting.set()
            await self.release.wait()
        await super().edit(conversation, message_id, text, **options)


async def test_a_reply_that_spills_while_its_edit_waits_posts_the_new_page_right_after() -> None:
    port = BusyRecordingPort()
    reply = LiveReply(port, "c", interval_seconds=60.0)  # no second push of its own soon
    await reply.start("Thinking…")
    port.writes.clear()
    reply.show(SENTENCE)
    await port.waiting.wait()  # that edit waits for the budget …
    reply.show(SENTENCE * 4)  # … while the reply grows past the page
    port.release.set()
    await settle()

    assert shown(port) == SENTENCE * 4, "the newest text, on as many pages as it needs"
    assert [kind for kind, _, _ in port.writes] == ["edit"] + ["send"] * (
        len(port.messages) - 1
    )
    assert [continued for _, _, continued in port.writes][1:] == [True] * (
        len(port.messages) - 1
    ), "the new pages follow the edit at once, in its place in the platform's queue"
    await reply.finish(SENTENCE * 4)
    assert shown(port) == SENTENCE * 4


async def test_a_page_about_to_fill_up_is_left_as_it_is_and_the_reply_goes_on_below() -> None:
    port = RecordingPort()
    reply = LiveReply(port, "c", interval_seconds=0.0)
    await reply.start("Thinking…")
    await reply.show_now(SENTENCE * 2)  # 94 of 120 characters
    port.writes.clear()

    # 20 more characters: at that pace the page would overflow before the next write
    # leaves, so this write starts the next page instead of editing the first.
    await reply.show_now(SENTENCE * 2 + "The music is calmer.")

    assert [kind for kind, _, _ in port.writes] == ["send"]
    assert [m.text for m in port.messages] == [SENTENCE * 2, "The music is calmer."]
    await reply.finish(SENTENCE * 2 + "The music is calmer. Done.")
    assert shown(port) == SENTENCE * 2 + "The music is calmer. Done."


async def test_a_slowly_growing_page_is_edited_until_it_is_nearly_full() -> None:
    port = RecordingPort()
    reply = LiveReply(port, "c", interval_seconds=0.0)
    await reply.start("Thinking…")
    await reply.show_now((SENTENCE * 2)[:-9])
    await reply.show_now(SENTENCE * 2)  # 9 characters more
    port.writes.clear()

    await reply.show_now(SENTENCE * 2 + "The")  # as slowly again: the same page

    assert [kind for kind, _, _ in port.writes] == ["edit"]
    assert len(port.messages) == 1


async def test_the_finished_reply_keeps_the_pages_it_streamed_into() -> None:
    port = RecordingPort()
    reply = LiveReply(port, "c", interval_seconds=0.0, live_actions=(Action.CANCEL,))
    final = SENTENCE + "The music gets calmer and softer in the last seconds. " + SENTENCE
    streamed = final[: final.index(" softer") + 1]  # ends between two words, mid-sentence
    await reply.start("Thinking…")
    await reply.show_now(streamed)
    await reply.show_now(final)  # kept while streaming: one write for the spill
    port.writes.clear()

    await reply.finish(final, (Action.EXPORT,))

    assert [m.text for m in port.messages] == [streamed, final[len(streamed) :]]
    last_id = port.messages[-1].id
    assert port.writes == [("edit", last_id, False), ("edit", port.messages[0].id, False)], (
        "the last page's buttons first; the first page's Cancel goes after, not urgently"
    )
