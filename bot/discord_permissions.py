"""The Discord permissions nemobot asks for when it is invited, and the feature behind each.

This is the one list: `nemobot invite` puts its sum in the invite link, and a test checks
it against what the Discord edge checks before `/video` (`cogs/access.py`). Add a bit
here only together with the code that needs it, and say which call needs it. Bit values
are Discord's (developer docs → Topics → Permissions); `name` is discord.py's attribute.

Deliberately not asked for: Add Reactions, Manage Messages (it only edits and deletes its
own messages), Manage Threads (it only reopens threads it created), Mention Everyone
(every message uses no mentions but the one ping of the person who asked for a render),
Use External Emojis (buttons use plain Unicode emoji).
"""

from __future__ import annotations

from dataclasses import dataclass

VIEW_CHANNEL = 1 << 10
SEND_MESSAGES = 1 << 11
EMBED_LINKS = 1 << 14
ATTACH_FILES = 1 << 15
READ_MESSAGE_HISTORY = 1 << 16
CREATE_PUBLIC_THREADS = 1 << 35
SEND_MESSAGES_IN_THREADS = 1 << 38


@dataclass(frozen=True, slots=True)
class Permission:
    """One permission bit, its names, and why nemobot needs it."""

    bit: int
    name: str
    label: str
    why: str


BOT_PERMISSIONS: tuple[Permission, ...] = (
    Permission(
        VIEW_CHANNEL,
        "view_channel",
        "View Channels",
        "see the channels and threads it works in: receive the messages people write there "
        "and fetch a thread that left the cache (GET /channels/{id})",
    ),
    Permission(
        SEND_MESSAGES,
        "send_messages",
        "Send Messages",
        "answer a mention outside a session thread with a hint to use /video, and reopen an "
        "archived session thread before posting in it (PATCH /channels/{id} archived=false)",
    ),
    Permission(
        CREATE_PUBLIC_THREADS,
        "create_public_threads",
        "Create Public Threads",
        "/video opens a public thread from its starter message "
        "(POST /channels/{id}/messages/{id}/threads)",
    ),
    Permission(
        SEND_MESSAGES_IN_THREADS,
        "send_messages_in_threads",
        "Send Messages in Threads",
        "every reply, live status and result in a session thread "
        "(POST and PATCH /channels/{thread}/messages)",
    ),
    Permission(
        ATTACH_FILES,
        "attach_files",
        "Attach Files",
        "deliver the finished MP4 into the thread as a file (multipart POST /messages)",
    ),
    Permission(
        EMBED_LINKS,
        "embed_links",
        "Embed Links",
        "its messages are cards (embeds): a render's live status, the delivered video with "
        "its title, duration, size and poster frame, the timeline and the list of versions; "
        "without it Discord drops the embeds and those messages show nothing "
        "(POST and PATCH /channels/{thread}/messages with `embeds`)",
    ),
    Permission(
        READ_MESSAGE_HISTORY,
        "read_message_history",
        "Read Message History",
        "required by /video's own check before it opens a thread (cogs/access.py), so that "
        "the thread and its starter message stay readable to the bot",
    ),
)


def permissions_integer(permissions: tuple[Permission, ...] = BOT_PERMISSIONS) -> int:
    """The `permissions=` value of the invite link: the sum of the bits."""
    value = 0
    for permission in permissions:
        value |= permission.bit
    return value
