"""A stable hash of what a chat turn can change in a NemoVideo session.

Stored when a turn starts; after a dropped stream or a restart, a different fingerprint
means the interrupted turn did change the session (so it must not be sent again).
"""

from __future__ import annotations

import hashlib
import json

from bot.nemo.models import SessionState

__all__ = ["fingerprint_state"]


def fingerprint_state(state: SessionState) -> str:
    """A stable hash of what a turn can change: the draft and the session's media.

    Store it with `start_turn`; after a restart, a different fingerprint means the
    interrupted turn did change the session.
    """
    material = {
        "draft": state.draft.raw,
        "video_infos": list(state.video_infos),
        "generated_media": list(state.generated_media),
    }
    encoded = json.dumps(material, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()
