"""Versions, engine level: every delivered video is kept, listed, posted again, deleted.

The real engine on both databases and the emulator over 127.0.0.1; only the chat is in
memory. "No new render" is counted where it would happen: the emulator's render
submissions.
"""

from __future__ import annotations

from bot.core.card import Tone
from bot.core.port import Action
from bot.core.records import PostedAs
from bot.core.wording import Wording
from tests.engine.conftest import KEY, Rig
from tests.engine.test_exports import REQUESTER, generated
from tests.engine.test_turns import say

EN = Wording("en")
SOMEONE_ELSE = 7


async def _exported(rig: Rig, times: int) -> None:
    await generated(rig)
    for _ in range(times):
        await say(rig, "export", author=REQUESTER)
        await rig.engine.drain()


async def test_three_exports_are_three_versions_newest_first_and_one_is_posted_again(
    rig: Rig,
) -> None:
    await _exported(rig, 3)
    videos = rig.port.files()
    assert len(videos) == 3 and rig.emulator.state.counters.renders == 3

    card = await rig.engine.versions_card(KEY)

    assert [f.name.split(".")[0] for f in card.fields] == ["3", "2", "1"]
    versions = await rig.store.list_versions(KEY)
    for field, version, video in zip(card.fields, versions, reversed(videos), strict=True):
        assert version.message_id == video.id and version.posted_as is PostedAs.FILE
        assert version.output_url is not None and version.output_url in field.value
        assert f"memory://{KEY}/{video.id}" in field.value  # the jump link
        assert version.duration_ms is not None and version.size_bytes is not None
    assert [c.action for c in card.controls] == [Action.POST_AGAIN] * 3
    oldest = versions[-1]
    assert card.controls[-1].target == oldest.render_id

    said = await rig.engine.post_again(KEY, oldest.render_id)

    assert said is None  # the chat shows it: the video itself
    assert rig.emulator.state.counters.renders == 3, "no new render"
    again = rig.port.files()[-1]
    assert again.id != oldest.message_id and again.ping_user is None
    assert again.card is not None and again.card.footer == EN.version_footer(1)
    assert again.file_bytes == videos[0].file_bytes
    moved = await rig.store.get_version(oldest.render_id)
    assert moved is not None and moved.message_id == again.id and moved.posts == 2
    assert len(await rig.store.list_versions(KEY)) == 3


async def test_a_delivered_video_is_one_message_with_its_card_and_controls(rig: Rig) -> None:
    await _exported(rig, 1)
    [video] = rig.port.files()
    [version] = await rig.store.list_versions(KEY)

    card = video.card
    assert card is not None and card.tone is Tone.DONE
    assert card.title == "🎬 Sunset timelapse over a mountain lake"
    assert [f.name for f in card.fields] == [EN.field_duration(), EN.field_size()]
    names = [a.name for a in video.attached]
    assert names[0].endswith(".mp4") and card.picture == names[1]  # the poster frame
    assert [(c.action, c.target) for c in card.controls] == [
        (Action.POST_AGAIN, version.render_id),
        (Action.VERSIONS, ""),
        (Action.TIMELINE, ""),
        (Action.DELETE, version.render_id),
    ]
    # The render's own status message went once the video was there: one message for it.
    assert [m.text for m in rig.port.deleted] and not any(
        m.versions[0].startswith(EN.render_started()) for m in rig.port.messages
    )


async def test_an_expired_link_says_so_and_offers_to_export_again(rig: Rig) -> None:
    await _exported(rig, 1)
    [version] = await rig.store.list_versions(KEY)
    del rig.emulator.state.renders[version.render_id]  # NemoVideo no longer has it

    said = await rig.engine.post_again(KEY, version.render_id)

    assert said is None
    notice = rig.port.messages[-1]
    assert notice.text == EN.version_expired(1) and notice.actions == (Action.EXPORT,)
    assert len(rig.port.files()) == 1 and rig.emulator.state.counters.renders == 1


async def test_delete_is_refused_for_someone_else_and_done_for_the_requester(rig: Rig) -> None:
    await _exported(rig, 1)
    [video] = rig.port.files()
    [version] = await rig.store.list_versions(KEY)

    refused = await rig.engine.delete_post(KEY, version.render_id, video.id, SOMEONE_ELSE)
    assert refused == EN.delete_not_yours() and video in rig.port.messages

    done = await rig.engine.delete_post(KEY, version.render_id, video.id, REQUESTER)
    assert done == EN.post_deleted() and video in rig.port.deleted
    kept = await rig.store.get_version(version.render_id)
    assert kept is not None and kept.message_id is None, "listed still, without a jump link"


async def test_a_moderator_may_delete_and_no_versions_says_how_to_get_one(rig: Rig) -> None:
    empty = await rig.engine.versions_card(KEY)
    assert empty.body == EN.versions_none() and not empty.controls
    await _exported(rig, 1)
    [video] = rig.port.files()
    [version] = await rig.store.list_versions(KEY)

    done = await rig.engine.delete_post(
        KEY, version.render_id, video.id, SOMEONE_ELSE, may_manage=True
    )

    assert done == EN.post_deleted() and video in rig.port.deleted
    assert await rig.engine.post_again(KEY, "render_unknown") == EN.version_unknown()
