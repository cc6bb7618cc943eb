"""Every user-facing sentence, and the GUI-phrase translation, in English and Chinese."""

from __future__ import annotations

import inspect
import re

import pytest

from bot.core.media_formats import SUPPORTED_FORMATS
from bot.core.progress import Stage
from bot.core.wording import (
    Wording,
    normalize_language,
    registration_url,
    translate_gui,
)
from bot.nemo.errors import (
    ExportBlocked,
    FileTooLarge,
    InsufficientCredits,
    MissingClientId,
    NemoError,
    RateLimited,
    RenderFailed,
    ServiceTimeout,
    ServiceUnavailable,
    SessionNotFound,
    StreamDropped,
    TokenInvalid,
    TokenRefused,
    UnexpectedResponse,
    UnsupportedFile,
)

EN, ZH = Wording("en"), Wording("zh")
CJK = re.compile(r"[\u4e00-\u9fff]")


@pytest.mark.parametrize(
    ("given", "expected"),
    [("en", "en"), ("zh", "zh"), ("zh-CN", "zh"), ("zh-TW", "zh"), ("zh_hans", "zh"),
     ("ZH", "zh"), ("fr", "en"), ("", "en"), (None, "en"), ("english", "en")],
)
def test_languages_normalise_to_en_or_zh(given: str | None, expected: str) -> None:
    assert normalize_language(given) == expected
    assert Wording(given).language == expected


def _sentences(wording: Wording) -> dict[str, str]:
    """Every sentence method called with sample arguments."""
    samples: dict[str, tuple[object, ...]] = {
        "still_working": (3,),
        "tool_status": ("generate_video",),
        "turn_no_text": ("Timeline (1 track): 1. Video: lake (0-15s)",),
        "error": (RenderFailed(),),
        "rate_limited_retrying": (30,),
        "upload_too_large": ("big.mov", 300 * 1024 * 1024, 200 * 1024 * 1024),
        "upload_unsupported": ("notes.exe",),
        "attachment_unavailable": ("clip.mp4",),
        "upload_empty": ("blank.png",),
        "uploaded": (["a.mp4", "b.png"],),
        "status_files": (["a.mp4", "b.png"],),
        "render_progress": (40,),
        "render_stage": (Stage.RENDERING,),
        "started_at": ("<t:1764756000:R>",),
        "render_done_link": ("https://cdn.example/x.mp4",),
        "render_done_preview": ("https://cdn.example/x.mp4",),
        "render_undelivered": ("https://cdn.example/x.mp4",),
        "credits": (85, 10, 95),
        "status": ("Timeline (0 tracks): empty",),
        "recovery_changed": ("Timeline (1 track): 1. Video: lake (0-15s)",),
        "limit_reached": (20,),
        "add_credits_admin": ("https://nemovideo.com/register?bind=anon_1",),
        "version_footer": (3,),
        "version_posted": ("<t:1764756000:R>",),
        "version_expired": (2,),
        "timeline_total": ("0:15",),
        "cancel_dropped": (2,),
        "message_dropped": ("make the music calmer",),
        "turn_cancelled_changed": ("Timeline (1 track): 1. Video: lake (0-15s)",),
    }
    result = {}
    for name, method in inspect.getmembers(wording, inspect.ismethod):
        if name.startswith("_"):
            continue
        result[name] = method(*samples.get(name, ()))
    return result


def test_every_sentence_exists_in_both_languages() -> None:
    english, chinese = _sentences(EN), _sentences(ZH)
    assert english.keys() == chinese.keys()
    assert len(english) >= 25
    for name in english:
        assert english[name].strip(), name
        assert not CJK.search(english[name]), name
        assert CJK.search(chinese[name]), name


@pytest.mark.parametrize(
    ("tool", "en", "zh"),
    [
        ("generate_video", "🎬 Generating video…", "🎬 正在生成视频…"),
        ("generate_video_from_image", "🎬 Generating video…", "🎬"),
        ("seedance_t2v", "🎬 Generating video…", "🎬"),
        ("generate_music", "🎵 Adding music…", "🎵"),
        ("suno_create", "🎵 Adding music…", "🎵"),
        ("add_bgm", "🎵 Adding music…", "🎵"),
        ("edit_draft", "✂️ Editing the timeline…", "✂️"),
        ("multitrack_update", "✂️ Editing the timeline…", "✂️"),
        ("understand_video", "🔍 Looking at your media…", "🔍"),
        ("analyze_image", "🔍 Looking at your media…", "🔍"),
        ("web_search", "⚙️ Working…", "⚙️"),
    ],
)
def test_tool_calls_become_one_line_statuses(tool: str, en: str, zh: str) -> None:
    assert EN.tool_status(tool) == en
    assert ZH.tool_status(tool).startswith(zh)


def test_still_working_is_the_brief_s_sentence() -> None:
    assert EN.still_working() == "⏳ Still working…"
    assert EN.still_working(4).startswith("⏳ Still working…")
    assert "4" in EN.still_working(4)


# ----- errors -----------------------------------------------------------------------------

BIND = "https://nemovideo.com/register?bind=anon_abc123"


@pytest.mark.parametrize(
    ("error", "must_say"),
    [
        (TokenInvalid(code=1001), "reconnecting"),
        (
            SessionNotFound(code=1002),
            "Your previous session expired, so I started a new one — your messages from here "
            "on go to it.",
        ),
        (UnsupportedFile(code=4001), ", ".join(SUPPORTED_FORMATS)),
        (FileTooLarge(code=4002), "Compress or trim it below 200 MB"),
        (ExportBlocked(status=402), "Register or upgrade your plan to unlock export."),
        (RateLimited(status=429, retry_after=12.2), "try again in 13 s"),
        (StreamDropped(), "checking what changed"),
        (ServiceUnavailable(status=503), "NemoVideo is not answering"),
        (ServiceTimeout(), "NemoVideo is not answering"),
        (RenderFailed(), "Say “export” to try again"),
        (UnexpectedResponse(), "Something went wrong"),
        (MissingClientId(status=400), "Something went wrong"),
    ],
)
def test_each_error_row_has_its_sentence(error: NemoError, must_say: str) -> None:
    assert must_say in EN.error(error, anonymous=True, bind_url=BIND)
    assert CJK.search(ZH.error(error, anonymous=True, bind_url=BIND))


def test_code_2001_offers_registration_link_to_anonymous_users() -> None:
    for wording in (EN, ZH):
        assert BIND in wording.error(InsufficientCredits(code=2001), anonymous=True, bind_url=BIND)


def test_code_2001_tells_registered_users_to_top_up() -> None:
    text = EN.error(InsufficientCredits(code=2001), anonymous=False, bind_url=BIND)
    assert "Top up credits in your NemoVideo account." in text
    assert "register" not in text.lower()


def test_code_2001_without_a_bind_id_still_says_register() -> None:
    text = EN.error(InsufficientCredits(code=2001), anonymous=True, bind_url=None)
    assert "Register" in text and "http" not in text


def test_export_blocked_is_not_called_a_credits_problem() -> None:
    text = EN.error(ExportBlocked(status=402))
    assert "isn't about credits" in text
    assert "Top up" not in text and "out of" not in text


def test_registration_url_binds_the_anonymous_user() -> None:
    assert registration_url("https://nemovideo.com/", "anon_abc123") == BIND
    assert registration_url("https://nemovideo.com", "a b&c") == (
        "https://nemovideo.com/register?bind=a%20b%26c"
    )
    assert registration_url("https://nemovideo.com", None) == "https://nemovideo.com/register"


# ----- other sentences with data ------------------------------------------------------------


@pytest.mark.parametrize(
    ("size", "limit", "sizes"),
    [
        (250 * 1024 * 1024, 200 * 1024 * 1024, ("250 MB", "200 MB")),
        (12 * 1024 * 1024 + 512 * 1024, 10 * 1024 * 1024, ("12.5 MB", "10 MB")),
        (3 * 1024**3, 200 * 1024 * 1024, ("3 GB", "200 MB")),
    ],
)
def test_upload_too_large_names_the_file_its_size_and_the_limit(
    size: int, limit: int, sizes: tuple[str, str]
) -> None:
    text = EN.upload_too_large("holiday.mov", size, limit)
    assert "holiday.mov" in text
    assert all(part in text for part in sizes)


def test_upload_unsupported_lists_the_formats() -> None:
    text = EN.upload_unsupported("slides.pptx")
    assert "slides.pptx" in text and "mp4" in text and "aac" in text


@pytest.mark.parametrize(
    ("names", "en"),
    [
        (["a.mp4"], "📎 Uploaded a.mp4. Tell me what to do with it."),
        (["a.mp4", "b.png"], "📎 Uploaded a.mp4 and b.png. Tell me what to do with them."),
        (["a", "b", "c"], "📎 Uploaded a, b and c. Tell me what to do with them."),
    ],
)
def test_uploaded_lists_the_files(names: list[str], en: str) -> None:
    assert EN.uploaded(names) == en
    assert all(name in ZH.uploaded(names) for name in names)


def test_nothing_to_export_gives_an_example() -> None:
    assert EN.nothing_to_export().startswith(
        "Nothing on the timeline yet — describe a video first, e.g."
    )


@pytest.mark.parametrize(
    ("percent", "shown"), [(0, "0%"), (45, "45%"), (-5, "0%"), (99, "99%"), (100, "100%"),
                           (150, "100%")],
)
def test_render_progress_shows_a_percentage(percent: int, shown: str) -> None:
    assert EN.render_progress(percent).endswith(shown), "a percentage, never 'finished'"


def test_render_done_sentences_carry_the_link() -> None:
    url = "https://cdn.example/r.mp4"
    assert url in EN.render_done_link(url)
    assert url in EN.render_done_preview(url) and url in ZH.render_done_preview(url)
    assert url in EN.render_done_file(url)
    assert "http" not in EN.render_done_file()


def test_credits_say_what_is_left_and_mention_frozen_only_when_some_are_held() -> None:
    assert EN.credits(85, 10, 95) == "💳 85 credits left, and 10 more held for work in progress."
    assert EN.credits(750, 0, 750) == "💳 750 credits left."  # not "750 available (750 total)"
    assert ZH.credits(750, 0, 750) == "💳 剩余 750 积分。"


def test_turn_and_recovery_sentences_include_the_summary() -> None:
    summary = "Timeline (2 tracks): 1. Video: lake (0-15s) 2. BGM: calm (0-15s, 35%)"
    assert EN.turn_no_text(summary) == f"✅ Done — here is the timeline now: {summary}"
    for wording in (EN, ZH):
        assert summary in wording.status(summary)
        assert summary in wording.recovery_changed(summary)


def test_help_mentions_every_command() -> None:
    for command in ("/export", "/status", "/credits", "/reset"):
        assert command in EN.help()
        assert command in ZH.help()


# ----- GUI translation --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("backend", "shown"),
    [
        ("Click the Export button", 'Say "export" (or use /export)'),
        (
            "Your video is ready! Click **Export** in the top-right corner to download it.",
            'Your video is ready! Say "export" (or use /export) to download it.',
        ),
        (
            "When you're happy, click on Export.",
            "When you're happy, say \"export\" (or use /export).",
        ),
        ("Use the Export button to save it.", "Use /export to save it."),
        ("You can preview it in the timeline.", 'You can ask for the timeline (say "status").'),
        (
            "Or upload clips and images in the media panel to get started.",
            "Or attach clips and images to a message to get started.",
        ),
        ("Upload your photos via the upload tab.", "Attach your photos to a message."),
        ("I will upload the video to the cloud.", "I will upload the video to the cloud."),
        (
            "Play the preview in the timeline to check it.",
            'Ask for the timeline (say "status") to check it.',
        ),
        (
            "Open the timeline to check the order.",
            'Ask for the timeline (say "status") to check the order.',
        ),
        (
            "Drag the clip to the start of the timeline.",
            "Tell me to move the clip to the start of the timeline.",
        ),
        ("You can drag and drop to rearrange.", "You can just tell me what to move to rearrange."),
        ("Drop your files here.", "Attach your files to a message."),
        ("Drag & drop the clip onto track 2.", "Tell me to move the clip onto track 2."),
        (
            "You can also drag-and-drop files here to upload.",
            "You can also attach files to a message to upload.",
        ),
        ("If you like it, click Save.", 'If you like it, say "save".'),
        ('Click the "Apply" button to confirm.', 'Say "apply" to confirm.'),
        ("Then click Generate.", 'Then say "generate".'),
        ("Click here to see more options.", "Tell me to see more options."),
        (
            "Open the settings panel and pick 1080p.",
            "Ask me for the settings panel and pick 1080p.",
        ),
        ("1. Click the Export button\n2. Wait", '1. Say "export" (or use /export)\n2. Wait'),
        # ordinary words stay
        ("The scene opens on an open field at dawn.", "The scene opens on an open field at dawn."),
        ("Avoid a clickbait title.", "Avoid a clickbait title."),
        ("A loud, click-like sound.", "A loud, click-like sound."),
        ("Drop the music volume to 30%.", "Drop the music volume to 30%."),
        ("I added a click track under the drums.", "I added a click track under the drums."),
        ("The camera slowly pans to the right.", "The camera slowly pans to the right."),
        ("Export settings: 1080p, H.264.", "Export settings: 1080p, H.264."),
        ("I will export your video in 1080p.", "I will export your video in 1080p."),
        ("The drag of the current pulls the boat.", "The drag of the current pulls the boat."),
        ("Open with a wide shot of the lake.", "Open with a wide shot of the lake."),
        ("```\nclick the Export button\n```", "```\nclick the Export button\n```"),
    ],
)
def test_gui_instructions_become_chat_instructions_in_english(backend: str, shown: str) -> None:
    assert translate_gui(backend, "en") == shown
    assert translate_gui(shown, "en") == shown  # translating twice changes nothing more


@pytest.mark.parametrize(
    ("backend", "shown"),
    [
        ("点击导出", "发送“导出”（或使用 /export）"),
        ("完成后请点击右上角的「导出」按钮。", "完成后发送“导出”（或使用 /export）。"),
        ("你可以在时间线中预览效果。", "你可以让我给你看时间线（发送“状态”）。"),
        ("打开时间线查看顺序。", "让我给你看时间线（发送“状态”）查看顺序。"),
        ("将片段拖拽到开头即可。", "告诉我把片段移到开头即可。"),
        ("拖拽调整顺序。", "告诉我要移动什么调整顺序。"),
        ("点击「应用」按钮确认。", "发送“应用”确认。"),
        ("打开素材库选择音乐。", "向我要素材库选择音乐。"),
        ("点击这里了解更多。", "告诉我了解更多。"),
        # ordinary words stay
        ("我已经打开字幕。", "我已经打开字幕。"),
        ("视频已生成，时长 15 秒。", "视频已生成，时长 15 秒。"),
        ("导出设置：1080p。", "导出设置：1080p。"),
    ],
)
def test_gui_instructions_become_chat_instructions_in_chinese(backend: str, shown: str) -> None:
    assert translate_gui(backend, "zh") == shown
    assert translate_gui(shown, "zh") == shown  # translating twice changes nothing more


def test_gui_translation_follows_the_phrase_not_the_conversation_language() -> None:
    assert translate_gui("Click the Export button", "zh") == 'Say "export" (or use /export)'
    assert translate_gui("点击导出", "en") == "发送“导出”（或使用 /export）"


def test_text_without_gui_instructions_is_returned_unchanged() -> None:
    text = "I made a 15-second sunset clip with lo-fi music. Want a title?"
    assert translate_gui(text, "en") == text


@pytest.mark.parametrize(
    ("retry_after", "must_say"),
    [
        (6.9 * 86400, "for about 7 days"),
        (5 * 3600, "for about 5 hours"),
        (90.0, "for about 2 min"),
        (None, "for now"),
    ],
)
def test_a_refused_token_renewal_says_what_it_is_and_what_the_operator_can_do(
    retry_after: float | None, must_say: str
) -> None:
    text = EN.error(TokenRefused(status=429, retry_after=retry_after), anonymous=True)
    assert must_say in text and "NEMO_TOKEN" in text
    assert "busy" not in text and "retrying" not in text
    assert CJK.search(ZH.error(TokenRefused(retry_after=retry_after), anonymous=True))
