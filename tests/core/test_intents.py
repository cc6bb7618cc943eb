"""Routing a message to export / credits / status / upload, or to a chat turn."""

from __future__ import annotations

import pytest

from bot.core.intents import Intent, is_upload_word, route

EXPORT, CREDITS, STATUS, UPLOAD, CHAT = (
    Intent.EXPORT, Intent.CREDITS, Intent.STATUS, Intent.UPLOAD, Intent.CHAT
)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # export, as the brief says it and as people say it
        ("export", EXPORT),
        ("Export", EXPORT),
        ("EXPORT IT!", EXPORT),
        ("export it", EXPORT),
        ("export 1080p MP4", EXPORT),
        ("please export the video", EXPORT),
        ("can you export the final video as mp4 in 1080p?", EXPORT),
        ("ok great, now export it please 🎬", EXPORT),
        ("download", EXPORT),
        ("download the video", EXPORT),
        ("send me the video", EXPORT),
        ("Send me the final video, thanks!", EXPORT),
        ("render it", EXPORT),
        ("<@123456789012345678> export", EXPORT),
        ("<@!123> export it", EXPORT),
        ("/export", EXPORT),
        ("ＥＸＰＯＲＴ", EXPORT),
        ("i want to export", EXPORT),
        ("导出", EXPORT),
        ("导出视频", EXPORT),
        ("请导出视频", EXPORT),
        ("导出 1080p MP4", EXPORT),
        ("帮我把视频导出一下吧", EXPORT),
        ("下载视频", EXPORT),
        ("把视频发给我", EXPORT),
        ("导出！🎉", EXPORT),
        # credits
        ("credits", CREDITS),
        ("credits?", CREDITS),
        ("Credits ？", CREDITS),
        ("how many credits do I have", CREDITS),
        ("How many credits do I have left?", CREDITS),
        ("check my balance", CREDITS),
        ("what's my credit balance", CREDITS),
        ("balance", CREDITS),
        ("积分", CREDITS),
        ("余额", CREDITS),
        ("我还有多少积分？", CREDITS),
        ("查一下余额", CREDITS),
        # status
        ("status", STATUS),
        ("Status?", STATUS),
        ("show tracks", STATUS),
        ("show me the timeline", STATUS),
        ("timeline", STATUS),
        ("what's on the timeline?", STATUS),
        ("what's the status of my video", STATUS),
        ("状态", STATUS),
        ("显示轨道", STATUS),
        ("查看时间线", STATUS),
        # upload without a file: the engine explains how
        ("upload", UPLOAD),
        ("how do I upload a video?", UPLOAD),
        ("上传", UPLOAD),
        ("我要上传图片", UPLOAD),
        # a keyword inside a longer request is a chat turn
        ("don't export yet, make the music louder", CHAT),
        ("do not export", CHAT),
        ("not yet, export later", CHAT),
        ("add a download button overlay", CHAT),
        ("what's the status of the title animation? make it slower", CHAT),
        ("roll the credits at the end", CHAT),
        ("add end credits with our names", CHAT),
        ("balance the audio levels", CHAT),
        ("add a second video track with the logo", CHAT),
        ("upload my logo and put it in the corner", CHAT),
        ("send me the video with subtitles", CHAT),
        ("export in 9:16 for tiktok", CHAT),
        ("generate a 15-second video clip from my text prompt with background music", CHAT),
        ("make a sunset over a mountain lake, cinematic", CHAT),
        ("hello", CHAT),
        ("", CHAT),
        ("🎬🎬🎬", CHAT),
        ("<@123>", CHAT),
        ("先不导出，把音乐调大", CHAT),
        ("别导出", CHAT),
        ("导出之前把音乐调大一点", CHAT),
        ("在视频开头加上积分说明", CHAT),
        ("把标题动画的状态改成慢一点", CHAT),
        ("上传的图片放在开头", CHAT),
        ("生成一个15秒的日落视频，配上背景音乐", CHAT),
        # cancel: the whole message, or with what it stops; anything more is an edit
        ("cancel", Intent.CANCEL),
        ("Cancel the render, please", Intent.CANCEL),
        ("cancel export", Intent.CANCEL),
        ("取消", Intent.CANCEL),
        ("请取消渲染", Intent.CANCEL),
        ("cancel the music and add a title", CHAT),
        ("don't cancel", CHAT),
        ("取消背景音乐", CHAT),
    ],
)
def test_route_table(text: str, expected: Intent) -> None:
    assert route(text) is expected


@pytest.mark.parametrize(
    "text",
    ["", "export", "make this the intro", "credits", "don't export yet", "这个放在开头"],
)
def test_an_attachment_always_means_upload_first(text: str) -> None:
    assert route(text, has_attachments=True) is Intent.UPLOAD


@pytest.mark.parametrize(
    ("text", "only_handover"),
    [
        ("", True),
        ("upload", True),
        ("here you go", True),
        ("here are my clips 📎", True),
        ("Uploading some photos", True),
        ("上传", True),
        ("这是我的视频", True),
        ("use this as the intro", False),
        ("put the logo in the corner", False),
        ("export", False),
        ("把这张图片放在开头", False),
    ],
)
def test_is_upload_word_tells_whether_a_chat_turn_should_follow_the_upload(
    text: str, only_handover: bool
) -> None:
    assert is_upload_word(text) is only_handover
